"""The `eqx.Module` pytrees users hold."""

from .base import AbstractModule as AbstractModule
from .branch import Branch as Branch
from .cell import Cell as Cell
from .compartment import Compartment as Compartment
from .network import Network as Network
from .recording_info import RecordingInfo as RecordingInfo
from .run import integrate as integrate
from .run_sharded import (
    integrate_sharded as integrate_sharded,
    partition_cells as partition_cells,
)
from .selection import SynapseView as SynapseView, View as View
from .swc_cell import (
    DLambda as DLambda,
    MaxLength as MaxLength,
    SwcMap as SwcMap,
    cell_from_sections as cell_from_sections,
    read_swc as read_swc,
)
