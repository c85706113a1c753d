"""The kernel of `eqcable.simulation.fused`: ``k`` whole time steps of a model in one
Pallas program, its state in the kernel's buffers.

Per step, in NEURON's fixed-step order (as `eqcable.simulation.step`):

1. node rows: ``d = c C/dt + diag(L)``, ``rhs = 0``;
2. synapses, on blocks of connections: the presynaptic signal (spike detection,
   spike-train inputs, the delay ring buffer), the synapse's `step` and its linearised
   current (`AbstractSynapse.linearise`), kept per connection;
3. channels, on blocks of compartments (each channel's own `linearise`): ``d += g``,
   ``rhs −= i`` at the compartments' nodes; then the injected and synaptic currents at
   their nodes, in rounds with no node twice (`eqcable.simulation.fused_rounds`);
4. the sweep up the tree, a depth per round (siblings in separate rounds): each node
   adds its edge's axial current ``g (v_i − v_p)`` and is eliminated into its parent;
   the sweep down, a depth per round, roots first: substitute and ``v ← v + c Δ``;
5. the synapses' `advance` and the channels' `step` at the new voltage, on blocks again;
   the recordings.

Blocks are `Plan.lanes` wide; every block writes distinct entries, so the lanes of a
phase never race. Phases and rounds hand values between lanes: `sync` (a barrier)
separates them.
The arguments are pytrees of the NamedTuples below; the state (`Carry`) is updated in
place (its outputs are aliased to its inputs).
"""

import functools
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as plt
from jaxtyping import Array

from ..synapses.wiring import presynaptic_signal
from .fused_rounds import Rounds


class MechanismPlan(NamedTuple):
    """How a channel or synapse is rebuilt from its leaves inside the kernel."""

    static: tuple  # (treedef of the array leaves, the module's static part)
    kinds: tuple[str, ...]  # per leaf: "each" (one value per compartment/connection), "one"
    names: tuple[str, ...]  # channels: the ion quantities they read; synapses: states


class SynapsePlan(NamedTuple):
    mechanism: MechanismPlan
    nconn: int  # connections (the arrays are padded to whole blocks)
    buffer_length: int  # longest delay + 1 (steps); 1: no ring buffer
    ninputs: int  # spike-train columns of `Launch.external` (0: the network has none)


class Plan(NamedTuple):
    """The static layout of a launch."""

    channels: tuple[MechanismPlan, ...]
    channel_states: tuple[str, ...]  # "<Channel>_<state>", in the order of `Carry.channels`
    synapses: tuple[SynapsePlan, ...]
    records: tuple[tuple[tuple, int], ...]  # per source: (("v",), ("channel", name) or
    # ("synapse", group, state)), and its number of columns (whole blocks)
    nsteps: int  # steps per launch
    lanes: int  # the width of a block (a multiple of 32: one GPU warp per 32 lanes)
    factor: float  # the stepper's c (1 backward Euler, 2 Crank-Nicolson)
    dt: float  # ms


class ChannelArgs(NamedTuple):
    leaves: tuple[Array, ...]  # (ncomp_p,) or (1,)
    mask: Array  # (ncomp_p,) 1 where inserted
    ions: tuple[Array, ...]  # (ncomp_p,) per ion quantity read


class SynapseArgs(NamedTuple):
    pre: Array  # (nconn_p,) int32 presynaptic node
    post: Array  # (nconn_p,) int32 postsynaptic node
    delay: Array  # (nconn_p,) int32 steps
    input_index: Array  # (nconn_p,) int32 spike-train column (inputs), else 0
    is_input: Array  # (nconn_p,) 1 for spike-train inputs
    mask: Array  # (nconn_p,) 1 for connections, 0 for padding
    leaves: tuple[Array, ...]  # (nconn_p,) or (1,)
    rounds: Rounds  # (node, entry of the linearised currents) to add, in rounds


class Fixed(NamedTuple):
    """What every launch reads and never changes."""

    up: Rounds  # (child, parent) pairs of the sweep up, in rounds
    down: Rounds  # (node, parent) pairs of the sweep down (a root: its own parent)
    membrane_node: Array  # (ncomp_p,) int32 node of each compartment (padding: own nodes)
    stimuli: Rounds  # (node, stimulus) pairs of the injected currents, in rounds
    rec_index: Array  # (ncolumns,) int32 entry of each column of the traces in its source
    capacitance: Array  # (nnodes_p,) per node, and below
    g_axial: Array
    axial_diag: Array
    to_absolute: Array
    celsius: Array  # (1,)
    channels: tuple[ChannelArgs, ...]
    synapses: tuple[SynapseArgs, ...]


class Launch(NamedTuple):
    """What changes from launch to launch."""

    start: Array  # (1,) int32 the first step of the launch
    i_ext: Array  # (k * nstim,) nA, step by step
    external: tuple[Array, ...]  # per group, (k * ninputs,) spike counts or pulse voltages


class SynapseCarry(NamedTuple):
    states: tuple[Array, ...]  # (nconn_p,) per state
    above: Array  # (nconn_p,) 1 where the presynaptic voltage was above threshold
    buffer: Array | None  # (buffer_length * nconn_p,) the delay ring buffer


class Carry(NamedTuple):
    """The state, updated in place by a launch."""

    v: Array  # (nnodes_p,)
    channels: tuple[Array, ...]  # (ncomp_p,) per channel state
    synapses: tuple[SynapseCarry, ...]


class Work(NamedTuple):
    """Scratch buffers: the system's rows and solution; per synapse group its linearised
    current and slope per connection, ``(i, g)`` (for reciprocal couplings they hold the
    other side's after the connections' own)."""

    d: Array
    rhs: Array
    x: Array
    synapses: tuple[tuple[Array, ...], ...]


def _blocks(n: int, lanes: int, body) -> None:
    """``body(offset)`` for every block of `lanes` entries of ``n`` (a multiple of it)."""

    def run(j, carry):
        body(j * lanes)
        return carry

    jax.lax.fori_loop(0, n // lanes, run, 0)


def _rounds(rounds: Rounds, lanes: int, body, sync) -> None:
    """``body(first, second)`` on every block of every round, rounds in order, with a
    barrier after each."""

    def one_round(r, carry):
        start = rounds.start[r]

        def block(b, carry):
            at = pl.ds((start + b) * lanes, lanes)
            body(rounds.first[at], rounds.second[at])
            return carry

        jax.lax.fori_loop(0, rounds.count[r], block, 0)
        sync()
        return carry

    jax.lax.fori_loop(0, rounds.start.shape[0], one_round, 0)


def _module(plan: MechanismPlan, leaves, at):
    """The channel or synapse of `plan` on the block `at`."""
    values = [r[at] if kind == "each" else r[0] for r, kind in zip(leaves, plan.kinds, strict=True)]
    return eqx.combine(jax.tree.unflatten(plan.static[0], values), plan.static[1])


def _kernel(plan: Plan, sync, fixed: Fixed, launch: Launch, _, carry: Carry, traces, work: Work):
    f, v = fixed, carry.v
    state_of = dict(zip(plan.channel_states, carry.channels, strict=True))
    ncomp = f.membrane_node.shape[0]
    c, dt, L = plan.factor, plan.dt, plan.lanes

    def channel(k, at):
        ch = _module(plan.channels[k], f.channels[k].leaves, at)
        st = {s: state_of[f"{ch.name}_{s}"][at] for s in ch.state_names}
        st.update(
            {q: r[at] for q, r in zip(plan.channels[k].names, f.channels[k].ions, strict=True)}
        )
        return ch, st, f.channels[k].mask[at] > 0

    def membrane_rows(j):
        at = pl.ds(j, L)
        node = f.membrane_node[at]
        vv = v[node]
        i_sum = jnp.zeros_like(vv)
        g_sum = jnp.zeros_like(vv)
        for k in range(len(plan.channels)):
            ch, st, on = channel(k, at)
            if ch.reads_celsius:
                st = {**st, "celsius": f.celsius[0]}
            i, g = ch.linearise(st, vv)
            i_sum, g_sum = i_sum + jnp.where(on, i, 0.0), g_sum + jnp.where(on, g, 0.0)
        area = f.to_absolute[node]
        work.d[node] = work.d[node] + area * g_sum
        work.rhs[node] = work.rhs[node] - area * i_sum

    def advance(j):
        at = pl.ds(j, L)
        vv = v[f.membrane_node[at]]
        for k in range(len(plan.channels)):
            ch, st, on = channel(k, at)
            for s, new in ch.step(st, vv, dt, f.celsius[0]).items():
                ref = state_of[f"{ch.name}_{s}"]
                ref[at] = jnp.where(on, new, ref[at])

    def step(t, loop_carry):
        def rows(j):
            at = pl.ds(j, L)
            work.d[at] = (c / dt) * f.capacitance[at] + f.axial_diag[at]
            work.rhs[at] = jnp.zeros_like(work.d[at])

        _blocks(work.d.shape[0], L, rows)
        sync()
        for g in range(len(plan.synapses)):
            _synapse_currents(plan, fixed, launch, carry, work, g, t)
        _blocks(ncomp, L, membrane_rows)
        sync()
        nstim = launch.i_ext.shape[0] // plan.nsteps

        def inject(node, s):
            work.rhs[node] = work.rhs[node] + launch.i_ext[t * nstim + s]

        _rounds(f.stimuli, L, inject, sync)
        for g in range(len(plan.synapses)):
            i_syn, g_syn = work.synapses[g]

            def add(node, entry, i_syn=i_syn, g_syn=g_syn):
                work.d[node] = work.d[node] + g_syn[entry]
                work.rhs[node] = work.rhs[node] - i_syn[entry]

            _rounds(fixed.synapses[g].rounds, L, add, sync)

        def up(i, p):  # axial currents, then eliminate node i into its parent p
            root = p == i
            g = jnp.where(root, 0.0, f.g_axial[i])
            edge = g * (v[i] - v[p])
            r = work.rhs[i] - edge
            work.rhs[i] = r
            factor = -g / work.d[i]
            work.d[p] = work.d[p] + factor * g
            work.rhs[p] = work.rhs[p] + edge - factor * r

        def down(i, p):  # x_i = rhs_i/d_i - (u_i/d_i) x_p, and v_i += c x_i
            di = work.d[i]
            xi = work.rhs[i] / di - jnp.where(p == i, 0.0, -f.g_axial[i] / di * work.x[p])
            work.x[i] = xi
            v[i] = v[i] + c * xi

        _rounds(f.up, L, up, sync)
        _rounds(f.down, L, down, sync)
        for g in range(len(plan.synapses)):
            _advance_synapses(plan, fixed, carry, g)
        _blocks(ncomp, L, advance)
        sync()
        col = 0
        for source, count in plan.records:
            if source[0] == "v":
                src = v
            elif source[0] == "channel":
                src = state_of[source[1]]
            else:
                src = carry.synapses[source[1]].states[source[2]]

            def write(j, src=src, col=col):
                at = pl.ds(col + j, L)
                traces[t, at] = src[f.rec_index[at]]

            _blocks(count, L, write)
            col += count
        return loop_carry

    jax.lax.fori_loop(0, plan.nsteps, step, 0)


def _synapse_currents(plan: Plan, fixed: Fixed, launch: Launch, carry: Carry, work, g, t):
    """Group `g`'s signals of step `t` of the launch, its `step`, its linearised current."""
    sp, args, state, out = plan.synapses[g], fixed.synapses[g], carry.synapses[g], work.synapses[g]
    npad, length, L = args.pre.shape[0], jnp.int32(sp.buffer_length), plan.lanes
    k = launch.start[0] + t.astype(jnp.int32)  # the step of the simulation

    def block(j):
        at = pl.ds(j, L)
        syn = _module(sp.mechanism, args.leaves, at)
        external = None
        if sp.ninputs:
            external = launch.external[g][t * sp.ninputs + args.input_index[at]]
        v_pre = carry.v[args.pre[at]]
        sig, above = presynaptic_signal(
            syn, v_pre, state.above[at] > 0, external, args.is_input[at] > 0
        )
        state.above[at] = above.astype(state.above.dtype)
        if sp.buffer_length > 1:  # write this step's signal, read each connection's delayed one
            row = jax.lax.rem(k, length)
            state.buffer[pl.ds(row * npad + j, L)] = sig
            rows = jax.lax.rem(k + length - args.delay[at], length)
            lanes = (j + jnp.arange(L, dtype=jnp.int32)).astype(jnp.int32)
            sig = state.buffer[rows * npad + lanes]
        v_post = carry.v[args.post[at]]
        names = sp.mechanism.names
        st = syn.step(
            {s: r[at] for s, r in zip(names, state.states, strict=True)}, sig, v_post, plan.dt
        )
        on = args.mask[at] > 0
        for s, r in zip(names, state.states, strict=True):
            r[at] = jnp.where(on, st[s], r[at])
        i, gs = syn.linearise(st, sig, v_post)
        out[0][at], out[1][at] = jnp.where(on, i, 0.0), jnp.where(on, gs, 0.0)
        if syn.reciprocal:  # the same coupling seen from the presynaptic side
            i, gs = syn.linearise(st, v_post, v_pre)
            back = pl.ds(npad + j, L)
            out[0][back], out[1][back] = jnp.where(on, i, 0.0), jnp.where(on, gs, 0.0)

    _blocks(npad, L, block)


def _advance_synapses(plan: Plan, fixed: Fixed, carry: Carry, g: int) -> None:
    """Group `g`'s `advance` at the new voltage."""
    sp, args, state = plan.synapses[g], fixed.synapses[g], carry.synapses[g]
    names, L = sp.mechanism.names, plan.lanes

    def block(j):
        at = pl.ds(j, L)
        syn = _module(sp.mechanism, args.leaves, at)
        st = {s: r[at] for s, r in zip(names, state.states, strict=True)}
        new = syn.advance(st, carry.v[args.post[at]], plan.dt)
        if new is not st:
            on = args.mask[at] > 0
            for s, r in zip(names, state.states, strict=True):
                r[at] = jnp.where(on, new[s], r[at])

    _blocks(args.pre.shape[0], L, block)


def launch_kernel(plan: Plan, interpret: bool, fixed: Fixed, launch: Launch, carry: Carry):
    """One launch: ``plan.nsteps`` steps from `carry`; returns the new `Carry` and the
    recordings of those steps, ``(k, nrec)``."""
    like = lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype)  # noqa: E731
    v = carry.v
    node = jax.ShapeDtypeStruct(v.shape, v.dtype)
    synapses = []
    for args, sp in zip(fixed.synapses, plan.synapses, strict=True):
        sides = 2 if sp.mechanism.static[1].reciprocal else 1
        current = jax.ShapeDtypeStruct((sides * args.pre.shape[0],), v.dtype)
        synapses.append((current, current))
    work = Work(node, node, node, tuple(synapses))
    nrec = fixed.rec_index.shape[0]
    nin = len(jax.tree.leaves((fixed, launch)))
    ncarry = len(jax.tree.leaves(carry))
    new, traces, _ = pl.pallas_call(
        # (Pallas' interpreter runs phases in order and has no barrier.)
        functools.partial(_kernel, plan, (lambda: None) if interpret else plt.debug_barrier),
        out_shape=(
            jax.tree.map(like, carry),
            jax.ShapeDtypeStruct((plan.nsteps, nrec), v.dtype),
            work,
        ),
        input_output_aliases={nin + k: k for k in range(ncarry)},
        interpret=interpret,
        compiler_params=plt.CompilerParams(num_warps=max(plan.lanes // 32, 1), num_stages=1),
        name="eqcable_fused_steps",
    )(fixed, launch, carry)
    return new, traces
