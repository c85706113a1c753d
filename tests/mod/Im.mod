: Muscarinic potassium current (Hay et al. 2011, after Adams et al. 1982).

NEURON {
    SUFFIX Im
    USEION k READ ek WRITE ik
    RANGE gImbar
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}

PARAMETER {
    gImbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ek (mV)
    ik (mA/cm2)
    mInf
    mTau (ms)
}

STATE { m }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gImbar*m*(v - ek)
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
    LOCAL qt, am, bm
    UNITSOFF
    qt = 2.3^((celsius - 21)/10)
    am = 3.3e-3*exp(2.5*0.04*(v + 35))
    bm = 3.3e-3*exp(-2.5*0.04*(v + 35))
    mInf = am/(am + bm)
    mTau = 1/(am + bm)/qt
    UNITSON
}
