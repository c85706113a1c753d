"""`integrate`: run a module, with or without trainable values, through the time loop.

A thin layer over `eqcable.simulation`: it checks the arguments before tracing, then, in
one jit-compiled call, writes the trainable values into the module (`apply_params`) and
simulates it.
"""

from jaxtyping import Array, Float

from ..simulation.compiler import filter_jit
from ..simulation.fused import check_fused, simulate_fused
from ..simulation.fused_rounds import fused_rounds
from ..simulation.loop import check_run, segment_length, simulate
from ..simulation.mappings import warn_if_near_mapping_limit
from ..simulation.model import AbstractModel
from ..simulation.precision import warn_if_single_precision
from ..simulation.subsets import channel_subsets
from ..simulation.timestep import check_time_step
from ..solvers.pallas import PallasSolve
from ..solvers.stepping import AbstractStepper
from ..solvers.tree_solve import AbstractTreeSolver
from ..synapses.wiring import check_events_per_step
from . import parameters


def integrate(
    module: AbstractModel,
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
    - `t_max`: duration (ms), a whole number of steps `dt` (within 1e-9, relative).
    - `dt`: time step (ms), default 0.025.
    - `solver`: how the tree system is solved: `SequentialSolve()`, `PartitionedSolve()`,
      `LevelParallelSolve()` or `PallasSolve()` (one GPU kernel per solve, or with
      ``steps_per_launch`` whole steps per kernel); by default
      `eqcable.default_solver()`: the partitioned solve on CPU, the level-parallel one on
      GPUs and TPUs.
    - `stepper`: `BackwardEuler()` (default) or `CrankNicolson()`.
    - `checkpoint_length`: memory of gradients through long simulations. The time loop is
      split into segments of this many steps; reverse mode stores the state only at
      segment boundaries and recomputes each segment once (memory ``O(T/k + k)`` instead
      of ``O(T)``, for about one extra forward run). ``"auto"`` (default) segments with
      ``k = ceil(sqrt(T))`` when the unsegmented loop would keep more than about 256 MB;
      ``None`` never segments; an int sets ``k``. The results do not depend on it.

    **Returns:** an array of shape ``(nrows, ntime)``, ``ntime = t_max/dt + 1`` (time 0
    included): one row per recorded name and site, in the order of the `record` calls.
    Units: mV for ``v``, dimensionless for gates, mA/cm² for channel current densities
    (``"i_HH"``), nA for synaptic currents (``"i_Exp2Syn"``), membrane currents
    (``"i_membrane"``) and clamp currents (``"i_clamp"``).
    ``module.recording_info(t_max, dt)`` gives the time axis (ms) and each row's name,
    unit and label.

    **Raises:** `ValueError` if nothing is recorded, for a non-positive or non-finite `dt`
    or `t_max`, a `t_max` that is not a whole number of steps, a stimulus built for
    another `dt` or with the wrong number of samples, `params` that do not match
    `module.params()`, or concrete parameter values that are not finite or outside their
    range (traced values are not range-checked; a non-finite one is a runtime error).
    `params` may hold plain Python numbers.

    It is jit-compiled once per module structure, `dt` and number of steps; new parameter
    values do not recompile. It composes with `eqx.filter_grad`, `eqx.filter_vmap`, `jax.jvp`.
    Called directly on a CPU it compiles with `eqcable.compiler_options` (512-bit vectors);
    inside a `jit` of your own, give that jit the same options for the same speed.

    **Precision:** it computes in the module's float type: float64 if ``jax_enable_x64``
    was set when the module was built, else float32, with a `Float32Warning` (once per
    process) that says what accuracy to expect.
    """
    nsteps, scheme, params, segment = checked_run(
        module, params, t_max, dt, solver, stepper, checkpoint_length, "integrate"
    )
    rounds = None
    if _fuses_steps(scheme.solver):
        check_fused(module)
        rounds = fused_rounds(module, scheme.solver.lanes)
    return _run(module, params, scheme, nsteps, segment, channel_subsets(module), rounds)


def checked_run(module, params, t_max, dt, solver, stepper, checkpoint_length, caller: str):
    """The checks of `integrate` (and `integrate_sharded`), before tracing: returns the
    number of steps, the `Scheme`, `params` as arrays, and the checkpoint segment."""
    if not isinstance(module, AbstractModel):
        raise TypeError(
            f"{caller}() expects a Compartment, Branch, Cell or Network, got {type(module)}."
        )
    nsteps, scheme = check_run(module, dt, t_max, solver, stepper)
    if params is not None:
        params = parameters.as_arrays(module, params)
        parameters.check_params(module, params)  # clear errors before tracing
    warn_if_single_precision(module)
    check_time_step(module, scheme.dt, scheme.stepper)
    if getattr(module, "connections", ()):  # a Network with synapses
        check_events_per_step(module.connections, module.inputs, scheme.dt, nsteps)
    nnodes = module.structure.node_to_comp.shape[0]
    return nsteps, scheme, params, segment_length(checkpoint_length, nsteps, nnodes)


def _run_impl(module, params, scheme, nsteps: int, segment: int | None, subsets, rounds=None):
    warn_if_near_mapping_limit()  # Python here runs once per trace, i.e. per compilation
    if params is not None:
        params = parameters.error_if_not_finite(params)
    module = parameters.apply_params(module, params)
    if _fuses_steps(scheme.solver):
        return simulate_fused(module, scheme, nsteps, segment, subsets, rounds)
    return simulate(module, scheme, nsteps, segment, subsets)


def _fuses_steps(solver: AbstractTreeSolver) -> bool:
    return isinstance(solver, PallasSolve) and solver.steps_per_launch is not None


# Compiled once per module structure, scheme and number of steps.
_run = filter_jit(_run_impl)
