"""The run layout and `PartitionedSolve` (runs eliminated together, then the tree of
separators): every solver equals the dense solve, with the same derivatives, for every
block length; the layout stores every node once, runs side by side."""

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from jax.test_util import check_grads
from test_dhs_solve import SOLVERS, random_tree

import eqcable as ec
from eqcable.morphology.layout import MAX_BLOCK, choose_block, run_layout
from eqcable.simulation import CellStructure
from eqcable.solvers import dense_matrix
from eqcable.solvers.stepping import axial_current, axial_diagonal


def _system(ncomp, parents, parent_x=None, block=None, seed=0, margin=0.1):
    """A diagonally dominant tree system on the run layout of a cell's node tree, with
    diagonal dominance of at least `margin`."""
    tree = CellStructure.build(ncomp, parents, parent_x, block).tree
    n = tree.parent.shape[0]
    rng = np.random.default_rng(seed)
    u = np.where(np.asarray(tree.parent) >= 0, -rng.uniform(0.1, 2.0, n), 0.0)
    d = rng.uniform(margin, margin + 0.9, n) + np.abs(u)
    d[np.asarray(tree.all_parents)] += np.abs(u[np.asarray(tree.all_children)])
    return tree, jnp.asarray(d), jnp.asarray(u), jnp.asarray(rng.normal(size=n))


def _solve(solver, tree):
    return jax.jit(lambda d, u, b: ec.tree_solve(solver, d, u, b, tree))


@settings(max_examples=8, deadline=None)
@given(random_tree(), st.sampled_from([1, 2, 3, 64]), st.lists(st.sampled_from([0.0, 0.5, 1.0])))
def test_every_solver_equals_dense_solve_for_every_block(spec, block, xs):
    ncomp, parents, seed = spec
    # Children at their parent's start, middle or end (roots: ignored).
    parent_x = [(xs[b] if b < len(xs) else 1.0) for b in range(len(parents))]
    tree, d, u, b = _system(ncomp, parents, parent_x, block, seed)
    expected = jnp.linalg.solve(dense_matrix(d, u, tree.parent), b)
    for solver in SOLVERS:
        np.testing.assert_allclose(_solve(solver, tree)(d, u, b), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("block", [1, 2, 5])
def test_partitioned_solve_derivatives(block):
    # Children attached at a branch's start, middle and end; a forest of two trees.
    spec = ([3, 2, 4, 5, 2], [-1, 0, 0, 2, -1], [1.0, 0.3, 0.0, 1.0, 1.0])
    # (A well-conditioned matrix, so that second-order finite differences are accurate.)
    tree, d, u, b = _system(*spec, block=block, seed=3, margin=1.0)
    solve = _solve(ec.PartitionedSolve(), tree)
    check_grads(solve, (d, u, b), order=2, modes=("fwd", "rev"), eps=1e-5)
    # Exactly the sequential solve's first and second derivatives.
    seq = _solve(ec.SequentialSolve(), tree)
    grads = [jax.grad(lambda *a, f=f: jnp.sum(f(*a) ** 2), argnums=(0, 1, 2)) for f in (solve, seq)]
    for got, want in zip(grads[0](d, u, b), grads[1](d, u, b), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    tangents = (jnp.ones_like(d), jnp.zeros_like(u), jnp.ones_like(b))
    second = [jax.jvp(g, (d, u, b), tangents)[1] for g in grads]
    for got, want in zip(*second, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_run_layout_of_a_long_cable():
    structure = CellStructure.build([1000], [-1], block=32)
    tree = structure.tree
    # The root, then runs of 32 nodes cut by one separator each: 1 + 30 * 33 + 9 nodes;
    # 31 runs of at most 32 nodes, one after the other (23 padding nodes in the last).
    assert tree.run_last.shape == (32, 31) and tree.reduced_parent.shape == (31,)
    assert tree.parent.shape == (32 * 31 + 31,)
    n2c = np.asarray(structure.node_to_comp)
    assert sorted(n2c[n2c >= 0].tolist()) == list(range(1000))  # every compartment once
    assert np.sum(n2c < 0) == 23
    # Node k of run r is node k * 31 + r: along a run, each node's parent is the node one
    # row up; the first compartment is the root, a separator, stored after the runs.
    parent = np.asarray(tree.parent).reshape(-1)[: 32 * 31].reshape(32, 31)
    valid = n2c[: 32 * 31].reshape(32, 31) >= 0
    assert np.all((parent[1:] == np.arange(32 * 31).reshape(32, 31)[:-1])[valid[1:]])
    assert np.all(np.asarray(structure.comp_to_node)[:3] == [32 * 31, 0, 31])
    _, d, u, b = _system([1000], [-1], block=32, seed=5)
    seq = ec.tree_solve(ec.SequentialSolve(), d, u, b, tree)
    np.testing.assert_allclose(_solve(ec.PartitionedSolve(), tree)(d, u, b), seq, rtol=1e-12)
    with pytest.raises(ValueError, match="block must be >= 1"):
        run_layout(np.asarray([-1, 0]), 0)


def test_block_is_chosen_to_keep_padding_small():
    cable = np.arange(-1, 999)  # parent[i] = i - 1
    assert choose_block(cable) == MAX_BLOCK == 8
    # 40 branches of 3 nodes and one of 100 under a root: runs of 32 would pad 40 * 29
    # nodes; halving stops once the padding is at most 25% of the nodes.
    tree = CellStructure.build([1] + [3] * 40 + [100], [-1] + [0] * 41).tree
    width = tree.run_last.shape[0]
    assert width < 32
    nodes = tree.parent.shape[0]
    n2c = np.asarray(CellStructure.build([1] + [3] * 40 + [100], [-1] + [0] * 41).node_to_comp)
    padding = np.sum((n2c < 0) & (np.asarray(tree.parent) < 0))
    assert padding <= 0.25 * nodes


def padded_cell():
    """A long branch (runs cut every 32 nodes, the last one padded) under a soma with
    short branches at its end, start and middle; HH, a stimulus, every voltage recorded."""
    comp = ec.Compartment(radius=1.0, length=10.0)
    branches = [ec.Branch(comp, ncomp=n) for n in (3, 50, 2, 4, 3)]
    cell = ec.Cell(branches, parents=[-1, 0, 0, 1, 0], parent_x=[1.0, 1.0, 1.0, 0.4, 0.0])
    cell = cell.insert(ec.HH()).make_trainable("HH_gNa")
    cell = cell.branch(0).comp(0).stimulate(ec.step_current(1.0, 4.0, 0.3, 0.025, 5.0))
    return cell.comp("all").record("v")


def test_simulations_agree_for_every_solver_on_a_padded_layout():
    # Traces and gradients agree on a padded run layout.
    cell = padded_cell()
    n2c = np.asarray(cell.structure.node_to_comp)
    assert np.sum((n2c < 0) & (np.asarray(cell.structure.tree.parent) < 0)) > 0  # padding

    def loss(params, solver):
        return jnp.mean(cell.integrate(params, t_max=5.0, solver=solver) ** 2)

    params = cell.params()
    reference = cell.integrate(t_max=5.0, solver=ec.SequentialSolve())
    grad_ref = jax.grad(loss)(params, ec.SequentialSolve())
    for solver in (ec.PartitionedSolve(), ec.LevelParallelSolve()):
        np.testing.assert_allclose(
            cell.integrate(t_max=5.0, solver=solver), reference, atol=1e-9, rtol=0
        )
        got = jax.grad(loss)(params, solver)
        np.testing.assert_allclose(got[0]["HH_gNa"], grad_ref[0]["HH_gNa"], rtol=1e-9)


def _axial_current_dense(tree, g, v):
    """``L v`` with the axial-conductance matrix assembled densely."""
    g = jnp.where(tree.parent >= 0, g, 0.0)
    return dense_matrix(axial_diagonal(g, tree), -g, tree.parent) @ v


@settings(max_examples=10, deadline=None)
@given(random_tree(), st.sampled_from([1, 2, 3, 64]), st.lists(st.sampled_from([0.0, 0.5, 1.0])))
def test_axial_current_equals_the_dense_laplacian(spec, block, xs):
    ncomp, parents, seed = spec
    parent_x = [(xs[b] if b < len(xs) else 1.0) for b in range(len(parents))]
    tree = CellStructure.build(ncomp, parents, parent_x, block).tree
    rng = np.random.default_rng(seed)
    g, v = (jnp.asarray(rng.uniform(0.1, 2.0, tree.parent.shape[0])) for _ in range(2))
    got = jax.jit(axial_current)(g, v, tree)
    np.testing.assert_allclose(got, _axial_current_dense(tree, g, v), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "spec",
    [
        ([1], [-1]),  # one compartment: separators only
        ([3, 2, 4, 5, 2], [-1, 0, 0, 2, -1]),  # a forest of two trees
        ([40], [-1]),  # a cable cut into runs
        ([1] + [3] * 5 + [20], [-1] + [0] * 6),  # short branches and a long one on a soma
    ],
)
@pytest.mark.parametrize("block", [1, 4, None])
def test_axial_current_on_forests_and_cables(spec, block):
    tree = CellStructure.build(*spec, block=block).tree
    rng = np.random.default_rng(1)
    g, v = (jnp.asarray(rng.uniform(0.1, 2.0, tree.parent.shape[0])) for _ in range(2))
    got = axial_current(g, v, tree)
    np.testing.assert_allclose(got, _axial_current_dense(tree, g, v), rtol=1e-12, atol=1e-12)
    # Its derivatives are the same linear map (and its transpose) in both modes.
    check_grads(
        lambda v: axial_current(g, jnp.asarray(v), tree), (v,), order=1, modes=("fwd", "rev")
    )
