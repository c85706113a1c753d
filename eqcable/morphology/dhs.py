"""The elimination schedule of the tree solve (NumPy, computed once at construction).

Nodes are the compartments plus one branch-point node at the end of every branch that has
children (see `eqcable.morphology.tree`). They are first numbered in *solve order*: a
depth-first pre-order of the tree, so every node's parent comes before it (Hines ordering).
They are then stored in the *run layout* (`eqcable.morphology.layout`), which keeps that
order as `order` (parents before children: eliminating from its last node to its first
never touches a node twice) and lays unbranched runs out side by side for the partitioned
solve; the level-parallel variant eliminates all nodes of one depth at once.
"""

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .layout import RunLayout, choose_block, run_layout
from .tree import branch_offsets, children_of, validate_tree


class Schedule(NamedTuple):
    """Integer arrays describing the node tree in the run layout (NumPy ``int64``; see
    `eqcable.morphology.layout`).

    - ``comp_to_node``: ``(ncomp,)`` node index of every compartment (flat, branch-major
      compartment order as the user sees it).
    - ``node_to_comp``: ``(nnodes,)`` compartment index of every node, ``-1`` for
      branch-point (and root start) nodes and for the layout's padding nodes.
    - ``parent``: ``(nnodes,)`` parent node of every node, ``-1`` for roots and padding.
    - ``parent_half``: ``(nnodes,)`` the compartment whose *distal* half lies between a node
      and its parent (the previous compartment of the same branch, or the last compartment
      of the branch a branch-point node ends), ``-1`` where the parent side contributes no
      resistance (a child attached to another branch's node).
    - ``all_children``, ``all_parents``: ``(nedges,)`` the two ends of every axial
      connection (child node, parent node).
    - ``levels``: ``(nlevels, width, 2)`` the (child, parent) pairs of each depth, deepest
      last, padded with the dummy pair ``(nnodes, nnodes)``.
    - ``order``: ``(nnodes,)`` every node once, each after its parent (Hines order).
    - ``runs``: the runs and separators (`eqcable.morphology.layout.RunLayout`).
    """

    comp_to_node: np.ndarray
    node_to_comp: np.ndarray
    parent: np.ndarray
    parent_half: np.ndarray
    all_children: np.ndarray
    all_parents: np.ndarray
    levels: np.ndarray
    order: np.ndarray
    runs: RunLayout


def attachment_index(x: float, ncomp: int) -> int:
    """The compartment of a branch with `ncomp` compartments that holds position ``0 < x < 1``.

    As NEURON: the segment containing ``x``; a boundary belongs to the distal segment.
    """
    return min(int(x * ncomp), ncomp - 1)


def build_schedule(
    ncomp_per_branch: Sequence[int],
    parents: Sequence[int],
    parent_x: Sequence[float] | None = None,
    block: int | None = None,
) -> Schedule:
    """Number the nodes, lay them out in runs, and compute the elimination schedule.

    **Arguments:**

    - `ncomp_per_branch`: number of compartments of every branch.
    - `parents`: parent branch of every branch, ``-1`` for roots (a forest is allowed).
    - `parent_x`: where on its parent each branch attaches, as NEURON's
      ``child.connect(parent(x))``: ``1`` (default) the parent's far end, ``0`` its start
      (the point the parent itself hangs from), ``0 < x < 1`` the node of the parent's
      compartment that contains ``x``. Ignored for roots.
    - `block`: the longest run of the layout (`eqcable.morphology.layout.choose_block`
      by default).

    **Returns:** a [`eqcable.morphology.dhs.Schedule`][].
    """
    validate_tree(ncomp_per_branch, parents, parent_x)
    ncomp_per_branch = [int(n) for n in ncomp_per_branch]
    parents = [int(p) for p in parents]
    xs = [1.0] * len(parents) if parent_x is None else [float(x) for x in parent_x]
    offsets = branch_offsets(ncomp_per_branch)
    children = children_of(parents)
    ncomp = int(offsets[-1])

    comp_to_node = np.full(ncomp, -1, dtype=np.int64)
    node_to_comp: list[int] = []
    parent: list[int] = []
    parent_half: list[int] = []
    start_node: dict[int, int] = {}  # branch -> the node its first compartment hangs from

    def add_node(comp: int, par: int, half: int) -> int:
        node_to_comp.append(comp)
        parent.append(par)
        parent_half.append(half)
        return len(parent) - 1

    def visit(b: int) -> list[int]:
        # Number branch b's compartments, then the node at its far end if a child hangs
        # there; return its children (visited depth-first by the explicit stack below).
        if parents[b] == -1 and any(xs[c] == 0.0 for c in children[b]):
            start_node[b] = add_node(-1, -1, -1)  # NEURON's zero-area node at x = 0
        prev, half = start_node.get(b, -1), -1
        nodes = []
        for j in range(ncomp_per_branch[b]):
            node = add_node(int(offsets[b] + j), prev, half)
            comp_to_node[offsets[b] + j] = node
            nodes.append(node)
            prev, half = node, int(offsets[b] + j)
        end = add_node(-1, prev, half) if any(xs[c] == 1.0 for c in children[b]) else -1
        for c in children[b]:
            if xs[c] == 1.0:
                start_node[c] = end
            elif xs[c] == 0.0:
                start_node[c] = start_node.get(b, -1)
            else:
                start_node[c] = nodes[attachment_index(xs[c], ncomp_per_branch[b])]
        return children[b]

    roots = [b for b, p in enumerate(parents) if p == -1]
    stack = list(reversed(roots))
    while stack:
        stack.extend(reversed(visit(stack.pop())))

    dhs_parent = np.asarray(parent, dtype=np.int64)
    assert np.all(dhs_parent < np.arange(len(dhs_parent))), "solve order: parent < child"
    layout = run_layout(dhs_parent, choose_block(dhs_parent) if block is None else block)
    new = layout.new_index
    nnodes = layout.size
    parent_arr = np.full(nnodes, -1, np.int64)
    parent_arr[new] = np.where(dhs_parent >= 0, new[dhs_parent], -1)
    half_arr = np.full(nnodes, -1, np.int64)
    half_arr[new] = parent_half
    n2c = np.full(nnodes, -1, np.int64)
    n2c[new] = node_to_comp
    padding = np.setdiff1d(np.arange(nnodes), new)

    child_nodes = np.nonzero(parent_arr >= 0)[0]
    depth = np.zeros(nnodes, dtype=np.int64)
    for i in new:  # parents first
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
        comp_to_node=new[comp_to_node],
        node_to_comp=n2c,
        parent=parent_arr,
        parent_half=half_arr,
        all_children=child_nodes.astype(np.int64),
        all_parents=parent_arr[child_nodes],
        levels=levels,
        order=np.concatenate([new, padding]).astype(np.int64),
        runs=layout,
    )
