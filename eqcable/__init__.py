"""eqcable: differentiable simulation of biophysically detailed neurons in JAX/Equinox."""

import importlib.metadata

from . import recipes as recipes
from .channels import (
    HH as HH,
    NEURON_IONS as NEURON_IONS,
    SK_E2 as SK_E2,
    AbstractChannel as AbstractChannel,
    Ca_HVA as Ca_HVA,
    Ca_LVAst as Ca_LVAst,
    CaDynamics_E2 as CaDynamics_E2,
    Ih as Ih,
    Im as Im,
    Ion as Ion,
    K_Pst as K_Pst,
    K_Tst as K_Tst,
    Leak as Leak,
    Nap_Et2 as Nap_Et2,
    NaTa_t as NaTa_t,
    NaTs2_t as NaTs2_t,
    SKv3_1 as SKv3_1,
    ghk as ghk,
    nernst as nernst,
    parameter as parameter,
    pospischil as pospischil,
)
from .experiments import (
    AbstractVoltageClamp as AbstractVoltageClamp,
    DataClamp as DataClamp,
    IdealClamp as IdealClamp,
    SEClamp as SEClamp,
    Spikes as Spikes,
    extracellular_potential as extracellular_potential,
    line_source_matrix as line_source_matrix,
    linear_probe as linear_probe,
    point_source_matrix as point_source_matrix,
    soft_spike_count as soft_spike_count,
    spike_times as spike_times,
)
from .fitting import (
    AbstractTransform as AbstractTransform,
    Affine as Affine,
    Chain as Chain,
    Exp as Exp,
    FitResult as FitResult,
    Identity as Identity,
    Sigmoid as Sigmoid,
    Softplus as Softplus,
    constrain as constrain,
    fit as fit,
    sharded_vmap as sharded_vmap,
    unconstrain as unconstrain,
)
from .io import ModelFileError as ModelFileError, load as load, save as save
from .modules import (
    AbstractModule as AbstractModule,
    Branch as Branch,
    Cell as Cell,
    Compartment as Compartment,
    DLambda as DLambda,
    MaxLength as MaxLength,
    Network as Network,
    RecordingInfo as RecordingInfo,
    SwcMap as SwcMap,
    SynapseView as SynapseView,
    View as View,
    integrate as integrate,
    integrate_sharded as integrate_sharded,
    partition_cells as partition_cells,
    read_swc as read_swc,
)
from .nmodl import NmodlError as NmodlError, read_nmodl as read_nmodl
from .plotting import plot_morphology as plot_morphology, plot_traces as plot_traces
from .recipes import hay_l5pc as hay_l5pc
from .simulation import (
    Float32Warning as Float32Warning,
    MemoryMapWarning as MemoryMapWarning,
    TimeStepWarning as TimeStepWarning,
    compiler_options as compiler_options,
)
from .solvers import (
    AbstractStepper as AbstractStepper,
    AbstractTreeSolver as AbstractTreeSolver,
    BackwardEuler as BackwardEuler,
    CrankNicolson as CrankNicolson,
    LevelParallelSolve as LevelParallelSolve,
    PallasSolve as PallasSolve,
    PartitionedSolve as PartitionedSolve,
    SequentialSolve as SequentialSolve,
    default_solver as default_solver,
    exponential_euler as exponential_euler,
    tree_solve as tree_solve,
)
from .stimuli import Current as Current, epsp_current as epsp_current, step_current as step_current
from .synapses import (
    AbstractSynapse as AbstractSynapse,
    Exp2Syn as Exp2Syn,
    GapJunction as GapJunction,
    IonotropicSynapse as IonotropicSynapse,
    SpikeTrain as SpikeTrain,
    TanhRateSynapse as TanhRateSynapse,
    poisson_spike_train as poisson_spike_train,
)

try:
    __version__ = importlib.metadata.version("eqcable")
except importlib.metadata.PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+unknown"
