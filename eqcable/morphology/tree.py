"""The compartment tree of a cell, built once at construction with NumPy.

A cell is a list of unbranched *branches*, each split into ``ncomp`` compartments, and a
``parents`` list saying which branch each branch hangs from (``-1`` for the root). As in
NEURON, a child branch is attached to the far end (``x = 1``) of its parent.

NEURON's discretisation puts a node at the centre of every compartment (segment) and one
more, with no membrane, at every section end. The end nodes of leaves and of the root
carry no current and can be dropped exactly; the end node of a branch that has children
cannot, because it joins three or more compartments. We keep it as a *branch-point node*:
zero capacitance, no channels, coupled to the last compartment of its branch through half
of that compartment's axial resistance and to the first compartment of each child through
half of theirs. With these nodes eqcable solves exactly the linear system NEURON solves.
"""

from collections.abc import Sequence

import numpy as np


def validate_tree(
    ncomp_per_branch: Sequence[int],
    parents: Sequence[int],
    parent_x: Sequence[float] | None = None,
) -> None:
    """Check that ``parents`` describes a forest over the branches.

    **Raises:** `ValueError` naming the offending branch if a parent index is out of
    range, a branch is its own ancestor (a cycle), ``ncomp < 1``, or an attachment
    position is not in ``[0, 1]``.
    """
    if parent_x is not None:
        if len(parent_x) != len(parents):
            raise ValueError(
                f"`parent_x` has {len(parent_x)} entries but `parents` has {len(parents)}."
            )
        for b, x in enumerate(parent_x):
            if not isinstance(x, (int, float, np.integer, np.floating)) or not 0.0 <= x <= 1.0:
                raise ValueError(
                    f"parent_x[{b}] = {x!r}: an attachment position must be in [0, 1]."
                )
    nbranch = len(ncomp_per_branch)
    if len(parents) != nbranch:
        raise ValueError(
            f"`parents` has {len(parents)} entries but there are {nbranch} branches; "
            "give one parent index per branch (-1 for the root)."
        )
    for b, n in enumerate(ncomp_per_branch):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"ncomp of branch {b} must be an int, got {n!r}.")
        if n < 1:
            raise ValueError(f"Branch {b} has ncomp={n}; every branch needs ncomp >= 1.")
    for b, p in enumerate(parents):
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            raise TypeError(f"parents[{b}] must be an int, got {p!r}.")
        if p < -1 or p >= nbranch:
            raise ValueError(
                f"parents[{b}] = {p} is not a branch index (valid: -1 for a root, "
                f"or 0..{nbranch - 1})."
            )
        if p == b:
            raise ValueError(f"parents[{b}] = {b}: a branch cannot be its own parent.")
    # Cycle check: walking up from every branch must reach a root within nbranch steps.
    for b in range(nbranch):
        seen = {b}
        p = parents[b]
        while p != -1:
            if p in seen:
                raise ValueError(
                    f"`parents` is not a tree: branch {b} is its own ancestor "
                    f"(cycle through branch {p})."
                )
            seen.add(p)
            p = parents[p]


def children_of(parents: Sequence[int]) -> list[list[int]]:
    """The children of every branch, in increasing index order."""
    children: list[list[int]] = [[] for _ in parents]
    for b, p in enumerate(parents):
        if p >= 0:
            children[p].append(b)
    return children


def branch_offsets(ncomp_per_branch: Sequence[int]) -> np.ndarray:
    """Index of each branch's first compartment in the flat compartment arrays."""
    return np.concatenate([[0], np.cumsum(ncomp_per_branch)]).astype(np.int64)
