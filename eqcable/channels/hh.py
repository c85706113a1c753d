"""The Hodgkin–Huxley squid-axon channels, exactly as NEURON's built-in ``hh``."""

import math
from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import ArrayLike

from ..solvers.gates import exponential_euler
from .base import AbstractChannel
from .parameter import parameter
from .rates import vtrap, vtrap_from_exp


def _alphas_betas(v):
    """The six rates (1/ms, at 6.3 °C) of NEURON's ``hh.mod``: (αm, βm, αh, βh, αn, βn)."""
    if jnp.finfo(jnp.result_type(v)).bits < 64:
        return (
            0.1 * vtrap(-(v + 40.0), 10.0),
            4.0 * jnp.exp(-(v + 65.0) / 18.0),
            0.07 * jnp.exp(-(v + 65.0) / 20.0),
            1.0 / (jnp.exp(-(v + 35.0) / 10.0) + 1.0),
            0.01 * vtrap(-(v + 55.0), 10.0),
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
        0.1 * vtrap_from_exp(-(v + 40.0), 10.0, e10),
        4.0 * jnp.exp(-(v + 65.0) / 18.0),
        0.07 * (e80_2 * e80_2),
        1.0 / (e10 * math.exp(0.5) + 1.0),
        0.01 * vtrap_from_exp(-(v + 55.0), 10.0, e10 * math.exp(-1.5)),
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

    As in NEURON, the sodium and potassium reversal potentials are the ion quantities
    ``ena`` and ``ek`` (mV; 50 and −77 unless set, e.g. ``cell.set("ena", 55.0)``, or
    computed from concentrations that a mechanism integrates), and the channel carries the
    ion currents ``ina`` and ``ik``; the leak is non-specific.

    **Arguments** (NEURON's defaults):

    - `gNa`: sodium conductance density (S/cm²), 0.12.
    - `gK`: potassium conductance density (S/cm²), 0.036.
    - `gLeak`: leak conductance density (S/cm²), 0.0003.
    - `eLeak`: leak reversal potential (mV), −54.3.

    States: ``m``, ``h``, ``n`` (dimensionless).
    """

    gNa: ArrayLike = parameter(0.12, "S/cm²", ge=0.0)
    gK: ArrayLike = parameter(0.036, "S/cm²", ge=0.0)
    gLeak: ArrayLike = parameter(0.0003, "S/cm²", ge=0.0)
    eLeak: ArrayLike = parameter(-54.3, "mV")
    state_names: ClassVar[tuple[str, ...]] = ("m", "h", "n")
    ion_reads: ClassVar[tuple[str, ...]] = ("ena", "ek")
    ion_writes: ClassVar[tuple[str, ...]] = ("ina", "ik")

    def steady_state(self, v, celsius, ions=None):
        m_inf, _, h_inf, _, n_inf, _ = _rates(v, celsius)
        return {"m": m_inf, "h": h_inf, "n": n_inf}

    def step(self, states, v, dt, celsius):
        m_inf, m_tau, h_inf, h_tau, n_inf, n_tau = _rates(v, celsius)
        return {
            "m": exponential_euler(states["m"], m_inf, m_tau, dt),
            "h": exponential_euler(states["h"], h_inf, h_tau, dt),
            "n": exponential_euler(states["n"], n_inf, n_tau, dt),
        }

    def ion_currents(self, states, v):
        m, h, n = states["m"], states["h"], states["n"]
        return {
            "ina": self.gNa * m**3 * h * (v - states["ena"]),
            "ik": self.gK * n**4 * (v - states["ek"]),
        }

    def current(self, states, v):
        i = self.ion_currents(states, v)
        return i["ina"] + i["ik"] + self.gLeak * (v - self.eLeak)
