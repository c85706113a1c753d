"""The Hodgkin–Huxley squid-axon channels, exactly as NEURON's built-in ``hh``."""

import math
from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import ArrayLike

from ..solvers.gates import exponential_euler
from .base import AbstractChannel
from .parameter import parameter


def _vtrap(x, y):
    """``x / (exp(x/y) − 1)``: a rate with a removable singularity at ``x = 0`` (v = −40 mV
    for `m`, −55 mV for `n`), which every spike crosses."""
    if jnp.finfo(jnp.result_type(x)).bits >= 64:
        return _vtrap_neuron(x, y)
    return _vtrap_series(x, y)


def _vtrap_neuron(x, y, e=None):
    # NEURON's own arithmetic (hh.mod): `x / (exp(x/y) - 1)`, and `y (1 - u/2)` for
    # |u| < 1e-6. Used in float64, where it is within 1e-10 of the exact rate (its
    # derivative within 1.7e-4, at |u| < 1e-4 only) and costs the fewest operations: the
    # accurate form below has ~8 more per call, which tips XLA-CPU into splitting CA1's
    # gate update across threads (forward 1.6x slower on 2 cores). The division is
    # guarded so that gradients through the unused branch stay finite. `e`, if given, is
    # ``exp(x/y)`` computed by the caller (shared between rates, see `_rates`).
    small = jnp.abs(x / y) < 1e-6
    if e is not None:
        return jnp.where(small, y * (1.0 - x / y / 2.0), x / jnp.where(small, 1.0, e - 1.0))
    safe_x = jnp.where(small, y, x)
    return jnp.where(small, y * (1.0 - x / y / 2.0), safe_x / (jnp.exp(safe_x / y) - 1.0))


def _vtrap_series(x, y):
    # Float32: NEURON's `exp(u) - 1` keeps only eps/|u| of relative precision near the
    # singularity, and its autodiff derivative subtracts two terms of size 1/|u|: the rate
    # up to 5% and its derivative up to 1e5 (relative) off, at a step or two of every
    # spike, was the largest float32 error of voltages and gradients (see "Precision" in
    # the docs). Here, for |u| < 0.1, the Taylor series of u / (exp(u) − 1) to u⁸
    # (truncation below u¹⁰/47900160 ≈ 2e-18) replaces it; for |u| >= 0.1 `exp(u) - 1`
    # loses at most log2(1/0.1) ≈ 3 bits, and its derivative no more: value and
    # derivative exact to a few ulps. (`expm1` would buy nothing there and costs ~1.7x
    # `exp` on XLA-CPU.) The guard keeps the unused branch finite.
    u = x / y
    small = jnp.abs(u) < 0.1
    safe_u = jnp.where(small, 1.0, u)
    u2 = u * u
    taylor = 1.0 - u / 2.0 + u2 * (1 / 12 - u2 * (1 / 720 - u2 * (1 / 30240 - u2 / 1209600)))
    return y * jnp.where(small, taylor, safe_u / (jnp.exp(safe_u) - 1.0))


def _alphas_betas(v):
    """The six rates (1/ms, at 6.3 °C) of NEURON's ``hh.mod``: (αm, βm, αh, βh, αn, βn)."""
    if jnp.finfo(jnp.result_type(v)).bits < 64:
        return (
            0.1 * _vtrap(-(v + 40.0), 10.0),
            4.0 * jnp.exp(-(v + 65.0) / 18.0),
            0.07 * jnp.exp(-(v + 65.0) / 20.0),
            1.0 / (jnp.exp(-(v + 35.0) / 10.0) + 1.0),
            0.01 * _vtrap(-(v + 55.0), 10.0),
            0.125 * jnp.exp(-(v + 65.0) / 80.0),
        )
    # Float64: the same formulas from three exponentials instead of six (the gate update
    # is the bulk of a step; `benchmarks/cable.py`): exp(-(v+35)/10) and exp(-(v+55)/10)
    # are exp(-(v+40)/10) times a constant, exp(-(v+65)/20) is exp(-(v+65)/80)^4. Each
    # rate differs from the literal formula by a few ulps.
    e10 = jnp.exp(-(v + 40.0) / 10.0)
    e80 = jnp.exp(-(v + 65.0) / 80.0)
    e80_2 = e80 * e80
    return (
        0.1 * _vtrap_neuron(-(v + 40.0), 10.0, e10),
        4.0 * jnp.exp(-(v + 65.0) / 18.0),
        0.07 * (e80_2 * e80_2),
        1.0 / (e10 * math.exp(0.5) + 1.0),
        0.01 * _vtrap_neuron(-(v + 55.0), 10.0, e10 * math.exp(-1.5)),
        0.125 * e80,
    )


def _rates(v, celsius):
    """(m_inf, m_tau, h_inf, h_tau, n_inf, n_tau) as in NEURON's ``hh.mod``; tau in ms."""
    q10 = 3.0 ** ((celsius - 6.3) / 10.0)
    am, bm, ah, bh, an, bn = _alphas_betas(v)
    m_inf, m_tau = am / (am + bm), 1.0 / (q10 * (am + bm))
    h_inf, h_tau = ah / (ah + bh), 1.0 / (q10 * (ah + bh))
    n_inf, n_tau = an / (an + bn), 1.0 / (q10 * (an + bn))
    return m_inf, m_tau, h_inf, h_tau, n_inf, n_tau


class HH(AbstractChannel):
    """Hodgkin–Huxley sodium, potassium and leak currents (NEURON's ``hh``).

    Rates are scaled by ``q10 = 3^((celsius − 6.3)/10)``; the temperature is the cell's
    ``celsius`` (°C, default 6.3 as in NEURON). NEURON's rate tables are not used (they
    approximate these formulas; compare with ``h.usetable_hh = 0``).

    **Arguments** (NEURON's defaults):

    - `gNa`: sodium conductance density (S/cm²), 0.12.
    - `gK`: potassium conductance density (S/cm²), 0.036.
    - `gLeak`: leak conductance density (S/cm²), 0.0003.
    - `eNa`: sodium reversal potential (mV), 50.
    - `eK`: potassium reversal potential (mV), −77.
    - `eLeak`: leak reversal potential (mV), −54.3.

    States: ``m``, ``h``, ``n`` (dimensionless).
    """

    gNa: ArrayLike = parameter(0.12, "S/cm²", ge=0.0)
    gK: ArrayLike = parameter(0.036, "S/cm²", ge=0.0)
    gLeak: ArrayLike = parameter(0.0003, "S/cm²", ge=0.0)
    eNa: ArrayLike = parameter(50.0, "mV")
    eK: ArrayLike = parameter(-77.0, "mV")
    eLeak: ArrayLike = parameter(-54.3, "mV")
    state_names: ClassVar[tuple[str, ...]] = ("m", "h", "n")

    def steady_state(self, v, celsius):
        m_inf, _, h_inf, _, n_inf, _ = _rates(v, celsius)
        return {"m": m_inf, "h": h_inf, "n": n_inf}

    def step(self, states, v, dt, celsius):
        m_inf, m_tau, h_inf, h_tau, n_inf, n_tau = _rates(v, celsius)
        return {
            "m": exponential_euler(states["m"], m_inf, m_tau, dt),
            "h": exponential_euler(states["h"], h_inf, h_tau, dt),
            "n": exponential_euler(states["n"], n_inf, n_tau, dt),
        }

    def current(self, states, v):
        m, h, n = states["m"], states["h"], states["n"]
        i_na = self.gNa * m**3 * h * (v - self.eNa)
        i_k = self.gK * n**4 * (v - self.eK)
        return i_na + i_k + self.gLeak * (v - self.eLeak)
