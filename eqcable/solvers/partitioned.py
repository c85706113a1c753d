"""A tree solve with few sequential steps: `PartitionedSolve` (issue 14, first part).

`SequentialSolve` eliminates one node per step: its sequential depth is the number of
nodes. Here the tree is cut at *separators*: its roots, every node with two or more
children (branch points) and, along unbranched stretches, every `block`-th node. What is
left are *runs*: unbranched paths of at most `block` nodes, each hanging from one
separator (its *top*) and holding at most one separator below it (its *bottom*).

1. Every run is eliminated from its bottom up, all runs at once (vectorised; `block`
   sequential steps). Eliminating a run couples its top and bottom separators directly
   (the "spike" of SPIKE-type solvers): the separators form a smaller tree, the
   *reduced* system, whose diagonal and right-hand side the runs update.
2. The reduced tree is solved by `SequentialSolve` (one step per separator).
3. Every run is substituted from its top down, all runs at once (`block` steps).

The sequential depth falls from ``nnodes`` to about ``2 block + nseparators``; the answer is
the same up to rounding. It plugs into `tree_solve` (same custom JVP) with a
`PartitionSchedule` in place of the `TreeSchedule`, built once in NumPy by
`partition_schedule`.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

from .tree_solve import AbstractSchedule, AbstractTreeSolver, SequentialSolve, TreeSchedule


class PartitionSchedule(AbstractSchedule):
    """The runs and separators of a tree (see `partition_schedule`), with the tree itself.

    - `tree`: the tree's `TreeSchedule` (for `tree_matvec`).
    - `run_nodes`: ``(nruns, block)`` the nodes of every run, top first, padded with 0.
    - `run_valid`: ``(nruns, block)`` which entries of `run_nodes` are nodes.
    - `run_last`: ``(nruns, block)`` True at each run's last node if a separator hangs
      below it.
    - `run_top`, `run_bottom`: ``(nruns,)`` indices, among the separators, of each run's
      top and bottom separator (bottom 0 where there is none, see `run_has_bottom`).
    - `run_has_bottom`: ``(nruns,)``.
    - `separators`: ``(nsep,)`` the separator nodes, in solve order.
    - `via_run`: ``(nsep,)`` the run whose elimination couples a separator to its parent
      in the reduced tree, or -1 if it hangs from a separator directly (or is a root).
    - `reduced`: the reduced tree of the separators (`TreeSchedule`, parents only used).
    """

    tree: TreeSchedule
    run_nodes: Int[Array, "nruns block"]
    run_valid: Bool[Array, "nruns block"]
    run_last: Bool[Array, "nruns block"]
    run_top: Int[Array, " nruns"]
    run_bottom: Int[Array, " nruns"]
    run_has_bottom: Bool[Array, " nruns"]
    separators: Int[Array, " nsep"]
    via_run: Int[Array, " nsep"]
    reduced: TreeSchedule

    # The tree's own arrays, for `tree_matvec` and the custom JVP.
    @property
    def parent(self) -> Int[Array, " nnodes"]:
        return self.tree.parent

    @property
    def all_children(self) -> Int[Array, " nedges"]:
        return self.tree.all_children

    @property
    def all_parents(self) -> Int[Array, " nedges"]:
        return self.tree.all_parents


def _edges(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    children = np.nonzero(parent >= 0)[0]
    return children, parent[children]


def _parents_only(parent: np.ndarray) -> TreeSchedule:
    """A `TreeSchedule` for `SequentialSolve` (which reads `parent` only)."""
    c, p = _edges(parent)
    return TreeSchedule(
        parent=jax.device_put(parent),
        all_children=jax.device_put(c),
        all_parents=jax.device_put(p),
        levels=jax.device_put(np.zeros((0, 1, 2), np.int64)),
    )


def partition_schedule(tree: TreeSchedule, block: int) -> PartitionSchedule:
    """Cut the tree into runs of at most `block` nodes (see the module docstring).

    **Arguments:**

    - `tree`: a `TreeSchedule` with concrete arrays (``parent[i] < i``).
    - `block`: the longest run (sequential steps of the run sweeps), >= 1.

    **Raises:** `ValueError` for ``block < 1``.
    """
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}.")
    parent = np.asarray(tree.parent)
    n = parent.shape[0]
    nchildren = np.bincount(parent[parent >= 0], minlength=n)
    only_child = np.full(n, -1)
    for i in np.nonzero(parent >= 0)[0]:
        if nchildren[parent[i]] == 1:
            only_child[parent[i]] = i
    is_sep = (parent < 0) | (nchildren >= 2)
    run_of = np.full(n, -1)
    pos = np.zeros(n, int)
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
    separators = np.nonzero(is_sep)[0]
    compact = np.full(n, -1)
    compact[separators] = np.arange(separators.size)
    nruns = len(runs)
    width = max((len(r) for r in runs), default=1)
    run_nodes = np.zeros((nruns, width), np.int64)
    run_valid = np.zeros((nruns, width), bool)
    run_last = np.zeros((nruns, width), bool)
    run_top = np.zeros(nruns, np.int64)
    run_bottom = np.zeros(nruns, np.int64)
    run_has_bottom = np.zeros(nruns, bool)
    via_run = np.full(separators.size, -1, np.int64)
    reduced_parent = np.full(separators.size, -1, np.int64)
    for r, nodes in enumerate(runs):
        run_nodes[r, : len(nodes)] = nodes
        run_valid[r, : len(nodes)] = True
        run_top[r] = compact[parent[nodes[0]]]
        below = only_child[nodes[-1]]
        if below >= 0:  # then a separator (else it would continue the run)
            run_last[r, len(nodes) - 1] = True
            run_bottom[r], run_has_bottom[r] = compact[below], True
            via_run[compact[below]] = r
            reduced_parent[compact[below]] = run_top[r]
    for k, s in enumerate(separators):
        if via_run[k] < 0 and parent[s] >= 0:
            reduced_parent[k] = compact[parent[s]]
    put = jax.device_put
    return PartitionSchedule(
        tree=tree,
        run_nodes=put(run_nodes),
        run_valid=put(run_valid),
        run_last=put(run_last),
        run_top=put(run_top),
        run_bottom=put(run_bottom),
        run_has_bottom=put(run_has_bottom),
        separators=put(separators.astype(np.int64)),
        via_run=put(via_run),
        reduced=_parents_only(reduced_parent),
    )


class PartitionedSolve(AbstractTreeSolver):
    """Runs eliminated all at once, then the small tree of separators (see
    `eqcable.solvers.partitioned`); needs a `PartitionSchedule` as the schedule."""

    def _runs(self, x, ps: PartitionSchedule, fill):
        """`x` gathered per run, `fill` at padding, as ``(block, nruns)`` (scan order)."""
        return jnp.where(ps.run_valid, x[ps.run_nodes], fill).T

    def _couplings(self, u, ps: PartitionSchedule):
        """Each run node's coupling to the node above it (its parent), and to the
        separator below the run (at the run's last node, else 0)."""
        u = jnp.where(ps.tree.parent < 0, 0.0, u)
        below = jnp.where(ps.run_last, u[ps.separators[ps.run_bottom]][:, None], 0.0)
        return u, self._runs(u, ps, 0.0), below.T

    def _reduced_rhs(self, b, to_top, to_bottom, ps):
        bs = b[ps.separators].at[ps.run_top].add(to_top)
        return bs.at[ps.run_bottom].add(jnp.where(ps.run_has_bottom, to_bottom, 0.0))

    def eliminate(self, d, u, b, schedule: PartitionSchedule):
        ps = schedule
        u, ur, qr = self._couplings(u, ps)

        def body(carry, xs):
            dd, bb, c, dq, bq = carry
            dk, bk, uk, qk = xs
            dk, bk, ck = dk + dd, bk + bb, c + qk
            f, g = uk / dk, ck / dk
            return (-f * uk, -f * bk, -f * ck, dq - g * ck, bq - g * bk), (dk, bk, ck)

        zero = jnp.zeros(ps.run_top.shape, d.dtype)
        (dt, bt, w, dq, bq), (dr, br, cr) = jax.lax.scan(
            body,
            (zero, zero, zero, zero, zero),
            (self._runs(d, ps, 1.0), self._runs(b, ps, 0.0), ur, qr),
            reverse=True,
        )
        ds = self._reduced_rhs(d, dt, dq, ps)
        bs = self._reduced_rhs(b, bt, bq, ps)
        us = u[ps.separators]
        if w.shape[0]:  # (a tree of separators only has no runs)
            us = jnp.where(ps.via_run >= 0, w[jnp.maximum(ps.via_run, 0)], us)
        ds, bs = SequentialSolve().eliminate(ds, us, bs, ps.reduced)
        return (dr, cr, ds, us), (br, bs)

    def eliminate_rhs(self, d_elim, u, b, schedule: PartitionSchedule):
        ps = schedule
        dr, cr, ds, us = d_elim
        _, ur, _ = self._couplings(u, ps)

        def body(carry, xs):
            bb, bq = carry
            dk, bk, uk, ck = xs
            bk = bk + bb
            return (-uk / dk * bk, bq - ck / dk * bk), bk

        zero = jnp.zeros(ps.run_top.shape, b.dtype)
        (bt, bq), br = jax.lax.scan(
            body, (zero, zero), (dr, self._runs(b, ps, 0.0), ur, cr), reverse=True
        )
        bs = self._reduced_rhs(b, bt, bq, ps)
        return br, SequentialSolve().eliminate_rhs(ds, us, bs, ps.reduced)

    def substitute(self, d_elim, u, b_elim, schedule: PartitionSchedule):
        ps = schedule
        dr, cr, ds, us = d_elim
        br, bs = b_elim
        _, ur, _ = self._couplings(u, ps)
        xs = SequentialSolve().substitute(ds, us, bs, ps.reduced)
        x_bottom = jnp.where(ps.run_has_bottom, xs[ps.run_bottom], 0.0)

        def body(x_above, col):
            dk, bk, uk, ck = col
            x = (bk - uk * x_above - ck * x_bottom) / dk
            return x, x

        _, xr = jax.lax.scan(body, xs[ps.run_top], (dr, br, ur, cr))
        # Every node is written once, by adding to zero (transposable, unlike a set).
        x = jnp.zeros(ps.tree.parent.shape, xs.dtype).at[ps.separators].add(xs)
        return x.at[ps.run_nodes].add(jnp.where(ps.run_valid, xr.T, 0.0))
