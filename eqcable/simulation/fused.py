"""Whole time steps in one GPU kernel: `simulate_fused` (`PallasSolve(steps_per_launch=k)`).

The time loop of `eqcable.simulation.loop` is a `lax.scan` whose body XLA compiles into a
handful of kernels per step (channels, assembly, the solve, the state updates). Here one
Pallas kernel runs `k` whole steps, in NEURON's fixed-step order, with the state kept in
the kernel's buffers:

1. node rows: ``d = c C/dt + diag(L)``, ``rhs = 0``;
2. the channels on blocks of compartments (each channel's own `linearise`, on the block's
   values): ``d += g``, ``rhs −= i`` at the compartments' nodes; injected currents;
3. one sweep up the tree (`TreeSchedule.order`, last first) that adds each edge's axial
   current ``g (v_i − v_p)`` and eliminates the node into its parent; one sweep down that
   substitutes and writes ``v ← v + c Δ``;
4. the channels' `step` at the new voltage, on blocks again; the recordings.

The channels' own JAX code runs inside the kernel, on vectors of `BLOCK` compartments, so
a channel needs no kernel of its own: HH, every channel of the catalogue and NMODL imports
with explicit (``cnexp``) states lower for CUDA (`tests/test_gpu_lowering.py`). KINETIC
schemes and ``derivimplicit`` states solve small linear systems that Triton cannot lower
(a `NotImplementedError` when compiled for a GPU): use `PallasSolve()` for those.
Batches (`vmap`) become the kernel's grid: one program per simulation. On a CPU the kernel
runs through Pallas' interpreter, as `PallasSolve` does.

Derivatives: the fused run carries a custom JVP that differentiates the ordinary time
loop (`simulate`, with `PallasSolve` tree solves and the tree solve's own custom JVP), so
gradients cost what they cost without fusion; only runs that are not differentiated use
the fused kernel.

Models with synapses, gap junctions, clamps or concentrations that mechanisms integrate
are refused (`check_fused`); recordings may be ``"v"`` and channel states.
"""

import functools
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.experimental import pallas as pl
from jax.experimental.pallas import triton as plt

from ..solvers.pallas import PallasSolve, on_backend
from .ions import ion_values
from .loop import prepare, simulate
from .model import AbstractModel
from .state import ion_inputs

#: Compartments per vector block of the channel updates (a power of two, for Triton).
BLOCK = 32


def check_fused(model: AbstractModel) -> None:
    """Check that whole steps of `model` can run in one kernel.

    **Raises:** `ValueError` naming what cannot: synapses or gap junctions, clamps,
    concentrations that a mechanism integrates, ion currents that a mechanism reads,
    recordings other than ``"v"`` and channel states.
    """
    problems = []
    if getattr(model, "connections", ()) or getattr(model, "inputs", ()):
        problems.append("synapses or gap junctions (connections)")
    if model.clamps:
        problems.append(f"{len(model.clamps)} clamp(s)")
    written = sorted({q for ch in model.channels for q in ch.ion_writes if not q.startswith("i")})
    if written:
        problems.append(f"concentrations integrated by mechanisms ({', '.join(written)})")
    read = sorted({q for ch in model.channels for q in ch.ion_reads if q.startswith("i")})
    if read:
        problems.append(f"ion currents read by mechanisms ({', '.join(read)})")
    states = {f"{ch.name}_{s}" for ch in model.channels for s in ch.state_names}
    other = sorted({r.name for r in model.recordings if r.name != "v" and r.name not in states})
    if other:
        problems.append(f"recordings of {', '.join(other)} (only 'v' and channel states)")
    if problems:
        raise ValueError(
            "PallasSolve(steps_per_launch=...) fuses whole steps of models with channels "
            f"and injected currents only; this model has {'; '.join(problems)}. Use "
            "PallasSolve() (the tree solve alone as a kernel) or another solver."
        )


class _Plan(NamedTuple):
    """The static layout of the kernel's arguments."""

    channels: tuple  # per channel: (static part, leaf kinds "comp"/"scalar", ion names)
    state_names: tuple[str, ...]  # channel states, in the order of their buffers
    records: tuple[tuple[str, int], ...]  # per recording: source ("v" or a state), count
    nsteps: int  # steps per launch
    factor: float  # the stepper's c (1 backward Euler, 2 Crank-Nicolson)
    dt: float  # ms


def _blocks(n: int, body) -> None:
    """``body(offset)`` for every block of `BLOCK` entries of ``n`` (a multiple of it)."""

    def run(j, carry):
        body(j * BLOCK)
        return carry

    jax.lax.fori_loop(0, n // BLOCK, run, 0)


def _kernel(plan: _Plan, sync, *refs):
    nch, nst = len(plan.channels), len(plan.state_names)
    refs = list(refs)
    take = lambda k: [refs.pop(0) for _ in range(k)]  # noqa: E731
    order, above, membrane_node, stim_nodes, rec_index = take(5)
    capacitance, g_axial, axial_diag, to_absolute, i_ext, celsius = take(6)
    leaves = [take(len(kinds)) for _, kinds, _ in plan.channels]
    masks = take(nch)
    ions = [take(len(names)) for _, _, names in plan.channels]
    take(1 + nst)  # v and the states, aliased to the outputs below
    v, *states = take(1 + nst)
    traces, d, rhs, x = take(4)
    state_of = dict(zip(plan.state_names, states, strict=True))
    n, ncomp = order.shape[0], membrane_node.shape[0]
    c, dt = plan.factor, plan.dt

    def channel(k, at):
        static, kinds, names = plan.channels[k]
        values = [
            r[at] if kind == "comp" else r[0] for r, kind in zip(leaves[k], kinds, strict=True)
        ]
        ch = eqx.combine(jax.tree.unflatten(static[0], values), static[1])
        st = {s: state_of[f"{ch.name}_{s}"][at] for s in ch.state_names}
        st.update({q: r[at] for q, r in zip(names, ions[k], strict=True)})
        return ch, st, masks[k][at] > 0

    def membrane_rows(j):
        at = pl.ds(j, BLOCK)
        node = membrane_node[at]
        vv = v[node]
        i_sum = jnp.zeros_like(vv)
        g_sum = jnp.zeros_like(vv)
        for k in range(nch):
            ch, st, on = channel(k, at)
            if ch.reads_celsius:
                st = {**st, "celsius": celsius[0]}
            i, g = ch.linearise(st, vv)
            i_sum, g_sum = i_sum + jnp.where(on, i, 0.0), g_sum + jnp.where(on, g, 0.0)
        area = to_absolute[node]
        d[node] = d[node] + area * g_sum
        rhs[node] = rhs[node] - area * i_sum

    def advance(j):
        at = pl.ds(j, BLOCK)
        vv = v[membrane_node[at]]
        for k in range(nch):
            ch, st, on = channel(k, at)
            for s, new in ch.step(st, vv, dt, celsius[0]).items():
                ref = state_of[f"{ch.name}_{s}"]
                ref[at] = jnp.where(on, new, ref[at])

    def step(t, carry):
        def rows(j):
            at = pl.ds(j, BLOCK)
            d[at] = (c / dt) * capacitance[at] + axial_diag[at]
            rhs[at] = jnp.zeros_like(d[at])

        # Phases hand values between the lanes of the program: `sync` is a barrier.
        _blocks(d.shape[0], rows)
        sync()
        _blocks(ncomp, membrane_rows)
        sync()

        def inject(s, carry):
            node = stim_nodes[s]
            rhs[node] = rhs[node] + i_ext[t, s]
            return carry

        jax.lax.fori_loop(0, stim_nodes.shape[0], inject, 0)

        def up(j, carry):  # axial currents, then eliminate node i into its parent p
            i, p = order[n - 1 - j], above[n - 1 - j]
            root = p == i
            g = jnp.where(root, 0.0, g_axial[i])
            edge = g * (v[i] - v[p])
            r = rhs[i] - edge
            rhs[i] = r
            f = -g / d[i]
            d[p] = d[p] + f * g
            rhs[p] = rhs[p] + edge - f * r
            return carry

        def down(k, carry):  # x_i = rhs_i/d_i - (u_i/d_i) x_p, and v_i += c x_i
            i, p = order[k], above[k]
            di = d[i]
            xi = rhs[i] / di - jnp.where(p == i, 0.0, -g_axial[i] / di * x[p])
            x[i] = xi
            v[i] = v[i] + c * xi
            return carry

        jax.lax.fori_loop(0, n, up, 0)
        jax.lax.fori_loop(0, n, down, 0)
        sync()
        _blocks(ncomp, advance)
        sync()
        col = 0
        for source, count in plan.records:
            src = v if source == "v" else state_of[source]

            def write(r, carry, src=src, col=col):
                traces[t, col + r] = src[rec_index[col + r]]
                return carry

            jax.lax.fori_loop(0, count, write, 0)
            col += count
        return carry

    jax.lax.fori_loop(0, plan.nsteps, step, 0)


def _launch(plan: _Plan, interpret: bool, args, v, states, nrec: int):
    nnodes = v.shape[0]
    outs = (v, *states)
    scratch = jax.ShapeDtypeStruct((nnodes,), v.dtype)
    first_aliased = len(args)
    return pl.pallas_call(
        # (Pallas' interpreter runs phases in order and has no barrier.)
        functools.partial(_kernel, plan, (lambda: None) if interpret else plt.debug_barrier),
        out_shape=(
            *(jax.ShapeDtypeStruct(x.shape, x.dtype) for x in outs),
            jax.ShapeDtypeStruct((plan.nsteps, nrec), v.dtype),
            scratch,
            scratch,
            scratch,
        ),
        input_output_aliases={first_aliased + k: k for k in range(len(outs))},
        interpret=interpret,
        compiler_params=plt.CompilerParams(num_warps=1, num_stages=1),
        name="eqcable_fused_steps",
    )(*args, *outs)[: len(outs) + 1]


def _padded(x, size: int, value=None):
    """`x` (1-d) padded to `size` entries, with `value` or (``None``) its last entry."""
    extra = size - x.shape[0]
    if value is None:
        return jnp.pad(x, (0, extra), mode="edge")
    return jnp.pad(x, (0, extra), constant_values=value)


def _forward(model: AbstractModel, scheme, nsteps: int):
    """The recordings of `model` (as `simulate`), whole steps run by the fused kernel."""
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
    ncomp_p = -(-ncomp // BLOCK) * BLOCK
    nnodes_p = -(-(n + ncomp_p - ncomp) // BLOCK) * BLOCK
    node = lambda x, value: _padded(x.astype(dtype), nnodes_p, value)  # noqa: E731
    comp = lambda x: _padded(jnp.asarray(x), ncomp_p)  # noqa: E731
    parent = system.tree.parent
    order = system.tree.order.astype(jnp.int32)
    above = jnp.where(parent < 0, jnp.arange(n), parent)[order].astype(jnp.int32)
    membrane_node = jnp.concatenate([system.membrane_node, n + jnp.arange(ncomp_p - ncomp)])
    stim_nodes, i_ext = run.stim_nodes.astype(jnp.int32), run.i_ext_steps
    if stim_nodes.shape[0] == 0:  # one zero current, so that no buffer is empty
        stim_nodes, i_ext = jnp.zeros((1,), jnp.int32), jnp.zeros((nsteps, 1), dtype)
    rec_index, records = [], []
    for r in model.recordings:
        at = system.comp_to_node if r.name == "v" else system.comp_membrane
        rec_index.append(at[r.indices])
        records.append((r.name, int(r.indices.shape[0])))
    values = ion_values(membrane.ions, {}, membrane.celsius)
    channels, leaves, ions = [], [], []
    for ch in membrane.channels:
        dyn, static = eqx.partition(ch, eqx.is_array)
        flat, treedef = jax.tree.flatten(dyn)
        kinds = []
        for x in flat:
            if x.shape not in ((), (ncomp,)):
                raise ValueError(
                    f"{ch.name} has a parameter of shape {x.shape}; fused steps take "
                    "scalars and one value per compartment only."
                )
            kinds.append("comp" if x.ndim else "scalar")
            leaves.append(comp(x) if x.ndim else x.reshape(1))
        names = ion_inputs(type(ch))
        ions += [comp(jnp.broadcast_to(values[q], (ncomp,))) for q in names]
        channels.append(((treedef, static), tuple(kinds), names))
    state_names = tuple(run.state0.channels)
    plan = _Plan(
        tuple(channels),
        state_names,
        tuple(records),
        solver.steps_per_launch,
        scheme.stepper.factor,
        scheme.dt,
    )
    masks = [comp(m.astype(dtype)) for m in membrane.masks]
    fixed = (
        (order, above, membrane_node.astype(jnp.int32), stim_nodes),
        (jnp.concatenate(rec_index).astype(jnp.int32),),
        (
            node(system.capacitance, 1.0),
            node(system.g_axial, 0.0),
            node(system.axial_diag, 0.0),
            node(system.to_absolute, 0.0),
        ),
    )
    celsius = jnp.asarray(membrane.celsius, dtype).reshape(1)
    nrec = sum(count for _, count in records)
    k = plan.nsteps
    nlaunch = -(-nsteps // k)
    i_ext = jnp.pad(i_ext, ((0, nlaunch * k - nsteps), (0, 0))).reshape(nlaunch, k, -1)

    def launch(carry, i_block):
        v, states = carry
        args = (*fixed[0], *fixed[1], *fixed[2], i_block, celsius, *leaves, *masks, *ions)

        out = on_backend(
            lambda interpret: _launch(plan, interpret, args, v, states, nrec), solver.interpret
        )
        return (out[0], list(out[1:-1])), out[-1]

    v0 = node(run.state0.v, 0.0)
    states0 = [comp(run.state0.channels[name]) for name in state_names]
    _, traces = jax.lax.scan(launch, (v0, states0), i_ext)
    traces = traces.reshape(nlaunch * k, nrec)[:nsteps]
    return jnp.concatenate([run.first[None], traces]).T


@eqx.filter_custom_jvp
def _fused(model, *, scheme, nsteps, segment, subsets):
    del segment, subsets  # the fused forward run keeps no intermediates
    return _forward(model, scheme, nsteps)


@_fused.def_jvp
def _fused_jvp(primals, tangents, *, scheme, nsteps, segment, subsets):
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


def simulate_fused(model: AbstractModel, scheme, nsteps: int, segment, subsets):
    """`simulate`, with `scheme.solver` a `PallasSolve` with `steps_per_launch`: the
    forward run by the fused kernel, derivatives through `simulate` (see above)."""
    return _fused(model, scheme=scheme, nsteps=nsteps, segment=segment, subsets=subsets)
