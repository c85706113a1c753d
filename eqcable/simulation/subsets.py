"""Channels evaluated only where they are inserted.

A detailed cell inserts many of its channels in a few compartments (Hay et al.'s L5PC has
three only in its soma, most others in the soma and apical tree): evaluating every channel
on every compartment and masking the result wastes most of the step's arithmetic, forward
and backward. `channel_subsets` finds, before tracing (the masks must be concrete), the
compartments of each channel that covers at most `MAX_FRACTION` of them; the step then
gathers that channel's parameters, states and voltage there, evaluates it, and scatters
the results back (`take`). Channels inserted almost everywhere keep the masked evaluation,
which needs no gather or scatter.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, PyTree

from .model import AbstractModel

#: Channels inserted in at most this fraction of the compartments are evaluated on their
#: compartments only.
MAX_FRACTION = 0.8

Subsets = tuple[tuple[int, ...] | None, ...]
"""Per channel, the membrane positions (see `System`) where it is evaluated, or ``None``
for all (masked). Tuples, so that they are hashable: the time loop is compiled for them."""


def channel_subsets(model: AbstractModel) -> Subsets | None:
    """The `Subsets` of `model`'s channels, or ``None`` if its masks or structure are
    traced (a model passed through `jit` as an argument): every channel is then evaluated
    everywhere."""
    try:
        node_to_comp = np.asarray(model.structure.node_to_comp)
        masks = [np.asarray(mask, dtype=bool) for mask in model.channel_masks]
    except jax.errors.TracerArrayConversionError:
        return None
    membrane_comp = node_to_comp[node_to_comp >= 0]  # compartments in membrane order
    ncomp = membrane_comp.shape[0]
    out = []
    for mask in masks:
        where = np.flatnonzero(mask[membrane_comp])
        out.append(tuple(where.tolist()) if where.size <= MAX_FRACTION * ncomp else None)
    return tuple(out)


def take(tree: PyTree, where: np.ndarray, n: int) -> PyTree:
    """`tree` with every array leaf of leading size `n` (one value per compartment) taken
    at the positions `where`; other leaves (scalars, shared values) as they are."""

    def leaf(x):
        per_comp = hasattr(x, "ndim") and x.ndim > 0 and x.shape[0] == n
        return x[where] if per_comp else x

    return jax.tree.map(leaf, tree)


class Placement(NamedTuple):
    """Where a channel is evaluated: on the compartments `where` (membrane positions), or
    everywhere with its results kept where `mask` is set (`where` is ``None``)."""

    mask: Bool[Array, " n"]
    where: np.ndarray | None

    def take(self, tree: PyTree, n: int) -> PyTree:
        """`tree`'s per-compartment leaves (leading size `n`) where it is evaluated."""
        return tree if self.where is None else take(tree, self.where, n)

    def add(self, total: Array, x: Array) -> Array:
        """`total` (per compartment) plus the channel's contribution `x`."""
        if self.where is None:
            return total + jnp.where(self.mask, x, 0.0)
        return total.at[self.where].add(x)

    def update(self, old: Array, x: Array) -> Array:
        """`old` (per compartment) with the channel's new values `x` where it is."""
        if self.where is None:
            return jnp.where(self.mask, x, old)
        return old.at[self.where].set(x)
