"""The interface every synapse implements."""

import abc
from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..channels.base import AbstractMechanism


class AbstractSynapse(AbstractMechanism):
    """A synapse: a point process from a presynaptic source onto one compartment.

    A synapse's dataclass fields are its parameters (floats, with NEURON's point-process
    units: µS for conductances, mV for potentials, ms for times). In a `Network` every
    parameter becomes an array with one value per connection, addressed as
    ``"<Name>_<field>"`` (e.g. ``"IonotropicSynapse_gS"``); states likewise.

    Each time step, at the start of the step (Jaxley's order):

    1. `step` advances the states by ``dt`` given the presynaptic signal;
    2. `current` gives the synaptic current (nA, outward positive, as NEURON's ``i``)
       at the postsynaptic voltage; it enters the implicit voltage step linearised
       in the postsynaptic voltage (exactly, by autodiff).

    The presynaptic signal ``pre`` is the presynaptic voltage (mV) for *graded*
    synapses, and for *event-driven* synapses (``event_driven = True``) the number of
    presynaptic spikes arriving in this step: a spike is the first step at which the
    presynaptic voltage is above the synapse's ``threshold`` field (mV), as NEURON's
    ``NetCon``, and it arrives ``delay`` later.
    """

    event_driven: ClassVar[bool] = False
    #: Whether `init_states` runs when a simulation starts, from the parameters of that
    #: simulation (trained or set since), as NEURON's ``finitialize`` runs INITIAL; else
    #: once, when the synapse is connected. Classes from `eqcable.read_nmodl` do (their
    #: INITIAL may compute states from parameters, as ``Exp2Syn``'s ``factor``).
    initialise_each_run: ClassVar[bool] = False
    #: The most events one connection can take in one step (``None``: any number, as
    #: ``pre`` is a count). Classes from `eqcable.read_nmodl` run NET_RECEIVE once per
    #: step, so spike trains with two spikes in one step are refused for them.
    max_events_per_step: ClassVar[int | None] = None
    #: Whether the current also acts on the presynaptic compartment, with roles swapped:
    #: ``current(states, v_post, v_pre)`` leaves it (a gap junction). Graded, no delay.
    reciprocal: ClassVar[bool] = False
    #: Parameters with no gradient (e.g. a spike threshold): they cannot be trainable.
    nondifferentiable_params: ClassVar[tuple[str, ...]] = ()

    @abc.abstractmethod
    def init_states(self) -> dict[str, Float[Array, "*c"]]:
        """Initial value of every state (scalars or one per connection)."""

    @abc.abstractmethod
    def step(
        self,
        states: dict[str, Array],
        pre: Float[Array, "*c"],
        v_post: Float[Array, "*c"],
        dt: float,
    ) -> dict[str, Array]:
        """Advance the states by `dt` (ms) given the presynaptic signal `pre` (see the
        class docstring) and the postsynaptic voltage `v_post` (mV)."""

    @abc.abstractmethod
    def current(
        self, states: dict[str, Array], pre: Float[Array, "*c"], v_post: Float[Array, "*c"]
    ) -> Float[Array, "*c"]:
        """Synaptic current (nA, outward positive) at postsynaptic voltage `v_post` (mV)."""

    def advance(
        self, states: dict[str, Array], v_post: Float[Array, "*c"], dt: float
    ) -> dict[str, Array]:
        """Advance the states by `dt` (ms) after the voltage step, at the new postsynaptic
        voltage `v_post` (mV): NEURON's order for a point process (events and current at
        the start of the step, its SOLVE after the voltage). By default nothing: a
        synapse advances in `step`, at the start of the step (Jaxley's order)."""
        return states

    def linearise(
        self, states: dict[str, Array], pre: Float[Array, "*c"], v_post: Float[Array, "*c"]
    ) -> tuple[Float[Array, "*c"], Float[Array, "*c"]]:
        """The current (nA) and its slope (µS) for the implicit voltage step.

        A default: the exact derivative ``∂current/∂v_post``, by autodiff. A synapse may
        replace it (as `TanhRateSynapse` does for its Jaxley option); it is the one method
        of the interface meant to be overridden.
        """
        return jax.jvp(
            lambda vp: self.current(states, pre, vp), (v_post,), (jnp.ones_like(v_post),)
        )
