: Pospischil et al. (2008): low-threshold calcium current (after Destexhe et al. 1998),
: activation instantaneous.

NEURON {
    SUFFIX CaT
    USEION ca READ eca WRITE ica
    RANGE gCaT, vx
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gCaT = 0.00004 (S/cm2)
    vx = 2 (mV)
}

ASSIGNED {
    v (mV)
    eca (mV)
    ica (mA/cm2)
    uInf
    uTau (ms)
}

STATE { u }

BREAKPOINT {
    LOCAL sInf
    SOLVE states METHOD cnexp
    sInf = 1/(1 + exp(-(v - (-vx - 57))/6.2))
    ica = gCaT*sInf*sInf*u*(v - eca)
}

DERIVATIVE states {
    rates(v)
    u' = (uInf - u)/uTau
}

INITIAL {
    rates(v)
    u = uInf
}

PROCEDURE rates(v (mV)) {
    UNITSOFF
    uInf = 1/(1 + exp(-(v - (-vx - 81))/-4))
    uTau = (30.8 + (211.4 + exp((v + vx + 113.2)/5)))/(3.7*(1 + exp((v + vx + 84)/3.2)))
    UNITSON
}
