: Pospischil et al. (2008): spike sodium current (Traub & Miles 1991 kinetics).

NEURON {
    SUFFIX Na
    USEION na READ ena WRITE ina
    RANGE gNa, vt
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gNa = 0.05 (S/cm2)
    vt = -60 (mV)
}

ASSIGNED {
    v (mV)
    ena (mV)
    ina (mA/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ina = gNa*m*m*m*h*(v - ena)
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
    LOCAL vs, a, b
    UNITSOFF
    vs = v - vt
    a = 0.32*vtrap(-(vs - 13), 4)
    b = 0.28*vtrap(vs - 40, 5)
    mInf = a/(a + b)
    mTau = 1/(a + b)
    a = 0.128*exp(-(vs - 17)/18)
    b = 4/(exp(-(vs - 40)/5) + 1)
    hInf = a/(a + b)
    hTau = 1/(a + b)
    UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
