"""Assembling a module's fields from scalars or from smaller modules."""

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .base import GEOMETRY, CellStructure, check_value


def fields_from_scalars(**geometry) -> dict:
    """Fields of a single compartment with the given geometry (scalars with units)."""
    for name, value in geometry.items():
        check_value(name, value, positive=GEOMETRY[name][1])
        if np.ndim(value) != 0:
            raise ValueError(f"Compartment {name} must be a scalar, got shape {np.shape(value)}.")
    dtype = jnp.result_type(float)
    return dict(
        ncomp_per_branch=(1,),
        branch_parents=(-1,),
        **{k: jnp.full((1,), v, dtype=dtype) for k, v in geometry.items()},
        celsius=jnp.asarray(6.3, dtype=dtype),
        channels=(),
        channel_masks=(),
        states={},
        stimuli=(),
        recordings=(),
        trainables=(),
        structure=CellStructure.build((1,), (-1,)),
    )


def fields_from_parts(parts: Sequence, ncomp_per_branch, parents) -> dict:
    """Concatenate modules (compartments into a branch, branches into a cell).

    Channels present in only some parts are inserted with their mask off elsewhere;
    stimuli, recordings and trainables of the parts are kept, re-indexed.
    """
    if len(parts) == 0:
        raise ValueError("Need at least one part to build a module.")
    celsius = {float(np.asarray(p.celsius)) for p in parts}
    if len(celsius) > 1:
        raise ValueError(f"Parts have different temperatures (celsius = {sorted(celsius)}).")
    offsets = np.concatenate([[0], np.cumsum([p.ncomp for p in parts])])
    out = {k: jnp.concatenate([getattr(p, k) for p in parts]) for k in GEOMETRY}

    # Channels: union by name, in order of first appearance.
    templates = {}
    for p in parts:
        for ch in p.channels:
            if ch.name in templates and type(templates[ch.name]) is not type(ch):
                raise TypeError(f"Two different channel classes are named {ch.name!r}.")
            templates.setdefault(ch.name, ch)
    channels, masks, states = [], [], {}
    for name, template in templates.items():
        ch_parts, mask_parts = [], []
        state_parts = {f"{name}_{s}": [] for s in template.state_names}
        for p in parts:
            k = p._channel_index(name)
            if k is not None:
                ch_parts.append(p.channels[k])
                mask_parts.append(p.channel_masks[k])
                for s in state_parts:
                    state_parts[s].append(p.states[s])
            else:
                filler = jax.tree.map(lambda x: jnp.full((p.ncomp,), x[0]), template)
                ch_parts.append(filler)
                mask_parts.append(jnp.zeros((p.ncomp,), bool))
                for s in state_parts:
                    state_parts[s].append(jnp.zeros((p.ncomp,), out["v"].dtype))
        channels.append(jax.tree.map(lambda *xs: jnp.concatenate(xs), *ch_parts))
        masks.append(jnp.concatenate(mask_parts))
        states.update({s: jnp.concatenate(v) for s, v in state_parts.items()})

    shift = lambda obj, off: eqx.tree_at(lambda o: o.indices, obj, obj.indices + int(off))  # noqa: E731
    stimuli, recordings, trainables = [], [], []
    for p, off in zip(parts, offsets):
        stimuli += [shift(s, off) for s in p.stimuli]
        recordings += [shift(r, off) for r in p.recordings]
        trainables += [shift(t, off) for t in p.trainables]

    return dict(
        ncomp_per_branch=tuple(int(n) for n in ncomp_per_branch),
        branch_parents=tuple(int(b) for b in parents),
        **out,
        celsius=parts[0].celsius,
        channels=tuple(channels),
        channel_masks=tuple(masks),
        states=states,
        stimuli=tuple(stimuli),
        recordings=tuple(recordings),
        trainables=tuple(trainables),
        structure=CellStructure.build(ncomp_per_branch, parents),
    )


