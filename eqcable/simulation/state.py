"""`State`: what the time loop carries from one step to the next."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from ..channels.base import AbstractChannel


class State(eqx.Module):
    """The simulation state after a step: per node of the tree, per compartment (in the
    membrane order of `eqcable.simulation.system.System`), or per connection.

    - `v`: membrane voltage (mV), per node (compartments, branch points and padding).
    - `channels`: channel states, ``"<Channel>_<state>"`` → per-compartment values.
    - `ions`: ion quantities per compartment, by name (e.g. ``"ina"``, mA/cm²): the ion currents
      that channels write (`AbstractChannel.ion_writes`), summed per ion, and that
      mechanisms read (`AbstractChannel.ion_reads`).
    - `synapses`: the states of each synapse group, per connection.
    - `spiking`: for each event-driven synapse group, whether each presynaptic
      compartment was above threshold after the last step (spike detection).
    - `buffers`: for each synapse group, the ring buffer of its delayed presynaptic
      signals (``None`` without delays).
    """

    v: Float[Array, " nnodes"]
    channels: dict[str, Float[Array, " ncomp"]]
    ions: dict[str, Float[Array, " ncomp"]]
    synapses: tuple[dict[str, Float[Array, " _nconn"]], ...]
    spiking: tuple[Bool[Array, " _nconn"], ...]
    buffers: tuple[Float[Array, "_delay _nconn"] | None, ...]


def mechanism_states(
    channel: AbstractChannel, states: dict[str, Array], ions: dict[str, Array]
) -> dict[str, Array]:
    """The ``states`` a channel's methods receive: its own states by their short names
    (``"m"``), and the ion quantities it reads (`ion_reads`)."""
    own = {n: states[f"{channel.name}_{n}"] for n in channel.state_names}
    return {**own, **{q: ions[q] for q in channel.ion_reads}}


def ions_written(channels: tuple[AbstractChannel, ...]) -> tuple[str, ...]:
    """The ion quantities `channels` write (`AbstractChannel.ion_writes`), sorted."""
    return tuple(sorted({q for ch in channels for q in ch.ion_writes}))


def initial_channel_states(
    channels: tuple[AbstractChannel, ...],
    states: dict[str, Float[Array, " n"]],
    explicit: dict[str, Bool[Array, " n"]],
    v: Float[Array, " n"],
    celsius: Float[Array, ""],
) -> dict[str, Float[Array, " n"]]:
    """The initial channel states, as NEURON's ``finitialize(v)`` sets them: each state's
    steady state at voltage `v` (mV) and `celsius`, except where `explicit` marks a value
    the user set (taken from `states`). `channels` hold one parameter value per entry."""
    out = {}
    for ch in channels:
        steady = ch.steady_state(v, celsius)
        for s in ch.state_names:
            name = f"{ch.name}_{s}"
            out[name] = jnp.where(explicit[name], states[name], steady[s]).astype(v.dtype)
    return out
