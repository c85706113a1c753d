: A high-threshold calcium current through a Goldman-Hodgkin-Katz permeability (a current
: not linear in v), for read_nmodl's tests (an eqcable test file).

NEURON {
    SUFFIX CaGHK
    USEION ca READ cai, cao WRITE ica
    RANGE pbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (mM) = (milli/liter)
    FARADAY = (faraday) (coulomb)
    R = (k-mole) (joule/degC)
}

PARAMETER {
    pbar = 2e-4 (cm/s)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    cai (mM)
    cao (mM)
    ica (mA/cm2)
    minf
    mtau (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ica = pbar*m*m*ghk(v, cai, cao)
}

INITIAL {
    rates(v)
    m = minf
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m)/mtau
}

PROCEDURE rates(v (mV)) {
    minf = 1/(1 + exp(-(v + 20)/6))
    mtau = 1 + 2/(1 + exp((v + 20)/10))
}

FUNCTION ghk(v (mV), ci (mM), co (mM)) (mV) {
    LOCAL z, w
    z = 2
    w = (0.001)*z*FARADAY*v/(R*(celsius + 273.15))
    ghk = (0.001)*z*FARADAY*(ci*efun(-w) - co*efun(w))
}

FUNCTION efun(x) {
    if (fabs(x) < 1e-4) {
        efun = 1 - x/2
    } else {
        efun = x/(exp(x) - 1)
    }
}
