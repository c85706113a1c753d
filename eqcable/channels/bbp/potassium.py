"""Potassium channels of the Hay et al. (2011) / Blue Brain catalogue (the calcium-activated
`SK_E2` is with the calcium mechanisms)."""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import ArrayLike

from ...solvers.gates import exponential_euler
from ..base import AbstractChannel
from ..parameter import parameter
from ..rates import q_factor, sigmoid


def _gate(states, dt, **rates):
    """Each gate one exponential-Euler step on: ``rates[name] = (x∞, τ)``."""
    return {n: exponential_euler(states[n], x_inf, tau, dt) for n, (x_inf, tau) in rates.items()}


def _k_pst_rates(v, celsius):
    """((m∞, τm), (h∞, τh)) of `K_Pst`, τ in ms; the published curves, shifted by −10 mV."""
    qt = q_factor(celsius, 2.3, 21.0)
    vs = v + 10.0
    m_tau = jnp.where(
        vs < -50.0, 1.25 + 175.03 * jnp.exp(vs * 0.026), 1.25 + 13.0 * jnp.exp(-vs * 0.026)
    )
    h_tau = 360.0 + (1010.0 + 24.0 * (vs + 55.0)) * jnp.exp(-(((vs + 75.0) / 48.0) ** 2))
    return (sigmoid(vs, -1.0, 12.0), m_tau / qt), (sigmoid(vs, -54.0, -11.0), h_tau / qt)


class K_Pst(AbstractChannel):
    """Slow, persistent potassium current of Hay et al. (2011), after Korngreen & Sakmann
    (2000): ``ik = gK_Pstbar m² h (v − ek)``.

    **Arguments:** `gK_Pstbar`: conductance density (S/cm²), 1e-5.

    States: ``m``, ``h``.
    """

    gK_Pstbar: ArrayLike = parameter(1e-5, "S/cm²", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("m", "h")
    ion_reads: ClassVar[tuple[str, ...]] = ("ek",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ik",)

    def steady_state(self, v, celsius, ions=None):
        (m_inf, _), (h_inf, _) = _k_pst_rates(v, celsius)
        return {"m": m_inf, "h": h_inf}

    def step(self, states, v, dt, celsius):
        m, h = _k_pst_rates(v, celsius)
        return _gate(states, dt, m=m, h=h)

    def current(self, states, v):
        m, h = states["m"], states["h"]
        return self.gK_Pstbar * m * m * h * (v - states["ek"])


def _k_tst_rates(v, celsius):
    """((m∞, τm), (h∞, τh)) of `K_Tst`, τ in ms; the published curves, shifted by −10 mV."""
    qt = q_factor(celsius, 2.3, 21.0)
    vs = v + 10.0
    m_tau = 0.34 + 0.92 * jnp.exp(-(((vs + 71.0) / 59.0) ** 2))
    h_tau = 8.0 + 49.0 * jnp.exp(-(((vs + 73.0) / 23.0) ** 2))
    return (sigmoid(vs, 0.0, 19.0), m_tau / qt), (sigmoid(vs, -66.0, -10.0), h_tau / qt)


class K_Tst(AbstractChannel):
    """Fast, inactivating potassium current of Hay et al. (2011), after Korngreen &
    Sakmann (2000): ``ik = gK_Tstbar m⁴ h (v − ek)``.

    **Arguments:** `gK_Tstbar`: conductance density (S/cm²), 1e-5.

    States: ``m``, ``h``.
    """

    gK_Tstbar: ArrayLike = parameter(1e-5, "S/cm²", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("m", "h")
    ion_reads: ClassVar[tuple[str, ...]] = ("ek",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ik",)

    def steady_state(self, v, celsius, ions=None):
        (m_inf, _), (h_inf, _) = _k_tst_rates(v, celsius)
        return {"m": m_inf, "h": h_inf}

    def step(self, states, v, dt, celsius):
        m, h = _k_tst_rates(v, celsius)
        return _gate(states, dt, m=m, h=h)

    def current(self, states, v):
        m, h = states["m"], states["h"]
        m2 = m * m
        return self.gK_Tstbar * m2 * m2 * h * (v - states["ek"])


def _skv3_1_rates(v):
    """(m∞, τm) of `SKv3_1`, τ in ms (no temperature dependence)."""
    return sigmoid(v, 18.7, 9.7), 4.0 / (1.0 + jnp.exp(-(v + 46.56) / 44.14))


class SKv3_1(AbstractChannel):
    """Fast, non-inactivating Kv3.1 potassium current of Hay et al. (2011), after Rettig
    et al. (1992): ``ik = gSKv3_1bar m (v − ek)``; rates independent of temperature.

    **Arguments:** `gSKv3_1bar`: conductance density (S/cm²), 1e-5.

    States: ``m``.
    """

    gSKv3_1bar: ArrayLike = parameter(1e-5, "S/cm²", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("m",)
    ion_reads: ClassVar[tuple[str, ...]] = ("ek",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ik",)

    def steady_state(self, v, celsius, ions=None):
        return {"m": _skv3_1_rates(v)[0]}

    def step(self, states, v, dt, celsius):
        return _gate(states, dt, m=_skv3_1_rates(v))

    def current(self, states, v):
        return self.gSKv3_1bar * states["m"] * (v - states["ek"])


def _im_rates(v, celsius):
    """(m∞, τm) of `Im`, τ in ms."""
    qt = q_factor(celsius, 2.3, 21.0)
    am = 3.3e-3 * jnp.exp(2.5 * 0.04 * (v + 35.0))
    bm = 3.3e-3 * jnp.exp(-2.5 * 0.04 * (v + 35.0))
    return am / (am + bm), 1.0 / (am + bm) / qt


class Im(AbstractChannel):
    """Muscarinic (M-type) potassium current of Hay et al. (2011), after Adams et al.
    (1982): ``ik = gImbar m (v − ek)``.

    **Arguments:** `gImbar`: conductance density (S/cm²), 1e-5.

    States: ``m``.
    """

    gImbar: ArrayLike = parameter(1e-5, "S/cm²", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("m",)
    ion_reads: ClassVar[tuple[str, ...]] = ("ek",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ik",)

    def steady_state(self, v, celsius, ions=None):
        return {"m": _im_rates(v, celsius)[0]}

    def step(self, states, v, dt, celsius):
        return _gate(states, dt, m=_im_rates(v, celsius))

    def current(self, states, v):
        return self.gImbar * states["m"] * (v - states["ek"])
