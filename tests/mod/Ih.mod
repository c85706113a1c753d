: Hyperpolarisation-activated non-specific cation current (Hay et al. 2011, after Kole et
: al. 2006); no temperature dependence.

NEURON {
    SUFFIX Ih
    NONSPECIFIC_CURRENT ihcn
    RANGE gIhbar, ehcn
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}

PARAMETER {
    gIhbar = 0.00001 (S/cm2)
    ehcn = -45.0 (mV)
}

ASSIGNED {
    v (mV)
    ihcn (mA/cm2)
    mInf
    mTau (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ihcn = gIhbar*m*(v - ehcn)
}

DERIVATIVE states {
    rates(v)
    m' = (mInf - m)/mTau
}

INITIAL {
    rates(v)
    m = mInf
}

PROCEDURE rates(v (mV)) {
    LOCAL am, bm
    UNITSOFF
    am = 0.00643*vtrap(v + 154.9, 11.9)
    bm = 0.193*exp(v/33.1)
    mInf = am/(am + bm)
    mTau = 1/(am + bm)
    UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
