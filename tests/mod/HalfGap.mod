COMMENT
One side of a gap junction (the usual NEURON idiom): the current g (v - vgap) through a
POINTER to the partner compartment's voltage. A pair of them is one junction, the scheme
`eqcable.GapJunction` uses: implicit in each side's own voltage (NEURON takes di/dv from
BREAKPOINT), explicit in the partner's (its voltage at the start of the step).
ENDCOMMENT

NEURON {
    POINT_PROCESS HalfGap
    NONSPECIFIC_CURRENT i
    RANGE g, i
    POINTER vgap
}

UNITS {
    (nA) = (nanoamp)
    (mV) = (millivolt)
    (uS) = (microsiemens)
}

PARAMETER {
    g = 0.001 (uS)
}

ASSIGNED {
    v (mV)
    vgap (mV)
    i (nA)
}

BREAKPOINT {
    i = g * (v - vgap)
}
