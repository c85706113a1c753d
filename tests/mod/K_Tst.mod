: Fast inactivating potassium current (Hay et al. 2011, after Korngreen & Sakmann 2000),
: its curves shifted by -10 mV.

NEURON {
    SUFFIX K_Tst
    USEION k READ ek WRITE ik
    RANGE gK_Tstbar
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}

PARAMETER {
    gK_Tstbar = 0.00001 (S/cm2)
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
    ik = gK_Tstbar*(m*m)*(m*m)*h*(v - ek)
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
    mInf = 1/(1 + exp(-(vs - 0)/19))
    mTau = (0.34 + 0.92*exp(-((vs + 71)/59)^2))/qt
    hInf = 1/(1 + exp(-(vs - -66)/-10))
    hTau = (8 + 49*exp(-((vs + 73)/23)^2))/qt
    UNITSON
}
