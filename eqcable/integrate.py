"""The time loop: from a module and its parameters to recorded traces.

Each step follows NEURON's fixed-step order: membrane currents and their voltage
derivatives are evaluated at the present voltage and states, the implicit voltage step
(`eqcable.solvers.voltage_step`) gives the new voltage, and then the gating states advance
by exponential Euler at the new voltage. Recordings are taken after each step, and once at
``t = 0``.
"""

import functools
import math
import sys
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .modules.base import AbstractModule
from .solvers.stepping import AbstractStepper, BackwardEuler, axial_diagonal, voltage_step
from .solvers.tree_solve import AbstractTreeSolver, SequentialSolve
from .stimuli import check_time
from .synapses.wiring import delay_steps, prepare_synapses, synaptic_currents


class Float32Warning(UserWarning):
    """Warned (once per process) when `integrate` runs in single precision.

    JAX computes in float32 unless ``jax_enable_x64`` is set, and eqcable then simulates in
    float32. On the README example float32 voltages are within 3e-5 mV of float64 and
    gradients within 5e-5 (relative); over 100 ms of repetitive firing, within 5e-3 mV
    and 1e-4 (see "Precision" in the performance notes). NEURON parity (1e-11 mV) and the
    finite-difference gradient checks hold in float64. Enable it first thing in a program,
    before building any module:

    ```python
    import jax
    jax.config.update("jax_enable_x64", True)
    ```

    To silence it, ``warnings.simplefilter("ignore", eqcable.Float32Warning)``.
    """


# Once per process (see `_warn_if_single_precision` for the registry). A user's own filter
# for this category (added later, so placed in front) takes precedence.
warnings.filterwarnings("once", category=Float32Warning)

_FLOAT32_MESSAGE = (
    "eqcable.integrate is simulating in {dtype} because jax_enable_x64 is off. In the "
    "measured examples (docs: Performance, Precision) float32 voltages agreed with float64 "
    "to 5e-3 mV and gradients to 1e-4 (relative); rounding grows with simulated time, and "
    "other models may do worse. For float64, call "
    "`jax.config.update('jax_enable_x64', True)` at the start of the program, before "
    "building any module."
)


def _is_library(frame) -> bool:
    return frame.f_globals.get("__name__", "").partition(".")[0] in ("eqcable", "equinox")


def _warn_if_single_precision(module: AbstractModule) -> None:
    dtype = jnp.result_type(module.v)
    if jnp.finfo(dtype).bits >= 64:
        return
    # Attribute the warning to the first caller outside eqcable (and outside equinox's
    # bound-method wrapper): the user's `cell.integrate(...)`, also when traced under jit.
    frame = sys._getframe(1)
    while frame.f_back is not None and _is_library(frame):
        frame = frame.f_back
    # One registry for every call site (this module's own, which `warnings` manages): with
    # the caller's registry, as `warnings.warn` uses, CPython's "once" would mean once per
    # calling module.
    warnings.warn_explicit(
        _FLOAT32_MESSAGE.format(dtype=dtype),
        Float32Warning,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=frame.f_globals.get("__name__", "<string>"),
        registry=globals().setdefault("__warningregistry__", {}),
        module_globals=frame.f_globals,
    )


def integrate(
    module: AbstractModule,
    params=None,
    *,
    t_max: float,
    dt: float = 0.025,
    solver: AbstractTreeSolver | None = None,
    stepper: AbstractStepper | None = None,
    checkpoint_length: int | str | None = "auto",
) -> Float[Array, "nrec ntime"]:
    """Simulate `module` and return its recordings.

    **Arguments:**

    - `module`: a `Compartment`, `Branch`, `Cell` or `Network` with at least one recording.
    - `params`: trainable values as returned by `module.params()` (possibly updated by an
      optimiser), or ``None`` to use the module's own values.
    - `t_max`: duration (ms); the simulation runs ``round(t_max/dt)`` steps.
    - `dt`: time step (ms), default 0.025.
    - `solver`: how the tree system is solved: `SequentialSolve()` (default, best on CPU)
      or `LevelParallelSolve()` (for GPUs).
    - `stepper`: `BackwardEuler()` (default) or `CrankNicolson()`.
    - `checkpoint_length`: memory of gradients through long simulations. The time loop is
      split into segments of this many steps; reverse mode stores the state only at
      segment boundaries and recomputes each segment once (memory ``O(T/k + k)`` instead
      of ``O(T)``, for about one extra forward run). ``"auto"`` (default) segments with
      ``k = ceil(sqrt(T))`` when the unsegmented loop would keep more than about 256 MB;
      ``None`` never segments; an int sets ``k``. The results do not depend on it.

    **Returns:** an array of shape ``(nrec, ntime)``, ``ntime = round(t_max/dt) + 1``
    (time 0 included): one row per recorded compartment, in the order of the `record`
    calls. Units: mV for ``v``, dimensionless for gates, mA/cm² for currents.

    **Raises:** `ValueError` if nothing is recorded, for a non-positive or non-finite `dt`
    or `t_max`, ``t_max < dt``, `params` that do not match `module.params()`, or
    non-finite parameter values (under tracing the last is a runtime error instead).

    It is jit-compiled once per module structure, `dt` and number of steps; new parameter
    values do not recompile. It composes with `eqx.filter_grad`, `eqx.filter_vmap`, `jax.jvp`.

    **Precision:** it computes in the module's float type: float64 if ``jax_enable_x64``
    was set when the module was built, else float32, with a `Float32Warning` (once per
    process) that says what accuracy to expect.
    """
    if not isinstance(module, AbstractModule):
        raise TypeError(
            f"integrate() expects a Compartment, Branch, Cell or Network, got {type(module)}."
        )
    nsteps = check_time(dt, t_max)
    solver = SequentialSolve() if solver is None else solver
    stepper = BackwardEuler() if stepper is None else stepper
    if not isinstance(solver, AbstractTreeSolver):
        raise TypeError(
            f"solver must be an AbstractTreeSolver, e.g. SequentialSolve(); got {solver!r}."
        )
    if not isinstance(stepper, AbstractStepper):
        raise TypeError(
            f"stepper must be an AbstractStepper, e.g. BackwardEuler(); got {stepper!r}."
        )
    if not module.recordings:
        raise ValueError(
            "Nothing is recorded: call e.g. `cell.branch(0).comp(0).record('v')` first."
        )
    for group in getattr(module, "connections", ()):
        delay_steps(group.delay, dt, group.synapse.name)  # whole steps, or a clear error
    if params is not None:
        module.check_params(params)  # clear errors before tracing
    _warn_if_single_precision(module)
    segment = _segment_length(checkpoint_length, nsteps, module)
    return _simulate(module, params, float(dt), nsteps, solver, stepper, segment)


# Bytes kept per node and time step by the unsegmented loop's reverse mode (voltage,
# three gates, the solve's two saved arrays, slack): used only to decide when to segment.
_BYTES_PER_NODE_STEP = 8 * 8
_AUTO_LIMIT = 256 * 2**20


def _segment_length(checkpoint_length, nsteps: int, module: AbstractModule) -> int | None:
    if checkpoint_length is None:
        return None
    if checkpoint_length == "auto":
        nnodes = module.structure.node_to_comp.shape[0]
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


def _scan_segmented(step, carry, xs, segment: int | None):
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


def _simulate_impl(module, params, dt, nsteps, solver, stepper, segment=None):
    if params is not None:
        leaves = jax.tree.leaves(params)
        if leaves:
            finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))
            params = eqx.error_if(params, ~finite, "integrate(): a parameter value is not finite.")
    module = module.apply_params(params)
    s = module.structure
    tree = s.tree
    is_comp = s.node_to_comp >= 0
    n2c = jnp.where(is_comp, s.node_to_comp, 0)

    def nodes(x):  # per-compartment array -> per-node array (branch points copy comp 0)
        return x[n2c]

    radius, length = nodes(module.radius), nodes(module.length)
    area = jnp.where(is_comp, 2.0 * math.pi * radius * length * nodes(module.area_scale), 0.0)
    capacitance = 1e-5 * nodes(module.capacitance) * area  # nF
    to_absolute = 1e-2 * area  # mA/cm² -> nA and S/cm² -> µS
    # Axial resistance between each node and its parent (MΩ): the node's own proximal half
    # (a compartment's; branch points have none) plus, within a branch, the distal half of
    # the compartment before it. A child hanging from another branch's node adds nothing
    # on the parent side, as in NEURON.
    half_r = 0.5e-2 * module.axial_resistivity * module.length / (math.pi * module.radius**2)
    own = jnp.where(is_comp, (half_r * module.r_proximal_scale)[n2c], 0.0)
    has_half = s.parent_half >= 0
    distal = half_r * module.r_distal_scale
    parent_side = jnp.where(has_half, distal[jnp.where(has_half, s.parent_half, 0)], 0.0)
    has_parent = tree.parent >= 0
    g_axial = jnp.where(has_parent, 1.0 / jnp.where(has_parent, own + parent_side, 1.0), 0.0)
    axial_diag = axial_diagonal(g_axial, tree)

    channels = [jax.tree.map(nodes, ch) for ch in module.channels]
    masks = [nodes(m) & is_comp for m in module.channel_masks]
    states0 = {k: nodes(x) for k, x in module.states.items()}
    v0 = nodes(module.v)
    celsius = module.celsius

    if module.stimuli:
        stim_nodes = jnp.concatenate([s.comp_to_node[st.indices] for st in module.stimuli])
        currents = []
        for st in module.stimuli:
            c = st.current[:, :nsteps]
            currents.append(jnp.pad(c, ((0, 0), (0, nsteps - c.shape[1]))))
        i_ext_steps = jnp.concatenate(currents).T  # (nsteps, nstim), nA
    else:
        stim_nodes = jnp.zeros((0,), jnp.int32)
        i_ext_steps = jnp.zeros((nsteps, 0), v0.dtype)

    def channel_states(ch, states):
        return {n: states[f"{ch.name}_{n}"] for n in ch.state_names}

    # Synapses (networks only): their wiring, spike-train inputs per step, initial state.
    syn = prepare_synapses(module, dt, nsteps, v0)
    wirings, counts, pulses = syn.wirings, syn.counts, syn.pulses

    def signals(v, above, k):
        sigs, new_above = [], []
        for w, a in zip(wirings, above, strict=True):
            sig, a = w.signal(v, a, pulses[k], counts[k])
            sigs.append(sig)
            new_above.append(a)
        return tuple(sigs), tuple(new_above)

    def record(v, states, syn_states, sigs):
        rows = []
        for rec in module.recordings:
            if module._is_synaptic(rec.name):
                k = module._synapse_group_of(rec.name)
                w, st = wirings[k], syn_states[k]
                if rec.name.startswith("i_"):
                    value = w.synapse.current(st, sigs[k], v[w.post_node])
                else:
                    value = st[rec.name.removeprefix(f"{w.synapse.name}_")]
                rows.append(value[rec.indices])
                continue
            idx = s.comp_to_node[rec.indices]
            if rec.name == "v":
                rows.append(v[idx])
            elif rec.name in states:
                rows.append(states[rec.name][idx])
            else:  # "i_<Channel>"
                k = [ch.name for ch in channels].index(rec.name[2:])
                ch = jax.tree.map(lambda x, idx=idx: x[idx], channels[k])
                st = {n: x[idx] for n, x in channel_states(ch, states).items()}
                rows.append(jnp.where(masks[k][idx], ch.current(st, v[idx]), 0.0))
        return jnp.concatenate(rows)

    def membrane_step(v, states, syn_states, sigs, i_ext_k):
        # One step given this step's presynaptic signals: synapses, channels, voltage.
        syn_states, i_syn, g_syn = synaptic_currents(wirings, syn_states, sigs, v, dt)
        i_mem = jnp.zeros_like(v)
        g_mem = jnp.zeros_like(v)
        for ch, mask in zip(channels, masks, strict=True):
            st = channel_states(ch, states)
            # Linearise the channel current around v: i(v) and di/dv (exact, by autodiff).
            i, g = jax.jvp(lambda vv, ch=ch, st=st: ch.current(st, vv), (v,), (jnp.ones_like(v),))
            i_mem = i_mem + jnp.where(mask, i, 0.0)
            g_mem = g_mem + jnp.where(mask, g, 0.0)
        i_ext = jnp.zeros_like(v).at[stim_nodes].add(i_ext_k)
        v = voltage_step(
            v,
            capacitance,
            to_absolute * g_mem + g_syn,
            to_absolute * i_mem + i_syn,
            i_ext,
            g_axial,
            axial_diag,
            dt,
            stepper,
            solver,
            tree,
        )
        new_states = dict(states)
        for ch, mask in zip(channels, masks, strict=True):
            st = channel_states(ch, states)
            for n, x in ch.step(st, v, dt, celsius).items():
                new_states[f"{ch.name}_{n}"] = jnp.where(mask, x, st[n])
        return v, new_states, syn_states, record(v, new_states, syn_states, sigs)

    # In the backward pass, recompute the element-wise work of each step (channels,
    # synapses) instead of storing its many intermediates, but keep the tree solve's
    # results (sequential sweeps are the expensive part to recompute).
    membrane_step = jax.checkpoint(
        membrane_step,
        policy=jax.checkpoint_policies.save_only_these_names("tree_solve"),
        prevent_cse=False,  # safe inside scan, and lets XLA share work
    )

    def step(carry, xs):
        v, states, syn_states, above, buffers = carry
        i_ext_k, k = xs
        # Presynaptic signals and delay buffers stay outside the checkpoint, so that the
        # backward pass keeps one signal per connection and step, not the buffers.
        sigs, above = signals(v, above, k)
        delayed = [w.delayed(b, sig, k) for w, b, sig in zip(wirings, buffers, sigs, strict=True)]
        buffers = tuple(b for b, _ in delayed)
        sigs = tuple(sig for _, sig in delayed)
        v, states, syn_states, rec = membrane_step(v, states, syn_states, sigs, i_ext_k)
        return (v, states, syn_states, above, buffers), rec

    carry0 = (v0, states0, syn.states, syn.above, syn.buffers)
    xs = (i_ext_steps, jnp.arange(nsteps))
    _, traces = _scan_segmented(step, carry0, xs, segment)
    return jnp.concatenate([record(v0, states0, syn.states, syn.signals)[None], traces]).T


_simulate = eqx.filter_jit(_simulate_impl)
