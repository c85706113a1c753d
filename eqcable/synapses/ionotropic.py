"""A graded ionotropic synapse (Abbott & Marder), Jaxley's ``IonotropicSynapse``."""

from typing import ClassVar

import jax.numpy as jnp
from jaxtyping import ArrayLike

from ..channels.parameter import parameter
from .base import AbstractSynapse


def _clipped_exp(x, max_value: float = 20.0):
    # exp with its argument clipped at 20, as Jaxley's `save_exp`, so the two agree.
    return jnp.exp(jnp.minimum(x, max_value))


class IonotropicSynapse(AbstractSynapse):
    """A graded synapse whose open fraction ``s`` follows the presynaptic voltage.

    ``ds/dt = (s_inf − s) / tau_s`` with ``s_inf = 1 / (1 + exp((v_th − v_pre)/delta))``
    and ``tau_s = (1 − s_inf) / k_minus``; current ``i = gS · s · (v_post − e_syn)``.
    The same equations and update as Jaxley 0.14's ``IonotropicSynapse`` (L. F. Abbott
    and E. Marder, "Modeling small networks", Methods in Neuronal Modeling, 1998).

    **Arguments:**

    - `gS`: maximal conductance (µS), default 1e-4.
    - `e_syn`: reversal potential (mV), default 0.
    - `k_minus`: unbinding rate (1/ms), default 0.025.
    - `v_th`: presynaptic half-activation voltage (mV), default −35.
    - `delta`: slope of the activation (mV), default 10.

    State ``s`` starts at 0.2 (Jaxley's default). `k_minus` and `delta` must be positive.
    """

    gS: ArrayLike = parameter(1e-4, "µS", ge=0.0)
    e_syn: ArrayLike = parameter(0.0, "mV")
    k_minus: ArrayLike = parameter(0.025, "1/ms", gt=0.0)
    v_th: ArrayLike = parameter(-35.0, "mV")
    delta: ArrayLike = parameter(10.0, "mV", gt=0.0)
    state_names: ClassVar[tuple[str, ...]] = ("s",)

    def init_states(self):
        return {"s": 0.2}

    def step(self, states, pre, v_post, dt):
        e = _clipped_exp((self.v_th - pre) / self.delta)
        s_inf = 1.0 / (1.0 + e)
        tau_s = e / (1.0 + e) / self.k_minus  # (1 - s_inf) / k_minus, without cancellation
        # When s_inf rounds to 1, tau_s is 0 and the state jumps to s_inf; the guard keeps
        # the gradient of exp(-dt / tau_s) finite there (0 instead of 0 * inf).
        positive = tau_s > 0
        decay = jnp.where(positive, _clipped_exp(-dt / jnp.where(positive, tau_s, 1.0)), 0.0)
        return {"s": states["s"] * decay + s_inf * (1.0 - decay)}

    def current(self, states, pre, v_post):
        return self.gS * states["s"] * (v_post - self.e_syn)
