"""Which tree solver `integrate` uses when none is given."""

import jax

from .partitioned import PartitionedSolve
from .tree_solve import AbstractTreeSolver, LevelParallelSolve


def default_solver(backend: str | None = None) -> AbstractTreeSolver:
    """The solver `integrate` uses when none is given.

    - CPU: `PartitionedSolve`. The tree's shape enters through its run layout (the
      longest run is chosen from the tree, `eqcable.morphology.layout.choose_block`); so
      laid out, it was faster than `SequentialSolve` on every tree measured: cables of
      1,000 and 10,000 compartments and the CA1 and L5PC reconstructions
      (`benchmarks/tree_solve.py`, `benchmarks/README.md`).
    - GPUs and TPUs: `LevelParallelSolve`, where a step costs a kernel launch and depth
      is what counts.

    **Arguments:**

    - `backend`: ``"cpu"``, ``"gpu"``, ``"cuda"``, ``"rocm"`` or ``"tpu"``; by default JAX's
      default backend.
    """
    backend = jax.default_backend() if backend is None else backend
    return PartitionedSolve() if backend == "cpu" else LevelParallelSolve()
