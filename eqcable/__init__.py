"""eqcable: differentiable simulation of biophysically detailed neurons in JAX/Equinox."""

import importlib.metadata

from .channels import HH as HH
from .channels import AbstractChannel as AbstractChannel
from .channels import Leak as Leak
from .integrate import integrate as integrate
from .modules import (
    AbstractModule as AbstractModule,
)
from .modules import (
    Branch as Branch,
)
from .modules import (
    Cell as Cell,
)
from .modules import (
    Compartment as Compartment,
)
from .modules import (
    DLambda as DLambda,
)
from .modules import (
    MaxLength as MaxLength,
)
from .modules import (
    SwcMap as SwcMap,
)
from .modules import (
    View as View,
)
from .modules import (
    read_swc as read_swc,
)
from .solvers import (
    AbstractStepper as AbstractStepper,
)
from .solvers import (
    AbstractTreeSolver as AbstractTreeSolver,
)
from .solvers import (
    BackwardEuler as BackwardEuler,
)
from .solvers import (
    CrankNicolson as CrankNicolson,
)
from .solvers import (
    LevelParallelSolve as LevelParallelSolve,
)
from .solvers import (
    SequentialSolve as SequentialSolve,
)
from .solvers import (
    exponential_euler as exponential_euler,
)
from .solvers import (
    tree_solve as tree_solve,
)
from .plotting import plot_morphology as plot_morphology
from .stimuli import step_current as step_current

try:
    __version__ = importlib.metadata.version("eqcable")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"
