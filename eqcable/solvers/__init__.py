"""Pure array maths: the tree solve, the implicit voltage step, gate integrators."""

from .choice import default_solver as default_solver
from .gates import exponential_euler as exponential_euler
from .pallas import PallasSolve as PallasSolve
from .partitioned import PartitionedSolve as PartitionedSolve
from .stepping import (
    AbstractStepper as AbstractStepper,
    BackwardEuler as BackwardEuler,
    CrankNicolson as CrankNicolson,
    axial_current as axial_current,
    axial_diagonal as axial_diagonal,
    hold_nodes as hold_nodes,
    voltage_step as voltage_step,
)
from .tree_solve import (
    AbstractTreeSolver as AbstractTreeSolver,
    LevelParallelSolve as LevelParallelSolve,
    SequentialSolve as SequentialSolve,
    TreeSchedule as TreeSchedule,
    dense_matrix as dense_matrix,
    tree_matvec as tree_matvec,
    tree_solve as tree_solve,
)
