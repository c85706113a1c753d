: Intracellular calcium in a shell under the membrane (Hay et al. 2011): filled by the
: calcium current, relaxing to minCai.

NEURON {
    SUFFIX CaDynamics_E2
    USEION ca READ ica WRITE cai
    RANGE gamma, decay, depth, minCai
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}

CONSTANT {
    FARADAY = 96485.33212331001 (coulomb)
}

PARAMETER {
    gamma = 0.05
    decay = 80 (ms)
    depth = 0.1 (um)
    minCai = 1e-4 (mM)
}

ASSIGNED {
    ica (mA/cm2)
}

STATE { cai (mM) }

BREAKPOINT {
    SOLVE states METHOD cnexp
}

DERIVATIVE states {
    cai' = -(10000)*(ica*gamma/(2*FARADAY*depth)) - (cai - minCai)/decay
}
