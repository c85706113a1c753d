"""Morphology: the compartment tree, its elimination schedule, SWC reading (NumPy only)."""

from .dhs import Schedule as Schedule
from .dhs import build_schedule as build_schedule
from .errors import MorphologyError as MorphologyError
from .sections import UnbranchedSection as UnbranchedSection
from .sections import unbranched_sections as unbranched_sections
from .swc import SwcSamples as SwcSamples
from .swc import read_swc_samples as read_swc_samples
from .swc import write_swc as write_swc
from .tree import validate_tree as validate_tree
