"""Which tree solver `integrate` uses when none is given."""

import jax

from .partitioned import PartitionedSolve
from .tree_solve import AbstractTreeSolver, LevelParallelSolve, SequentialSolve, TreeSchedule

#: On CPU, the partitioned solve is used from this run length on (`benchmarks/swc.py`,
#: `benchmarks/cable.py`): with shorter runs (cells of short branches) the sequential
#: sweeps are as fast, with fewer operations.
PARTITIONED_FROM_RUN_LENGTH = 8


def default_solver(
    backend: str | None = None, schedule: TreeSchedule | None = None
) -> AbstractTreeSolver:
    """The solver `integrate` uses when none is given.

    - CPU: `PartitionedSolve` for trees whose runs are at least
      `PARTITIONED_FROM_RUN_LENGTH` nodes long (long unbranched stretches: the runs are
      eliminated side by side), else `SequentialSolve` (one sweep of cheap scalar steps;
      best for cells of short branches).
    - GPUs and TPUs: `LevelParallelSolve`, where a step costs a kernel launch and depth
      is what counts.

    **Arguments:**

    - `backend`: ``"cpu"``, ``"gpu"``, ``"cuda"``, ``"rocm"`` or ``"tpu"``; by default JAX's
      default backend.
    - `schedule`: the tree (`module.structure.tree`); without it, the CPU choice is
      `SequentialSolve`.
    """
    backend = jax.default_backend() if backend is None else backend
    if backend != "cpu":
        return LevelParallelSolve()
    if schedule is not None and schedule.run_last.shape[0] >= PARTITIONED_FROM_RUN_LENGTH:
        return PartitionedSolve()
    return SequentialSolve()
