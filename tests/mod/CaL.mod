: Pospischil et al. (2008): high-threshold calcium current (after Reuveni et al. 1993).

NEURON {
    SUFFIX CaL
    USEION ca READ eca WRITE ica
    RANGE gCaL
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gCaL = 0.0001 (S/cm2)
}

ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
    qInf
    qTau (ms)
    rInf
    rTau (ms)
}

STATE { q r }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ica = gCaL*q*q*r*(v - eca)
}

DERIVATIVE states {
    rates(v)
    q' = (qInf - q)/qTau
    r' = (rInf - r)/rTau
}

INITIAL {
    rates(v)
    q = qInf
    r = rInf
}

PROCEDURE rates(v (mV)) {
    LOCAL a, b
    UNITSOFF
    a = 0.055*vtrap(-v - 27, 3.8)
    b = 0.94*exp((-v - 75)/17)
    qInf = a/(a + b)
    qTau = 1/(a + b)
    a = 0.000457*exp((-v - 13)/50)
    b = 0.0065/(exp((-v - 15)/28) + 1)
    rInf = a/(a + b)
    rTau = 1/(a + b)
    UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
