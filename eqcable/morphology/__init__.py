"""Morphology: the compartment tree, its elimination schedule, SWC reading (NumPy only)."""

from .axon import replace_axon as replace_axon
from .dhs import Schedule as Schedule, build_schedule as build_schedule
from .errors import MorphologyError as MorphologyError
from .sections import (
    UnbranchedSection as UnbranchedSection,
    unbranched_sections as unbranched_sections,
)
from .swc import (
    SwcSamples as SwcSamples,
    read_swc_samples as read_swc_samples,
    write_swc as write_swc,
)
from .tree import validate_tree as validate_tree
