"""Import NMODL (``.mod``) mechanisms: `read_nmodl` turns a channel, a concentration
mechanism or an event-driven synapse into an eqcable class, parsed with NEURON's NMODL
framework (the optional extra ``eqcable[nmodl]``) and translated into readable Python."""

from .description import NmodlError as NmodlError
from .read import read_nmodl as read_nmodl

__all__ = ["NmodlError", "read_nmodl"]
