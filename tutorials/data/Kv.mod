: A delayed-rectifier potassium current for tutorial 8 (an eqcable example, not a
: published model): n^4 gating, a Boltzmann steady state and a bell-shaped time constant.

NEURON {
    SUFFIX Kv
    USEION k READ ek WRITE ik
    RANGE gbar, vhalf, slope, taumax
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.03 (S/cm2) <0, 1e9>
    vhalf = -45 (mV)
    slope = 10 (mV)
    taumax = 4 (ms)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    ninf
    ntau (ms)
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gbar*n^4*(v - ek)
}

INITIAL {
    rates(v)
    n = ninf
}

DERIVATIVE states {
    rates(v)
    n' = (ninf - n)/ntau
}

PROCEDURE rates(v (mV)) {
    ninf = 1/(1 + exp(-(v - vhalf)/slope))
    ntau = 0.5 + taumax*exp(-((v - vhalf)/30)^2)
}
