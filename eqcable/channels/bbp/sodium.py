"""Sodium channels of the Hay et al. (2011) / Blue Brain catalogue."""

from typing import ClassVar

from jaxtyping import ArrayLike

from ...solvers.gates import exponential_euler
from ..base import AbstractChannel
from ..parameter import parameter
from ..rates import q_factor, sigmoid, vtrap, vtrap_pair


def _transient_rates(v, celsius, vm: float, vh: float):
    """(m∞, τm, h∞, τh) of the Colbert & Pan (2002) transient sodium current, with its
    activation centred at −`vm` mV and inactivation at −`vh` mV; τ in ms."""
    qt = q_factor(celsius, 2.3, 21.0)
    am, bm = vtrap_pair(v + vm, 6.0)
    bh, ah = vtrap_pair(v + vh, 6.0)
    am, bm, ah, bh = 0.182 * am, 0.124 * bm, 0.015 * ah, 0.015 * bh
    return am / (am + bm), 1.0 / (am + bm) / qt, ah / (ah + bh), 1.0 / (ah + bh) / qt


def _steady(rates):
    m_inf, _, h_inf, _ = rates
    return {"m": m_inf, "h": h_inf}


def _advance(states, rates, dt):
    m_inf, m_tau, h_inf, h_tau = rates
    return {
        "m": exponential_euler(states["m"], m_inf, m_tau, dt),
        "h": exponential_euler(states["h"], h_inf, h_tau, dt),
    }


class NaTa_t(AbstractChannel):
    """Fast inactivating sodium current of Hay et al. (2011), after Colbert & Pan (2002):
    ``ina = gNaTa_tbar m³ h (v − ena)``.

    **Arguments:** `gNaTa_tbar`: conductance density (S/cm²), 1e-5.

    States: ``m``, ``h``.
    """

    gNaTa_tbar: ArrayLike = parameter(1e-5, "S/cm²", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("m", "h")
    ion_reads: ClassVar[tuple[str, ...]] = ("ena",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ina",)

    def steady_state(self, v, celsius, ions=None):
        return _steady(_transient_rates(v, celsius, 38.0, 66.0))

    def step(self, states, v, dt, celsius):
        return _advance(states, _transient_rates(v, celsius, 38.0, 66.0), dt)

    def current(self, states, v):
        m, h = states["m"], states["h"]
        return self.gNaTa_tbar * m * m * m * h * (v - states["ena"])


class NaTs2_t(AbstractChannel):
    """Fast inactivating sodium current of the Blue Brain models (`NaTa_t` shifted: its
    gates centred at −32 and −60 mV): ``ina = gNaTs2_tbar m³ h (v − ena)``.

    **Arguments:** `gNaTs2_tbar`: conductance density (S/cm²), 1e-5.

    States: ``m``, ``h``.
    """

    gNaTs2_tbar: ArrayLike = parameter(1e-5, "S/cm²", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("m", "h")
    ion_reads: ClassVar[tuple[str, ...]] = ("ena",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ina",)

    def steady_state(self, v, celsius, ions=None):
        return _steady(_transient_rates(v, celsius, 32.0, 60.0))

    def step(self, states, v, dt, celsius):
        return _advance(states, _transient_rates(v, celsius, 32.0, 60.0), dt)

    def current(self, states, v):
        m, h = states["m"], states["h"]
        return self.gNaTs2_tbar * m * m * m * h * (v - states["ena"])


def _persistent_rates(v, celsius):
    """(m∞, τm, h∞, τh) of the persistent sodium current (Magistretti & Alonso 1999)."""
    qt = q_factor(celsius, 2.3, 21.0)
    am, bm = vtrap_pair(v + 38.0, 6.0)
    am, bm = 0.182 * am, 0.124 * bm
    ah = 2.88e-6 * vtrap(v + 17.0, 4.63)
    bh = 6.94e-6 * vtrap(-(v + 64.4), 2.63)
    m_inf = sigmoid(v, -52.6, 4.6)
    h_inf = sigmoid(v, -48.8, -10.0)
    return m_inf, 6.0 / (am + bm) / qt, h_inf, 1.0 / (ah + bh) / qt


class Nap_Et2(AbstractChannel):
    """Persistent sodium current of Hay et al. (2011), after Magistretti & Alonso
    (1999): ``ina = gNap_Et2bar m³ h (v − ena)``, with a very slow inactivation.

    **Arguments:** `gNap_Et2bar`: conductance density (S/cm²), 1e-5.

    States: ``m``, ``h``.
    """

    gNap_Et2bar: ArrayLike = parameter(1e-5, "S/cm²", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("m", "h")
    ion_reads: ClassVar[tuple[str, ...]] = ("ena",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ina",)

    def steady_state(self, v, celsius, ions=None):
        return _steady(_persistent_rates(v, celsius))

    def step(self, states, v, dt, celsius):
        return _advance(states, _persistent_rates(v, celsius), dt)

    def current(self, states, v):
        m, h = states["m"], states["h"]
        return self.gNap_Et2bar * m * m * m * h * (v - states["ena"])
