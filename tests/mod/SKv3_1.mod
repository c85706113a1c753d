: Kv3.1 potassium current (Hay et al. 2011, after Rettig et al. 1992); no temperature
: dependence.

NEURON {
    SUFFIX SKv3_1
    USEION k READ ek WRITE ik
    RANGE gSKv3_1bar
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}

PARAMETER {
    gSKv3_1bar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    mInf
    mTau (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gSKv3_1bar*m*(v - ek)
}

DERIVATIVE states {
    rates(v)
    m' = (mInf - m)/mTau
}

INITIAL {
    rates(v)
    m = mInf
}

PROCEDURE rates(v (mV)) {
    UNITSOFF
    mInf = 1/(1 + exp(-(v - 18.7)/9.7))
    mTau = 4/(1 + exp(-(v + 46.56)/44.14))
    UNITSON
}
