"""The Hodgkin–Huxley squid-axon channels, exactly as NEURON's built-in ``hh``."""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import ArrayLike

from ..solvers.gates import exponential_euler
from .base import AbstractChannel


def _vtrap(x, y):
    # x / (exp(x/y) − 1), with NEURON's Taylor branch near the removable singularity.
    # The division is guarded so that gradients through the unused branch stay finite.
    small = jnp.abs(x / y) < 1e-6
    safe_x = jnp.where(small, y, x)
    return jnp.where(small, y * (1.0 - x / y / 2.0), safe_x / (jnp.exp(safe_x / y) - 1.0))


def _rates(v, celsius):
    """(m_inf, m_tau, h_inf, h_tau, n_inf, n_tau) as in NEURON's ``hh.mod``; tau in ms."""
    q10 = 3.0 ** ((celsius - 6.3) / 10.0)
    alpha = 0.1 * _vtrap(-(v + 40.0), 10.0)
    beta = 4.0 * jnp.exp(-(v + 65.0) / 18.0)
    m_inf, m_tau = alpha / (alpha + beta), 1.0 / (q10 * (alpha + beta))
    alpha = 0.07 * jnp.exp(-(v + 65.0) / 20.0)
    beta = 1.0 / (jnp.exp(-(v + 35.0) / 10.0) + 1.0)
    h_inf, h_tau = alpha / (alpha + beta), 1.0 / (q10 * (alpha + beta))
    alpha = 0.01 * _vtrap(-(v + 55.0), 10.0)
    beta = 0.125 * jnp.exp(-(v + 65.0) / 80.0)
    n_inf, n_tau = alpha / (alpha + beta), 1.0 / (q10 * (alpha + beta))
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

    gNa: ArrayLike = 0.12
    gK: ArrayLike = 0.036
    gLeak: ArrayLike = 0.0003
    eNa: ArrayLike = 50.0
    eK: ArrayLike = -77.0
    eLeak: ArrayLike = -54.3
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
