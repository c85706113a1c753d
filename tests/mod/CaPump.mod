: Intracellular calcium with a saturating (Michaelis-Menten) pump, a nonlinear equation
: integrated by derivimplicit, for read_nmodl's tests (an eqcable test file).

NEURON {
    SUFFIX CaPump
    USEION ca READ ica WRITE cai
    RANGE depth, vmax, km
}

UNITS {
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    depth = 0.1 (um)
    vmax = 2e-4 (mM/ms)
    km = 5e-3 (mM)
    cainf = 1e-4 (mM)
    taur = 200 (ms)
}

ASSIGNED { ica (mA/cm2) }

STATE { cai (mM) }

BREAKPOINT {
    SOLVE pump METHOD derivimplicit
}

DERIVATIVE pump {
    LOCAL influx
    influx = -(10000)*ica/(2*FARADAY*depth)
    if (influx < 0) { influx = 0 }
    cai' = influx - vmax*cai/(cai + km) - (cai - cainf)/taur
}
