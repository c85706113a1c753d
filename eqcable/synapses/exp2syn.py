"""A double-exponential conductance synapse driven by spikes: NEURON's ``Exp2Syn`` with
a ``NetCon``."""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import ArrayLike

from ..channels.parameter import parameter
from .base import AbstractSynapse


class Exp2Syn(AbstractSynapse):
    """Conductance ``g = B − A`` with ``A, B`` decaying with `tau1` (rise) and `tau2`
    (decay); each arriving spike adds ``weight · factor`` to both, with ``factor``
    normalising the peak of ``g`` to ``weight``. Current ``i = g (v_post − e)`` (nA).

    The same model, update and event timing as NEURON's ``Exp2Syn`` driven by a
    ``NetCon(source, syn, threshold, delay, weight)``: a spike is the first step whose
    presynaptic voltage is above `threshold`, and it arrives ``delay`` later (see
    `Network.connect`); states are advanced by ``cnexp`` (exact decay).

    **Arguments:**

    - `weight`: the NetCon weight, the peak conductance of one spike's response (µS),
      default 0.001.
    - `tau1`: rise time constant (ms), default 0.1.
    - `tau2`: decay time constant (ms), default 10. As in NEURON, `tau1` is limited to
      ``[1e-9, 0.9999] · tau2``.
    - `e`: reversal potential (mV), default 0.
    - `threshold`: presynaptic spike threshold (mV), NetCon's default 10. Spike times
      are discrete, so it has no gradient and cannot be made trainable.
    """

    weight: ArrayLike = parameter(0.001, "µS", ge=0.0)
    tau1: ArrayLike = parameter(0.1, "ms", gt=0.0)
    tau2: ArrayLike = parameter(10.0, "ms", gt=0.0)
    e: ArrayLike = parameter(0.0, "mV")
    threshold: ArrayLike = parameter(10.0, "mV")
    state_names: ClassVar[tuple[str, ...]] = ("A", "B")
    state_units: ClassVar[dict[str, str]] = {"A": "µS", "B": "µS"}
    event_driven: ClassVar[bool] = True
    nondifferentiable_params: ClassVar[tuple[str, ...]] = ("threshold",)

    def init_states(self):
        return {"A": 0.0, "B": 0.0}

    def _tau1_factor(self):
        ratio = self.tau1 / self.tau2
        tau1 = jnp.where(ratio > 0.9999, 0.9999 * self.tau2, self.tau1)
        tau1 = jnp.where(ratio < 1e-9, 1e-9 * self.tau2, tau1)
        t_peak = tau1 * self.tau2 / (self.tau2 - tau1) * jnp.log(self.tau2 / tau1)
        factor = 1.0 / (-jnp.exp(-t_peak / tau1) + jnp.exp(-t_peak / self.tau2))
        return tau1, factor

    def step(self, states, pre, v_post, dt):
        # Decay over the previous step, then add the spikes arriving now: the same values
        # NEURON uses in this step's current (it adds events, then decays after the step).
        tau1, factor = self._tau1_factor()
        jump = pre * self.weight * factor
        return {
            "A": states["A"] * jnp.exp(-dt / tau1) + jump,
            "B": states["B"] * jnp.exp(-dt / self.tau2) + jump,
        }

    def current(self, states, pre, v_post):
        return (states["B"] - states["A"]) * (v_post - self.e)
