: Pospischil et al. (2008): slow M-type potassium current (after Yamada et al. 1989).

NEURON {
    SUFFIX Km
    USEION k READ ek WRITE ik
    RANGE gKm, taumax
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gKm = 0.000004 (S/cm2)
    taumax = 4000 (ms)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    pInf
    pTau (ms)
}

STATE { p }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gKm*p*(v - ek)
}

DERIVATIVE states {
    rates(v)
    p' = (pInf - p)/pTau
}

INITIAL {
    rates(v)
    p = pInf
}

PROCEDURE rates(v (mV)) {
    UNITSOFF
    pInf = 1/(1 + exp(-(v - -35)/10))
    pTau = taumax/(3.3*exp(0.05*(v + 35)) + exp(-0.05*(v + 35)))
    UNITSON
}
