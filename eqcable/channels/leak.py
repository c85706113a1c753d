"""A passive leak conductance (NEURON's ``pas``)."""

from typing import ClassVar

from jaxtyping import ArrayLike

from .base import AbstractChannel
from .parameter import parameter


class Leak(AbstractChannel):
    """Passive leak current ``i = gLeak (v − eLeak)``, NEURON's ``pas``.

    **Arguments:**

    - `gLeak`: conductance density (S/cm²); NEURON's default ``g_pas = 0.001``.
    - `eLeak`: reversal potential (mV); NEURON's default ``e_pas = −70``.
    """

    gLeak: ArrayLike = parameter(0.001, "S/cm²", ge=0.0)
    eLeak: ArrayLike = parameter(-70.0, "mV")
    state_names: ClassVar[tuple[str, ...]] = ()

    def steady_state(self, v, celsius):
        return {}

    def step(self, states, v, dt, celsius):
        return {}

    def current(self, states, v):
        return self.gLeak * (v - self.eLeak)
