: A transient sodium current integrated by forward Euler, for read_nmodl's tests (an
: eqcable test file, not a published model).

NEURON {
    SUFFIX NaEuler
    USEION na READ ena WRITE ina
    RANGE gbar
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gbar = 0.1 (S/cm2)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ena (mV)
    ina (mA/cm2)
}

STATE { m h }

BREAKPOINT {
    SOLVE states METHOD euler
    ina = gbar*m*m*m*h*(v - ena)
}

INITIAL {
    m = alpha_m(v)/(alpha_m(v) + beta_m(v))
    h = alpha_h(v)/(alpha_h(v) + beta_h(v))
}

DERIVATIVE states {
    LOCAL q
    q = 3^((celsius - 34)/10)
    m' = q*(alpha_m(v)*(1 - m) - beta_m(v)*m)
    h' = q*(alpha_h(v)*(1 - h) - beta_h(v)*h)
}

FUNCTION alpha_m(v (mV)) {
    if (fabs(v + 40) < 1e-6) {
        alpha_m = 1
    } else {
        alpha_m = 0.1*(v + 40)/(1 - exp(-(v + 40)/10))
    }
}

FUNCTION beta_m(v (mV)) { beta_m = 4*exp(-(v + 65)/18) }
FUNCTION alpha_h(v (mV)) { alpha_h = 0.07*exp(-(v + 65)/20) }
FUNCTION beta_h(v (mV)) { beta_h = 1/(1 + exp(-(v + 35)/10)) }
