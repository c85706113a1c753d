"""eqcable: differentiable simulation of biophysically detailed neurons in JAX/Equinox."""

import importlib.metadata

from .channels import AbstractChannel as AbstractChannel, HH as HH, Leak as Leak
from .integrate import integrate as integrate
from .modules import (
    AbstractModule as AbstractModule,
    Branch as Branch,
    Cell as Cell,
    Compartment as Compartment,
    View as View,
)
from .solvers import (
    AbstractStepper as AbstractStepper,
    AbstractTreeSolver as AbstractTreeSolver,
    BackwardEuler as BackwardEuler,
    CrankNicolson as CrankNicolson,
    exponential_euler as exponential_euler,
    LevelParallelSolve as LevelParallelSolve,
    SequentialSolve as SequentialSolve,
    tree_solve as tree_solve,
)
from .stimuli import step_current as step_current

try:
    __version__ = importlib.metadata.version("eqcable")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"
