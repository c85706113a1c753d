"""Calcium currents, calcium-activated potassium, and intracellular calcium of the Hay et
al. (2011) / Blue Brain catalogue."""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import ArrayLike

from ...solvers.gates import exponential_euler
from ..base import AbstractChannel
from ..ions import FARADAY
from ..parameter import parameter
from ..rates import q_factor, sigmoid, vtrap


def ca_hva_rates(v):
    """(m∞, τm, h∞, τh) of `Ca_HVA` (Reuveni et al. 1993), τ in ms (no temperature
    dependence); also `eqcable.channels.pospischil.CaL`'s (q, r)."""
    am = 0.055 * vtrap(-27.0 - v, 3.8)
    bm = 0.94 * jnp.exp((-75.0 - v) / 17.0)
    ah = 0.000457 * jnp.exp((-13.0 - v) / 50.0)
    bh = 0.0065 / (jnp.exp((-v - 15.0) / 28.0) + 1.0)
    return am / (am + bm), 1.0 / (am + bm), ah / (ah + bh), 1.0 / (ah + bh)


class Ca_HVA(AbstractChannel):
    """High-voltage-activated calcium current of Hay et al. (2011), after Reuveni et al.
    (1993): ``ica = gCa_HVAbar m² h (v − eca)``; rates independent of temperature.

    **Arguments:** `gCa_HVAbar`: conductance density (S/cm²), 1e-5.

    States: ``m``, ``h``.
    """

    gCa_HVAbar: ArrayLike = parameter(1e-5, "S/cm²", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("m", "h")
    ion_reads: ClassVar[tuple[str, ...]] = ("eca",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ica",)

    def steady_state(self, v, celsius, ions=None):
        m_inf, _, h_inf, _ = ca_hva_rates(v)
        return {"m": m_inf, "h": h_inf}

    def step(self, states, v, dt, celsius):
        m_inf, m_tau, h_inf, h_tau = ca_hva_rates(v)
        return {
            "m": exponential_euler(states["m"], m_inf, m_tau, dt),
            "h": exponential_euler(states["h"], h_inf, h_tau, dt),
        }

    def current(self, states, v):
        m, h = states["m"], states["h"]
        return self.gCa_HVAbar * m * m * h * (v - states["eca"])


def _ca_lvast_rates(v, celsius):
    """(m∞, τm, h∞, τh) of `Ca_LVAst`, τ in ms; the published curves, shifted by −10 mV."""
    qt = q_factor(celsius, 2.3, 21.0)
    vs = v + 10.0
    m_tau = 5.0 + 20.0 / (1.0 + jnp.exp((vs + 25.0) / 5.0))
    h_tau = 20.0 + 50.0 / (1.0 + jnp.exp((vs + 40.0) / 7.0))
    return sigmoid(vs, -30.0, 6.0), m_tau / qt, sigmoid(vs, -80.0, -6.4), h_tau / qt


class Ca_LVAst(AbstractChannel):
    """Low-voltage-activated (T-type) calcium current of Hay et al. (2011), after Avery &
    Johnston (1996) and Randall & Tsien (1997): ``ica = gCa_LVAstbar m² h (v − eca)``.

    **Arguments:** `gCa_LVAstbar`: conductance density (S/cm²), 1e-5.

    States: ``m``, ``h``.
    """

    gCa_LVAstbar: ArrayLike = parameter(1e-5, "S/cm²", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("m", "h")
    ion_reads: ClassVar[tuple[str, ...]] = ("eca",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ica",)

    def steady_state(self, v, celsius, ions=None):
        m_inf, _, h_inf, _ = _ca_lvast_rates(v, celsius)
        return {"m": m_inf, "h": h_inf}

    def step(self, states, v, dt, celsius):
        m_inf, m_tau, h_inf, h_tau = _ca_lvast_rates(v, celsius)
        return {
            "m": exponential_euler(states["m"], m_inf, m_tau, dt),
            "h": exponential_euler(states["h"], h_inf, h_tau, dt),
        }

    def current(self, states, v):
        m, h = states["m"], states["h"]
        return self.gCa_LVAstbar * m * m * h * (v - states["eca"])


def _z_inf(cai):
    """SK_E2's steady state at internal calcium `cai` (mM): a Hill curve, half-activated
    at 0.43 µM, coefficient 4.8 (below 1e-7 mM, `cai` is raised by 1e-7 mM, as published)."""
    ca = jnp.where(cai < 1e-7, cai + 1e-7, cai)
    return 1.0 / (1.0 + (0.00043 / ca) ** 4.8)


class SK_E2(AbstractChannel):
    """Small-conductance calcium-activated potassium current of Hay et al. (2011), after
    Köhler et al. (1996): ``ik = gSK_E2bar z (v − ek)``, `z` relaxing with time constant
    `zTau` towards a Hill function of the internal calcium ``cai``.

    **Arguments:**

    - `gSK_E2bar`: conductance density (S/cm²), 1e-6.
    - `zTau`: time constant of `z` (ms), 1.

    States: ``z``. Reads ``cai`` and ``ek``.
    """

    gSK_E2bar: ArrayLike = parameter(1e-6, "S/cm²", ge=0.0)
    zTau: ArrayLike = parameter(1.0, "ms", gt=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("z",)
    ion_reads: ClassVar[tuple[str, ...]] = ("ek", "cai")
    ion_writes: ClassVar[tuple[str, ...]] = ("ik",)

    def steady_state(self, v, celsius, ions):
        return {"z": _z_inf(ions["cai"]) + 0.0 * v}

    def step(self, states, v, dt, celsius):
        return {"z": exponential_euler(states["z"], _z_inf(states["cai"]), self.zTau, dt)}

    def current(self, states, v):
        return self.gSK_E2bar * states["z"] * (v - states["ek"])


class CaDynamics_E2(AbstractChannel):
    """Intracellular calcium of Hay et al. (2011): a shell under the membrane that the
    calcium current fills and that relaxes to a floor,

    ``dcai/dt = −10⁴ · ica · gamma / (2 F · depth) − (cai − minCai) / decay``

    (``ica`` in mA/cm², ``depth`` in µm, `cai` in mM, F Faraday's constant), integrated
    exactly over each step (NEURON's ``cnexp``). It writes ``cai``, so that ``eca`` is its
    Nernst potential there; it carries no current.

    **Arguments:**

    - `gamma`: the fraction of the calcium influx that stays free (unbuffered), 0.05.
    - `decay`: time constant of removal (ms), 80.
    - `depth`: depth of the shell (µm), 0.1.
    - `minCai`: the concentration it relaxes to (mM), 1e-4.
    """

    gamma: ArrayLike = parameter(0.05, "1", ge=0.0)
    decay: ArrayLike = parameter(80.0, "ms", gt=0.0)
    depth: ArrayLike = parameter(0.1, "µm", gt=0.0)
    minCai: ArrayLike = parameter(1e-4, "mM", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ()
    ion_reads: ClassVar[tuple[str, ...]] = ("ica",)
    ion_writes: ClassVar[tuple[str, ...]] = ("cai",)

    def steady_state(self, v, celsius, ions):
        return {}

    def step(self, states, v, dt, celsius):
        influx = -1e4 * states["ica"] * self.gamma / (2.0 * FARADAY * self.depth)
        target = self.minCai + influx * self.decay
        return {"cai": exponential_euler(states["cai"], target, self.decay, dt)}

    def current(self, states, v):
        return jnp.zeros_like(v)
