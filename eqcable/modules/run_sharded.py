"""`integrate_sharded`: a network simulated with its cells spread over several devices,
on one host or several (`eqcable.simulation.sharded`)."""

from collections.abc import Sequence

import equinox as eqx
import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import Array, Float

from ..simulation.compiler import filter_jit
from ..simulation.exchange import check_interval
from ..simulation.mappings import warn_if_near_mapping_limit
from ..simulation.model import AbstractModel
from ..simulation.partition import Group, balanced_partition, check_partition, plan_shards
from ..simulation.recording import synapse_group
from ..simulation.sharded import simulate_sharded
from ..solvers.pallas import PallasSolve
from ..solvers.partitioned import PartitionedSolve
from ..solvers.stepping import AbstractStepper
from ..solvers.tree_solve import AbstractTreeSolver, LevelParallelSolve, SequentialSolve
from ..synapses.wiring import delay_steps
from . import parameters
from .run import checked_run

AXIS = "cells"


def _cell_nbranches(module: AbstractModel) -> tuple[int, ...]:
    return getattr(module, "cell_nbranches", (len(module.ncomp_per_branch),))


def partition_cells(network: AbstractModel, ndevices: int) -> tuple[np.ndarray, ...]:
    """Which cells of `network` each of `ndevices` devices simulates, balancing the
    compartments per device (largest cell first, to the least loaded device).

    **Returns:** one array of cell indices per device, increasing; pass it (or your own)
    as `integrate_sharded`'s ``partition``.

    **Raises:** `ValueError` for more devices than cells.
    """
    nb = np.asarray(network.ncomp_per_branch)
    starts = np.concatenate([[0], np.cumsum(_cell_nbranches(network))])
    sizes = [int(nb[a:b].sum()) for a, b in zip(starts[:-1], starts[1:], strict=True)]
    return balanced_partition(sizes, ndevices)


def integrate_sharded(
    network: AbstractModel,
    params=None,
    *,
    t_max: float,
    dt: float = 0.025,
    devices: Sequence[jax.Device] | None = None,
    partition: Sequence[Sequence[int]] | None = None,
    solver: AbstractTreeSolver | None = None,
    stepper: AbstractStepper | None = None,
    checkpoint_length: int | str | None = "auto",
    exchange_every: int = 1,
) -> Float[Array, "nrec ntime"]:
    """`integrate` with the network's cells spread over several devices.

    Each device simulates its own cells (its own tree solve and mechanisms); every time
    step (or every `exchange_every` steps) the devices exchange the voltages of the
    compartments presynaptic to another device's (one all-gather), so synapses of every
    kind, with delays, act as on one device, and the result equals `integrate`'s (to
    rounding). Gradients flow through it (`eqx.filter_grad` of a loss of its output).

    **Arguments:** as `integrate`, and

    - `devices`: the devices to use; all of `jax.devices()` by default (on several hosts,
      every process's devices: start each process with `jax.distributed.initialize()`,
      then run the same script; every process receives the whole result).
    - `partition`: the cells of each device, one sequence of cell indices per device;
      by default `partition_cells(network, len(devices))`.
    - `solver`: `SequentialSolve()` (default on CPU), `LevelParallelSolve()` (default
      elsewhere) or `PallasSolve()`.
    - `exchange_every`: how often the devices exchange presynaptic voltages, in steps
      (default 1: every step). Longer intervals mean fewer collectives (as NEURON and
      Arbor exchange spikes once per minimum delay) and need every connection's delay,
      spike-train inputs' included, to be at least that long; results are unchanged.

    **Returns:** the recordings, as `integrate`.

    **Raises:** as `integrate`, and `ValueError` for more devices than cells, a bad
    `partition`, a delay shorter than `exchange_every`, a gap junction between cells on
    different devices, or a solver this path does not take (`PartitionedSolve`, fused
    `PallasSolve` steps).
    """
    devices = list(jax.devices() if devices is None else devices)
    if not devices:
        raise ValueError("integrate_sharded() needs at least one device.")
    if isinstance(network, AbstractModel):
        _check_concrete(network)
    if solver is None:
        solver = SequentialSolve() if devices[0].platform == "cpu" else LevelParallelSolve()
    if isinstance(solver, PartitionedSolve) or (
        isinstance(solver, PallasSolve) and solver.steps_per_launch is not None
    ):
        raise ValueError(
            f"integrate_sharded() takes SequentialSolve(), LevelParallelSolve() or "
            f"PallasSolve() without steps_per_launch; got {solver!r}."
        )
    nsteps, scheme, params, segment = checked_run(
        network, params, t_max, dt, solver, stepper, checkpoint_length, "integrate_sharded"
    )
    ncells = len(_cell_nbranches(network))
    if partition is None:
        partition = partition_cells(network, len(devices))
    else:
        partition = check_partition(partition, ncells, len(devices))
    synapses = tuple(g.synapse for g in network.connections)
    delays = [delay_steps(g.delay, scheme.dt, g.synapse.name) for g in network.connections]
    check_interval(exchange_every, delays, [s.name for s in synapses], scheme.dt)
    plan, rows = plan_shards(
        network.ncomp_per_branch,
        network.branch_parents,
        network.branch_parent_x,
        _cell_nbranches(network),
        partition,
        [
            Group(
                pre=np.asarray(g.pre),
                post=np.asarray(g.post),
                steps=steps,
                reciprocal=g.synapse.reciprocal,
                name=g.synapse.name,
            )
            for g, steps in zip(network.connections, delays, strict=True)
        ],
        [np.asarray(s.indices) for s in network.stimuli],
        [np.asarray(c.indices) for c in network.clamps],
        [(np.asarray(r.indices), synapse_group(r.name, synapses)) for r in network.recordings],
    )
    mesh = Mesh(np.array(devices), axis_names=(AXIS,))
    several = any(d.process_index != jax.process_index() for d in devices)
    if several:  # every process holds the same network; each gives its devices their part
        # (values traced by an outer transformation, e.g. `jax.grad`, are passed as they are)
        network, params = _global(mesh, (network, params), PartitionSpec())
        plan = _global(mesh, plan, PartitionSpec(AXIS))
    return _run(network, params, scheme, nsteps, segment, plan, rows, mesh, exchange_every)


def _check_concrete(network: AbstractModel) -> None:
    """Refuse traced index arrays: the plan is computed from them before tracing."""
    index_arrays = [network.structure, [(g.pre, g.post) for g in network.connections]]
    index_arrays += [[s.indices for s in network.stimuli], [r.indices for r in network.recordings]]
    index_arrays += [c.indices for c in network.clamps]
    if any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(index_arrays)):
        raise ValueError(
            "integrate_sharded() plans the devices' work from the network's index arrays, "
            "which are traced here: jit (or vmap) over `params` or over the network's float "
            "leaves (`eqx.partition(network, eqx.is_inexact_array)`), not its integers."
        )


def _global(mesh: Mesh, tree, spec: PartitionSpec):
    """`tree`'s arrays as global arrays of `mesh`, sharded as `spec` says."""
    sharding = NamedSharding(mesh, spec)

    def leaf(x):
        if not eqx.is_array(x) or isinstance(x, jax.core.Tracer):
            return x
        host = np.asarray(x)
        return jax.make_array_from_callback(host.shape, sharding, lambda i: host[i])

    return jax.tree.map(leaf, tree)


@filter_jit
def _run(network, params, scheme, nsteps: int, segment, plan, rows, mesh: Mesh, interval: int):
    warn_if_near_mapping_limit()
    if params is not None:
        params = parameters.error_if_not_finite(params)
    network = parameters.apply_params(network, params)
    out = simulate_sharded(network, scheme, nsteps, segment, plan, rows, mesh, interval)
    # Replicated: every device (and so every process) holds the whole result.
    return jax.lax.with_sharding_constraint(out, NamedSharding(mesh, PartitionSpec()))
