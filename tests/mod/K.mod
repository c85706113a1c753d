: Pospischil et al. (2008): delayed-rectifier potassium current (Traub & Miles 1991).

NEURON {
    SUFFIX K
    USEION k READ ek WRITE ik
    RANGE gK, vt
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gK = 0.005 (S/cm2)
    vt = -60 (mV)
}

ASSIGNED {
    v (mV)
    ek (mV)
    ik (mA/cm2)
    nInf
    nTau (ms)
}

STATE { n }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ik = gK*(n*n)*(n*n)*(v - ek)
}

DERIVATIVE states {
    rates(v)
    n' = (nInf - n)/nTau
}

INITIAL {
    rates(v)
    n = nInf
}

PROCEDURE rates(v (mV)) {
    LOCAL vs, a, b
    UNITSOFF
    vs = v - vt
    a = 0.032*vtrap(-(vs - 15), 5)
    b = 0.5*exp(-(vs - 10)/40)
    nInf = a/(a + b)
    nTau = 1/(a + b)
    UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
