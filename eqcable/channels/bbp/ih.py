"""The hyperpolarisation-activated cation current of the Hay et al. (2011) / Blue Brain
catalogue."""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import ArrayLike

from ...solvers.gates import exponential_euler
from ..base import AbstractChannel
from ..parameter import parameter
from ..rates import vtrap


def _ih_rates(v):
    """(m∞, τm) of `Ih`, τ in ms (no temperature dependence)."""
    am = 0.00643 * vtrap(v + 154.9, 11.9)
    bm = 0.193 * jnp.exp(v / 33.1)
    return am / (am + bm), 1.0 / (am + bm)


class Ih(AbstractChannel):
    """Non-specific cation current activated by hyperpolarisation (HCN), of Hay et al.
    (2011) after Kole et al. (2006): ``i = gIhbar m (v − ehcn)``.

    **Arguments:**

    - `gIhbar`: conductance density (S/cm²), 1e-5.
    - `ehcn`: reversal potential (mV), −45.

    States: ``m``.
    """

    gIhbar: ArrayLike = parameter(1e-5, "S/cm²", ge=0.0)
    ehcn: ArrayLike = parameter(-45.0, "mV")
    state_names: ClassVar[tuple[str, ...]] = ("m",)

    def steady_state(self, v, celsius):
        return {"m": _ih_rates(v)[0]}

    def step(self, states, v, dt, celsius):
        m_inf, m_tau = _ih_rates(v)
        return {"m": exponential_euler(states["m"], m_inf, m_tau, dt)}

    def current(self, states, v):
        return self.gIhbar * states["m"] * (v - self.ehcn)
