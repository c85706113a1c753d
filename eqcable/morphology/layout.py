"""Where each tree node lives in memory: the *run layout* (NumPy, once at construction).

The partitioned tree solve (`eqcable.solvers.PartitionedSolve`) cuts the tree at
*separators*: its roots, every node with two or more children and, along unbranched
stretches, every `(block + 1)`-th node. What is left are *runs*: unbranched paths of at most
`block` nodes, each hanging from one separator (its *top*) and holding at most one
separator right below its last node (its *bottom*).

Nodes are stored so that the runs need no gathering: with ``R`` runs of at most ``W``
nodes, node ``k`` of run ``r`` (``k = 0`` at the top) is node ``k R + r``, so the first
``W R`` entries of any per-node array, reshaped to ``(W, R)``, hold every run in a column,
top first, and the ``k``-th nodes of all runs side by side in row ``k``: each step of the
partitioned solve reads and writes one contiguous row (3.6x faster than a strided column
of an ``(R, W)`` array on XLA-CPU, measured on 1,111 runs of 8). Shorter runs are padded
with *padding nodes* (no compartment, no edge). The separators follow, in depth-first
order (each after its parent). All solvers work on this numbering; `SequentialSolve` walks
the nodes in `order`.
"""

from typing import NamedTuple

import numpy as np

#: The longest run: longer unbranched stretches are cut. 4 to 32 were equally fast for
#: 1,000- and 10,000-node cables on XLA-CPU, alone and in the full simulation, within the
#: machine's noise (`benchmarks/tree_solve.py`, `benchmarks/cable.py`); the written-out
#: sweeps' compile time and memory grow with it (long-gradient benchmark, peak memory
#: after compiling: 512, 528, 622, 761 MB for 4, 8, 16, 32; 438 MB sequential).
MAX_BLOCK = 8
#: Padding nodes allowed, as a fraction of the tree's nodes, when the block is chosen.
MAX_PADDING = 0.25


class RunLayout(NamedTuple):
    """The run layout of a tree (all NumPy ``int64`` or ``bool``; see the module docstring).

    - ``new_index``: ``(nnodes,)`` the new index of every node of the input numbering.
    - ``size``: the number of nodes in the layout, padding included (``W R + S``).
    - ``run_last``: ``(W, R)`` True at each run's last node if a separator hangs below it.
    - ``run_top``, ``run_bottom``: ``(R,)`` the separator (``0..S-1``) each run hangs from,
      and the one below it (0 where there is none, see ``run_has_bottom``).
    - ``run_has_bottom``: ``(R,)``.
    - ``via_run``: ``(S,)`` the run whose elimination couples a separator to its parent in
      the reduced tree of separators, ``-1`` where it hangs from a separator directly or is
      a root.
    - ``reduced_parent``: ``(S,)`` each separator's parent among the separators, ``-1``
      for roots; always smaller than the separator's own index.
    """

    new_index: np.ndarray
    size: int
    run_last: np.ndarray
    run_top: np.ndarray
    run_bottom: np.ndarray
    run_has_bottom: np.ndarray
    via_run: np.ndarray
    reduced_parent: np.ndarray


def _runs(parent: np.ndarray, block: int) -> tuple[list[list[int]], np.ndarray]:
    """The runs (top first) and the separator flags of a tree with ``parent[i] < i``."""
    n = parent.shape[0]
    nchildren = np.bincount(parent[parent >= 0], minlength=n)
    is_sep = (parent < 0) | (nchildren >= 2)
    run_of = np.full(n, -1)
    pos = np.zeros(n, np.int64)
    runs: list[list[int]] = []
    for i in range(n):
        if is_sep[i]:
            continue
        p = parent[i]
        if is_sep[p]:
            run_of[i], pos[i] = len(runs), 0
            runs.append([i])
        elif pos[p] + 1 == block:
            is_sep[i] = True  # cut a long stretch
        else:
            run_of[i], pos[i] = run_of[p], pos[p] + 1
            runs[run_of[i]].append(i)
    return runs, is_sep


def padding(parent: np.ndarray, block: int) -> int:
    """How many padding nodes the run layout of the tree with `block` needs."""
    runs, _ = _runs(parent, block)
    width = max((len(r) for r in runs), default=0)
    return width * len(runs) - sum(len(r) for r in runs)


def choose_block(parent: np.ndarray) -> int:
    """The longest run for a tree: `MAX_BLOCK`, halved until the padding is at most
    `MAX_PADDING` of the nodes (a tree of short branches gets short runs)."""
    block = MAX_BLOCK
    while block > 1 and padding(parent, block) > MAX_PADDING * parent.shape[0]:
        block //= 2
    return block


def run_layout(parent: np.ndarray, block: int) -> RunLayout:
    """The run layout of the tree `parent` (``parent[i] < i``, ``-1`` for roots).

    **Arguments:**

    - `parent`: the parent of every node.
    - `block`: the longest run, >= 1.

    **Raises:** `ValueError` for ``block < 1``.
    """
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}.")
    parent = np.asarray(parent, np.int64)
    n = parent.shape[0]
    runs, is_sep = _runs(parent, block)
    nchildren = np.bincount(parent[parent >= 0], minlength=n)
    only_child = np.full(n, -1)
    for i in np.nonzero(parent >= 0)[0]:
        if nchildren[parent[i]] == 1:
            only_child[parent[i]] = i
    separators = np.nonzero(is_sep)[0]
    nsep, nruns = separators.size, len(runs)
    width = max((len(r) for r in runs), default=0)
    compact = np.full(n, -1)
    compact[separators] = np.arange(nsep)

    new_index = np.full(n, -1, np.int64)
    new_index[separators] = width * nruns + np.arange(nsep)
    run_last = np.zeros((width, nruns), bool)
    run_top = np.zeros(nruns, np.int64)
    run_bottom = np.zeros(nruns, np.int64)
    run_has_bottom = np.zeros(nruns, bool)
    via_run = np.full(nsep, -1, np.int64)
    reduced_parent = np.full(nsep, -1, np.int64)
    for r, nodes in enumerate(runs):
        new_index[nodes] = np.arange(len(nodes)) * nruns + r
        run_top[r] = compact[parent[nodes[0]]]
        below = only_child[nodes[-1]]
        if below >= 0:  # then a separator (else it would continue the run)
            run_last[len(nodes) - 1, r] = True
            run_bottom[r], run_has_bottom[r] = compact[below], True
            via_run[compact[below]] = r
            reduced_parent[compact[below]] = run_top[r]
    for k, s in enumerate(separators):
        if via_run[k] < 0 and parent[s] >= 0:
            reduced_parent[k] = compact[parent[s]]
    return RunLayout(
        new_index=new_index,
        size=width * nruns + nsep,
        run_last=run_last,
        run_top=run_top,
        run_bottom=run_bottom,
        run_has_bottom=run_has_bottom,
        via_run=via_run,
        reduced_parent=reduced_parent,
    )
