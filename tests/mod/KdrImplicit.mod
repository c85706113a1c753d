: A delayed-rectifier potassium current integrated by derivimplicit, for read_nmodl's
: tests (an eqcable test file, not a published model).

NEURON {
    SUFFIX KdrImplicit
    USEION k READ ek WRITE ik
    RANGE gbar, ik
    GLOBAL vhalf
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.03 (S/cm2) <0, 1e9>
    vhalf = -40 (mV)
    slope = 9 (mV)
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
    SOLVE states METHOD derivimplicit
    ik = gbar*n^4*(v - ek)
}

INITIAL {
    settle(v)
    n = ninf
}

DERIVATIVE states {
    settle(v)
    n' = (ninf - n)/ntau
}

PROCEDURE settle(v (mV)) {
    LOCAL x
    x = (v - vhalf)/slope
    ninf = 1/(1 + exp(-x))
    if (x > 3) {
        ntau = 0.8
    } else if (x < -3) {
        ntau = 4
    } else {
        ntau = 0.8 + 3.2*(3 - x)/6
    }
}
