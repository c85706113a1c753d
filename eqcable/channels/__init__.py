"""Membrane channels: the interface (`AbstractChannel`), ion species, and the models:
`HH` and `Leak`, and the Hay et al. (2011) / Blue Brain catalogue (`eqcable.channels.bbp`)."""

from . import pospischil as pospischil
from .base import AbstractChannel as AbstractChannel, AbstractMechanism as AbstractMechanism
from .bbp import (
    SK_E2 as SK_E2,
    Ca_HVA as Ca_HVA,
    Ca_LVAst as Ca_LVAst,
    CaDynamics_E2 as CaDynamics_E2,
    Ih as Ih,
    Im as Im,
    K_Pst as K_Pst,
    K_Tst as K_Tst,
    Nap_Et2 as Nap_Et2,
    NaTa_t as NaTa_t,
    NaTs2_t as NaTs2_t,
    SKv3_1 as SKv3_1,
)
from .hh import HH as HH
from .ions import NEURON_IONS as NEURON_IONS, Ion as Ion, ghk as ghk, nernst as nernst
from .leak import Leak as Leak
from .parameter import Bounds as Bounds, parameter as parameter
