"""Morphology: the compartment tree and its elimination schedule (NumPy, construction time)."""

from .dhs import build_schedule as build_schedule, Schedule as Schedule
from .tree import validate_tree as validate_tree
