"""The tree ("DHS", dendritic hierarchical scheduling) solve with its custom JVP.

Solves ``A x = b`` for a symmetric matrix whose sparsity is a tree (or forest): diagonal
``d``, and ``A[i, parent[i]] = A[parent[i], i] = u[i]``. Nodes are numbered so that
``parent[i] < i`` (see `eqcable.morphology.dhs`); roots have ``parent = -1`` and ``u = 0``.

Gaussian elimination on such a matrix creates no fill-in: eliminate the leaves into their
parents, deepest first, then substitute back from the roots. That is O(n).

Differentiating through the elimination would make the backward pass O(n^2) per solve.
Instead the solve carries a `jax.custom_jvp`: from ``A x = b``,
``dx = A^{-1} (db - dA x)``, one more O(n) solve with the same matrix. Its transpose (for
reverse mode) is again a tree solve, so gradients cost O(n) per time step too.
"""

import abc
import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int


class TreeSchedule(eqx.Module):
    """Integer arrays that describe the tree, in solve order (see `build_schedule`).

    **Arguments:**

    - `parent`: ``(nnodes,)`` parent of every node, ``-1`` for roots, ``parent[i] < i``.
    - `all_children`, `all_parents`: ``(nedges,)`` both ends of every tree edge.
    - `levels`: ``(nlevels, width, 2)`` (child, parent) pairs per depth, padded with
      ``(nnodes, nnodes)``.
    """

    parent: Int[Array, " nnodes"]
    all_children: Int[Array, " nedges"]
    all_parents: Int[Array, " nedges"]
    levels: Int[Array, "nlevels width 2"]


class AbstractTreeSolver(eqx.Module):
    """How the tree system is eliminated. Both variants give the same answer."""

    @abc.abstractmethod
    def solve(
        self,
        d: Float[Array, " nnodes"],
        u: Float[Array, " nnodes"],
        b: Float[Array, " nnodes"],
        schedule: TreeSchedule,
    ) -> Float[Array, " nnodes"]:
        """Solve ``A x = b`` (no custom derivative; use `tree_solve`)."""


def _pad(d, u, b):
    # One dummy node at index n (d = 1, u = b = 0) absorbs the updates of padded pairs and
    # of roots (whose parent -1 is mapped to n), so no branch is needed in the loops.
    one = jnp.ones((1,), d.dtype)
    zero = jnp.zeros((1,), d.dtype)
    return (
        jnp.concatenate([d, one]),
        jnp.concatenate([u, zero]),
        jnp.concatenate([b, zero.astype(b.dtype)]),
    )


class SequentialSolve(AbstractTreeSolver):
    """Eliminate one node at a time, last to first (best on CPU)."""

    def solve(self, d, u, b, schedule):
        n = d.shape[0]
        if n == 0:
            return b
        d, u, b = _pad(d, u, b)
        parent = jnp.where(schedule.parent < 0, n, schedule.parent)

        def eliminate(carry, i):
            d, b = carry
            p = parent[i]
            f = u[i] / d[i]
            d = d.at[p].add(-f * u[i])
            b = b.at[p].add(-f * b[i])
            return (d, b), None

        (d, b), _ = jax.lax.scan(eliminate, (d, b), jnp.arange(n - 1, -1, -1))

        def substitute(x, i):
            x = x.at[i].set((b[i] - u[i] * x[parent[i]]) / d[i])
            return x, None

        x, _ = jax.lax.scan(substitute, jnp.zeros_like(b), jnp.arange(n))
        return x[:n]


class LevelParallelSolve(AbstractTreeSolver):
    """Eliminate all nodes of one depth at once (several pairs per level; for GPUs)."""

    def solve(self, d, u, b, schedule):
        n = d.shape[0]
        if n == 0:
            return b
        d, u, b = _pad(d, u, b)
        levels = schedule.levels

        def eliminate(carry, level):
            d, b = carry
            c, p = level[:, 0], level[:, 1]
            f = u[c] / d[c]
            d = d.at[p].add(-f * u[c])
            b = b.at[p].add(-f * b[c])
            return (d, b), None

        (d, b), _ = jax.lax.scan(eliminate, (d, b), levels, reverse=True)

        # Roots (and the dummy node) are solved first; every other node is written exactly
        # once, by adding to a zero, which (unlike a scatter-set with the repeated padding
        # index) JAX can transpose for reverse mode.
        is_root = jnp.concatenate([schedule.parent < 0, jnp.ones((1,), bool)])

        def substitute(x, level):
            c, p = level[:, 0], level[:, 1]
            x = x.at[c].add((b[c] - u[c] * x[p]) / d[c])
            return x, None

        x, _ = jax.lax.scan(substitute, jnp.where(is_root, b / d, 0.0), levels)
        return x[:n]


def tree_matvec(
    d: Float[Array, " nnodes"],
    u: Float[Array, " nnodes"],
    x: Float[Array, " nnodes"],
    schedule: TreeSchedule,
) -> Float[Array, " nnodes"]:
    """``A x`` for the tree matrix with diagonal ``d`` and off-diagonals ``u``."""
    c, p = schedule.all_children, schedule.all_parents
    y = d * x
    y = y.at[c].add(u[c] * x[p])
    y = y.at[p].add(u[c] * x[c])
    return y


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def tree_solve(
    solver: AbstractTreeSolver,
    d: Float[Array, " nnodes"],
    u: Float[Array, " nnodes"],
    b: Float[Array, " nnodes"],
    schedule: TreeSchedule,
) -> Float[Array, " nnodes"]:
    """Solve the tree system ``A x = b``, differentiable in O(n).

    **Arguments:**

    - `solver`: a [`eqcable.SequentialSolve`][] or [`eqcable.LevelParallelSolve`][].
    - `d`: diagonal of ``A``.
    - `u`: ``u[i] = A[i, parent[i]] = A[parent[i], i]``; ignored (should be 0) at roots.
    - `b`: right-hand side.
    - `schedule`: the tree, see [`eqcable.solvers.TreeSchedule`][].

    **Returns:** ``x`` with ``A x = b``.
    """
    return solver.solve(d, u, b, schedule)


@tree_solve.defjvp
def _tree_solve_jvp(solver, primals, tangents):
    d, u, b, schedule = primals
    dd, du, db, _ = tangents
    x = tree_solve(solver, d, u, b, schedule)
    # A x = b  =>  A dx = db - dA x, with dA the tree matrix of (dd, du).
    dx = tree_solve(solver, d, u, db - tree_matvec(dd, du, x, schedule), schedule)
    return x, dx


def dense_matrix(
    d: Float[Array, " nnodes"], u: Float[Array, " nnodes"], parent: Int[Array, " nnodes"]
) -> Float[Array, "nnodes nnodes"]:
    """Assemble the tree matrix densely (for tests and debugging)."""
    n = d.shape[0]
    idx = jnp.arange(n)
    has_parent = parent >= 0
    p = jnp.where(has_parent, parent, 0)
    uu = jnp.where(has_parent, u, 0.0)
    a = jnp.diag(d)
    a = a.at[idx, p].add(uu)
    a = a.at[p, idx].add(uu)
    return a
