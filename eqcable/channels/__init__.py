"""Membrane channels: the interface (`AbstractChannel`) and one file per model."""

from .base import AbstractChannel as AbstractChannel
from .hh import HH as HH
from .leak import Leak as Leak
