"""The user-facing API: every bad input is a clear error, NEURON's initialisation, no
chaining traps, labelled results (issue 13)."""

import warnings
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import neuron_run
from jaxtyping import ArrayLike

import eqcable as ec

DT, T_MAX = 0.025, 5.0


def _cell():
    branch = ec.Branch(ec.Compartment(), ncomp=3)
    return ec.Cell([branch, branch], parents=[-1, 0]).insert(ec.HH())


def _run(cell, t_max=T_MAX):
    return np.asarray(cell.integrate(t_max=t_max, dt=DT))


# ---------------------------------------------------------------- declared ranges
@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: ec.HH(gNa=-0.12), r"HH_gNa = -0.12 S/cm² is invalid: .* >= 0 S/cm²"),
        (lambda: _cell().set("HH_gK", -1.0), r"HH_gK = -1 S/cm² is invalid"),
        (lambda: _cell().branch(1).set("HH_gLeak", -1e-4), r"HH_gLeak = -0.0001"),
        (lambda: ec.Compartment().insert(ec.Leak(gLeak=-1.0)), r"Leak_gLeak = -1"),
        (lambda: _cell().set("celsius", -300.0), r"celsius = -300 °C .* > -273.15 °C"),
        (lambda: _cell().set("radius", 0.0), r"radius = 0 µm .* > 0 µm"),
        (lambda: _cell().set("capacitance", -1.0), r"capacitance = -1 µF/cm²"),
        (lambda: ec.Compartment(axial_resistivity=-35.4), r"axial_resistivity = -35.4"),
        (lambda: ec.Exp2Syn(tau2=0.0), r"Exp2Syn_tau2 = 0 ms .* > 0 ms"),
        (lambda: ec.IonotropicSynapse(gS=-1e-4), r"IonotropicSynapse_gS = -0.0001 µS"),
        (lambda: _cell().set("ena", np.nan), r"ena = nan mV .* must be finite"),
        (lambda: _cell().set("HH_eNa", 50.0), r"'HH_eNa'. HH reads .* use 'ena'"),
        (lambda: _cell().insert(ec.SK_E2()).set("cai", 0.0), r"cai = 0 mM .* > 0 mM"),
    ],
)
def test_values_out_of_their_declared_range_are_refused(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_trainable_values_are_checked_when_concrete():
    cell = _cell().comp(0).record().make_trainable("HH_gNa")
    with pytest.raises(ValueError, match=r"params value for 'HH_gNa' = -0.12 S/cm²"):
        cell.integrate(({"HH_gNa": -0.12},), t_max=1.0)
    # Traced values are not range-checked (that would need a host round trip per call).
    loss = jax.jit(lambda g: cell.integrate(({"HH_gNa": g},), t_max=1.0)[0, -1])
    assert np.isfinite(loss(jnp.asarray(0.1)))


def test_plain_numbers_in_params_are_converted():
    cell = _cell().comp(0).record().make_trainable("HH_gNa").make_trainable("radius", shared=False)
    plain = ({"HH_gNa": 0.1}, {"radius": [1.0] * 6})
    arrays = ({"HH_gNa": jnp.asarray(0.1)}, {"radius": jnp.ones(6)})
    np.testing.assert_array_equal(
        cell.integrate(plain, t_max=1.0), cell.integrate(arrays, t_max=1.0)
    )
    with pytest.raises(ValueError, match="expected \\(6,\\)"):
        cell.integrate(({"HH_gNa": 0.1}, {"radius": [1.0] * 5}), t_max=1.0)


class Kv(ec.AbstractChannel):
    """A user's channel that declares its ranges."""

    gK: ArrayLike = ec.parameter(0.01, "S/cm²", ge=0.0)
    tau: ArrayLike = ec.parameter(2.0, "ms", gt=0.0)
    eK: ArrayLike = ec.parameter(-80.0, "mV")
    state_names: ClassVar[tuple[str, ...]] = ("n",)

    def steady_state(self, v, celsius):
        return {"n": jax.nn.sigmoid((v + 40.0) / 5.0)}

    def step(self, states, v, dt, celsius):
        n_inf = jax.nn.sigmoid((v + 40.0) / 5.0)
        return {"n": ec.exponential_euler(states["n"], n_inf, self.tau, dt)}

    def current(self, states, v):
        return self.gK * states["n"] * (v - self.eK)


def test_user_channels_declare_their_ranges():
    with pytest.raises(ValueError, match=r"Kv_tau = 0 ms is invalid: it must be finite and > 0"):
        Kv(tau=0.0)
    cell = _cell().insert(Kv())
    with pytest.raises(ValueError, match=r"Kv_tau = -1 ms"):
        cell.set("Kv_tau", -1.0)
    assert Kv.param_info("tau") == ("ms", ec.channels.Bounds(0.0, None, True, False))
    cell.set("Kv_eK", -1000.0)  # a reversal potential has no range, only finiteness


# ---------------------------------------------------------------- time base
def test_t_max_must_be_a_whole_number_of_steps():
    cell = _cell().comp(0).record()
    with pytest.raises(ValueError, match=r"t_max = 1.01 ms is not a whole number of steps"):
        cell.integrate(t_max=1.01, dt=0.025)
    cell.integrate(t_max=0.3, dt=0.1)  # 0.3 / 0.1 = 2.9999999999999996: within 1e-9


def test_stimuli_must_fit_the_run():
    cell = _cell().comp(0).record()
    n = round(T_MAX / DT)
    for samples in (n - 1, n + 2):
        stimulated = cell.comp(0).stimulate(np.full(samples, 0.1))
        with pytest.raises(ValueError, match=f"Stimulus 0 .* has {samples} samples"):
            _run(stimulated)
    # n values (one per step) and n + 1 (one per time point) are the same stimulus.
    a = _run(cell.comp(0).stimulate(np.full(n, 0.1)))
    b = _run(cell.comp(0).stimulate(np.full(n + 1, 0.1)))
    np.testing.assert_array_equal(a, b)


def test_a_step_current_remembers_its_time_step():
    cell = _cell().comp(0).record()
    coarse = ec.step_current(1.0, 1.0, 0.1, dt=0.1, t_max=10.0)
    assert isinstance(coarse, ec.Current) and coarse.values.shape == (101,)
    assert coarse.t_max == pytest.approx(10.0) and coarse.time[-1] == pytest.approx(10.0)
    # 101 samples would also fit a run of 100 steps at dt = 0.025: the dt tells them apart.
    with pytest.raises(ValueError, match=r"built for dt = 0.1 ms, but this run has dt = 0.025"):
        cell.comp(0).stimulate(coarse).integrate(t_max=2.5, dt=0.025)
    fine = ec.step_current(1.0, 1.0, 0.1, dt=0.025, t_max=5.0)
    with pytest.raises(ValueError, match="has 201 samples, but this run has 400 steps"):
        cell.comp(0).stimulate(fine).integrate(t_max=10.0, dt=0.025)


def test_the_time_base_survives_save_and_load(tmp_path):
    cell = _cell().comp(0).stimulate(ec.step_current(1.0, 1.0, 0.1, dt=0.1, t_max=5.0))
    cell = cell.comp(0).record()
    ec.save(tmp_path / "m.eqc", cell)
    with pytest.raises(ValueError, match="built for dt = 0.1 ms"):
        ec.load(tmp_path / "m.eqc").integrate(t_max=5.0, dt=0.025)


# ---------------------------------------------------------------- selections
@pytest.mark.parametrize(
    "select",
    [
        lambda c: c.branch([]),
        lambda c: c.comp([]),
        lambda c: c.branch(0).comp([]),
        lambda c: c.comp(slice(5, 2)),
    ],
)
def test_empty_selections_are_errors(select):
    with pytest.raises(ValueError, match="The selection is empty"):
        select(_cell())


def test_no_chaining_trap():
    cell = _cell()
    sel = cell.branch(1).comp(2)
    # One call, several names: both recorded at the selection only.
    both = sel.record("v", "HH_m")
    assert [r.name for r in both.recordings] == ["v", "HH_m"]
    assert all(np.asarray(r.indices).tolist() == [5] for r in both.recordings)
    # The chained form would record the second name everywhere: it is an error.
    with pytest.raises(ValueError, match=r"record\('HH_m'\) on a whole Cell: select where"):
        sel.record("v").record("HH_m")
    with pytest.raises(ValueError, match=r"stimulate\(...\) on a whole Cell"):
        sel.record("v").stimulate(np.zeros(201))
    # Everywhere, on purpose: comp("all").
    assert _run(cell.comp("all").record("v")).shape == (6, 201)
    # A single compartment needs no selection.
    assert _run(ec.Compartment().insert(ec.HH()).record("v", "HH_n")).shape == (2, 201)


def test_nothing_recorded_says_edits_return_a_new_module():
    cell = _cell()
    cell.comp(0).record("v")  # result dropped
    with pytest.raises(ValueError, match=r"Edits return a new module.*cell = cell\.branch"):
        _run(cell)


# ---------------------------------------------------------------- initialisation
def test_states_follow_the_initial_voltage_as_after_finitialize():
    cell = _cell().branch(1).comp(2).stimulate(ec.step_current(1.0, 2.0, 0.3, DT, T_MAX))
    cell = cell.branch(0).comp(0).record("v", "HH_m", "HH_h", "HH_n")
    alone = _run(cell.set("v", -75.0))
    reinit = _run(cell.set("v", -75.0).init_states())
    np.testing.assert_allclose(alone, reinit, rtol=0, atol=1e-12)
    ss = ec.HH().steady_state(jnp.asarray(-75.0), 6.3)
    np.testing.assert_allclose(alone[1:, 0], [ss["m"], ss["h"], ss["n"]], rtol=1e-14)
    np.testing.assert_allclose(cell.set("v", -75.0).get("HH_h"), ss["h"], rtol=1e-14)
    # The compartment's v given when building works the same way.
    built = ec.Cell([ec.Branch(ec.Compartment(v=-75.0), 3)] * 2, parents=[-1, 0])
    built = (
        built.insert(ec.HH()).branch(1).comp(2).stimulate(ec.step_current(1.0, 2.0, 0.3, DT, T_MAX))
    )
    np.testing.assert_allclose(
        _run(built.branch(0).comp(0).record("v", "HH_m", "HH_h", "HH_n")), alone, atol=1e-12
    )


def test_initial_voltage_matches_neuron_finitialize():
    cell = _cell().set("v", -72.0)  # after insert, no init_states
    ref = neuron_run(cell, t_max=T_MAX, dt=DT, record_comps=[0, 5], iclamps=[(5, 1.0, 2.0, 0.3)])
    cell = cell.comp(5).stimulate(ec.step_current(1.0, 2.0, 0.3, DT, T_MAX))
    ours = _run(cell.comp([0, 5]).record("v"))
    assert np.max(np.abs(ours - ref)) < 1e-9


def test_explicit_states_are_kept():
    cell = _cell().comp(0).record("HH_m")
    m = _run(cell.comp(0).set("HH_m", 0.3).set("v", -75.0))
    assert m[0, 0] == 0.3
    # ... in the compartments where they were set only.
    both = cell.comp(1).record("HH_m").comp(0).set("HH_m", 0.3).set("v", -75.0)
    ss = ec.HH().steady_state(jnp.asarray(-75.0), 6.3)["m"]
    np.testing.assert_allclose(_run(both)[:, 0], [0.3, ss], rtol=1e-14)
    # init_states forgets them; re-inserting the channel too.
    assert _run(cell.comp(0).set("HH_m", 0.3).init_states())[0, 0] != 0.3
    assert _run(cell.comp(0).set("HH_m", 0.3).insert(ec.HH()))[0, 0] != 0.3


def test_a_trainable_initial_voltage_moves_the_gates():
    cell = _cell().comp(0).record().make_trainable("v")
    (p,) = cell.params()

    def loss(v0):
        return cell.integrate(({"v": v0},), t_max=1.0)[0, -1]

    g = jax.grad(loss)(p["v"])
    h = 1e-5
    fd = (loss(p["v"] + h) - loss(p["v"] - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6)


# ---------------------------------------------------------------- labelled results
def test_recording_info_labels_every_row():
    cell = _cell().branch(1).comp([0, 2]).record("v", "i_HH").comp(0).record("HH_m")
    info = cell.recording_info(t_max=T_MAX, dt=DT)
    traces = _run(cell)
    assert traces.shape == (len(info), len(info.time))
    np.testing.assert_allclose(info.time, np.arange(201) * DT)
    assert info.names == ("v", "v", "i_HH", "i_HH", "HH_m")
    assert info.units == ("mV", "mV", "mA/cm²", "mA/cm²", "1")
    assert info.labels[1] == "v, branch 1, comp 2" and info.labels[4] == "HH_m, branch 0, comp 0"
    assert info.sites.tolist() == [3, 5, 3, 5, 0]
    np.testing.assert_array_equal(traces[info.rows("i_HH")], traces[2:4])
    with pytest.raises(ValueError, match="'HH_n' is not recorded"):
        info.rows("HH_n")


def test_recording_info_of_a_network_names_cells_and_connections():
    net = ec.Network([_cell(), _cell()])
    net = net.connect(net.cell(0).comp(0), net.cell(1).comp(0), ec.Exp2Syn())
    net = net.cell(1).comp(0).record("v").synapse("Exp2Syn").record("i_Exp2Syn", "Exp2Syn_A")
    info = net.recording_info(t_max=T_MAX)
    assert info.labels == (
        "v, cell 1, branch 0, comp 0",
        "i_Exp2Syn, connection 0",
        "Exp2Syn_A, connection 0",
    )
    assert info.units == ("mV", "nA", "µS")
    assert _run(net).shape == (3, 201)


def test_no_warning_for_the_everyday_settings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _run(_cell().comp(0).record())


@pytest.mark.parametrize("stepper", [ec.BackwardEuler(), ec.CrankNicolson()])
def test_a_time_step_too_large_for_the_channels_warns(stepper):
    cell = ec.Compartment().insert(ec.HH()).record("v")
    with pytest.warns(ec.TimeStepWarning, match=r"dt = 5 ms is 140 times .*\(HH state 'm'"):
        cell.integrate(t_max=10.0, dt=5.0, stepper=stepper)
    # Inside a user's jit the values are still concrete enough to check.
    with pytest.warns(ec.TimeStepWarning):
        jax.jit(lambda: cell.integrate(t_max=10.0, dt=5.0, stepper=stepper))()


def test_neuron_defaults():
    comp = ec.Compartment()
    assert float(comp.axial_resistivity[0]) == 35.4  # NEURON's Ra
    assert float(comp.v[0]) == -65.0 and float(comp.celsius) == 6.3
    assert float(comp.capacitance[0]) == 1.0


def test_the_default_solver_follows_the_backend():
    assert isinstance(ec.default_solver("cpu"), ec.PartitionedSolve)
    for backend in ("gpu", "cuda", "tpu"):
        assert isinstance(ec.default_solver(backend), ec.LevelParallelSolve)
    assert type(ec.default_solver()) is type(ec.default_solver(jax.default_backend()))
