"""`PallasSolve` (the tree solve as one Pallas kernel per solve), run here through Pallas'
interpreter: it equals the dense solve and the other solvers, with the same first
derivatives, batched, and in whole simulations (traces within 1e-10 mV, float64).
That it lowers for a GPU is checked in `test_gpu_lowering.py`."""

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from jax.test_util import check_grads
from test_dhs_solve import random_tree
from test_partitioned_solve import _system, padded_cell

import eqcable as ec
from eqcable.solvers import dense_matrix

MORPHOLOGIES = __import__("pathlib").Path(__file__).parent / "data" / "morphologies"
PALLAS = ec.PallasSolve()  # the interpreter on this CPU


def _solve(solver, tree):
    return jax.jit(lambda d, u, b: ec.tree_solve(solver, d, u, b, tree))


@settings(max_examples=10, deadline=None)
@given(random_tree(), st.sampled_from([None, 1, 3]), st.lists(st.sampled_from([0.0, 0.4, 1.0])))
def test_pallas_solve_equals_the_dense_solve(spec, block, xs):
    # Random trees, children at a branch's start, middle or end, padded run layouts.
    ncomp, parents, seed = spec
    parent_x = [(xs[b] if b < len(xs) else 1.0) for b in range(len(parents))]
    tree, d, u, b = _system(ncomp, parents, parent_x, block, seed)
    expected = jnp.linalg.solve(dense_matrix(d, u, tree.parent), b)
    np.testing.assert_allclose(_solve(PALLAS, tree)(d, u, b), expected, rtol=1e-12, atol=1e-12)
    explicit = _solve(ec.PallasSolve(interpret=True), tree)(d, u, b)
    np.testing.assert_allclose(explicit, expected, rtol=1e-12, atol=1e-12)


def test_pallas_solve_each_launch_equals_the_sequential_solve():
    # A forest of two trees with children at a start, middle and end.
    spec = ([3, 2, 4, 5, 2], [-1, 0, 0, 2, -1], [1.0, 0.3, 0.0, 1.0, 1.0])
    tree, d, u, b = _system(*spec, block=2, seed=5)
    seq = ec.SequentialSolve()
    seq_de, seq_be = seq.eliminate(d, u, b, tree)
    de, be = PALLAS.eliminate(d, u, b, tree)
    np.testing.assert_allclose(de, seq_de, rtol=1e-13)
    np.testing.assert_allclose(be, seq_be, rtol=1e-13, atol=1e-14)
    b2 = jnp.cos(b)
    np.testing.assert_allclose(
        PALLAS.eliminate_rhs(de, u, b2, tree), seq.eliminate_rhs(de, u, b2, tree), rtol=1e-13
    )
    x = seq.substitute(de, u, be, tree)
    np.testing.assert_allclose(PALLAS.substitute(de, u, be, tree), x, rtol=1e-13, atol=1e-14)
    solved = PALLAS.solve(d, u, b, tree)
    np.testing.assert_allclose(solved[0], seq_de, rtol=1e-13)
    np.testing.assert_allclose(solved[1], x, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(
        PALLAS.solve_eliminated(de, u, b2, tree),
        seq.solve_eliminated(de, u, b2, tree),
        rtol=1e-13,
        atol=1e-14,
    )


def test_pallas_solve_derivatives_and_batches():
    spec = ([3, 2, 4, 5, 2], [-1, 0, 0, 2, -1], [1.0, 0.3, 0.0, 1.0, 1.0])
    tree, d, u, b = _system(*spec, block=3, seed=3, margin=1.0)
    solve = _solve(PALLAS, tree)
    # First derivatives (forward and reverse mode) against finite differences, and
    # exactly the sequential solve's. (Pallas cannot differentiate a kernel that updates
    # in place, so derivatives of order two are not available with this solver.)
    check_grads(solve, (d, u, b), order=1, modes=("fwd", "rev"), eps=1e-5)
    seq = _solve(ec.SequentialSolve(), tree)
    grads = [jax.grad(lambda *a, f=f: jnp.sum(f(*a) ** 2), argnums=(0, 1, 2)) for f in (solve, seq)]
    for got, want in zip(grads[0](d, u, b), grads[1](d, u, b), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    # vmap: one program per system on a GPU; nested batches too.
    rng = np.random.default_rng(0)
    bs = jnp.asarray(rng.normal(size=(2, 3, b.shape[0])))
    ds = d + jnp.asarray(rng.uniform(0.0, 1.0, (3, d.shape[0])))
    batched = jax.vmap(jax.vmap(solve, in_axes=(0, None, 0)), in_axes=(None, None, 0))(ds, u, bs)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(batched[i, j], seq(ds[j], u, bs[i, j]), rtol=1e-13)


@pytest.mark.parametrize("stepper", [ec.BackwardEuler(), ec.CrankNicolson()])
def test_simulation_with_pallas_solve_equals_the_reference(stepper):
    cell = padded_cell()

    def loss(params, solver):
        v = cell.integrate(params, t_max=5.0, solver=solver, stepper=stepper)
        return jnp.mean(v**2)

    reference = cell.integrate(t_max=5.0, solver=ec.SequentialSolve(), stepper=stepper)
    got = cell.integrate(t_max=5.0, solver=PALLAS, stepper=stepper)
    assert float(jnp.max(reference)) > 0.0  # it spikes
    np.testing.assert_allclose(got, reference, atol=1e-10, rtol=0)
    params = cell.params()
    want = jax.grad(loss)(params, ec.SequentialSolve())[0]["HH_gNa"]
    np.testing.assert_allclose(jax.grad(loss)(params, PALLAS)[0]["HH_gNa"], want, rtol=1e-9)


def test_batched_network_of_swc_cells_with_pallas_solve():
    # A CA1 reconstruction and a small cell, an Exp2Syn with a delay, a gap junction; a
    # batch of three sodium conductances under vmap.
    ca1 = ec.read_swc(MORPHOLOGIES / "ca1_n120.swc", ncomp=2).insert(ec.HH())
    small = ec.Cell([ec.Branch(ec.Compartment(), ncomp=3)] * 3, parents=[-1, 0, 0])
    net = ec.Network([ca1, small.insert(ec.HH())])
    net = net.connect(net.cell(0).comp(0), net.cell(1).comp(0), ec.Exp2Syn(threshold=-20.0))
    net = net.connect(net.cell(0).comp(5), net.cell(1).comp(4), ec.GapJunction(g=1e-3))
    net = net.cell(0).comp(0).stimulate(ec.step_current(0.5, 2.0, 1.5, 0.025, 6.0))
    net = net.cell([0, 1]).comp(0).record().make_trainable("HH_gNa")
    params = net.params()
    gnas = jnp.array([0.10, 0.12, 0.14])

    def run(g, solver):
        p = jax.tree.map(lambda x: x, params)
        p[0]["HH_gNa"] = jnp.full_like(params[0]["HH_gNa"], g)
        return net.integrate(p, t_max=6.0, solver=solver)

    want = jax.vmap(lambda g: run(g, ec.PartitionedSolve()))(gnas)
    got = jax.jit(jax.vmap(lambda g: run(g, PALLAS)))(gnas)
    assert float(jnp.max(want[:, 0])) > 0.0
    np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)
