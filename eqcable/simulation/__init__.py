"""The time loop (rank 3): a model's electrical system, its `State`, one step, the scan.

It reads models through `AbstractModel` and never imports `eqcable.modules`.
"""

from .compiler import compiler_options as compiler_options, filter_jit as filter_jit
from .fused import check_fused as check_fused, simulate_fused as simulate_fused
from .loop import (
    Prepared as Prepared,
    check_run as check_run,
    prepare as prepare,
    scan_segmented as scan_segmented,
    segment_length as segment_length,
    simulate as simulate,
)
from .mappings import (
    MemoryMapWarning as MemoryMapWarning,
    mapping_usage as mapping_usage,
    warn_if_near_mapping_limit as warn_if_near_mapping_limit,
)
from .model import (
    AbstractModel as AbstractModel,
    CellStructure as CellStructure,
    Recording as Recording,
    Stimulus as Stimulus,
)
from .partition import ShardPlan as ShardPlan, plan_shards as plan_shards
from .precision import (
    Float32Warning as Float32Warning,
    warn_if_single_precision as warn_if_single_precision,
)
from .recording import Recorder as Recorder, recordable_names as recordable_names
from .sharded import Shard as Shard, simulate_sharded as simulate_sharded
from .state import State as State
from .step import Membrane as Membrane, Scheme as Scheme
from .system import System as System, electrical_system as electrical_system
from .timestep import (
    TimeStepWarning as TimeStepWarning,
    check_time_step as check_time_step,
    fastest_time_constant as fastest_time_constant,
)
