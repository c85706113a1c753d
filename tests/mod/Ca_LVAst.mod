: Low-voltage-activated calcium current (Hay et al. 2011, after Avery & Johnston 1996 and
: Randall & Tsien 1997), its curves shifted by -10 mV.

NEURON {
    SUFFIX Ca_LVAst
    USEION ca READ eca WRITE ica
    RANGE gCa_LVAstbar
}

UNITS {
    (S) = (siemens)
    (mV) = (millivolt)
    (mA) = (milliamp)
    (mM) = (milli/liter)
    (um) = (micron)
}

PARAMETER {
    gCa_LVAstbar = 0.00001 (S/cm2)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    eca (mV)
    ica (mA/cm2)
    mInf
    mTau (ms)
    hInf
    hTau (ms)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD cnexp
    ica = gCa_LVAstbar*m*m*h*(v - eca)
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
    mInf = 1/(1 + exp(-(vs - -30)/6))
    mTau = (5 + 20/(1 + exp((vs + 25)/5)))/qt
    hInf = 1/(1 + exp(-(vs - -80)/-6.4))
    hTau = (20 + 50/(1 + exp((vs + 40)/7)))/qt
    UNITSON
}
