"""Membrane channels: the interface (`AbstractChannel`) and one file per model."""

from .base import AbstractChannel as AbstractChannel, AbstractMechanism as AbstractMechanism
from .hh import HH as HH
from .ions import NEURON_IONS as NEURON_IONS, Ion as Ion, ghk as ghk, nernst as nernst
from .leak import Leak as Leak
from .parameter import Bounds as Bounds, parameter as parameter
