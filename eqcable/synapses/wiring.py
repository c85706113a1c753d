"""Per-step synaptic work inside `integrate`: presynaptic signals, delays, states, currents.

All arrays here are per connection of one synapse type (a `Connections` group), with node
indices of the simulated tree. Delays use a ring buffer of the last ``max_delay + 1``
presynaptic signals, so memory does not grow with the simulation length.
"""

import dataclasses
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int

from .base import AbstractSynapse
from .connections import Connections
from .inputs import SpikeTrain, pulse_voltage, spike_counts


def delay_steps(delays: tuple[float, ...], dt: float, synapse_name: str) -> np.ndarray:
    """Delays (ms) as whole numbers of steps of `dt` (ms).

    **Raises:** `ValueError` if a delay is not a whole number of steps.
    """
    d = np.asarray(delays, dtype=float) / dt
    steps = np.round(d)
    bad = np.abs(d - steps) > 1e-9 * np.maximum(1.0, d)
    if np.any(bad):
        k = int(np.argmax(bad))
        raise ValueError(
            f"{synapse_name} connection {k}: delay {delays[k]} ms is not a whole number of "
            f"time steps (dt = {dt} ms)."
        )
    return steps.astype(np.int64)


def presynaptic_signal(synapse: AbstractSynapse, v_pre, above_before, external, is_input):
    """A step's presynaptic signal (before delays) and the new above-threshold flags, of
    connections whose presynaptic voltage is `v_pre` (mV): see `Wiring.signal`.
    `external`: each connection's spike-train value (spike count or pulse voltage), taken
    where `is_input` is set; ``None`` if the network has no spike-train inputs."""
    if synapse.event_driven:
        above = v_pre > synapse.threshold
        sig = (above & ~above_before).astype(v_pre.dtype)
    else:
        above, sig = above_before, v_pre
    if external is not None:
        sig = jnp.where(is_input, external, sig)
    return jax.lax.stop_gradient(sig) if synapse.event_driven else sig, above


class Wiring(eqx.Module):
    """Where one synapse group's connections read and write, in node indices."""

    synapse: AbstractSynapse
    pre_node: Int[Array, " nconn"]
    post_node: Int[Array, " nconn"]
    input_index: Int[Array, " nconn"]  # for spike-train inputs, else 0
    is_input: Bool[Array, " nconn"]
    delay: Int[Array, " nconn"]  # steps
    buffer_length: int = eqx.field(static=True)  # max delay + 1; 1 means no buffer
    has_inputs: bool = eqx.field(static=True)

    def signal(self, v, above_before, pulse_k, counts_k):
        """This step's presynaptic signal (before delays) and the new above-threshold flags.

        Graded synapses: the presynaptic voltage (mV). Event-driven ones: 1 at the first
        step the presynaptic voltage is above threshold, else 0 (inputs: spike counts).
        """
        ext = counts_k if self.synapse.event_driven else pulse_k
        external = ext[self.input_index] if self.has_inputs else None
        return presynaptic_signal(
            self.synapse, v[self.pre_node], above_before, external, self.is_input
        )

    def write(self, buffer, sig, k):
        """The ring buffer with the signal `sig` of step `k` written into it."""
        return jax.lax.dynamic_update_index_in_dim(buffer, sig, k % self.buffer_length, 0)

    def read(self, buffer, k):
        """Each connection's signal of ``delay`` steps before step `k`, from the buffer."""
        rows = (k - self.delay) % self.buffer_length
        return jnp.take_along_axis(buffer, rows[None, :], axis=0)[0]

    def delayed(self, buffer, sig, k):
        """Write `sig` at step `k` into the ring buffer and read each connection's
        signal from ``delay`` steps ago."""
        if self.buffer_length == 1:
            return buffer, sig
        buffer = self.write(buffer, sig, k)
        return buffer, self.read(buffer, k)

    def before_start(self, sig0, rest_inputs):
        """The signal before the simulation: graded synapses see the initial presynaptic
        voltage (spike-train inputs their resting voltage), event-driven ones no spikes."""
        if self.synapse.event_driven:
            return jnp.zeros_like(sig0)
        if self.has_inputs:
            return jnp.where(self.is_input, rest_inputs[self.input_index], sig0)
        return sig0

    def initial_buffer(self, sig0, rest_inputs):
        """The delay buffer at the start: filled with the signal before the start."""
        if self.buffer_length == 1:
            return None
        fill = self.before_start(sig0, rest_inputs)
        return jnp.broadcast_to(fill, (self.buffer_length, fill.shape[0]))

    def signal_at_start(self, sig0, rest_inputs):
        """The (delayed) signal each connection receives at t = 0."""
        return jnp.where(self.delay > 0, self.before_start(sig0, rest_inputs), sig0)


def wiring(group: Connections, comp_to_node, dt: float, has_inputs: bool) -> Wiring:
    """The `Wiring` of a `Connections` group (`has_inputs`: the network has spike-train
    inputs)."""
    pre = group.pre
    is_input = pre < 0
    steps = delay_steps(group.delay, dt, group.synapse.name)
    return Wiring(
        synapse=group.synapse,
        pre_node=comp_to_node[jnp.where(is_input, 0, pre)],
        post_node=comp_to_node[group.post],
        input_index=jnp.where(is_input, -1 - pre, 0),
        is_input=is_input,
        delay=jnp.asarray(steps, dtype=jnp.int32),
        buffer_length=int(steps.max(initial=0)) + 1,
        has_inputs=has_inputs,
    )


class Exchange(NamedTuple):
    """Where the presynaptic voltages come from when a network's cells are spread over
    devices (`eqcable.simulation.sharded`); used inside `shard_map`.

    Every step, each device publishes the voltage of its `export` nodes (those presynaptic
    to another device's compartments), and every device receives all devices' exports
    (`all_gather` over the mesh axis `axis`): connection ``j`` of group ``g`` reads entry
    ``pre[g][j]`` of that vector followed by the device's own node voltages. A connection's delay
    (`delay`, in steps) is data here, not the group's static delays, so that every
    device runs the same program; `buffer_length` is the network's longest delay + 1 per
    group. With `interval` > 1 the devices exchange once every `interval` steps
    (`eqcable.simulation.exchange`).
    """

    axis: str
    export: Int[Array, " nexport"]
    pre: tuple[Int[Array, " nconn"], ...]
    delay: tuple[Int[Array, " nconn"], ...]
    buffer_length: tuple[int, ...]
    interval: int = 1

    def voltages(self, v: Float[Array, "*steps nnodes"]) -> Float[Array, "*steps nall"]:
        """Every device's exported voltages (mV), in device order, then this device's own
        (`v`; with leading axes, per step)."""
        exported = jax.lax.all_gather(v[..., self.export], self.axis, axis=v.ndim - 1, tiled=True)
        return jnp.concatenate([exported, v], axis=-1)

    def sources(self, wirings: tuple) -> tuple:
        """`wirings` reading their presynaptic voltage from `voltages`, with the delays
        given here."""
        return tuple(
            dataclasses.replace(w, pre_node=pre, delay=delay, buffer_length=length)
            for w, pre, delay, length in zip(
                wirings, self.pre, self.delay, self.buffer_length, strict=True
            )
        )


def synaptic_currents(wirings, syn_states, sigs, v: Float[Array, " nnodes"], dt: float) -> tuple:
    """Advance every group's states and return them with the linearised synaptic current
    per node: ``(states, i (nA), g (µS))``."""
    i_syn = jnp.zeros_like(v)
    g_syn = jnp.zeros_like(v)
    new_states = []
    for w, st, sig in zip(wirings, syn_states, sigs, strict=True):
        v_post = v[w.post_node]
        st = w.synapse.step(st, sig, v_post, dt)
        i, g = w.synapse.linearise(st, sig, v_post)
        i_syn = i_syn.at[w.post_node].add(i)
        g_syn = g_syn.at[w.post_node].add(g)
        if w.synapse.reciprocal:  # the same coupling seen from the other side
            i, g = w.synapse.linearise(st, v_post, v[w.pre_node])
            i_syn = i_syn.at[w.pre_node].add(i)
            g_syn = g_syn.at[w.pre_node].add(g)
        new_states.append(st)
    return tuple(new_states), i_syn, g_syn


def advance_synapses(wirings, syn_states, v: Float[Array, " nnodes"], dt: float) -> tuple:
    """Every group's states after the voltage step (`AbstractSynapse.advance`), at the new
    voltage `v` (mV)."""
    return tuple(
        w.synapse.advance(st, v[w.post_node], dt) for w, st in zip(wirings, syn_states, strict=True)
    )


def check_events_per_step(groups, trains, dt: float, nsteps: int) -> None:
    """Refuse spike trains with more spikes in one step than the synapses they drive take
    (`AbstractSynapse.max_events_per_step`). Spike times or connections traced by jit
    are not checked.

    **Raises:** `ValueError` naming the synapse, the input and the time.
    """
    for group in groups:
        limit = group.synapse.max_events_per_step
        if limit is None or isinstance(group.pre, jax.core.Tracer):
            continue
        pre = np.asarray(group.pre)
        if not np.any(pre < 0):
            continue
        for j in np.unique(-1 - pre[pre < 0]):
            times = trains[j].times
            if isinstance(times, jax.core.Tracer):
                continue
            counts = np.asarray(spike_counts(jnp.asarray(times), dt, nsteps))
            if counts.max(initial=0) > limit:
                k = int(np.argmax(counts > limit))
                raise ValueError(
                    f"{group.synapse.name} takes at most {limit} event(s) per step, but "
                    f"spike-train input {int(j)} has {int(counts[k])} spikes in the step at "
                    f"t = {k * dt:g} ms: use a smaller dt or spread the spikes."
                )


def initial_states(group: Connections, dtype) -> dict[str, Array]:
    """The states a group's connections start a simulation with: as connected, or, for
    a synapse that initialises each run (`AbstractSynapse.initialise_each_run`), its
    `init_states` from its present parameters."""
    if not group.synapse.initialise_each_run:
        return group.states
    init = group.synapse.init_states()
    n = len(group.pre)
    return {
        s: jnp.broadcast_to(jnp.asarray(init[s], dtype), (n,)) for s in group.synapse.state_names
    }


class SynapseSetup(NamedTuple):
    """What the time loop needs for a network's synapses (empty for single cells).

    ``wirings`` one `Wiring` per synapse type; ``counts`` and ``pulses`` the spike-train
    inputs per step, ``(nsteps, ninputs)`` (spike counts for event-driven synapses,
    pulse voltages for graded ones); ``states``, ``above`` (spike flags) and
    ``buffers`` (delay buffers) the initial values carried by the loop; ``signals`` the
    presynaptic signal each connection receives at t = 0 (for recordings);
    ``sources`` the wirings that compute the presynaptic signals (``wirings`` on one
    device; `Exchange.sources` across devices).
    """

    wirings: tuple
    sources: tuple
    counts: Float[Array, "nsteps ninputs"]
    pulses: Float[Array, "nsteps ninputs"]
    states: tuple
    above: tuple
    buffers: tuple
    signals: tuple


def prepare_synapses(
    groups: tuple[Connections, ...],
    trains: tuple[SpikeTrain, ...],
    comp_to_node: Int[Array, " ncomp"],
    dt: float,
    nsteps: int,
    v0: Float[Array, " nnodes"],
    exchange: Exchange | None = None,
) -> SynapseSetup:
    """The `SynapseSetup` of synapse groups `groups` driven by spike trains `trains`
    (both empty for a single cell), in a tree whose compartment ``i`` is node
    ``comp_to_node[i]``, with initial node voltages `v0` (mV); presynaptic voltages
    from other devices through `exchange`."""
    wirings = tuple(wiring(g, comp_to_node, dt, bool(trains)) for g in groups)
    sources, v_pre0 = wirings, v0
    if exchange is not None:
        sources, v_pre0 = exchange.sources(wirings), exchange.voltages(v0)
    if trains:
        counts = jnp.stack([spike_counts(t.times, dt, nsteps) for t in trains], axis=1)
        pulses = jnp.stack(
            [pulse_voltage(t, counts[:, j], dt) for j, t in enumerate(trains)], axis=1
        )
    else:
        counts = pulses = jnp.zeros((nsteps, 0), v0.dtype)
    rest_inputs = jnp.asarray([t.v_rest for t in trains], dtype=v0.dtype)
    above = tuple(jnp.zeros(w.pre_node.shape, bool) for w in wirings)
    sigs0 = [
        w.signal(v_pre0, a, pulses[0], counts[0])[0] for w, a in zip(sources, above, strict=True)
    ]
    return SynapseSetup(
        wirings=wirings,
        sources=sources,
        counts=counts,
        pulses=pulses,
        states=tuple(initial_states(g, v0.dtype) for g in groups),
        above=above,
        buffers=tuple(
            w.initial_buffer(x, rest_inputs) for w, x in zip(sources, sigs0, strict=True)
        ),
        signals=tuple(
            w.signal_at_start(x, rest_inputs) for w, x in zip(sources, sigs0, strict=True)
        ),
    )
