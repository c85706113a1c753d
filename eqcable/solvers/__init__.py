"""Pure array maths: the tree solve, the implicit voltage step, gate integrators."""

from .gates import exponential_euler as exponential_euler
from .stepping import (
    AbstractStepper as AbstractStepper,
)
from .stepping import (
    BackwardEuler as BackwardEuler,
)
from .stepping import (
    CrankNicolson as CrankNicolson,
)
from .stepping import (
    axial_diagonal as axial_diagonal,
)
from .stepping import (
    voltage_step as voltage_step,
)
from .tree_solve import (
    AbstractTreeSolver as AbstractTreeSolver,
)
from .tree_solve import (
    LevelParallelSolve as LevelParallelSolve,
)
from .tree_solve import (
    SequentialSolve as SequentialSolve,
)
from .tree_solve import (
    TreeSchedule as TreeSchedule,
)
from .tree_solve import (
    dense_matrix as dense_matrix,
)
from .tree_solve import (
    tree_matvec as tree_matvec,
)
from .tree_solve import (
    tree_solve as tree_solve,
)
