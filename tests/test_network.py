"""Networks: parity with Jaxley (graded synapses) and NEURON (Exp2Syn + NetCon with
delays), gradients, batching, and errors."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import MORPHOLOGIES, assert_gradient_matches_finite_differences, neuron_build

import eqcable as ec

DT = 0.025


def hh_cell(ncomp=4, radius=1.0):
    comp = ec.Compartment(radius=radius, length=10.0, axial_resistivity=5000.0, v=-65.0)
    return ec.Cell([ec.Branch(comp, ncomp=ncomp)], parents=[-1]).insert(ec.HH())


# (pre cell, pre comp, post cell, post comp, synapse type) of the Jaxley comparison
JAXLEY_EDGES = [
    (0, 0, 1, 2, "ionotropic"),
    (1, 3, 2, 0, "ionotropic"),
    (0, 1, 3, 1, "tanh"),
    (2, 0, 3, 3, "tanh"),
    (3, 2, 4, 0, "ionotropic"),
]


def test_graded_synapses_equal_jaxley():
    jx = pytest.importorskip("jaxley")
    from jaxley.channels import HH
    from jaxley.connect import connect
    from jaxley.synapses import IonotropicSynapse, TanhRateSynapse

    t_max, ncells = 20.0, 5
    tanh_params = dict(gS=0.05, x_offset=-40.0, slope=0.1)

    jcell = jx.Cell([jx.Branch(jx.Compartment(), ncomp=4)], parents=[-1])
    jnet = jx.Network([jcell] * ncells)
    jnet.set("radius", 1.0)
    jnet.set("length", 10.0)
    jnet.set("axial_resistivity", 5000.0)
    jnet.insert(HH())
    jnet.set("v", -65.0)
    for pre, pc, post, qc, kind in JAXLEY_EDGES:
        syn = IonotropicSynapse() if kind == "ionotropic" else TanhRateSynapse()
        connect(jnet.cell(pre).branch(0).comp(pc), jnet.cell(post).branch(0).comp(qc), syn)
    jnet.set("IonotropicSynapse_gS", 0.02)
    for name, value in tanh_params.items():
        jnet.set(f"TanhRateSynapse_{name}", value)
    jnet.init_states()
    jnet.cell(0).branch(0).comp(0).stimulate(jx.step_current(1.0, 5.0, 0.5, DT, t_max))
    for c in range(ncells):
        jnet.cell(c).branch(0).comp(3).record("v", verbose=False)
    v_jaxley = np.asarray(jx.integrate(jnet, delta_t=DT, t_max=t_max))

    net = ec.Network([hh_cell()] * ncells)
    for pre, pc, post, qc, kind in JAXLEY_EDGES:
        if kind == "ionotropic":
            syn = ec.IonotropicSynapse(gS=0.02)
        else:
            syn = ec.TanhRateSynapse(**tanh_params, jaxley_linearisation=True)
        net = net.connect(net.cell(pre).branch(0).comp(pc), net.cell(post).branch(0).comp(qc), syn)
    net = net.cell(0).branch(0).comp(0).stimulate(ec.step_current(1.0, 5.0, 0.5, DT, t_max))
    net = net.cell("all").branch(0).comp(3).record("v")
    v = np.asarray(net.integrate(t_max=t_max, dt=DT))

    assert v.shape == v_jaxley.shape
    assert np.ptp(v, axis=1).min() > 5.0  # every cell is driven through its synapses
    np.testing.assert_allclose(v, v_jaxley, atol=1e-6, rtol=0)


def upward_crossings(v, level=0.0):
    """Step indices at which `v` first exceeds `level` (spikes)."""
    return np.nonzero((v[1:] > level) & (v[:-1] <= level))[0] + 1


@pytest.mark.parametrize("stepper", [ec.BackwardEuler(), ec.CrankNicolson()])
def test_exp2syn_with_delays_matches_neuron(stepper):
    from helpers import run_neuron_segments
    from neuron import h

    t_max = 40.0
    # (pre cell, pre comp, post cell, post comp, weight µS, delay ms, threshold mV)
    edges = [
        (0, 3, 1, 0, 0.02, 1.0, -20.0),
        (1, 3, 2, 1, 0.03, 2.5, 0.0),
        (2, 0, 0, 2, 0.005, 0.0, 10.0),
    ]
    inputs = [((3.0, 21.3), 2, 2, 0.02, 0.5)]  # (spike times, post cell, post comp, w, delay)
    tau1, tau2, e_rev = 0.5, 3.0, 0.0

    net = ec.Network([hh_cell(), hh_cell(radius=1.2), hh_cell()])
    for pre, pc, post, qc, w, d, th in edges:
        syn = ec.Exp2Syn(weight=w, tau1=tau1, tau2=tau2, e=e_rev, threshold=th)
        net = net.connect(net.cell(pre).comp(pc), net.cell(post).comp(qc), syn, delay=d)
    for times, post, qc, w, d in inputs:
        syn = ec.Exp2Syn(weight=w, tau1=tau1, tau2=tau2, e=e_rev)
        net = net.connect(ec.SpikeTrain(times), net.cell(post).comp(qc), syn, delay=d)
    record = [net.cell_compartments(c)[k] for c in range(3) for k in (0, 3)]
    for c in record:
        net = net.comp(int(c)).record("v")
    for c in record:  # with the synaptic currents, as NEURON's fast i_membrane_
        net = net.comp(int(c)).record("i_membrane")
    net = net.cell(0).comp(0).stimulate(ec.step_current(2.0, 1.0, 0.4, DT, t_max))
    v, i_membrane = np.split(np.asarray(net.integrate(t_max=t_max, dt=DT, stepper=stepper)), 2)

    sections, segments = neuron_build(net)
    keep = []
    for pre, pc, post, qc, w, d, th in edges:
        syn = h.Exp2Syn(segments[net.cell_compartments(post)[qc]])
        syn.tau1, syn.tau2, syn.e = tau1, tau2, e_rev
        src = segments[net.cell_compartments(pre)[pc]]
        nc = h.NetCon(src._ref_v, syn, sec=src.sec)
        nc.threshold, nc.delay, nc.weight[0] = th, d, w
        keep += [syn, nc]
    for times, post, qc, w, d in inputs:
        syn = h.Exp2Syn(segments[net.cell_compartments(post)[qc]])
        syn.tau1, syn.tau2, syn.e = tau1, tau2, e_rev
        nc = h.NetCon(None, syn)
        nc.weight[0] = w

        def queue(nc=nc, times=times, d=d):
            for t in times:
                nc.event(t + d)

        keep += [syn, nc, h.FInitializeHandler(queue)]
    h.CVode().use_fast_imem(1)
    v_neuron, i_neuron = np.split(
        run_neuron_segments(
            segments,
            t_max=t_max,
            dt=DT,
            record_comps=[*record, *((c, "i_membrane_") for c in record)],
            iclamps=[(0, 2.0, 1.0, 0.4)],
            secondorder=stepper.neuron_secondorder,
        ),
        2,
    )
    h.CVode().use_fast_imem(0)
    del keep, sections, segments
    np.testing.assert_allclose(i_membrane, i_neuron, atol=1e-9, rtol=0)

    for row, row_neuron in zip(v, v_neuron, strict=True):
        np.testing.assert_array_equal(upward_crossings(row), upward_crossings(row_neuron))
    assert all(len(upward_crossings(row)) >= 1 for row in v)  # every cell spikes
    assert np.mean(np.abs(v - v_neuron)) <= 0.05
    np.testing.assert_allclose(v, v_neuron, atol=1e-6, rtol=0)


def small_network():
    """Three HH cells: 0 -> 1 (Ionotropic, no delay), 1 -> 2 (Exp2Syn, 1 ms delay),
    0 -> 2 (TanhRate, 0.5 ms delay), and a spike train onto cell 1."""
    t_max = 15.0
    net = ec.Network([hh_cell()] * 3)
    net = net.connect(net.cell(0).comp(3), net.cell(1).comp(0), ec.IonotropicSynapse(gS=0.02))
    net = net.connect(
        net.cell(1).comp(3),
        net.cell(2).comp(0),
        ec.Exp2Syn(weight=0.02, threshold=-20.0),
        delay=1.0,
    )
    net = net.connect(
        net.cell(0).comp(2),
        net.cell(2).comp(1),
        ec.TanhRateSynapse(gS=0.01, x_offset=-40.0),
        delay=0.5,
    )
    net = net.connect(ec.SpikeTrain([6.0]), net.cell(1).comp(1), ec.Exp2Syn(weight=0.01))
    net = net.cell(0).comp(0).stimulate(ec.step_current(1.0, 1.0, 0.5, DT, t_max))
    net = net.cell("all").comp(3).record("v")
    return net, t_max


@pytest.mark.parametrize(
    "name", ["IonotropicSynapse_gS", "Exp2Syn_weight", "TanhRateSynapse_gS", "HH_gNa"]
)
def test_gradients_equal_finite_differences(name):
    net, t_max = small_network()
    net = net.make_trainable(name, shared=name == "HH_gNa")

    def loss(params):
        v = net.integrate(params, t_max=t_max, dt=DT)
        return jnp.mean((v + 65.0) ** 2)

    assert_gradient_matches_finite_differences(net.params(), name, loss)


def test_identical_cells_equal_separate_simulations():
    t_max = 10.0
    cells = [hh_cell(ncomp=3), hh_cell(ncomp=5, radius=0.8), hh_cell(ncomp=3)]
    amps = [0.3, 0.5, 0.0]
    separate = []
    for cell, amp in zip(cells, amps, strict=True):
        cell = cell.comp(1).stimulate(ec.step_current(1.0, 3.0, amp, DT, t_max))
        separate.append(np.asarray(cell.comp("all").record("v").integrate(t_max=t_max)))
    net = ec.Network(cells)
    for c, amp in enumerate(amps):
        net = net.cell(c).comp(1).stimulate(ec.step_current(1.0, 3.0, amp, DT, t_max))
    net = net.comp("all").record("v")
    for solver in (ec.SequentialSolve(), ec.LevelParallelSolve()):
        together = np.asarray(net.integrate(t_max=t_max, solver=solver))
        np.testing.assert_allclose(together, np.concatenate(separate), atol=1e-10, rtol=0)


def test_solve_levels_hold_all_cells():
    net = ec.Network([hh_cell(ncomp=4)] * 10)
    levels = np.asarray(net.structure.tree.levels)
    assert levels.shape == (3, 10, 2)  # depth 3; each level eliminates one pair per cell


def test_vmap_over_synaptic_parameters_equals_loop():
    net, t_max = small_network()
    net = (
        net.make_trainable("IonotropicSynapse_gS")
        .synapse("Exp2Syn", 0)
        .make_trainable("Exp2Syn_weight")
    )
    gs = jnp.array([0.005, 0.02, 0.04])
    ws = jnp.array([0.01, 0.02, 0.0])
    batch = ({"IonotropicSynapse_gS": gs}, {"Exp2Syn_weight": ws})
    batched = eqx.filter_vmap(lambda p: net.integrate(p, t_max=t_max))(batch)
    for i in range(3):
        one = ({"IonotropicSynapse_gS": gs[i]}, {"Exp2Syn_weight": ws[i]})
        np.testing.assert_allclose(batched[i], net.integrate(one, t_max=t_max), atol=1e-12)


def test_record_synapse_states_and_currents():
    net, t_max = small_network()
    net = net.delete_recordings().cell(2).comp(0).record("v")  # Exp2Syn 0's target
    net = net.record("IonotropicSynapse_s").synapse("Exp2Syn", 0).record("i_Exp2Syn")
    for state in ("A", "B"):
        net = net.synapse("Exp2Syn", 0).record(f"Exp2Syn_{state}")
    v, s, i, a, b = np.asarray(net.integrate(t_max=t_max))
    assert s[0] == 0.2 and 0 < s.max() <= 1  # Jaxley's initial state, then a response
    first = ec.IonotropicSynapse().step({"s": 0.2}, jnp.asarray(-65.0), None, DT)["s"]
    np.testing.assert_allclose(s[1], first, rtol=1e-12)
    assert b.max() > 0.01  # the delayed spike of cell 1 arrived
    np.testing.assert_allclose(i, (b - a) * (v - 0.0), rtol=1e-12, atol=1e-15)


def test_connectivity_helpers():
    net = ec.Network([hh_cell(ncomp=2)] * 4)
    full = net.fully_connect([0, 1], "all", ec.IonotropicSynapse())
    c = full.connections[0]
    assert c.size == 2 * 4 - 2  # no autapses
    starts = [full.cell_compartments(k)[0] for k in range(4)]
    pairs = list(zip(np.asarray(c.pre).tolist(), np.asarray(c.post).tolist(), strict=True))
    assert pairs == [(starts[i], starts[j]) for i in (0, 1) for j in range(4) if i != j]

    matrix = np.array([[0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 0, 0], [1, 0, 0, 0]])
    m = net.connect_matrix(matrix, ec.Exp2Syn(), post_site=(0, 1), delay=[0.0, 1.0, 2.0, 0.5])
    c = m.connections[0]
    assert np.asarray(c.post).tolist() == [3, 5, 7, 1]
    assert c.delay == (0.0, 1.0, 2.0, 0.5)

    key = jax.random.PRNGKey(0)
    a = net.sparse_connect("all", "all", ec.IonotropicSynapse(), 0.5, key)
    b = net.sparse_connect("all", "all", ec.IonotropicSynapse(), 0.5, key)
    assert 0 < a.connections[0].size < 12
    np.testing.assert_array_equal(a.connections[0].post, b.connections[0].post)
    assert net.sparse_connect("all", "all", ec.IonotropicSynapse(), 0.0, key) is net

    # Connections of one type accumulate; shared and per-synapse trainables
    two = full.connect(full.cell(3).comp(1), full.cell(0).comp(0), ec.IonotropicSynapse(gS=0.5))
    assert two.connections[0].size == 7
    assert float(two.synapse("IonotropicSynapse", -1).get("IonotropicSynapse_gS")[0]) == 0.5
    two = two.synapse("IonotropicSynapse", [0, 1]).make_trainable("IonotropicSynapse_gS")
    two = two.make_trainable("IonotropicSynapse_k_minus", shared=False)
    assert [jnp.shape(v) for p in two.params() for v in p.values()] == [(), (7,)]


def test_poisson_input_is_reproducible():
    key = jax.random.PRNGKey(3)
    a = ec.poisson_spike_train(200.0, 100.0, key)
    b = ec.poisson_spike_train(200.0, 100.0, key)
    np.testing.assert_array_equal(a.times, b.times)
    assert 5 < a.times.size < 40 and np.all(np.diff(np.asarray(a.times)) >= 0)
    net = ec.Network([hh_cell()])
    net = net.connect(a, net.cell(0).comp(0), ec.Exp2Syn(weight=0.05)).cell(0).comp(0).record("v")
    v = np.asarray(net.integrate(t_max=100.0))
    assert v.max() > 0  # the input drives spikes


def test_bad_network_input_raises():
    net = ec.Network([hh_cell()] * 2)
    syn = ec.IonotropicSynapse()
    with pytest.raises(ValueError, match="cell index 2 is out of range"):
        net.connect(net.cell(0).comp(0), net.cell(2).comp(0), syn)
    with pytest.raises(ValueError, match="branch index 1 is out of range"):
        net.cell(0).branch(1)
    with pytest.raises(ValueError, match="compartment index 4 is out of range"):
        net.cell(1).branch(0).comp(4)
    with pytest.raises(ValueError, match="delays must be finite and >= 0"):
        net.connect(net.cell(0).comp(0), net.cell(1).comp(0), syn, delay=-1.0)
    with pytest.raises(ValueError, match="Exp2Syn_weight = nan µS is invalid: it must be finite"):
        net.connect(net.cell(0).comp(0), net.cell(1).comp(0), ec.Exp2Syn(weight=np.nan))
    with pytest.raises(ValueError, match="do not pair up"):
        net.connect(net.cell(0).comp([0, 1]), net.cell(1).comp([0, 1, 2]), syn)
    with pytest.raises(TypeError, match="AbstractSynapse"):
        net.connect(net.cell(0).comp(0), net.cell(1).comp(0), ec.HH())
    with pytest.raises(ValueError, match="different module"):
        net.connect(hh_cell().comp(0), net.cell(1).comp(0), syn)
    with pytest.raises(ValueError, match="shape"):
        net.connect_matrix(np.ones((3, 2)), syn)
    with pytest.raises(ValueError, match="p must be in"):
        net.sparse_connect("all", "all", syn, 1.5, jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="SpikeTrain times"):
        ec.SpikeTrain([1.0, -2.0])
    connected = net.connect(net.cell(0).comp(0), net.cell(1).comp(0), syn, delay=0.01)
    with pytest.raises(ValueError, match="not a whole number of time steps"):
        connected.cell(0).comp(0).record("v").integrate(t_max=1.0, dt=0.025)
    with pytest.raises(ValueError, match="belongs to synapses"):
        connected.cell(0).comp(0).set("IonotropicSynapse_gS", 1.0)
    with pytest.raises(
        ValueError, match="IonotropicSynapse_gS = inf µS is invalid: it must be finite"
    ):
        connected.set("IonotropicSynapse_gS", np.inf)
    with pytest.raises(ValueError, match="No 'Exp2Syn' synapses"):
        connected.synapse("Exp2Syn")
    with pytest.raises(TypeError, match="not a Cell"):
        ec.Network([net])


def test_segmented_gradients_with_delays_equal_plain():
    # Checkpointed segments carry the delay buffers and threshold flags across segment
    # boundaries; values and gradients must not depend on the segmenting.
    net, t_max = small_network()
    net = net.make_trainable("IonotropicSynapse_gS").make_trainable("TanhRateSynapse_gS")
    params = net.params()

    def loss(p, k):
        return jnp.mean(net.integrate(p, t_max=t_max, checkpoint_length=k) ** 2)

    plain = eqx.filter_value_and_grad(lambda p: loss(p, None))(params)
    for k in (7, 64):  # 600 steps: segments shorter and longer than the 40-step delay
        value, grad = eqx.filter_value_and_grad(lambda p, k=k: loss(p, k))(params)
        np.testing.assert_allclose(value, plain[0], rtol=1e-12)
        for a, b in zip(jax.tree.leaves(grad), jax.tree.leaves(plain[1]), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10)


def test_delay_buffer_holds_only_the_longest_delay():
    from eqcable.synapses.wiring import wiring

    net, _ = small_network()
    c2n = net.structure.comp_to_node
    lengths = [wiring(g, c2n, DT, True).buffer_length for g in net.connections]
    # Ionotropic: no delay; Exp2Syn: 1 ms = 40 steps; TanhRate: 0.5 ms = 20 steps
    assert lengths == [1, 41, 21]


def test_network_of_swc_cells_runs_and_matches_the_cell():

    swc = MORPHOLOGIES / "ca1_n120.swc"
    cell = ec.read_swc(swc, ncomp=1).insert(ec.HH())
    alone = cell.comp(0).stimulate(ec.step_current(1.0, 2.0, 1.0, DT, 5.0)).comp(0).record()
    net = ec.Network([cell, hh_cell()])
    net = net.connect(net.cell(0).comp(0), net.cell(1).comp(0), ec.Exp2Syn(threshold=-20.0))
    net = net.cell(0).comp(0).stimulate(ec.step_current(1.0, 2.0, 1.0, DT, 5.0))
    net = net.cell(0).comp(0).record()
    np.testing.assert_allclose(net.integrate(t_max=5.0), alone.integrate(t_max=5.0), atol=1e-10)


def test_spike_train_drives_graded_synapse_with_a_pulse():
    # A graded synapse sees v_peak for `width` after each (delayed) spike, else v_rest.
    net = ec.Network([hh_cell()])
    train = ec.SpikeTrain([2.0], v_rest=-70.0, v_peak=20.0, width=1.0)
    net = net.connect(train, net.cell(0).comp(0), ec.IonotropicSynapse(), delay=0.5)
    net = net.record("IonotropicSynapse_s")
    s = np.asarray(net.integrate(t_max=5.0))[0]
    k_on, k_off = round(2.5 / DT), round(3.5 / DT)  # the pulse covers steps [100, 140)
    assert np.all(np.diff(s[1 : k_on + 1]) < 0)  # decays towards s_inf(-70 mV) before
    assert np.all(np.diff(s[k_on + 1 : k_off + 1]) > 0)  # rises during the pulse
    assert np.all(np.diff(s[k_off + 1 :]) < 0)  # decays after


def test_event_driven_synapse_needs_a_threshold():
    from typing import ClassVar

    class NoThreshold(ec.AbstractSynapse):
        weight: float = 0.01
        state_names: ClassVar = ("g",)
        event_driven: ClassVar = True

        def init_states(self):
            return {"g": 0.0}

        def step(self, states, pre, v_post, dt):
            return {"g": states["g"] + pre * self.weight}

        def current(self, states, pre, v_post):
            return states["g"] * v_post

    net = ec.Network([hh_cell()] * 2)
    with pytest.raises(TypeError, match="no `threshold` field"):
        net.connect(net.cell(0).comp(0), net.cell(1).comp(0), NoThreshold())


def test_review_edge_cases():
    net = ec.Network([hh_cell()] * 2)
    # A delayed spike train starting at t = 0 reaches a graded synapse only after the delay.
    train = ec.SpikeTrain([0.0], v_rest=-70.0, v_peak=20.0, width=1.0)
    syn = ec.TanhRateSynapse(gS=0.01, x_offset=-40.0)
    delayed = net.connect(train, net.cell(0).comp(0), syn, delay=2.0).record("i_TanhRateSynapse")
    i = np.asarray(delayed.integrate(t_max=4.0))[0]
    rest, peak = -0.01 * np.tanh(-30.0), -0.01 * np.tanh(60.0)
    np.testing.assert_allclose(i[: round(2.0 / DT)], rest, rtol=1e-12)
    np.testing.assert_allclose(i[round(2.0 / DT) + 1 : round(3.0 / DT)], peak, rtol=1e-12)
    # Spikes on exact half steps arrive at the earlier step, also under jit.
    from eqcable.synapses.inputs import spike_counts

    counts = jax.jit(lambda t: spike_counts(t, DT, 10))(jnp.array([0.0125, 0.0375, 0.05]))
    np.testing.assert_array_equal(counts[:3], [1.0, 1.0, 1.0])
    # Saturating ionotropic synapses keep finite gradients (s_inf rounds to 1).
    sat = net.connect(
        net.cell(0).comp(3), net.cell(1).comp(0), ec.IonotropicSynapse(gS=0.02, delta=0.5)
    )
    sat = sat.cell(0).comp(0).stimulate(ec.step_current(0.5, 1.0, 0.5, DT, 6.0))
    sat = sat.cell(1).comp(0).record().make_trainable("IonotropicSynapse_v_th")
    grad = eqx.filter_grad(lambda p: jnp.mean(sat.integrate(p, t_max=6.0) ** 2))(sat.params())
    assert np.isfinite(grad[0]["IonotropicSynapse_v_th"])
    # Thresholds have no gradient; empty selections and bad time constants are refused.
    exp2 = net.connect(net.cell(0).comp(0), net.cell(1).comp(0), ec.Exp2Syn())
    with pytest.raises(ValueError, match="has no gradient"):
        exp2.make_trainable("Exp2Syn_threshold")
    with pytest.raises(ValueError, match="selects no cell"):
        net.cell([])
    with pytest.raises(ValueError, match="selects no connection"):
        exp2.synapse("Exp2Syn", [])
    with pytest.raises(
        ValueError, match="Exp2Syn_tau2 = -1 ms is invalid: it must be finite and > 0 ms"
    ):
        net.connect(net.cell(0).comp(0), net.cell(1).comp(0), ec.Exp2Syn(tau2=-1.0))
    with pytest.raises(
        ValueError, match="Exp2Syn_tau1 = 0 ms is invalid: it must be finite and > 0 ms"
    ):
        exp2.set("Exp2Syn_tau1", 0.0)


def test_network_built_under_vmap_equals_loop():
    # Synapse parameters may be traced (a network built inside vmap/grad); delays may not.
    def run(g):
        net = ec.Network([hh_cell()] * 2)
        net = net.connect(net.cell(0).comp(3), net.cell(1).comp(0), ec.IonotropicSynapse(gS=g))
        net = net.connect(net.cell(0).comp(3), net.cell(1).comp(1), ec.IonotropicSynapse(gS=g))
        net = net.cell(0).comp(0).stimulate(ec.step_current(0.5, 1.0, 0.5, DT, 5.0))
        return net.cell(1).comp(0).record().integrate(t_max=5.0)

    gs = jnp.array([0.0, 0.01, 0.03])
    batched = eqx.filter_vmap(run)(gs)
    for k, g in enumerate(gs):
        np.testing.assert_allclose(batched[k], run(float(g)), atol=1e-12)
    net = ec.Network([hh_cell()] * 2)
    with pytest.raises(TypeError, match="delays .* must be numbers"):
        jax.vmap(
            lambda d: net.connect(net.cell(0).comp(0), net.cell(1).comp(0), ec.Exp2Syn(), delay=d)
        )(jnp.array([1.0]))
