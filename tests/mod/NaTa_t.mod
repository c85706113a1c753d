: Fast inactivating sodium current (Hay et al. 2011, after Colbert & Pan 2002).

NEURON {
    SUFFIX NaTa_t
    USEION na READ ena WRITE ina
    RANGE gNaTa_tbar
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gNaTa_tbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ena (mV)
    ina (mA/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gNaTa_tbar*m*m*m*h*(v - ena)
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
    LOCAL qt, am, bm, ah, bh
    UNITSOFF
    qt = 2.3^((celsius - 21)/10)
    am = 0.182*vtrap(-(v + 38), 6)
    bm = 0.124*vtrap(v + 38, 6)
    ah = 0.015*vtrap(v + 66, 6)
    bh = 0.015*vtrap(-(v + 66), 6)
    mInf = am/(am + bm)
    mTau = 1/(am + bm)/qt
    hInf = ah/(ah + bh)
    hTau = 1/(ah + bh)/qt
    UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
