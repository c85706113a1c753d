"""Whole time steps in one GPU kernel: `simulate_fused` (`PallasSolve(steps_per_launch=k)`).

The time loop of `eqcable.simulation.loop` is a `lax.scan` whose body XLA compiles into a
handful of kernels per step (channels, synapses, assembly, the solve, the state updates).
Here one Pallas kernel (`eqcable.simulation.fused_kernel`) runs `k` whole steps, in
NEURON's fixed-step order, with the state kept in the kernel's buffers: synapses (with
their delays and spike-train inputs) and channels, assembly, both sweeps of the tree
solve, the state updates and the recordings.

The mechanisms' own JAX code runs inside the kernel, on vectors of `lanes` compartments or
connections, so a channel or synapse needs no kernel of its own: HH, every channel of the
catalogue, NMODL imports with explicit (``cnexp``) states and every synapse lower for
CUDA (`tests/test_gpu_lowering.py`). KINETIC schemes and ``derivimplicit`` states solve
small linear systems that Triton cannot lower (a `NotImplementedError` when compiled for
a GPU): use `PallasSolve()` for those. Batches (`vmap`) become the kernel's grid: one
program per simulation. On a CPU the kernel runs through Pallas' interpreter, as
`PallasSolve` does.

Derivatives: the fused run carries a custom JVP that differentiates the ordinary time
loop (`simulate`, with `PallasSolve` tree solves and the tree solve's own custom JVP), so
gradients cost what they cost without fusion; only runs that are not differentiated use
the fused kernel.

Models with clamps or with concentrations or ion currents that mechanisms integrate or
read are refused (`check_fused`); recordings may be ``"v"``, channel states and synapse
states.
"""

import equinox as eqx
import jax
import jax.numpy as jnp

from ..solvers.pallas import PallasSolve, on_backend
from .fused_kernel import (
    Carry,
    ChannelArgs,
    Fixed,
    Launch,
    MechanismPlan,
    Plan,
    SynapseArgs,
    SynapseCarry,
    SynapsePlan,
    launch_kernel,
)
from .fused_rounds import (
    FusedRounds,
    Rounds,
    lanes_for,
    sequential_rounds,
    synapse_contributions,
)
from .ions import ion_values
from .loop import prepare, simulate
from .model import AbstractModel
from .state import ion_inputs


def check_fused(model: AbstractModel) -> None:
    """Check that whole steps of `model` can run in one kernel.

    **Raises:** `ValueError` naming what cannot: clamps, concentrations that a mechanism
    integrates, ion currents that a mechanism reads, recordings other than ``"v"``,
    channel states and synapse states.
    """
    problems = []
    if model.clamps:
        problems.append(f"{len(model.clamps)} clamp(s)")
    written = sorted({q for ch in model.channels for q in ch.ion_writes if not q.startswith("i")})
    if written:
        problems.append(f"concentrations integrated by mechanisms ({', '.join(written)})")
    read = sorted({q for ch in model.channels for q in ch.ion_reads if q.startswith("i")})
    if read:
        problems.append(f"ion currents read by mechanisms ({', '.join(read)})")
    mechanisms = [*model.channels, *(c.synapse for c in getattr(model, "connections", ()))]
    states = {f"{m.name}_{s}" for m in mechanisms for s in m.state_names}
    other = sorted({r.name for r in model.recordings if r.name != "v" and r.name not in states})
    if other:
        problems.append(f"recordings of {', '.join(other)} (only 'v', channel and synapse states)")
    if problems:
        raise ValueError(
            "PallasSolve(steps_per_launch=...) fuses whole steps of models with channels, "
            f"synapses and injected currents; this model has {'; '.join(problems)}. Use "
            "PallasSolve() (the tree solve alone as a kernel) or another solver."
        )


def _padded(x, size: int, value=None):
    """`x` padded along its first axis to `size` entries, with `value` or (``None``) its
    last entry."""
    pad = ((0, size - x.shape[0]),) + ((0, 0),) * (x.ndim - 1)
    if value is None:
        return jnp.pad(x, pad, mode="edge")
    return jnp.pad(x, pad, constant_values=value)


def _whole_blocks(n: int, lanes: int) -> int:
    return -(-n // lanes) * lanes


def _mechanism(module, n: int, size: int, names: tuple[str, ...]):
    """The `MechanismPlan` of a channel or synapse whose arrays hold one value per
    compartment or connection (`n` of them, padded to `size`) or one, and its leaves."""
    dyn, static = eqx.partition(module, eqx.is_array)
    flat, treedef = jax.tree.flatten(dyn)
    kinds, leaves = [], []
    for x in flat:
        if x.shape not in ((), (n,)):
            raise ValueError(
                f"{module.name} has a parameter of shape {x.shape}; fused steps take "
                f"scalars and one value per {'connection' if names else 'compartment'} only."
            )
        kinds.append("each" if x.ndim else "one")
        leaves.append(_padded(x, size) if x.ndim else x.reshape(1))
    return MechanismPlan((treedef, static), tuple(kinds), names), tuple(leaves)


def _on_lanes(rounds: Rounds, pool: int, lanes: int, nodes: bool) -> Rounds:
    """`rounds` as int32 arrays, their padding lanes (``-1``) on the pool of nodes (lane
    ``k`` of a block on node ``pool + k``) and, unless the second items are `nodes`
    too, reading entry 0."""
    lane = pool + jnp.arange(rounds.first.shape[0]) % lanes
    pad = rounds.first < 0
    first = jnp.where(pad, lane, rounds.first)
    second = jnp.where(pad, lane if nodes else 0, rounds.second)
    i32 = lambda x: jnp.asarray(x, jnp.int32)  # noqa: E731
    return Rounds(i32(first), i32(second), i32(rounds.start), i32(rounds.count))


def _synapse_group(setup, w, states, above, buffer, dtype, nlaunch, k, rounds, pool, lanes):
    """One synapse group's `SynapsePlan`, `SynapseArgs`, `SynapseCarry`, and its
    spike-train inputs per launch ``(nlaunch, k * ninputs)``; `rounds` its
    `FusedRounds.synapses` entry (``None``: traced index arrays)."""
    syn, nconn = w.synapse, w.pre_node.shape[0]
    size = _whole_blocks(nconn, lanes)
    if rounds is None:  # a connection per round
        nodes, values = synapse_contributions(w.post_node, w.pre_node, syn.reciprocal, lanes)
        rounds = sequential_rounds(nodes, values, lanes)

    def conn(x, value=0):
        return _padded(jnp.asarray(x), size, value)

    def each(x):
        return _padded(jnp.broadcast_to(jnp.asarray(x, dtype), (nconn,)), size)

    mechanism, leaves = _mechanism(syn, nconn, size, syn.state_names)
    ext = setup.counts if syn.event_driven else setup.pulses
    ninputs = ext.shape[1] if w.has_inputs else 0
    plan = SynapsePlan(mechanism, nconn, w.buffer_length, ninputs)
    args = SynapseArgs(
        pre=conn(w.pre_node).astype(jnp.int32),
        post=conn(w.post_node).astype(jnp.int32),
        delay=conn(w.delay).astype(jnp.int32),
        input_index=conn(w.input_index).astype(jnp.int32),
        is_input=conn(w.is_input.astype(dtype)),
        mask=conn(jnp.ones(nconn, dtype)),
        leaves=leaves,
        rounds=_on_lanes(rounds, pool, lanes, False),
    )
    # The ring buffer flat, row by row (a row per step of delay, a column per connection).
    ring = None if buffer is None else _padded(buffer.T.astype(dtype), size).T.reshape(-1)
    carry = SynapseCarry(
        tuple(each(states[s]) for s in syn.state_names), conn(above.astype(dtype)), ring
    )
    if not ninputs:  # one unread value, so that no buffer is empty
        return plan, args, carry, jnp.zeros((nlaunch, 1), dtype)
    ext = jnp.pad(ext, ((0, nlaunch * k - ext.shape[0]), (0, 0)))
    return plan, args, carry, ext.reshape(nlaunch, k * ninputs)


def _records(model: AbstractModel, system, synapses: tuple[SynapsePlan, ...], lanes: int):
    """The recordings' sources with their numbers of columns (`Plan.records`), the entry
    of each column in its source, and the column of each row of the result. A source's
    columns (all its recordings' rows) are padded to whole blocks."""
    where, rows = {}, []
    for r in model.recordings:
        source = ("v",) if r.name == "v" else ("channel", r.name)
        at = system.comp_to_node if r.name == "v" else system.comp_membrane
        for g, sp in enumerate(synapses):
            syn = sp.mechanism.static[1]
            if r.name.startswith(f"{syn.name}_"):
                source = ("synapse", g, syn.state_names.index(r.name[len(syn.name) + 1 :]))
                at = jnp.arange(sp.nconn)
        entries = where.setdefault(source, [])
        rows.append((source, sum(e.shape[0] for e in entries), r.indices.shape[0]))
        entries.append(at[r.indices])
    records, index, first = [], [], {}
    for source, entries in where.items():
        first[source] = sum(n for _, n in records)
        entries = jnp.concatenate(entries)
        records.append((source, _whole_blocks(entries.shape[0], lanes)))
        index.append(_padded(entries, records[-1][1], 0))
    columns = jnp.concatenate([first[src] + at + jnp.arange(n) for src, at, n in rows])
    return tuple(records), jnp.concatenate(index).astype(jnp.int32), columns


def _forward(model: AbstractModel, scheme, nsteps: int, rounds: FusedRounds | None):
    """The recordings of `model` (as `simulate`), whole steps run by the fused kernel in
    `rounds` (``None``: traced index arrays, see `eqcable.simulation.fused_rounds`)."""
    solver = scheme.solver
    run = prepare(model, scheme, nsteps)
    system, membrane = run.system, run.membrane
    if membrane.ions.written or membrane.ions.currents:  # `check_fused` refuses these
        raise ValueError(
            "Fused steps carry no concentrations or ion currents from step to step; "
            f"this model's mechanisms need {membrane.ions.written + membrane.ions.currents}."
        )
    dtype = run.state0.v.dtype
    n, ncomp = system.capacitance.shape[0], system.membrane_node.shape[0]
    # Blocks of compartments are whole: the padding compartments sit on padding nodes of
    # their own (distinct, so that no two lanes of a block write one node), masked out.
    if rounds is not None:
        lanes = rounds.lanes
    else:
        lanes = lanes_for(ncomp) if solver.lanes is None else solver.lanes
    ncomp_p = _whole_blocks(ncomp, lanes)
    # The last block of nodes is a pool: the padding lanes of the rounds work there.
    pool = _whole_blocks(n + ncomp_p - ncomp, lanes)
    nnodes_p = pool + lanes
    node = lambda x, value: _padded(x.astype(dtype), nnodes_p, value)  # noqa: E731
    comp = lambda x: _padded(jnp.asarray(x), ncomp_p)  # noqa: E731
    parent = system.tree.parent
    if rounds is None:  # traced index arrays: a node per round, in the sequential order
        order = system.tree.order
        above = jnp.where(parent < 0, jnp.arange(n), parent)[order]
        up = sequential_rounds(order[::-1], above[::-1], lanes)
        down = sequential_rounds(order, above, lanes)
    else:
        up, down = rounds.up, rounds.down
    membrane_node = jnp.concatenate([system.membrane_node, n + jnp.arange(ncomp_p - ncomp)])
    stim_nodes, i_ext = run.stim_nodes, run.i_ext_steps
    if stim_nodes.shape[0] == 0:  # one zero current, so that no buffer is empty
        stim_nodes, i_ext = jnp.zeros((1,), jnp.int32), jnp.zeros((nsteps, 1), dtype)
    if rounds is None:
        stimuli = sequential_rounds(stim_nodes, jnp.arange(stim_nodes.shape[0]), lanes)
    else:
        stimuli = rounds.stimuli
    values = ion_values(membrane.ions, {}, membrane.celsius)
    channel_plans, channel_args = [], []
    for ch, mask in zip(membrane.channels, membrane.masks, strict=True):
        mechanism, leaves = _mechanism(ch, ncomp, ncomp_p, ion_inputs(type(ch)))
        channel_plans.append(mechanism)
        ions = tuple(comp(jnp.broadcast_to(values[q], (ncomp,))) for q in mechanism.names)
        channel_args.append(ChannelArgs(leaves, comp(mask.astype(dtype)), ions))
    k = solver.steps_per_launch
    nlaunch = -(-nsteps // k)
    syn = run.synapses
    groups = zip(syn.wirings, syn.states, syn.above, syn.buffers, strict=True)
    group_rounds = (None,) * len(syn.wirings) if rounds is None else rounds.synapses
    per_group = [
        _synapse_group(syn, *g, dtype, nlaunch, k, r, pool, lanes)
        for g, r in zip(groups, group_rounds, strict=True)
    ]
    synapse_plans, synapse_args, synapse_carry, external = (
        (tuple(x) for x in zip(*per_group, strict=True)) if per_group else ((), (), (), ())
    )
    records, rec_index, columns = _records(model, system, synapse_plans, lanes)
    plan = Plan(
        tuple(channel_plans),
        tuple(run.state0.channels),
        synapse_plans,
        records,
        k,
        lanes,
        scheme.stepper.factor,
        scheme.dt,
    )
    fixed = Fixed(
        up=_on_lanes(up, pool, lanes, True),
        down=_on_lanes(down, pool, lanes, True),
        membrane_node=membrane_node.astype(jnp.int32),
        stimuli=_on_lanes(stimuli, pool, lanes, False),
        rec_index=rec_index,
        capacitance=node(system.capacitance, 1.0),
        g_axial=node(system.g_axial, 0.0),
        axial_diag=node(system.axial_diag, 0.0),
        to_absolute=node(system.to_absolute, 0.0),
        celsius=jnp.asarray(membrane.celsius, dtype).reshape(1),
        channels=tuple(channel_args),
        synapses=synapse_args,
    )
    i_ext = jnp.pad(i_ext, ((0, nlaunch * k - nsteps), (0, 0))).reshape(nlaunch, -1)
    starts = (k * jnp.arange(nlaunch, dtype=jnp.int32))[:, None]

    def launch(carry, xs):
        out = on_backend(
            lambda interpret: launch_kernel(plan, interpret, fixed, Launch(*xs), carry),
            solver.interpret,
        )
        return out

    carry0 = Carry(
        v=node(run.state0.v, 0.0),
        channels=tuple(comp(run.state0.channels[name]) for name in run.state0.channels),
        synapses=synapse_carry,
    )
    _, traces = jax.lax.scan(launch, carry0, (starts, i_ext, external))
    traces = traces.reshape(nlaunch * k, -1)[:nsteps, columns]
    return jnp.concatenate([run.first[None], traces]).T


@eqx.filter_custom_jvp
def _fused(model, *, scheme, nsteps, segment, subsets, rounds):
    del segment, subsets  # the fused forward run keeps no intermediates
    return _forward(model, scheme, nsteps, rounds)


@_fused.def_jvp
def _fused_jvp(primals, tangents, *, scheme, nsteps, segment, subsets, rounds):
    # Differentiate the ordinary time loop, with the tree solve as a kernel.
    (model,), (t_model,) = primals, tangents
    solver = PallasSolve(interpret=scheme.solver.interpret)
    reference = eqx.tree_at(lambda s: s.solver, scheme, solver)
    diff, static = eqx.partition(model, eqx.is_inexact_array)
    t_diff = jax.tree.map(
        lambda x, t: None if x is None else (jnp.zeros_like(x) if t is None else t),
        diff,
        t_model,
        is_leaf=lambda x: x is None,
    )

    def run(d):
        return simulate(eqx.combine(d, static), reference, nsteps, segment, subsets)

    return jax.jvp(run, (diff,), (t_diff,))


def simulate_fused(
    model: AbstractModel, scheme, nsteps: int, segment, subsets, rounds: FusedRounds | None = None
):
    """`simulate`, with `scheme.solver` a `PallasSolve` with `steps_per_launch`: the
    forward run by the fused kernel, derivatives through `simulate` (see above).
    `rounds`: from `fused_rounds` before tracing (``None``: a node per round)."""
    return _fused(
        model, scheme=scheme, nsteps=nsteps, segment=segment, subsets=subsets, rounds=rounds
    )
