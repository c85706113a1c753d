"""How a model file describes its clamps (`eqcable.experiments.clamps`): the class, the
number of clamped compartments and, for a `DataClamp`, the quantity and the trace's shape
and time step; the values themselves are among the file's leaves."""

import dataclasses

import jax.numpy as jnp

from ..experiments.clamps import Clamp, DataClamp, IdealClamp, SEClamp

CLAMP_CLASSES = {"SEClamp": SEClamp, "IdealClamp": IdealClamp, "DataClamp": DataClamp}


def clamp_spec(clamp: Clamp) -> dict:
    """The file's description of `clamp` (JSON-ready)."""
    d = clamp.device
    entry = {"class": type(d).__name__, "sites": int(clamp.indices.shape[0])}
    if isinstance(d, DataClamp):
        entry.update(name=d.name, ntime=int(d.values.shape[1]), dt=d.dt)
    return entry


def clamp_template(entry: dict, index, zeros) -> Clamp:
    """A clamp of the shape `entry` describes, to be filled with the saved values:
    ``index(k)`` and ``zeros(*shape)`` make its arrays.

    **Raises:** `ValueError`, `KeyError` or `TypeError` for a malformed entry.
    """
    cls, k = CLAMP_CLASSES.get(entry.get("class")), entry.get("sites")
    if cls is None or not isinstance(k, int) or k < 0:
        raise ValueError("unknown clamp class or number of sites")
    if cls is DataClamp:
        device = DataClamp(entry["name"], zeros(k, int(entry["ntime"])), dt=float(entry["dt"]))
    else:  # zeros, and a valid series resistance, until the saved values are read
        fields = {f.name: zeros(k) for f in dataclasses.fields(cls)}
        device = cls(**{**fields, **({"rs": jnp.ones(k)} if cls is SEClamp else {})})
    return Clamp(indices=index(k), device=device)
