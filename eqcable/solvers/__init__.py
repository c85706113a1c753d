"""Pure array maths: the tree solve, the implicit voltage step, gate integrators."""

from .gates import exponential_euler as exponential_euler
from .stepping import (
    AbstractStepper as AbstractStepper,
    axial_diagonal as axial_diagonal,
    BackwardEuler as BackwardEuler,
    CrankNicolson as CrankNicolson,
    voltage_step as voltage_step,
)
from .tree_solve import (
    AbstractTreeSolver as AbstractTreeSolver,
    dense_matrix as dense_matrix,
    LevelParallelSolve as LevelParallelSolve,
    SequentialSolve as SequentialSolve,
    tree_matvec as tree_matvec,
    tree_solve as tree_solve,
    TreeSchedule as TreeSchedule,
)
