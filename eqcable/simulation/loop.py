"""The time loop: from a model to its recorded traces.

``simulate`` reads like the physics: the model's geometry becomes the electrical system
once (`electrical_system`); the initial `State` is set up; then a `lax.scan` repeats one
step (`eqcable.simulation.step`) and gathers the recordings after each step, and once at
``t = 0``. Long runs are scanned in checkpointed segments to bound memory in reverse mode.
"""

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from ..solvers.choice import default_solver
from ..solvers.stepping import AbstractStepper, BackwardEuler
from ..solvers.tree_solve import AbstractTreeSolver
from ..stimuli import check_samples, check_time
from ..synapses.wiring import Exchange, SynapseSetup, delay_steps, prepare_synapses
from .clamping import ClampPlan, check_clamps, initial_currents, plan_clamps
from .exchange import blocked_step, in_blocks
from .ions import initial_ions, ion_parameter_names, ion_plan, ion_values
from .model import AbstractModel
from .recording import Recorder
from .state import State, initial_channel_states
from .step import Membrane, Scheme, membrane_currents, membrane_step, presynaptic
from .subsets import Subsets
from .system import System, electrical_system

# Bytes kept per node and time step by the unsegmented loop's reverse mode (voltage,
# three gates, the solve's two saved arrays, slack): used only to decide when to segment.
_BYTES_PER_NODE_STEP = 8 * 8
_AUTO_LIMIT = 256 * 2**20


def check_run(model: AbstractModel, dt, t_max, solver, stepper) -> tuple[int, Scheme]:
    """Check a simulation's settings before tracing; return the number of steps and the
    `Scheme` (``None`` for `solver`/`stepper` means the defaults).

    **Raises:** `ValueError` if nothing is recorded, for a bad `dt`/`t_max`, a delay that
    is not a whole number of steps, or an ion quantity the model lacks;
    `TypeError` for a wrong `solver` or `stepper`.
    """
    nsteps = check_time(dt, t_max)
    solver = default_solver() if solver is None else solver
    stepper = BackwardEuler() if stepper is None else stepper
    if not isinstance(solver, AbstractTreeSolver):
        raise TypeError(
            f"solver must be an AbstractTreeSolver, e.g. SequentialSolve(); got {solver!r}."
        )
    if not isinstance(stepper, AbstractStepper):
        raise TypeError(
            f"stepper must be an AbstractStepper, e.g. BackwardEuler(); got {stepper!r}."
        )
    if not model.recordings:
        raise ValueError(
            "Nothing is recorded. Edits return a new module and leave the old one as it "
            "was: keep the result, `cell = cell.branch(0).comp(0).record('v')`, and "
            "integrate that."
        )
    for k, st in enumerate(model.stimuli):
        what = f"Stimulus {k} (in the order of the stimulate calls)"
        if st.dt is not None and abs(st.dt - dt) > 1e-9 * dt:
            raise ValueError(
                f"{what} was built for dt = {st.dt} ms, but this run has dt = {dt} ms: "
                "build it again with the run's dt (e.g. step_current(..., dt=dt, t_max=t_max))."
            )
        check_samples(st.current.shape[1], nsteps, what)
    for group in model.connections:
        delay_steps(group.delay, dt, group.synapse.name)  # whole steps, or a clear error
    check_clamps(model.clamps, model.channels, model.channel_masks, dt, nsteps)
    missing = [q for q in ion_parameter_names(model.channels) if q not in model.ions]
    if missing:
        raise ValueError(
            f"The model's mechanisms use the ion quantities {missing}, which it does not "
            "hold (insert mechanisms with `insert`, which adds them)."
        )
    return nsteps, Scheme(dt=float(dt), stepper=stepper, solver=solver)


def segment_length(checkpoint_length, nsteps: int, nnodes: int) -> int | None:
    """The checkpointed segment length for `checkpoint_length` (see `eqcable.integrate`)."""
    if checkpoint_length is None:
        return None
    if checkpoint_length == "auto":
        if nsteps * nnodes * _BYTES_PER_NODE_STEP <= _AUTO_LIMIT:
            return None
        return math.ceil(math.sqrt(nsteps))
    if isinstance(checkpoint_length, bool) or not isinstance(checkpoint_length, int):
        raise TypeError(
            f"checkpoint_length must be 'auto', None or an int; got {checkpoint_length!r}."
        )
    if checkpoint_length < 1:
        raise ValueError(f"checkpoint_length must be >= 1, got {checkpoint_length}.")
    return checkpoint_length


def scan_segmented(step, carry, xs, segment: int | None):
    """`lax.scan(step, carry, xs)`, in checkpointed segments of `segment` steps."""
    nsteps = jax.tree.leaves(xs)[0].shape[0]
    if segment is None or segment >= nsteps:
        return jax.lax.scan(step, carry, xs)
    nseg = -(-nsteps // segment)

    def split(x):
        # Pad with zero input to whole segments; the extra steps' outputs are dropped.
        x = jnp.pad(x, ((0, nseg * segment - nsteps),) + ((0, 0),) * (x.ndim - 1))
        return x.reshape(nseg, segment, *x.shape[1:])

    @functools.partial(jax.checkpoint, prevent_cse=False)
    def run_segment(carry, xs_segment):
        return jax.lax.scan(step, carry, xs_segment)

    carry, ys = jax.lax.scan(run_segment, carry, jax.tree.map(split, xs))
    return carry, ys.reshape(nseg * segment, *ys.shape[2:])[:nsteps]


def injected_currents(model: AbstractModel, system: System, nsteps: int, dtype):
    """The stimulated nodes, and the current (nA) injected into each at every step
    (`check_run` has checked that every stimulus covers the run)."""
    if not model.stimuli:
        return jnp.zeros((0,), jnp.int32), jnp.zeros((nsteps, 0), dtype)
    nodes = jnp.concatenate([system.comp_to_node[st.indices] for st in model.stimuli])
    return nodes, jnp.concatenate([st.current[:, :nsteps] for st in model.stimuli]).T


class Prepared(NamedTuple):
    """What a simulation sets up before its time loop (`prepare`)."""

    system: System
    membrane: Membrane
    clamps: ClampPlan
    synapses: SynapseSetup
    stim_nodes: Int[Array, " nstim"]
    i_ext_steps: Float[Array, "nsteps nstim"]
    record: Recorder
    state0: State
    first: Float[Array, " nrows"]  # the recordings at time 0


def prepare(
    model: AbstractModel,
    scheme: Scheme,
    nsteps: int,
    subsets: Subsets | None = None,
    exchange: Exchange | None = None,
) -> Prepared:
    """The electrical system, membrane, clamps, synapses, stimuli, recorder and initial
    `State` of a run of `nsteps` steps of `scheme`, and its recordings at time 0
    (`exchange`: presynaptic voltages from other devices, see `Exchange`)."""
    system = electrical_system(model)
    nodes = system.nodes
    # Mechanisms live on compartments only (branch-point and padding nodes carry no
    # membrane), in membrane order (`System`); the voltage is per node.
    masks = tuple(system.to_membrane(mask) for mask in model.channel_masks)
    membrane = Membrane(
        channels=tuple(system.to_membrane(ch) for ch in model.channels),
        masks=masks,
        celsius=model.celsius,
        ions=ion_plan(
            model.channels,
            masks,
            system.to_membrane(dict(model.ions)),
            tuple(r.name for r in model.recordings),
        ),
        where=tuple(None if w is None else np.asarray(w, np.int64) for w in subsets or ()),
    )
    clamps = plan_clamps(model.clamps, system)
    v0 = nodes(model.v)
    v0 = clamps.initial_voltage(v0)
    syn = prepare_synapses(
        model.connections, model.inputs, system.comp_to_node, scheme.dt, nsteps, v0, exchange
    )
    stim_nodes, i_ext_steps = injected_currents(model, system, nsteps, v0.dtype)
    record = Recorder(model.recordings, membrane, syn.wirings, system)
    ions0 = initial_ions(membrane.ions, v0.dtype)
    _, ions0 = clamps.initial_states({}, ions0)  # a played concentration starts at its trace
    values0 = ion_values(membrane.ions, ions0, model.celsius)
    v0_membrane = v0[system.membrane_node]
    channels0 = initial_channel_states(
        membrane.channels,
        system.to_membrane(dict(model.states)),
        system.to_membrane(dict(model.explicit_states)),
        v0_membrane,
        model.celsius,
        values0,
    )
    channels0, _ = clamps.initial_states(channels0, {})
    if membrane.ions.currents:  # as recorded at time 0 (NEURON's finitialize computes them)
        ions0 = {**ions0, **membrane_currents(membrane, channels0, values0, v0_membrane)[2]}
    state0 = State(
        v=v0,
        channels=channels0,
        ions=ions0,
        synapses=syn.states,
        spiking=syn.above,
        buffers=syn.buffers,
    )
    i_ext0 = jnp.zeros_like(v0).at[stim_nodes].add(i_ext_steps[0])
    first = record(
        v0,
        state0.channels,
        state0.ions,
        syn.states,
        syn.signals,
        initial_currents(clamps, system, v0, i_ext0),
    )
    return Prepared(system, membrane, clamps, syn, stim_nodes, i_ext_steps, record, state0, first)


def simulate(
    model: AbstractModel,
    scheme: Scheme,
    nsteps: int,
    segment: int | None = None,
    subsets: Subsets | None = None,
    exchange: Exchange | None = None,
) -> Float[Array, "nrec ntime"]:
    """Simulate `model` for `nsteps` steps of `scheme`; return its recordings, one row
    per recorded site and ``nsteps + 1`` columns (time 0 included). Settings are
    checked by `check_run`; this function only traces. `subsets` (from
    `channel_subsets`, computed before tracing) evaluates channels only where they are;
    `exchange` brings presynaptic voltages from other devices (inside `shard_map`,
    `eqcable.simulation.sharded`)."""
    run = prepare(model, scheme, nsteps, subsets, exchange)
    system, membrane, clamps, syn = run.system, run.membrane, run.clamps, run.synapses
    stim_nodes, record = run.stim_nodes, run.record

    # In the backward pass, recompute the element-wise work of each step (channels,
    # synapses) instead of storing its many intermediates, but keep the tree solve's
    # results (sequential sweeps are the expensive part to recompute).
    @functools.partial(
        jax.checkpoint,
        policy=jax.checkpoint_policies.save_only_these_names("tree_solve"),
        prevent_cse=False,  # safe inside scan, and lets XLA share work
    )
    def membrane_and_record(v, states, ions, syn_states, sigs, i_ext_k, k):
        i_ext = jnp.zeros_like(v).at[stim_nodes].add(i_ext_k)
        new, currents = membrane_step(
            system,
            membrane,
            syn.wirings,
            scheme,
            v,
            states,
            ions,
            syn_states,
            sigs,
            i_ext,
            clamps,
            k,
        )
        return new, record(*new, sigs, currents)

    def advance(state: State, sigs, i_ext_k, k):
        (v, states, ions, syn_states), rec = membrane_and_record(
            state.v, state.channels, state.ions, state.synapses, sigs, i_ext_k, k
        )
        return State(v, states, ions, syn_states, state.spiking, state.buffers), rec

    def step(state: State, xs):
        i_ext_k, k = xs
        # Presynaptic signals and delay buffers stay outside the checkpoint, so that the
        # backward pass keeps one signal per connection and step, not the buffers.
        v_pre = state.v if exchange is None else exchange.voltages(state.v)
        sigs, spiking, buffers = presynaptic(
            syn.sources, state.spiking, state.buffers, syn.pulses[k], syn.counts[k], v_pre, k
        )
        state = State(state.v, state.channels, state.ions, state.synapses, spiking, buffers)
        return advance(state, sigs, i_ext_k, k)

    xs = (run.i_ext_steps, jnp.arange(nsteps))
    interval = 1 if exchange is None else exchange.interval
    if interval == 1:
        _, traces = scan_segmented(step, run.state0, xs, segment)
    else:  # devices exchange presynaptic voltages once per block of `interval` steps
        block = blocked_step(advance, syn, exchange)
        segment = None if segment is None else -(-segment // interval)
        _, traces = scan_segmented(block, run.state0, in_blocks(xs, interval), segment)
        traces = traces.reshape(-1, traces.shape[-1])[:nsteps]
    return jnp.concatenate([run.first[None], traces]).T
