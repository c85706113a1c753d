"""`PartitionedSolve` (runs eliminated together, then the tree of separators) equals the
dense solve, with the same derivatives, for every block length."""

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from jax.test_util import check_grads
from test_dhs_solve import build_system, random_tree

import eqcable as ec
from eqcable.simulation import CellStructure
from eqcable.solvers import dense_matrix
from eqcable.solvers.partitioned import PartitionedSolve, partition_schedule


def _solve(tree, block):
    ps = partition_schedule(tree, block)
    return jax.jit(lambda d, u, b: ec.tree_solve(PartitionedSolve(), d, u, b, ps))


@settings(max_examples=6, deadline=None)
@given(random_tree(), st.sampled_from([1, 2, 3, 64]))
def test_partitioned_solve_equals_dense_solve(spec, block):
    tree, d, u, b = build_system(*spec)
    expected = jnp.linalg.solve(dense_matrix(d, u, tree.parent), b)
    np.testing.assert_allclose(_solve(tree, block)(d, u, b), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("block", [1, 5])
def test_partitioned_solve_derivatives(block):
    # Children attached at a branch's start, middle and end; a forest of two trees.
    tree = CellStructure.build([3, 2, 4, 5, 2], [-1, 0, 0, 2, -1], [1.0, 0.3, 0.0, 1.0, 1.0]).tree
    _, d, u, b = build_system([3, 2, 4, 5, 2], [-1, 0, 0, 2, -1], 3)
    solve = _solve(tree, block)
    check_grads(solve, (d, u, b), order=2, modes=("fwd", "rev"), eps=1e-5)
    seq = jax.jit(lambda d, u, b: ec.tree_solve(ec.SequentialSolve(), d, u, b, tree))
    loss = [jax.grad(lambda *a, f=f: jnp.sum(f(*a) ** 2), argnums=(0, 1, 2)) for f in (solve, seq)]
    for got, want in zip(loss[0](d, u, b), loss[1](d, u, b), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_partition_of_a_long_cable():
    tree = CellStructure.build([1000], [-1]).tree
    ps = partition_schedule(tree, 32)
    # The root, then runs of 32 nodes cut by one separator each: 1 + 30 * 33 + 9 nodes.
    assert ps.run_nodes.shape == (31, 32) and ps.separators.shape == (31,)
    nodes = np.concatenate([np.asarray(ps.separators), np.asarray(ps.run_nodes)[ps.run_valid]])
    assert sorted(nodes.tolist()) == list(range(1000))  # every node exactly once
    _, d, u, b = build_system([1000], [-1], 5)
    seq = ec.tree_solve(ec.SequentialSolve(), d, u, b, tree)
    np.testing.assert_allclose(_solve(tree, 32)(d, u, b), seq, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="block must be >= 1"):
        partition_schedule(tree, 0)
