: High-voltage-activated calcium current (Hay et al. 2011, after Reuveni et al. 1993);
: no temperature dependence.

NEURON {
    SUFFIX Ca_HVA
    USEION ca READ eca WRITE ica
    RANGE gCa_HVAbar
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}

PARAMETER {
    gCa_HVAbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ica = gCa_HVAbar*m*m*h*(v - eca)
}

DERIVATIVE states {
    rates(v)
    m' = (mInf - m)/mTau
    h' = (hInf - h)/hTau
}

INITIAL {
    rates(v)
    m = mInf
    h = hInf
}

PROCEDURE rates(v (mV)) {
    LOCAL am, bm, ah, bh
    UNITSOFF
    am = 0.055*vtrap(-27 - v, 3.8)
    bm = 0.94*exp((-75 - v)/17)
    ah = 0.000457*exp((-13 - v)/50)
    bh = 0.0065/(exp((-v - 15)/28) + 1)
    mInf = am/(am + bm)
    mTau = 1/(am + bm)
    hInf = ah/(ah + bh)
    hTau = 1/(ah + bh)
    UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
