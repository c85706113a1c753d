"""Gap junctions: equal to NEURON with the same scheme, gradients, and errors.

eqcable's `GapJunction` is semi-implicit (each side implicit in its own voltage, explicit
in the partner's; `eqcable.synapses.gap_junction`): NEURON's reference is the same scheme,
a pair of half-gaps (`tests/mod/HalfGap.mod`, a current ``g (v − vgap)`` with ``vgap`` a
POINTER to the partner's voltage).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import (
    assert_gradient_matches_finite_differences,
    clear_neuron,
    neuron_build,
    run_neuron_segments,
)

import eqcable as ec

jax.config.update("jax_enable_x64", True)

DT, T_MAX = 0.025, 30.0


def hh_cell(radius=1.0):
    soma = ec.Branch(ec.Compartment(radius=6.0, length=12.0), 1)
    dend = ec.Branch(ec.Compartment(radius=radius, length=40.0), 4)
    return ec.Cell([soma, dend], [-1, 0]).insert(ec.HH())


def coupled(pairs, g, ncells, stim_cell=0, t_max=T_MAX):
    """A network of `ncells` HH cells with gap junctions between (cell, comp) `pairs`."""
    net = ec.Network([hh_cell(radius=1.0 + 0.1 * c) for c in range(ncells)])
    for ((ca, a), (cb, b)), gj in zip(pairs, g, strict=True):
        net = net.connect(net.cell(ca).comp(a), net.cell(cb).comp(b), ec.GapJunction(g=gj))
    net = net.cell(stim_cell).comp(0).stimulate(ec.step_current(2.0, 20.0, 0.3, DT, t_max))
    return net.cell("all").comp([0, 4]).record("v")


def neuron_coupled(net, pairs, g, stim_cell=0):
    from neuron import h

    clear_neuron()
    sections, segments = neuron_build(net)
    flat = lambda cell, comp: int(net.cell_compartments(cell)[comp])  # noqa: E731
    keep = []
    for ((ca, a), (cb, b)), gj in zip(pairs, g, strict=True):
        for this, other in ((flat(ca, a), flat(cb, b)), (flat(cb, b), flat(ca, a))):
            half = h.HalfGap(segments[this])
            half.g = gj
            h.setpointer(segments[other]._ref_v, "vgap", half)
            keep.append(half)
    record = [flat(c, k) for c in range(net.ncells) for k in (0, 4)]
    out = run_neuron_segments(
        segments,
        t_max=T_MAX,
        dt=DT,
        record_comps=record,
        iclamps=[(flat(stim_cell, 0), 2.0, 20.0, 0.3)],
    )
    del keep, sections, segments
    return out


# A pair (soma to dendrite tip), and a ring of four cells with one junction within a cell.
CASES = {
    "pair": ([((0, 4), (1, 0))], [0.004], 2),
    "ring": (
        [((0, 0), (1, 0)), ((1, 4), (2, 0)), ((2, 2), (3, 0)), ((3, 4), (0, 3)), ((2, 1), (2, 4))],
        [0.005, 0.003, 0.004, 0.006, 0.002],
        4,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_gap_junctions_equal_neuron_half_gaps(case, bbp_mechanisms):
    pairs, g, ncells = CASES[case]
    net = coupled(pairs, g, ncells)
    got = np.asarray(net.integrate(t_max=T_MAX, dt=DT))
    ref = neuron_coupled(net, pairs, g)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9)
    # The coupling acts: every cell depolarises, though only cell 0 is stimulated.
    assert np.all(got.max(axis=1) > -60.0)
    uncoupled = np.asarray(coupled([], [], ncells).integrate(t_max=T_MAX, dt=DT))
    assert np.all(uncoupled[2:].max(axis=1) < -64.0)


def test_gap_junction_current_and_gradient():
    pairs, g, ncells = CASES["ring"]
    net = coupled(pairs, g, ncells, t_max=15.0).make_trainable("GapJunction_g", shared=False)

    def loss(params):
        v = net.integrate(params, t_max=15.0, dt=DT)
        return jnp.mean((v + 60.0) ** 2)

    assert_gradient_matches_finite_differences(net.params(), "GapJunction_g", loss)
    # The recorded current leaves the post side: g (v_post - v_pre), with v_post after the
    # step and v_pre from its start (the scheme's implicit and explicit sides).
    pair = coupled(*CASES["pair"], t_max=T_MAX).delete_recordings()
    pair = pair.synapse("GapJunction", 0).record("i_GapJunction")
    pair = pair.cell(1).comp(0).record("v").cell(0).comp(4).record("v")
    current, v_post, v_pre = np.asarray(pair.integrate(t_max=T_MAX, dt=DT))
    np.testing.assert_allclose(current[1:], 0.004 * (v_post[1:] - v_pre[:-1]), rtol=1e-12)
    assert np.abs(current).max() > 0.05


def test_bad_gap_junctions_are_refused():
    net = ec.Network([hh_cell(), hh_cell()])
    a, b = net.cell(0).comp(4), net.cell(1).comp(0)
    with pytest.raises(ValueError, match="without delay; got a delay"):
        net.connect(a, b, ec.GapJunction(), delay=1.0)
    with pytest.raises(ValueError, match="to itself"):
        net.connect(a, a, ec.GapJunction())
    with pytest.raises(ValueError, match="spike train cannot be one"):
        net.connect(ec.SpikeTrain([1.0]), b, ec.GapJunction())
    once = net.connect(a, b, ec.GapJunction())
    with pytest.raises(ValueError, match="coupled twice"):
        once.connect(b, a, ec.GapJunction())
    with pytest.raises(ValueError, match="coupled twice"):
        net.connect_matrix(np.array([[0, 1], [1, 0]]), ec.GapJunction())
    with pytest.raises(ValueError, match="g"):
        net.connect(a, b, ec.GapJunction(g=-1.0))
