"""The rounds of the fused kernel (`eqcable.simulation.fused_rounds`): every item once, no
node twice in a round, each round after the ones it depends on; on random forests, a
reconstruction and connections onto shared compartments. And the kernel with a model
whose index arrays are traced (a node per round) equals the time loop."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import eqcable as ec
from eqcable.simulation.fused_rounds import (
    BLOCK,
    FusedRounds,
    contribution_rounds,
    fused_rounds,
    lanes_for,
    tree_rounds,
)

MORPHOLOGIES = __import__("pathlib").Path(__file__).parent / "data" / "morphologies"


def _items(rounds, lanes=BLOCK):
    """Per round, its (first, second) items without the padding lanes."""
    out = []
    for start, count in zip(rounds.start, rounds.count, strict=True):
        at = slice(start * lanes, (start + count) * lanes)
        keep = rounds.first[at] >= 0
        out.append((rounds.first[at][keep], rounds.second[at][keep]))
    assert rounds.first.shape[0] == lanes * int(np.sum(rounds.count))
    return out


def _check_tree(parent, lanes=BLOCK):
    n = parent.shape[0]
    up, down = tree_rounds(parent, lanes)
    eliminated_in = np.full(n, -1)
    for r, (child, par) in enumerate(_items(up, lanes)):
        assert np.all(parent[child] == par)
        assert np.unique(par).size == par.size  # no parent twice in a round
        assert np.all(eliminated_in[child] == -1)  # every node once
        eliminated_in[child] = r
    assert np.array_equal(np.flatnonzero(eliminated_in >= 0), np.flatnonzero(parent >= 0))
    # A node is eliminated after all its children.
    child = np.flatnonzero(parent >= 0)
    has_parent = parent[child]
    later = eliminated_in[has_parent]
    assert np.all((later == -1) | (later > eliminated_in[child]))
    solved_in = np.full(n, -1)
    for r, (node, par) in enumerate(_items(down, lanes)):
        assert np.all(np.where(parent[node] < 0, node, parent[node]) == par)
        assert np.all(solved_in[node] == -1)
        solved_in[node] = r
    assert np.all(solved_in >= 0)
    assert np.all(solved_in[child] > solved_in[has_parent])  # parents first
    return up, down


@pytest.mark.parametrize("seed", range(6))
def test_tree_rounds_on_random_forests(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    parent = np.array(
        [-1 if i == 0 or rng.random() < 0.05 else rng.integers(0, i) for i in range(n)]
    )
    parent[rng.random(n) < 0.03] = -1  # padding nodes and extra roots
    perm = rng.permutation(n)  # parents need not come first
    inverse = np.argsort(perm)
    shuffled = np.where(parent[perm] < 0, -1, inverse[np.maximum(parent[perm], 0)])
    _check_tree(shuffled, lanes=[32, 64, 256][seed % 3])


def test_tree_rounds_of_a_reconstruction_and_a_network():
    cell = ec.read_swc(MORPHOLOGIES / "ca1_n120.swc", ncomp=4)
    parent = np.asarray(cell.structure.tree.parent)
    up, down = _check_tree(parent)
    depth = len(_items(down))
    assert len(_items(up)) <= 3 * depth  # siblings split a depth into a few rounds
    assert len(_items(up)) < np.sum(parent >= 0) / 4  # far fewer rounds than nodes
    small = ec.Cell([ec.Branch(ec.Compartment(), ncomp=4)], parents=[-1])
    net = ec.Network([small] * 100)
    up, down = _check_tree(np.asarray(net.structure.tree.parent))
    assert len(_items(up)) <= 4 and len(_items(down)) <= 5  # the cells side by side


def test_lanes_for():
    assert [lanes_for(n) for n in (1, 20, 32, 33, 64, 65, 200, 256, 257, 10**5)] == [
        32,
        32,
        32,
        64,
        64,
        128,
        256,
        256,
        256,
        256,
    ]


def test_contribution_rounds():
    nodes = np.array([5, 3, 5, 5, 7, 3, 9])
    rounds = contribution_rounds(nodes, np.arange(7) * 10)
    seen = []
    for node, value in _items(rounds):
        assert np.unique(node).size == node.size
        seen += list(zip(node.tolist(), value.tolist(), strict=True))
    assert sorted(seen) == sorted(zip(nodes.tolist(), (np.arange(7) * 10).tolist(), strict=True))
    assert len(_items(rounds)) == 3  # node 5 takes three


def test_rounds_of_a_model_are_hashable_and_traced_models_have_none():
    cell = ec.Cell([ec.Branch(ec.Compartment(), ncomp=3)] * 3, parents=[-1, 0, 0])
    a, b = fused_rounds(cell), fused_rounds(cell)
    assert isinstance(a, FusedRounds) and a == b and hash(a) == hash(b)
    other = ec.Cell([ec.Branch(ec.Compartment(), ncomp=3)] * 3, parents=[-1, 0, 1])
    assert fused_rounds(other) != a
    assert eqx.filter_jit(lambda m: fused_rounds(m) is None)(cell)


def test_fused_steps_of_a_traced_network():
    cell = ec.Cell([ec.Branch(ec.Compartment(), ncomp=3)] * 3, parents=[-1, 0, 0]).insert(ec.HH())
    net = (
        ec.Network([cell] * 3).cell(0).comp(0).stimulate(ec.step_current(0.2, 2.0, 1.0, 0.025, 4.0))
    )
    net = net.connect(net.cell(0).comp(4), net.cell(1).comp(0), ec.Exp2Syn(weight=0.05), delay=0.5)
    net = net.connect(net.cell(0).comp(4), net.cell(2).comp(0), ec.IonotropicSynapse(gS=0.01))
    net = net.connect(net.cell(1).comp(2), net.cell(2).comp(2), ec.GapJunction())
    net = net.cell([0, 1, 2]).comp(0).record("v")
    fused = ec.PallasSolve(steps_per_launch=6)
    want = net.integrate(t_max=4.0, solver=ec.SequentialSolve())
    got = eqx.filter_jit(lambda m: m.integrate(t_max=4.0, solver=fused))(net)
    assert float(jnp.max(want[0])) > 0.0
    np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)
    np.testing.assert_allclose(net.integrate(t_max=4.0, solver=fused), want, atol=1e-10, rtol=0)
    assert jax.numpy.all(jnp.isfinite(got))
