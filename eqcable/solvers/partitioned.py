"""A tree solve with few sequential steps: `PartitionedSolve`.

`SequentialSolve` eliminates one node per step: its sequential depth is the number of
nodes. Here the tree is cut into *runs* (unbranched paths of at most ``W`` nodes) and
*separators* (roots, branch points, and every ``(W + 1)``-th node of long stretches), and
the nodes are stored in the run layout (`eqcable.morphology.layout`): the runs are the first
``W R`` entries of every per-node array, read as a ``(W, R)`` array (a run per column, the
``k``-th nodes of all runs in row ``k``) by a reshape, with no gathering.

1. Every run is eliminated from its bottom up, all runs at once (``W`` vectorised steps).
   Eliminating a run couples its top and bottom separators directly (the "spike" of
   SPIKE-type solvers): the separators form a smaller tree, the *reduced* system, whose
   diagonal and right-hand side the runs update.
2. The reduced tree is solved by the sequential sweeps (one step per separator).
3. Every run is substituted from its top down, all runs at once (``W`` steps).

The sequential depth falls from ``nnodes`` to about ``2 W + nseparators``; the answer is the
same up to rounding. The run sweeps are unrolled (``W`` steps written out, each on a
column of the runs): XLA-CPU then fuses them into a few loops over the runs, where a
`lax.scan` pays its loop overhead per step (`benchmarks/tree_solve.py`).
"""

import jax
import jax.numpy as jnp

from .tree_solve import (
    AbstractTreeSolver,
    TreeSchedule,
    sequential_eliminate,
    sequential_eliminate_rhs,
    sequential_substitute,
)


def _split(x, schedule: TreeSchedule):
    """A per-node array as its runs ``(W, R)`` and its separators ``(S,)``."""
    width, nruns = schedule.run_last.shape
    return x[: width * nruns].reshape(width, nruns), x[width * nruns :]


def _sweep(body, carry, xs, reverse=False):
    """`lax.scan(body, carry, xs, reverse)` unrolled over the rows of ``(W, R)`` arrays:
    the outputs are ``(W, R)`` too."""
    width = xs[0].shape[0]
    ys = [None] * width
    for k in reversed(range(width)) if reverse else range(width):
        carry, ys[k] = body(carry, tuple(x[k] for x in xs))
    return carry, jax.tree.map(lambda *rows: jnp.stack(rows), *ys)


def _reduced_order(schedule: TreeSchedule):
    # Separators are stored parents first.
    return jnp.arange(schedule.reduced_parent.shape[0])


def _add_from_runs(x_sep, to_top, to_bottom, schedule: TreeSchedule):
    """What the runs' elimination adds to their top and bottom separators."""
    x_sep = x_sep.at[schedule.run_top].add(to_top)
    return x_sep.at[schedule.run_bottom].add(jnp.where(schedule.run_has_bottom, to_bottom, 0.0))


class PartitionedSolve(AbstractTreeSolver):
    """Runs eliminated all at once, then the small tree of separators (see
    `eqcable.solvers.partitioned`). Best on CPU for trees with long unbranched stretches
    (a 10,000-compartment cable: about 4x faster than `SequentialSolve`)."""

    def _runs_couplings(self, u, schedule: TreeSchedule):
        """The couplings of the run nodes to the node above (`U`), of each run's last node
        to the separator below (`Q`, 0 elsewhere), and of the separators to their parents."""
        u = jnp.where(schedule.parent < 0, 0.0, u)
        u_runs, u_sep = _split(u, schedule)
        below = jnp.where(schedule.run_has_bottom, u_sep[schedule.run_bottom], 0.0)
        return u_runs, jnp.where(schedule.run_last, below, 0.0), u_sep

    def eliminate(self, d, u, b, schedule):
        u_runs, q_runs, u_sep = self._runs_couplings(u, schedule)
        d_runs, d_sep = _split(d, schedule)
        b_runs, b_sep = _split(b, schedule)
        if d_runs.size:

            def body(carry, xs):
                dd, bb, c, dq, bq = carry
                dk, bk, uk, qk = xs
                dk, bk, ck = dk + dd, bk + bb, c + qk
                f, g = uk / dk, ck / dk
                return (-f * uk, -f * bk, -f * ck, dq - g * ck, bq - g * bk), (dk, bk, ck)

            zero = jnp.zeros(d_runs.shape[1], d.dtype)
            (to_top_d, to_top_b, spike, to_bottom_d, to_bottom_b), (dr, br, cr) = _sweep(
                body, (zero,) * 5, (d_runs, b_runs, u_runs, q_runs), reverse=True
            )
            d_sep = _add_from_runs(d_sep, to_top_d, to_bottom_d, schedule)
            b_sep = _add_from_runs(b_sep, to_top_b, to_bottom_b, schedule)
            via = schedule.via_run
            u_sep = jnp.where(via >= 0, spike[jnp.maximum(via, 0)], u_sep)
        else:  # a tree of separators only
            dr, br, cr = d_runs, b_runs, d_runs
        parent, order = schedule.reduced_parent, _reduced_order(schedule)
        d_sep, b_sep = sequential_eliminate(d_sep, u_sep, b_sep, parent, order)
        return (dr, cr, d_sep, u_sep), (br, b_sep)

    def eliminate_rhs(self, d_elim, u, b, schedule):
        dr, cr, d_sep, u_sep = d_elim
        u_runs, _, _ = self._runs_couplings(u, schedule)
        b_runs, b_sep = _split(b, schedule)
        if b_runs.size:

            def body(carry, xs):
                bb, bq = carry
                dk, bk, uk, ck = xs
                bk = bk + bb
                return (-uk / dk * bk, bq - ck / dk * bk), bk

            zero = jnp.zeros(b_runs.shape[1], b.dtype)
            (to_top, to_bottom), b_runs = _sweep(
                body, (zero, zero), (dr, b_runs, u_runs, cr), reverse=True
            )
            b_sep = _add_from_runs(b_sep, to_top, to_bottom, schedule)
        parent, order = schedule.reduced_parent, _reduced_order(schedule)
        return b_runs, sequential_eliminate_rhs(d_sep, u_sep, b_sep, parent, order)

    def substitute(self, d_elim, u, b_elim, schedule):
        dr, cr, d_sep, u_sep = d_elim
        br, b_sep = b_elim
        u_runs, _, _ = self._runs_couplings(u, schedule)
        parent, order = schedule.reduced_parent, _reduced_order(schedule)
        x_sep = sequential_substitute(d_sep, u_sep, b_sep, parent, order)
        if not br.size:
            return x_sep
        x_bottom = jnp.where(schedule.run_has_bottom, x_sep[schedule.run_bottom], 0.0)

        def body(x_above, xs):
            dk, bk, uk, ck = xs
            x = (bk - uk * x_above - ck * x_bottom) / dk
            return x, x

        _, x_runs = _sweep(body, x_sep[schedule.run_top], (dr, br, u_runs, cr))
        return jnp.concatenate([x_runs.reshape(-1), x_sep])
