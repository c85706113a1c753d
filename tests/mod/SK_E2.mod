: Calcium-activated potassium current (Hay et al. 2011, after Kohler et al. 1996).

NEURON {
    SUFFIX SK_E2
    USEION k READ ek WRITE ik
    USEION ca READ cai
    RANGE gSK_E2bar, zTau
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}

PARAMETER {
    gSK_E2bar = 0.000001 (S/cm2)
    zTau = 1 (ms)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    cai (mM)
    zInf
}

STATE { z }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gSK_E2bar*z*(v - ek)
}

DERIVATIVE states {
    rates(cai)
    z' = (zInf - z)/zTau
}

INITIAL {
    rates(cai)
    z = zInf
}

PROCEDURE rates(ca (mM)) {
    LOCAL c
    UNITSOFF
    c = ca
    if (c < 1e-7) {
        c = c + 1e-7
    }
    zInf = 1/(1 + (0.00043/c)^4.8)
    UNITSON
}
