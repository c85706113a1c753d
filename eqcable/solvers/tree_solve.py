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
from jax.ad_checkpoint import checkpoint_name
from jaxtyping import Array, Bool, Float, Int


class TreeSchedule(eqx.Module):
    """Integer arrays that describe the tree in the run layout (see `build_schedule` and
    `eqcable.morphology.layout`); every solver reads the part it needs.

    **Arguments:**

    - `parent`: ``(nnodes,)`` parent of every node, ``-1`` for roots and padding nodes.
    - `all_children`, `all_parents`: ``(nedges,)`` both ends of every tree edge.
    - `levels`: ``(nlevels, width, 2)`` (child, parent) pairs per depth, padded with
      ``(nnodes, nnodes)`` (`LevelParallelSolve`).
    - `order`: ``(nnodes,)`` every node once, each after its parent (`SequentialSolve`).
    - `run_last`, `run_top`, `run_bottom`, `run_has_bottom`, `via_run`,
      `reduced_parent`: the runs and separators (`PartitionedSolve`); see
      `eqcable.morphology.layout.RunLayout`.
    """

    parent: Int[Array, " nnodes"]
    all_children: Int[Array, " nedges"]
    all_parents: Int[Array, " nedges"]
    levels: Int[Array, "nlevels width 2"]
    order: Int[Array, " nnodes"]
    run_last: Bool[Array, "block nruns"]
    run_top: Int[Array, " nruns"]
    run_bottom: Int[Array, " nruns"]
    run_has_bottom: Bool[Array, " nruns"]
    via_run: Int[Array, " nsep"]
    reduced_parent: Int[Array, " nsep"]


class AbstractTreeSolver(eqx.Module):
    """How the tree system is eliminated. Both variants give the same answer.

    A solver splits the solve in two so that the derivative can reuse the elimination:
    `eliminate` turns ``(d, b)`` into the eliminated diagonal and right-hand side, and
    `substitute` solves from there. `eliminate_rhs` eliminates a new right-hand side with
    an already eliminated diagonal (linear in ``b``, cheap to transpose).
    """

    @abc.abstractmethod
    def eliminate(self, d, u, b, schedule: TreeSchedule):
        """Eliminate leaves into parents: returns the eliminated ``(d, b)``."""

    @abc.abstractmethod
    def eliminate_rhs(self, d_elim, u, b, schedule: TreeSchedule):
        """Eliminate a right-hand side ``b`` given the eliminated diagonal ``d_elim``."""

    @abc.abstractmethod
    def substitute(self, d_elim, u, b_elim, schedule: TreeSchedule):
        """Back-substitute from the roots: returns ``x``."""

    def solve(self, d, u, b, schedule: TreeSchedule):
        """Solve ``A x = b``: returns the eliminated diagonal and ``x``. By default
        `eliminate`, then `substitute`; a solver may do both at once (`PallasSolve`: one
        kernel launch)."""
        d_elim, b_elim = self.eliminate(d, u, b, schedule)
        return d_elim, self.substitute(d_elim, u, b_elim, schedule)

    def solve_eliminated(self, d_elim, u, b, schedule: TreeSchedule):
        """Solve for a new right-hand side ``b`` given the eliminated diagonal: returns
        ``x``. By default `eliminate_rhs`, then `substitute`."""
        return self.substitute(d_elim, u, self.eliminate_rhs(d_elim, u, b, schedule), schedule)


def _zero_at_roots(u, schedule: TreeSchedule):
    return jnp.where(schedule.parent < 0, 0.0, u)


def _levels_in_bounds(schedule: TreeSchedule):
    # `levels` is padded with (n, n) pairs; map them to (r, r) for a root r (the first
    # node of `order` is one).
    n = schedule.parent.shape[0]
    return jnp.where(schedule.levels < n, schedule.levels, schedule.order[0])


def _parent_or_self(parent):
    return jnp.where(parent < 0, jnp.arange(parent.shape[0]), parent)


# The sequential sweeps, on any numbering: `order` lists every node after its parent.
# Roots point at themselves with a zero coupling, so their updates add zero and the
# arrays need no padding (a padded copy would be fused into, and recomputed by, every
# element-wise producer of the right-hand side). `scan` without unrolling: XLA-CPU runs
# this loop in place at ~7 ns per node; unrolled, it copied the arrays (60x slower).


def sequential_eliminate(d, u, b, parent, order):
    """Eliminate every node into its parent, last of `order` first: ``(d, b)`` eliminated.
    `u` must be 0 at roots."""

    def body(carry, xs):
        d, b = carry
        i, p = xs
        ui = u[i]
        f = ui / d[i]
        return (d.at[p].add(-f * ui), b.at[p].add(-f * b[i])), None

    (d, b), _ = jax.lax.scan(body, (d, b), (order, _parent_or_self(parent)[order]), reverse=True)
    return d, b


def sequential_eliminate_rhs(d_elim, u, b, parent, order):
    """Eliminate a right-hand side with an eliminated diagonal (`u` 0 at roots)."""
    f = u / d_elim

    def body(b, xs):
        i, p = xs
        return b.at[p].add(-f[i] * b[i]), None

    b, _ = jax.lax.scan(body, b, (order, _parent_or_self(parent)[order]), reverse=True)
    return b


def sequential_substitute(d_elim, u, b_elim, parent, order):
    """Substitute from the roots down, in `order` (`u` 0 at roots): returns ``x``."""
    a, c = u / d_elim, b_elim / d_elim

    def body(x, xs):
        i, p = xs
        return x.at[i].set(c[i] - a[i] * x[p]), None

    x, _ = jax.lax.scan(body, jnp.zeros_like(b_elim), (order, _parent_or_self(parent)[order]))
    return x


class SequentialSolve(AbstractTreeSolver):
    """Eliminate one node at a time, children before parents (in `TreeSchedule.order`)."""

    def eliminate(self, d, u, b, schedule):
        u = _zero_at_roots(u, schedule)
        return sequential_eliminate(d, u, b, schedule.parent, schedule.order)

    def eliminate_rhs(self, d_elim, u, b, schedule):
        u = _zero_at_roots(u, schedule)
        return sequential_eliminate_rhs(d_elim, u, b, schedule.parent, schedule.order)

    def substitute(self, d_elim, u, b_elim, schedule):
        u = _zero_at_roots(u, schedule)
        return sequential_substitute(d_elim, u, b_elim, schedule.parent, schedule.order)


class LevelParallelSolve(AbstractTreeSolver):
    """Eliminate all nodes of one depth at once (several pairs per level; for GPUs)."""

    # The (n, n) pairs that pad `schedule.levels` become (r, r) pairs for a root r, so
    # that no array needs a dummy node (see `SequentialSolve`). A root's coupling is
    # zeroed, so these pairs add nothing during elimination; substitution masks them.

    def eliminate(self, d, u, b, schedule):
        u = _zero_at_roots(u, schedule)

        def body(carry, level):
            d, b = carry
            c, p = level[:, 0], level[:, 1]
            f = u[c] / d[c]
            return (d.at[p].add(-f * u[c]), b.at[p].add(-f * b[c])), None

        (d, b), _ = jax.lax.scan(body, (d, b), _levels_in_bounds(schedule), reverse=True)
        return d, b

    def eliminate_rhs(self, d_elim, u, b, schedule):
        f = _zero_at_roots(u, schedule) / d_elim

        def body(b, level):
            c, p = level[:, 0], level[:, 1]
            return b.at[p].add(-f[c] * b[c]), None

        b, _ = jax.lax.scan(body, b, _levels_in_bounds(schedule), reverse=True)
        return b

    def substitute(self, d_elim, u, b_elim, schedule):
        c_all = b_elim / d_elim
        a_all = _zero_at_roots(u, schedule) / d_elim
        is_pair = schedule.levels[..., 0] < schedule.parent.shape[0]
        # Roots are solved first; every other node is written exactly once, by adding to a
        # zero, which (unlike a scatter-set with repeated indices) JAX can transpose for
        # reverse mode.
        x0 = jnp.where(schedule.parent < 0, c_all, 0.0)

        def body(x, xs):
            level, ok = xs
            c, p = level[:, 0], level[:, 1]
            return x.at[c].add(jnp.where(ok, c_all[c] - a_all[c] * x[p], 0.0)), None

        x, _ = jax.lax.scan(body, x0, (_levels_in_bounds(schedule), is_pair))
        return x


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

    - `solver`: a [`eqcable.SequentialSolve`][], [`eqcable.PartitionedSolve`][],
      [`eqcable.LevelParallelSolve`][] or [`eqcable.PallasSolve`][].
    - `d`: diagonal of ``A``.
    - `u`: ``u[i] = A[i, parent[i]] = A[parent[i], i]``; ignored (should be 0) at roots.
    - `b`: right-hand side.
    - `schedule`: the tree, see [`eqcable.solvers.TreeSchedule`][].

    **Returns:** ``x`` with ``A x = b``.
    """
    if d.shape[0] == 0:
        return b
    return solver.solve(d, u, b, schedule)[1]


@tree_solve.defjvp
def _tree_solve_jvp(solver, primals, tangents):
    d, u, b, schedule = primals
    dd, du, db, _ = tangents
    if d.shape[0] == 0:
        return b, db
    d_elim, x = solver.solve(d, u, b, schedule)
    # Named so that a checkpointed time step can keep these (the sequential sweeps) and
    # recompute only the cheap element-wise work in the backward pass.
    d_elim = checkpoint_name(d_elim, "tree_solve")
    x = checkpoint_name(x, "tree_solve")
    # A x = b  =>  A dx = db - dA x, with dA the tree matrix of (dd, du): one more O(n)
    # solve, reusing the eliminated diagonal.
    r = db - tree_matvec(dd, du, x, schedule)

    def solve_eliminated(_, rhs):
        return solver.solve_eliminated(d_elim, u, rhs, schedule)

    # `custom_linear_solve(symmetric=True)` tells JAX that the transpose of this linear map
    # is the same solve (A is symmetric), so reverse mode costs one more O(n) solve too.
    # (Transposing the elimination loop mechanically would cost O(n) per node.)
    dx = jax.lax.custom_linear_solve(
        lambda y: tree_matvec(d, u, y, schedule), r, solve_eliminated, symmetric=True
    )
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
