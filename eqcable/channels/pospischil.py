"""The cortical neuron channels of Pospischil et al. (2008), named as Jaxley names them.

`Na`, `K` (the spike), `Km` (slow, M-type potassium: adaptation), `CaL` and `CaT` (high-
and low-threshold calcium). Use ``ec.Leak`` for the leak. Conductance densities in S/cm²,
voltages in mV, times in ms; the rates do not depend on temperature. The reversal
potentials are the ion quantities ``ena``, ``ek`` and ``eca``: the paper's values (50,
−90 and 120 mV) are set with ``cell.set("ek", -90.0).set("eca", 120.0)`` (NEURON's
defaults, which a cell starts with, are 50, −77 and 132.458 mV); with a concentration
mechanism such as `eqcable.CaDynamics_E2`, ``eca`` follows the Nernst equation.
"""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import ArrayLike

from ..solvers.gates import exponential_euler
from .base import AbstractChannel
from .bbp.calcium import ca_hva_rates
from .parameter import parameter
from .rates import sigmoid, vtrap


def _kinetics(alpha, beta):
    """(x∞, τ) of a gate with opening and closing rates `alpha`, `beta` (1/ms)."""
    return alpha / (alpha + beta), 1.0 / (alpha + beta)


def _na_gates(v, vt):
    vs = v - vt
    m = _kinetics(0.32 * vtrap(-(vs - 13.0), 4.0), 0.28 * vtrap(vs - 40.0, 5.0))
    h = _kinetics(0.128 * jnp.exp(-(vs - 17.0) / 18.0), 4.0 / (jnp.exp(-(vs - 40.0) / 5.0) + 1.0))
    return m, h


class Na(AbstractChannel):
    """Spike-generating sodium current (Traub & Miles 1991 kinetics, as Pospischil et al.
    2008 use them): ``ina = gNa m³ h (v − ena)``.

    **Arguments:**

    - `gNa`: conductance density (S/cm²), 0.05.
    - `vt`: the voltage the kinetics are relative to (mV), −60 (sets the threshold).

    States: ``m``, ``h``.
    """

    gNa: ArrayLike = parameter(0.05, "S/cm²", ge=0.0)
    vt: ArrayLike = parameter(-60.0, "mV")
    state_names: ClassVar[tuple[str, ...]] = ("m", "h")
    ion_reads: ClassVar[tuple[str, ...]] = ("ena",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ina",)

    def steady_state(self, v, celsius, ions=None):
        (m_inf, _), (h_inf, _) = _na_gates(v, self.vt)
        return {"m": m_inf, "h": h_inf}

    def step(self, states, v, dt, celsius):
        m, h = _na_gates(v, self.vt)
        return {
            "m": exponential_euler(states["m"], *m, dt),
            "h": exponential_euler(states["h"], *h, dt),
        }

    def current(self, states, v):
        m, h = states["m"], states["h"]
        return self.gNa * m * m * m * h * (v - states["ena"])


def _k_gate(v, vt):
    vs = v - vt
    return _kinetics(0.032 * vtrap(-(vs - 15.0), 5.0), 0.5 * jnp.exp(-(vs - 10.0) / 40.0))


class K(AbstractChannel):
    """Delayed-rectifier potassium current (Traub & Miles 1991 kinetics, as Pospischil
    et al. 2008 use them): ``ik = gK n⁴ (v − ek)``.

    **Arguments:**

    - `gK`: conductance density (S/cm²), 0.005.
    - `vt`: the voltage the kinetics are relative to (mV), −60.

    States: ``n``.
    """

    gK: ArrayLike = parameter(0.005, "S/cm²", ge=0.0)
    vt: ArrayLike = parameter(-60.0, "mV")
    state_names: ClassVar[tuple[str, ...]] = ("n",)
    ion_reads: ClassVar[tuple[str, ...]] = ("ek",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ik",)

    def steady_state(self, v, celsius, ions=None):
        return {"n": _k_gate(v, self.vt)[0]}

    def step(self, states, v, dt, celsius):
        return {"n": exponential_euler(states["n"], *_k_gate(v, self.vt), dt)}

    def current(self, states, v):
        n2 = states["n"] * states["n"]
        return self.gK * n2 * n2 * (v - states["ek"])


def _km_gate(v, taumax):
    tau = taumax / (3.3 * jnp.exp(0.05 * (v + 35.0)) + jnp.exp(-0.05 * (v + 35.0)))
    return sigmoid(v, -35.0, 10.0), tau


class Km(AbstractChannel):
    """Slow, non-inactivating (M-type) potassium current of Pospischil et al. (2008),
    after Yamada et al. (1989): ``ik = gKm p (v − ek)``; spike-frequency adaptation.

    **Arguments:**

    - `gKm`: conductance density (S/cm²), 4e-6.
    - `taumax`: the longest time constant of `p` (ms), 4000.

    States: ``p``.
    """

    gKm: ArrayLike = parameter(4e-6, "S/cm²", ge=0.0)
    taumax: ArrayLike = parameter(4000.0, "ms", gt=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("p",)
    ion_reads: ClassVar[tuple[str, ...]] = ("ek",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ik",)

    def steady_state(self, v, celsius, ions=None):
        return {"p": _km_gate(v, self.taumax)[0]}

    def step(self, states, v, dt, celsius):
        return {"p": exponential_euler(states["p"], *_km_gate(v, self.taumax), dt)}

    def current(self, states, v):
        return self.gKm * states["p"] * (v - states["ek"])


class CaL(AbstractChannel):
    """High-threshold (L-type) calcium current of Pospischil et al. (2008), after Reuveni
    et al. (1993): ``ica = gCaL q² r (v − eca)`` (the kinetics of `eqcable.Ca_HVA`).

    **Arguments:** `gCaL`: conductance density (S/cm²), 1e-4.

    States: ``q``, ``r``.
    """

    gCaL: ArrayLike = parameter(1e-4, "S/cm²", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("q", "r")
    ion_reads: ClassVar[tuple[str, ...]] = ("eca",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ica",)

    def steady_state(self, v, celsius, ions=None):
        q_inf, _, r_inf, _ = ca_hva_rates(v)
        return {"q": q_inf, "r": r_inf}

    def step(self, states, v, dt, celsius):
        q_inf, q_tau, r_inf, r_tau = ca_hva_rates(v)
        return {
            "q": exponential_euler(states["q"], q_inf, q_tau, dt),
            "r": exponential_euler(states["r"], r_inf, r_tau, dt),
        }

    def current(self, states, v):
        q = states["q"]
        return self.gCaL * q * q * states["r"] * (v - states["eca"])


def _cat_u_gate(v, vx):
    u_inf = sigmoid(v, -vx - 81.0, -4.0)
    tau = (30.8 + (211.4 + jnp.exp((v + vx + 113.2) / 5.0))) / (
        3.7 * (1.0 + jnp.exp((v + vx + 84.0) / 3.2))
    )
    return u_inf, tau


class CaT(AbstractChannel):
    """Low-threshold (T-type) calcium current of Pospischil et al. (2008), after Destexhe
    et al. (1998): ``ica = gCaT s∞(v)² u (v − eca)``, activation instantaneous.

    **Arguments:**

    - `gCaT`: conductance density (S/cm²), 4e-5.
    - `vx`: shift of the voltage dependence (mV), 2.

    States: ``u``.
    """

    gCaT: ArrayLike = parameter(4e-5, "S/cm²", ge=0.0)
    vx: ArrayLike = parameter(2.0, "mV")
    state_names: ClassVar[tuple[str, ...]] = ("u",)
    ion_reads: ClassVar[tuple[str, ...]] = ("eca",)
    ion_writes: ClassVar[tuple[str, ...]] = ("ica",)

    def steady_state(self, v, celsius, ions=None):
        return {"u": _cat_u_gate(v, self.vx)[0]}

    def step(self, states, v, dt, celsius):
        return {"u": exponential_euler(states["u"], *_cat_u_gate(v, self.vx), dt)}

    def current(self, states, v):
        s_inf = sigmoid(v, -self.vx - 57.0, 6.2)
        return self.gCaT * s_inf * s_inf * states["u"] * (v - states["eca"])
