"""Assembling a module's fields (`Fields`) from scalars or from smaller modules."""

import itertools
from collections.abc import Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..channels.ion_use import parse, species_table
from ..simulation.ions import ion_parameter_names
from ..simulation.model import CellStructure
from .arrays import check_value, concatenate, float_dtype, full, is_concrete, to_device
from .quantities import GEOMETRY, SHAPE


class Fields(NamedTuple):
    """The fields of a single-cell module (`Compartment`, `Branch`, `Cell`), in their
    order; see `AbstractModule` for what each holds."""

    ncomp_per_branch: tuple
    branch_parents: tuple
    branch_parent_x: tuple
    branch_types: tuple
    radius: object
    length: object
    axial_resistivity: object
    capacitance: object
    v: object
    area_scale: object
    r_proximal_scale: object
    r_distal_scale: object
    celsius: object
    channels: tuple
    channel_masks: tuple
    states: dict
    explicit_states: dict
    ions: dict
    stimuli: tuple
    clamps: tuple
    recordings: tuple
    trainables: tuple
    structure: CellStructure


def from_scalars(**geometry) -> Fields:
    """Fields of a single compartment with the given geometry (scalars with units)."""
    for name, value in geometry.items():
        if np.ndim(value) != 0:
            raise ValueError(f"Compartment {name} must be a scalar, got shape {np.shape(value)}.")
    return _from_arrays(**{k: np.full(1, v) for k, v in geometry.items()})


def _tree_fields(ncomp_per_branch, parents, parent_x=None, branch_types=None) -> dict:
    """The static tree description of a module and its integer structure arrays."""
    return dict(
        ncomp_per_branch=tuple(int(n) for n in ncomp_per_branch),
        branch_parents=tuple(int(p) for p in parents),
        branch_parent_x=tuple(1.0 for _ in parents)
        if parent_x is None
        else tuple(float(x) for x in parent_x),
        branch_types=tuple(0 for _ in parents)
        if branch_types is None
        else tuple(int(t) for t in branch_types),
        structure=CellStructure.build(ncomp_per_branch, parents, parent_x),
    )


def _from_arrays(
    ncomp_per_branch=None, parents=(-1,), parent_x=None, branch_types=None, **arrays
) -> Fields:
    """Fields of a module without channels from per-compartment NumPy arrays: the
    `GEOMETRY` quantities and, optionally, the `SHAPE` factors (default 1). One branch
    unless `ncomp_per_branch` and `parents` (and `parent_x`, `branch_types`) say more."""
    for name in GEOMETRY:
        check_value(name, arrays[name], GEOMETRY[name][1], GEOMETRY[name][0])
    n = len(arrays["radius"])
    ncomp_per_branch = (n,) if ncomp_per_branch is None else tuple(ncomp_per_branch)
    dtype = float_dtype()
    return Fields(
        **_tree_fields(ncomp_per_branch, parents, parent_x, branch_types),
        **{k: to_device(np.asarray(arrays[k], dtype=dtype)) for k in GEOMETRY},
        **{k: to_device(np.asarray(arrays.get(k, np.ones(n)), dtype=dtype)) for k in SHAPE},
        celsius=jnp.asarray(6.3, dtype=dtype),
        channels=(),
        channel_masks=(),
        states={},
        explicit_states={},
        ions={},
        stimuli=(),
        clamps=(),
        recordings=(),
        trainables=(),
    )


def _tile(x, count: int):
    if count == 1:
        return x
    if not is_concrete(x):
        return jnp.tile(x, count)
    return to_device(np.tile(np.asarray(x), count))


def _ions(runs, channels) -> dict:
    """The ion quantities of the concatenated parts: each part's values where it has
    them, the species' defaults where it has not."""
    table = species_table(channels)
    out = {}
    for name in ion_parameter_names(channels):
        q = parse(name, table, "Module")
        default = getattr(table[q.species], q.kind)
        out[name] = concatenate(
            [
                _tile(p.ions[name], c) if name in p.ions else full(p.ncomp * c, default)
                for p, c in runs
            ]
        )
    return out


def from_parts(
    parts: Sequence, ncomp_per_branch, parents, parent_x=None, branch_types=None
) -> Fields:
    """Concatenate modules (compartments into a branch, branches into a cell).

    Channels present in only some parts are inserted with their mask off elsewhere;
    stimuli, recordings and trainables of the parts are kept, re-indexed.
    """
    if len(parts) == 0:
        raise ValueError("Need at least one part to build a module.")
    # Runs of the same object (Branch(comp, ncomp=n) repeats one compartment n times) are
    # handled once and tiled, so building is O(distinct parts), not O(n) Python work.
    runs = [(p, len(list(group))) for p, group in itertools.groupby(parts, key=id)]
    runs = [(next(p for p in parts if id(p) == key), count) for key, count in runs]
    celsius = {float(np.asarray(p.celsius)) for p, _ in runs}
    if len(celsius) > 1:
        raise ValueError(f"Parts have different temperatures (celsius = {sorted(celsius)}).")
    out = {k: concatenate([_tile(getattr(p, k), c) for p, c in runs]) for k in (*GEOMETRY, *SHAPE)}

    # Channels: union by name, in order of first appearance.
    templates = {}
    for p, _ in runs:
        for ch in p.channels:
            if ch.name in templates and type(templates[ch.name]) is not type(ch):
                raise TypeError(f"Two different channel classes are named {ch.name!r}.")
            templates.setdefault(ch.name, ch)
    channels, masks, states, explicit = [], [], {}, {}
    for name, template in templates.items():
        ch_parts, mask_parts = [], []
        state_parts = {f"{name}_{s}": [] for s in template.state_names}
        explicit_parts = {s: [] for s in state_parts}
        for p, count in runs:
            k = next((i for i, c in enumerate(p.channels) if c.name == name), None)
            n = p.ncomp * count
            if k is not None:
                ch_parts.append(jax.tree.map(lambda x, c=count: _tile(x, c), p.channels[k]))
                mask_parts.append(_tile(p.channel_masks[k], count))
                for s in state_parts:
                    state_parts[s].append(_tile(p.states[s], count))
                    explicit_parts[s].append(_tile(p.explicit_states[s], count))
            else:
                ch_parts.append(jax.tree.map(lambda x, n=n: full(n, np.asarray(x)[0]), template))
                mask_parts.append(full(n, False, dtype=bool))
                for s in state_parts:
                    state_parts[s].append(full(n, 0.0))
                    explicit_parts[s].append(full(n, False, dtype=bool))
        channels.append(jax.tree.map(lambda *xs: concatenate(xs), *ch_parts))
        masks.append(concatenate(mask_parts))
        states.update({s: concatenate(v) for s, v in state_parts.items()})
        explicit.update({s: concatenate(v) for s, v in explicit_parts.items()})

    def shift(obj, off):
        return eqx.tree_at(lambda o: o.indices, obj, to_device(np.asarray(obj.indices) + off))

    stimuli, clamps, recordings, trainables = [], [], [], []
    offset = 0
    for p, count in runs:
        for _ in range(count):
            if p.stimuli or p.clamps or p.recordings or p.trainables:
                stimuli += [shift(s, offset) for s in p.stimuli]
                clamps += [shift(c, offset) for c in p.clamps]
                recordings += [shift(r, offset) for r in p.recordings]
                trainables += [shift(t, offset) for t in p.trainables]
            offset += p.ncomp

    return Fields(
        **_tree_fields(ncomp_per_branch, parents, parent_x, branch_types),
        **out,
        celsius=runs[0][0].celsius,
        channels=tuple(channels),
        channel_masks=tuple(masks),
        states=states,
        explicit_states=explicit,
        ions=_ions(runs, tuple(templates.values())),
        stimuli=tuple(stimuli),
        clamps=tuple(clamps),
        recordings=tuple(recordings),
        trainables=tuple(trainables),
    )
