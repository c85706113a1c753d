: Persistent sodium current (Hay et al. 2011, after Magistretti & Alonso 1999).

NEURON {
    SUFFIX Nap_Et2
    USEION na READ ena WRITE ina
    RANGE gNap_Et2bar
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gNap_Et2bar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    celsius (degC)
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
    ina = gNap_Et2bar*m*m*m*h*(v - ena)
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
    LOCAL qt, am, bm, ah, bh
    UNITSOFF
    qt = 2.3^((celsius - 21)/10)
    am = 0.182*vtrap(-(v + 38), 6)
    bm = 0.124*vtrap(v + 38, 6)
    ah = 2.88e-6*vtrap(v + 17, 4.63)
    bh = 6.94e-6*vtrap(-(v + 64.4), 2.63)
    mInf = 1/(1 + exp(-(v - -52.6)/4.6))
    mTau = 6/(am + bm)/qt
    hInf = 1/(1 + exp(-(v - -48.8)/-10))
    hTau = 1/(ah + bh)/qt
    UNITSON
}

FUNCTION vtrap(x, y) {
    if (fabs(x/y) < 1e-6) {
        vtrap = y*(1 - x/y/2)
    } else {
        vtrap = x/(exp(x/y) - 1)
    }
}
