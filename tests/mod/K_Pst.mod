: Slow persistent potassium current (Hay et al. 2011, after Korngreen & Sakmann 2000),
: its curves shifted by -10 mV.

NEURON {
    SUFFIX K_Pst
    USEION k READ ek WRITE ik
    RANGE gK_Pstbar
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}

PARAMETER {
    gK_Pstbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ek (mV)
    ik (mA/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gK_Pstbar*m*m*h*(v - ek)
}

DERIVATIVE states {
    rates(v)
    m' = (mInf - m)/mTau
    h' = (hInf - h)/hTau
}

INITIAL {
    rates(v)
    m = mInf
    h = hInf
}

PROCEDURE rates(v (mV)) {
    LOCAL qt, vs
    UNITSOFF
    qt = 2.3^((celsius - 21)/10)
    vs = v + 10
    mInf = 1/(1 + exp(-(vs - -1)/12))
    if (vs < -50) {
        mTau = (1.25 + 175.03*exp(vs*0.026))/qt
    } else {
        mTau = (1.25 + 13*exp(-vs*0.026))/qt
    }
    hInf = 1/(1 + exp(-(vs - -54)/-11))
    hTau = (360 + (1010 + 24*(vs + 55))*exp(-((vs + 75)/48)^2))/qt
    UNITSON
}
