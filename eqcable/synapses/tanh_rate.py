"""A stateless graded synapse, Jaxley's ``TanhRateSynapse``."""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import ArrayLike

from ..channels.parameter import parameter
from .base import AbstractSynapse


class TanhRateSynapse(AbstractSynapse):
    """A synapse whose current is a smooth function of the presynaptic voltage.

    ``i = −gS · tanh((v_pre − x_offset) · slope)`` (nA; depolarising when the
    presynaptic cell is above `x_offset`), no state. Jaxley 0.14's ``TanhRateSynapse``.

    **Arguments:**

    - `gS`: amplitude (nA; Jaxley calls it a conductance but the current is ``gS`` times a
      dimensionless number), default 1e-4.
    - `x_offset`: presynaptic voltage of half effect (mV), default −70.
    - `slope`: steepness (1/mV), default 1.
    - `jaxley_linearisation`: the current does not depend on the postsynaptic voltage,
      so its exact implicit slope is 0 (the default, ``False``). Jaxley instead
      linearises every synaptic current by a forward difference (1e-3 mV) along a common
      shift of the pre- *and* postsynaptic voltage, which gives this synapse a slope of
      about ``∂i/∂v_pre``; ``True`` reproduces that, for number-for-number comparisons
      with Jaxley. Both schemes are first order in ``dt``.
    """

    gS: ArrayLike = parameter(1e-4, "nA")
    x_offset: ArrayLike = parameter(-70.0, "mV")
    slope: ArrayLike = parameter(1.0, "1/mV")
    jaxley_linearisation: bool = eqx.field(static=True, default=False)
    state_names: ClassVar[tuple[str, ...]] = ()

    def init_states(self):
        return {}

    def step(self, states, pre, v_post, dt):
        return {}

    def current(self, states, pre, v_post):
        return -self.gS * jnp.tanh((pre - self.x_offset) * self.slope)

    def linearise(self, states, pre, v_post):
        if not self.jaxley_linearisation:
            return super().linearise(states, pre, v_post)
        diff = 1e-3  # mV, Jaxley's
        i = self.current(states, pre, v_post)
        return i, (self.current(states, pre + diff, v_post + diff) - i) / diff
