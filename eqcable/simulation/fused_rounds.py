"""Rounds of the fused kernel: which updates its lanes may do at once.

The fused kernel (`eqcable.simulation.fused_kernel`) works on blocks of lanes (`lanes_for`). An
update that adds into a node (``d[p] += …``) races when two lanes of a block add into the
same node, so the work that scatters into nodes is cut into *rounds* whose items touch
distinct nodes; rounds run one after the other, with a barrier between them:

- the sweep up the tree: the nodes of one depth, deepest first, each eliminated into its
  parent; siblings share a parent, so a depth is cut by sibling rank (a cell whose branch
  points have two children has about twice as many rounds as depths);
- the sweep down: all nodes of one depth at once (each reads its parent, written in the
  round before), the roots first;
- the synaptic currents: one round per connection onto a node already taken (a node with
  ten synapses of a kind takes ten rounds of that kind).

A sequential sweep has as many steps as nodes; these have about as many as the tree is
deep (a network of 1,000 four-compartment cells: some 10 rounds of blocks of the
network's nodes, instead of 4,000 steps), which is what a GPU needs.

The rounds come from the model's integer arrays, with NumPy, before tracing
(`fused_rounds`), like `eqcable.simulation.subsets`. A model whose index arrays are
traced (passed through `jit` as an argument) gets one item per round
(`sequential_rounds`): the same answers, a step per node as before.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Int

from .model import AbstractModel

#: Lanes of a vector block of the fused kernel: a power of two (for Triton), a multiple of a
#: GPU warp (32 threads), at most `MAX_LANES`; see `lanes_for`.
BLOCK = 32
MAX_LANES = 256


class Rounds(NamedTuple):
    """Items (pairs of indices) in rounds: round ``r`` is blocks ``start[r]`` to
    ``start[r] + count[r] − 1`` of `first` and `second`; padding lanes hold ``-1``
    (`padded` maps them to lanes of their own)."""

    first: Int[Array, " nitems"]
    second: Int[Array, " nitems"]
    start: Int[Array, " nrounds"]
    count: Int[Array, " nrounds"]


def lanes_for(ncomp: int) -> int:
    """The default width of the kernel's blocks for a model of `ncomp` compartments: wide
    enough for its compartments (so that a phase over them takes few blocks), between
    `BLOCK` and `MAX_LANES`. (Untuned: no GPU was at hand; `PallasSolve(lanes=...)`
    overrides it.)"""
    return int(min(MAX_LANES, max(BLOCK, 1 << max(ncomp - 1, 0).bit_length())))


def _in_rounds(first: np.ndarray, second: np.ndarray, round_of: np.ndarray, lanes: int) -> Rounds:
    """Items ``(first[k], second[k])`` in rounds ``round_of[k]`` (0, 1, …), each round padded
    to whole blocks of `lanes`."""
    # At least one round (of padding), so that no array of the kernel is empty.
    nrounds = max(int(round_of.max(initial=-1)) + 1, 1)
    sizes = np.bincount(round_of, minlength=nrounds)
    blocks = np.maximum(-(-sizes // lanes), 1)
    start = np.concatenate([[0], np.cumsum(blocks)[:-1]]).astype(np.int64)
    order = np.argsort(round_of, kind="stable")
    rank = np.arange(order.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    at = start[round_of[order]] * lanes + rank
    a = np.full(int(blocks.sum()) * lanes, -1, np.int64)
    b = a.copy()
    a[at], b[at] = first[order], second[order]
    return Rounds(a, b, start, blocks.astype(np.int64))


def _rank_among_equal(keys: np.ndarray) -> np.ndarray:
    """For every entry, how many earlier entries have the same key."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.searchsorted(sorted_keys, sorted_keys, side="left")
    rank = np.empty_like(keys)
    rank[order] = np.arange(keys.size) - first
    return rank


def tree_rounds(parent: np.ndarray, lanes: int = BLOCK) -> tuple[Rounds, Rounds]:
    """The up and down sweeps of the tree of `parent` (``-1`` at roots and padding nodes;
    parents numbered before their children are not required). Up: (child, parent) pairs,
    deepest first, siblings in different rounds. Down: (node, parent) pairs, a root as
    ``(r, r)``, shallowest first."""
    n = parent.shape[0]
    # Depths by pointer jumping (log2(depth) passes; no order of the nodes is assumed):
    # `depth` counts the edges from each node up to `jump`, an ancestor (-1: past a root).
    depth, jump = (parent >= 0).astype(np.int64), parent.copy()
    while np.any(jump >= 0):
        up = jump >= 0
        depth[up] += depth[jump[up]]
        jump[up] = jump[jump[up]]
    nodes = np.arange(n)
    child = nodes[parent >= 0]
    rank = _rank_among_equal(parent[child])
    deepest = int(depth.max(initial=0))
    rounds_per_depth = np.zeros(deepest + 1, np.int64)
    np.maximum.at(rounds_per_depth, depth[child], rank + 1)
    # Up: depth `deepest` first; within a depth, rank 0, 1, …
    before = np.concatenate([[0], np.cumsum(rounds_per_depth[::-1])])[::-1][1:]
    up = _in_rounds(child, parent[child], before[depth[child]] + rank, lanes)
    above = np.where(parent < 0, nodes, parent)
    down = _in_rounds(nodes, above, depth, lanes)
    return up, down


def contribution_rounds(nodes: np.ndarray, values: np.ndarray, lanes: int = BLOCK) -> Rounds:
    """Items ``(nodes[k], values[k])``: value ``values[k]`` added into node ``nodes[k]``,
    no node twice in a round."""
    return _in_rounds(nodes, values, _rank_among_equal(nodes), lanes)


def synapse_contributions(post_nodes, pre_nodes, reciprocal: bool, lanes: int):
    """Where a synapse group's linearised currents go: ``(nodes, entries)``, connection
    ``j``'s current at entry ``j`` into its postsynaptic node and, for a reciprocal
    coupling, the other side's at entry (connections padded to whole blocks) + ``j`` into
    its presynaptic node. NumPy or JAX arrays (traced index arrays)."""
    xp = np if isinstance(post_nodes, np.ndarray) else jnp
    n = post_nodes.shape[0]
    values = xp.arange(n)
    if not reciprocal:
        return post_nodes, values
    padded = -(-n // lanes) * lanes
    return xp.concatenate([post_nodes, pre_nodes]), xp.concatenate([values, padded + values])


def sequential_rounds(first: Array, second: Array, lanes: int = BLOCK) -> Rounds:
    """One item per round, in the order given (traced index arrays)."""
    m = first.shape[0]
    lane0 = jnp.arange(m * lanes) % lanes == 0
    spread = lambda x: jnp.where(lane0, jnp.repeat(x, lanes), -1)  # noqa: E731
    return Rounds(spread(first), spread(second), jnp.arange(m), jnp.ones(m, jnp.int32))


class FusedRounds:
    """The rounds of a model (`fused_rounds`) in blocks of `lanes`: the tree's sweeps, the
    injected currents
    (stimulus columns in the order of the stimuli; a model without any has one, zero, at
    node 0), and per synapse group the contributions of its connections (post nodes,
    then, for reciprocal couplings, pre nodes). Hashable, so that the kernel is compiled
    for them."""

    def __init__(
        self, lanes: int, up: Rounds, down: Rounds, stimuli: Rounds, synapses: tuple[Rounds, ...]
    ):
        self.lanes, self.up, self.down, self.stimuli = lanes, up, down, stimuli
        self.synapses = synapses
        arrays = jax.tree.leaves((up, down, stimuli, synapses))
        self._key = (lanes, *((a.shape, a.tobytes()) for a in arrays))

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, FusedRounds) and self._key == other._key


def fused_rounds(model: AbstractModel, lanes: int | None = None) -> FusedRounds | None:
    """The `FusedRounds` of `model` in blocks of `lanes` (`lanes_for` its compartments by
    default), or ``None`` if its index arrays are traced."""
    try:
        parent = np.asarray(model.structure.tree.parent)
        comp_to_node = np.asarray(model.structure.comp_to_node)
        groups = [
            (np.asarray(g.pre), np.asarray(g.post)) for g in getattr(model, "connections", ())
        ]
        stimulated = [np.asarray(st.indices) for st in model.stimuli]
    except jax.errors.TracerArrayConversionError:
        return None
    lanes = lanes_for(comp_to_node.size) if lanes is None else lanes
    up, down = tree_rounds(parent, lanes)
    nodes = comp_to_node[np.concatenate(stimulated)] if stimulated else np.zeros(1, np.int64)
    stimuli = contribution_rounds(nodes, np.arange(nodes.size), lanes)
    synapses = []
    for group, (pre, post) in zip(model.connections if groups else (), groups, strict=True):
        nodes, values = synapse_contributions(
            comp_to_node[post], comp_to_node[np.maximum(pre, 0)], group.synapse.reciprocal, lanes
        )
        synapses.append(contribution_rounds(nodes, values, lanes))
    return FusedRounds(lanes, up, down, stimuli, tuple(synapses))
