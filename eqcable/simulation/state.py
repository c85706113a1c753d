"""`State`: what the time loop carries from one step to the next."""

import functools

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from ..channels.base import AbstractChannel
from ..channels.ion_use import parse, species_table


class State(eqx.Module):
    """The simulation state after a step: per node of the tree, per compartment (in the
    membrane order of `eqcable.simulation.system.System`), or per connection.

    - `v`: membrane voltage (mV), per node (compartments, branch points and padding).
    - `channels`: channel states, ``"<Channel>_<state>"`` → per-compartment values.
    - `ions`: the ion quantities that change, per compartment, by name: concentrations
      that mechanisms integrate (``"cai"``, mM) and the species currents of the last step
      (``"ica"``, mA/cm²) where something reads or records them (see
      `eqcable.simulation.ions`).
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
    (``"m"``), and its ion quantities (`ion_inputs`)."""
    own = {n: states[f"{channel.name}_{n}"] for n in channel.state_names}
    return {**own, **{q: ions[q] for q in ion_inputs(type(channel))}}


@functools.cache
def ion_inputs(cls: type[AbstractChannel]) -> tuple[str, ...]:
    """The ion quantities a channel class receives: those it reads (`ion_reads`) and the
    concentrations it writes (a concentration mechanism integrates its own value)."""
    table = species_table([cls])
    written = [q for q in cls.ion_writes if parse(q, table, cls.__name__).kind in ("ci", "co")]
    return tuple(dict.fromkeys((*cls.ion_reads, *written)))


def steady_states(channel: AbstractChannel, v, celsius, ions: dict[str, Array]) -> dict:
    """`channel`'s steady state at `v` (mV) and `celsius` (°C), given the ion quantities
    (`ions`, by name) for a channel that reads some or writes a concentration (it then
    receives that concentration's initial value too)."""
    inputs = ion_inputs(type(channel))
    if inputs:
        return channel.steady_state(v, celsius, {q: ions[q] for q in inputs})
    return channel.steady_state(v, celsius)


def initial_channel_states(
    channels: tuple[AbstractChannel, ...],
    states: dict[str, Float[Array, " n"]],
    explicit: dict[str, Bool[Array, " n"]],
    v: Float[Array, " n"],
    celsius: Float[Array, ""],
    ions: dict[str, Float[Array, " n"]],
) -> dict[str, Float[Array, " n"]]:
    """The initial channel states, as NEURON's ``finitialize(v)`` sets them: each state's
    steady state at voltage `v` (mV), `celsius` and the initial ion quantities `ions`,
    except where `explicit` marks a value the user set (taken from `states`). `channels`
    hold one parameter value per entry."""
    out = {}
    for ch in channels:
        steady = steady_states(ch, v, celsius, ions)
        for s in ch.state_names:
            name = f"{ch.name}_{s}"
            out[name] = jnp.where(explicit[name], states[name], steady[s]).astype(v.dtype)
    return out
