: Fast inactivating sodium current (Blue Brain: NaTa_t with its gates at -32 and -60 mV).

NEURON {
    SUFFIX NaTs2_t
    USEION na READ ena WRITE ina
    RANGE gNaTs2_tbar
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
}

PARAMETER {
    gNaTs2_tbar = 0.00001 (S/cm2)
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
    ina = gNaTs2_tbar*m*m*m*h*(v - ena)
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
    am = 0.182*vtrap(-(v + 32), 6)
    bm = 0.124*vtrap(v + 32, 6)
    ah = 0.015*vtrap(v + 60, 6)
    bh = 0.015*vtrap(-(v + 60), 6)
    mInf = am/(am + bm)
    mTau = 1/(am + bm)/qt
    hInf = ah/(ah + bh)
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
