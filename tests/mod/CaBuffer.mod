: Intracellular calcium with a mobile buffer (a second-order KINETIC scheme): the calcium
: current fills it, the buffer binds it, for read_nmodl's tests (an eqcable test file).

NEURON {
    SUFFIX CaBuffer
    USEION ca READ ica WRITE cai
    RANGE kon, koff, total, depth
}

UNITS {
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
    FARADAY = (faraday) (coulomb)
}

PARAMETER {
    kon = 100 (/mM-ms)
    koff = 0.1 (/ms)
    total = 0.05 (mM)
    depth = 0.1 (um)
    taur = 50 (ms)
    cainf = 5e-5 (mM)
}

ASSIGNED { ica (mA/cm2) }

STATE { cai (mM) B (mM) CaB (mM) }

BREAKPOINT {
    SOLVE buffer METHOD sparse
}

INITIAL {
    CaB = total*cai/(cai + koff/kon)
    B = total - CaB
}

KINETIC buffer {
    ~ cai << (-(10000)*ica/(2*FARADAY*depth) - (cai - cainf)/taur)
    ~ cai + B <-> CaB (kon, koff)
    CONSERVE B + CaB = total
}
