: A three-state Markov potassium channel (C1 <-> C2 <-> O) as a KINETIC scheme, started
: at its steady state, for read_nmodl's tests (an eqcable test file).

NEURON {
    SUFFIX KMarkov
    USEION k READ ek WRITE ik
    RANGE gbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.02 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    a (/ms)
    b (/ms)
}

STATE { C1 C2 O }

BREAKPOINT {
    SOLVE kin METHOD sparse
    ik = gbar*O*(v - ek)
}

INITIAL {
    SOLVE kin STEADYSTATE sparse
}

KINETIC kin {
    rates(v)
    ~ C1 <-> C2 (2*a, b)
    ~ C2 <-> O (a, 2*b)
    CONSERVE C1 + C2 + O = 1
}

PROCEDURE rates(v (mV)) {
    a = 0.4*exp((v + 40)/20)
    b = 0.4*exp(-(v + 40)/20)
}
