"""The elimination schedule of the tree solve (NumPy, computed once at construction).

Nodes are the compartments plus one branch-point node at the end of every branch that has
children (see `eqcable.morphology.tree`). They are numbered in *solve order*: a depth-first
pre-order of the tree, so every node's parent has a smaller index (Hines ordering) and, along
an unbranched stretch, a node's parent is the node just before it. Eliminating nodes from
the last to the first therefore never touches a node twice, and the level-parallel variant
eliminates all nodes of one depth at once.
"""

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .tree import branch_offsets, children_of, validate_tree


class Schedule(NamedTuple):
    """Integer arrays describing the node tree in solve order (all NumPy ``int64``).

    - ``comp_to_node``: ``(ncomp,)`` node index of every compartment (flat, branch-major
      compartment order as the user sees it).
    - ``node_to_comp``: ``(nnodes,)`` compartment index of every node, ``-1`` for
      branch-point nodes.
    - ``parent``: ``(nnodes,)`` parent node of every node, ``-1`` for roots; always
      ``parent[i] < i``.
    - ``all_children``, ``all_parents``: ``(nedges,)`` the two ends of every axial
      connection (child node, parent node).
    - ``levels``: ``(nlevels, width, 2)`` the (child, parent) pairs of each depth, deepest
      last, padded with the dummy pair ``(nnodes, nnodes)``.
    """

    comp_to_node: np.ndarray
    node_to_comp: np.ndarray
    parent: np.ndarray
    all_children: np.ndarray
    all_parents: np.ndarray
    levels: np.ndarray


def build_schedule(ncomp_per_branch: Sequence[int], parents: Sequence[int]) -> Schedule:
    """Number the nodes in solve order and compute the elimination schedule.

    **Arguments:**

    - `ncomp_per_branch`: number of compartments of every branch.
    - `parents`: parent branch of every branch, ``-1`` for roots (a forest is allowed).

    **Returns:** a [`eqcable.morphology.dhs.Schedule`][].
    """
    validate_tree(ncomp_per_branch, parents)
    ncomp_per_branch = [int(n) for n in ncomp_per_branch]
    parents = [int(p) for p in parents]
    offsets = branch_offsets(ncomp_per_branch)
    children = children_of(parents)
    ncomp = int(offsets[-1])

    comp_to_node = np.full(ncomp, -1, dtype=np.int64)
    node_to_comp: list[int] = []
    parent: list[int] = []
    end_node = {}  # branch -> its branch-point node

    def visit(b: int, attach: int) -> list[tuple[int, int]]:
        # Number branch b's compartments, then its branch-point node; return the children
        # still to visit (depth-first, handled by the explicit stack below).
        prev = attach
        for j in range(ncomp_per_branch[b]):
            node = len(parent)
            comp_to_node[offsets[b] + j] = node
            node_to_comp.append(int(offsets[b] + j))
            parent.append(prev)
            prev = node
        if children[b]:
            node = len(parent)
            node_to_comp.append(-1)
            parent.append(prev)
            end_node[b] = node
            return [(c, node) for c in children[b]]
        return []

    roots = [b for b, p in enumerate(parents) if p == -1]
    stack = [(r, -1) for r in reversed(roots)]
    while stack:
        b, attach = stack.pop()
        stack.extend(reversed(visit(b, attach)))

    parent_arr = np.asarray(parent, dtype=np.int64)
    nnodes = len(parent_arr)
    assert np.all(parent_arr < np.arange(nnodes)), "solve order must have parent < child"

    child_nodes = np.nonzero(parent_arr >= 0)[0]
    depth = np.zeros(nnodes, dtype=np.int64)
    for i in range(nnodes):
        if parent_arr[i] >= 0:
            depth[i] = depth[parent_arr[i]] + 1
    nlevels = int(depth.max()) if nnodes else 0
    # Group the non-root nodes by depth: level k holds the nodes of depth k + 1.
    by_depth = child_nodes[np.argsort(depth[child_nodes], kind="stable")]
    level_of = depth[by_depth] - 1
    counts = np.bincount(level_of, minlength=nlevels)
    width = int(counts.max()) if nlevels else 1
    slot = np.arange(len(by_depth)) - np.repeat(np.cumsum(counts) - counts, counts)
    levels = np.full((nlevels, width, 2), nnodes, dtype=np.int64)
    levels[level_of, slot, 0] = by_depth
    levels[level_of, slot, 1] = parent_arr[by_depth]

    return Schedule(
        comp_to_node=comp_to_node,
        node_to_comp=np.asarray(node_to_comp, dtype=np.int64),
        parent=parent_arr,
        all_children=child_nodes.astype(np.int64),
        all_parents=parent_arr[child_nodes],
        levels=levels,
    )
