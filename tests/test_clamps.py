"""Voltage clamps, data clamps and membrane currents, against NEURON run in the test.

- `SEClamp` equals NEURON's ``SEClamp`` (voltage and clamp current), for NEURON's default
  series resistance (1 MΩ) and a realistic one (10 MΩ). The current is ``(vc − v)/rs``,
  so a voltage difference shows up ``1/rs`` times larger in it; both simulators agree to
  ~1e-10 mV, limited by NEURON's difference quotient for the clamp's slope (its rounding
  is ``~eps·|vc − v|/0.001`` relative), which at smaller ``rs`` gives ~1e-8 nA.
- `IdealClamp` equals NEURON's ``SEClamp`` at its smallest series resistance (1e-9 MΩ).
- ``i_membrane`` equals NEURON's ``i_membrane_`` with ``cvode.use_fast_imem(1)``.
- `DataClamp` of ``v`` or of a gate: the other compartments equal NEURON's with the same
  trace played by ``Vector.play(ref, tvec, 1)``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import assert_gradient_matches_finite_differences, clear_neuron, neuron_build

import eqcable as ec

jax.config.update("jax_enable_x64", True)

DT, T_MAX = 0.025, 10.0
NSTEPS = int(round(T_MAX / DT))
PROTOCOL = dict(dur1=2.0, amp1=-50.0, dur2=3.0, amp2=10.0, dur3=1.0, amp3=-70.0)


def hh_cell():
    """A soma with a four-compartment dendrite, HH everywhere."""
    soma = ec.Branch(ec.Compartment(radius=10.0, length=20.0), 1)
    dend = ec.Branch(ec.Compartment(radius=1.0, length=50.0), 4)
    return ec.Cell([soma, dend], [-1, 0]).insert(ec.HH())


def run_neuron(module, setup, records, secondorder=0):
    """Run `module` in NEURON after ``setup(h, segments)`` (which returns objects to keep
    alive); `records(h, segments, kept)` returns the references to record."""
    from neuron import h

    clear_neuron()
    sections, segments = neuron_build(module)
    h.dt, h.celsius, h.secondorder = DT, 6.3, secondorder
    h.usetable_hh = 0
    h.CVode().use_fast_imem(1)
    kept = setup(h, segments)
    vecs = [h.Vector().record(ref) for ref in records(h, segments, kept)]
    h.finitialize(-65.0)
    for _ in range(NSTEPS):
        h.fadvance()
    out = np.array([np.asarray(v) for v in vecs])
    h.CVode().use_fast_imem(0)
    h.secondorder = 0
    del kept, vecs, sections, segments
    return out


def neuron_seclamp(rs):
    def setup(h, segments):
        clamp = h.SEClamp(segments[0])
        clamp.rs = rs
        for name, value in PROTOCOL.items():
            setattr(clamp, name, value)
        stim = h.IClamp(segments[4])
        stim.delay, stim.dur, stim.amp = 1.0, 5.0, 0.1
        return clamp, stim

    def records(h, segments, kept):
        return [
            segments[0]._ref_v,
            kept[0]._ref_i,
            segments[0]._ref_i_membrane_,
            segments[3]._ref_v,
            segments[3]._ref_i_membrane_,
            segments[4]._ref_i_membrane_,
        ]

    return setup, records


def clamped(device):
    cell = hh_cell().comp(0).clamp(device)
    cell = cell.comp(4).stimulate(ec.step_current(1.0, 5.0, 0.1, DT, T_MAX))
    cell = cell.comp(0).record("v", "i_clamp", "i_membrane")
    return cell.comp(3).record("v", "i_membrane").comp(4).record("i_membrane")


@pytest.mark.parametrize(
    "rs, stepper",
    [(1.0, ec.BackwardEuler()), (10.0, ec.BackwardEuler()), (5.0, ec.CrankNicolson())],
)
def test_seclamp_equals_neuron(rs, stepper):
    cell = clamped(ec.SEClamp(rs=rs, **PROTOCOL))
    got = np.asarray(cell.integrate(t_max=T_MAX, dt=DT, stepper=stepper))
    ref = run_neuron(cell, *neuron_seclamp(rs), secondorder=stepper.neuron_secondorder)
    volts, amps = [0, 3], [1, 2, 4, 5]
    np.testing.assert_allclose(got[volts], ref[volts], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got[amps], ref[amps], rtol=0, atol=1e-9)
    # The recorded current is (vc - v)/rs after each step while on, then 0.
    mid = np.arange(NSTEPS) * DT + DT / 2
    level = np.select([mid < 2, mid < 5, mid < 6], [-50.0, 10.0, -70.0], np.nan)
    on = ~np.isnan(level)
    np.testing.assert_allclose(got[1, 1:][on], (level[on] - got[0, 1:][on]) / rs, rtol=1e-12)
    np.testing.assert_array_equal(got[1, 1:][~on], 0.0)
    assert np.abs(got[1]).max() > 1.0


def test_ideal_clamp_equals_neuron_seclamp_without_resistance():
    cell = clamped(ec.IdealClamp(**PROTOCOL))
    got = np.asarray(cell.integrate(t_max=T_MAX, dt=DT))
    ref = run_neuron(cell, *neuron_seclamp(1e-9))
    np.testing.assert_allclose(got[[0, 3]], ref[[0, 3]], rtol=0, atol=1e-6)
    # The held voltage is the command exactly, at the end of every step it is on.
    mid = np.arange(NSTEPS) * DT + DT / 2
    level = np.select([mid < 2, mid < 5, mid < 6], [-50.0, 10.0, -70.0], np.nan)
    held = ~np.isnan(level)
    np.testing.assert_allclose(got[0, 1:][held], level[held], rtol=0, atol=1e-12)
    # Its current is the limit of SEClamp's as rs -> 0 ...
    series = clamped(ec.SEClamp(rs=1e-7, **PROTOCOL)).integrate(t_max=T_MAX, dt=DT)
    np.testing.assert_allclose(got[1, 1:], np.asarray(series)[1, 1:], rtol=0, atol=1e-4)
    # ... and NEURON's, except in the steps where the command jumps: there NEURON's current
    # (vc - v)/rs magnifies by 1/rs = 1e9 the rounding of its difference-quotient slope
    # (~eps·|vc - v|/0.001 relative), about 1% of the current.
    jump = np.r_[True, np.diff(np.nan_to_num(level, nan=0.0)) != 0]
    np.testing.assert_allclose(got[1, 1:][~jump], ref[1, 1:][~jump], rtol=0, atol=1e-4)
    assert np.abs(got[1, 1:]).max() > 10.0


@pytest.mark.parametrize("device", [ec.IdealClamp(**PROTOCOL), ec.SEClamp(rs=2.0, **PROTOCOL)])
def test_membrane_currents_balance_the_electrodes(device):
    """Kirchhoff: the membrane currents of all compartments sum to the injected currents
    (clamp and stimulus) at every time."""
    cell = hh_cell().comp(0).clamp(device)
    cell = cell.comp(4).stimulate(ec.step_current(1.0, 5.0, 0.1, DT, T_MAX))
    cell = cell.comp("all").record("i_membrane").comp(0).record("i_clamp")
    out = np.asarray(cell.integrate(t_max=T_MAX, dt=DT))
    stim = np.asarray(ec.step_current(1.0, 5.0, 0.1, DT, T_MAX).values)
    injected = out[-1, 1:] + stim[:-1]
    np.testing.assert_allclose(out[:-1, 1:].sum(axis=0), injected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ["v", "HH_m"])
def test_data_clamp_equals_neuron_vector_play(name):
    time = np.arange(NSTEPS + 1) * DT
    wave = np.sin(time / 1.5) ** 2
    trace = -65.0 + 40.0 * wave if name == "v" else 0.05 + 0.5 * wave
    cell = hh_cell().comp(3).clamp(ec.DataClamp(name, trace, dt=DT))
    cell = cell.comp(0).record("v").comp(2).record("v").comp(4).record("v", "i_membrane")
    cell = cell.comp(3).record(name)
    got = np.asarray(cell.integrate(t_max=T_MAX, dt=DT))

    def setup(h, segments):
        vec, tvec = h.Vector(trace), h.Vector(time)
        ref = segments[3]._ref_v if name == "v" else segments[3]._ref_m_hh
        vec.play(ref, tvec, 1)  # continuous: interpolated, at every half step
        return vec, tvec

    def records(h, segments, kept):
        return [segments[0]._ref_v, segments[2]._ref_v, segments[4]._ref_v]

    ref = run_neuron(cell, setup, records)
    np.testing.assert_allclose(got[:3], ref, rtol=0, atol=1e-9)
    assert np.abs(got[2] - got[2, 0]).max() > 1.0  # the clamp drives them
    np.testing.assert_allclose(got[-1], trace, rtol=0, atol=1e-12)  # held to the trace


def test_clamp_gradients_equal_finite_differences():
    base = hh_cell().comp(0).clamp(ec.SEClamp(rs=5.0, **PROTOCOL)).comp(0).record("i_clamp")
    cell = base.make_trainable("HH_gNa")

    def loss(params):
        return jnp.sum(cell.integrate(params, t_max=T_MAX, dt=DT) ** 2) * DT

    assert_gradient_matches_finite_differences(cell.params(), "HH_gNa", loss)

    def held(amp, trace):
        m = hh_cell().comp(0).clamp(ec.IdealClamp(dur1=5.0, amp1=amp))
        m = m.comp(4).clamp(ec.DataClamp("v", trace, dt=DT)).comp(2).record("v", "i_membrane")
        return jnp.sum(m.integrate(t_max=5.0, dt=DT) ** 2) * DT

    trace = -65.0 + 10.0 * np.sin(np.arange(201) * DT)
    ga, gt = jax.grad(held, argnums=(0, 1))(-30.0, jnp.asarray(trace))
    h = 1e-6
    fd = (held(-30.0 + h, trace) - held(-30.0 - h, trace)) / (2 * h)
    np.testing.assert_allclose(ga, fd, rtol=1e-5)
    for k in (0, 57, 200):
        e = np.zeros_like(trace)
        e[k] = 1e-5
        fd = (held(-30.0, trace + e) - held(-30.0, trace - e)) / 2e-5
        np.testing.assert_allclose(gt[k], fd, rtol=1e-5, atol=1e-9)


def test_bad_clamps_are_refused():
    cell = hh_cell()
    with pytest.raises(ValueError, match="rs must be at least"):
        ec.SEClamp(rs=0.0)
    with pytest.raises(ValueError, match="dur2 must be >= 0"):
        ec.IdealClamp(dur2=-1.0)
    with pytest.raises(ValueError, match="finite"):
        ec.SEClamp(amp1=np.nan)
    with pytest.raises(TypeError, match="SEClamp, IdealClamp or DataClamp"):
        cell.comp(0).clamp(ec.step_current(0.0, 1.0, 1.0, DT, T_MAX))
    with pytest.raises(ValueError, match="does not fit 2 clamped"):
        cell.comp([0, 1]).clamp(ec.SEClamp(amp1=np.zeros(3)))
    with pytest.raises(ValueError, match="select where first"):
        cell.clamp(ec.IdealClamp())
    trace = np.zeros(NSTEPS + 1)
    runs = {
        "neither 'v', a channel state nor a concentration": ec.DataClamp("HH_x", trace, dt=DT),
        "dt = 0.05 ms": ec.DataClamp("v", trace[::2], dt=0.05),
        "one per time point": ec.DataClamp("v", trace[:-1], dt=DT),
    }
    for message, device in runs.items():
        with pytest.raises(ValueError, match=message):
            cell.comp(1).clamp(device).comp(0).record("v").integrate(t_max=T_MAX, dt=DT)
    hh_soma = (
        ec.Cell([ec.Branch(ec.Compartment(), 1), ec.Branch(ec.Compartment(), 2)], [-1, 0])
        .branch(0)
        .insert(ec.HH())
    )
    with pytest.raises(ValueError, match="compartment 2, where HH is not inserted"):
        hh_soma.comp(2).clamp(ec.DataClamp("HH_m", trace, dt=DT)).comp(0).record("v").integrate(
            t_max=T_MAX, dt=DT
        )
    two = cell.comp(1).clamp(ec.IdealClamp()).comp([1, 2]).clamp(ec.DataClamp("v", trace, dt=DT))
    with pytest.raises(ValueError, match="Compartment 1 has its voltage fixed by two clamps"):
        two.comp(0).record("v").integrate(t_max=T_MAX, dt=DT)


def test_clamps_survive_save_load_and_assembly(tmp_path):
    trace = np.linspace(0.0, 1.0, 81)
    cell = hh_cell().comp(0).clamp(ec.SEClamp(rs=3.0, dur1=2.0, amp1=-40.0))
    cell = cell.comp(4).clamp(ec.DataClamp("HH_m", trace, dt=DT))
    cell = cell.comp([1, 2]).clamp(ec.IdealClamp(dur1=1.0, amp1=np.array([-30.0, -20.0])))
    cell = cell.comp(0).record("v", "i_clamp").comp(1).record("i_clamp")
    ec.save(tmp_path / "clamped.eqc", cell)
    back = ec.load(tmp_path / "clamped.eqc")
    np.testing.assert_array_equal(back.integrate(t_max=2.0), cell.integrate(t_max=2.0))
    # In a network, each cell keeps its clamps on its own compartments.
    net = ec.Network([hh_cell().comp(0).record("v"), cell])
    both = np.asarray(net.integrate(t_max=2.0))
    np.testing.assert_allclose(both[1:], cell.integrate(t_max=2.0), rtol=0, atol=1e-12)


def test_data_clamp_of_a_concentration_equals_neuron(bbp_mechanisms):
    """``cai`` integrated by CaDynamics_E2, played into one dendritic compartment: the SK
    current it drives there moves the whole cell, as in NEURON."""
    time = np.arange(NSTEPS + 1) * DT
    trace = 1e-4 + 2e-3 * np.sin(np.pi * time / T_MAX) ** 2  # mM
    cell = hh_cell().insert(ec.Ca_HVA(gCa_HVAbar=0.001)).insert(ec.SK_E2(gSK_E2bar=0.05))
    cell = cell.insert(ec.CaDynamics_E2(gamma=0.05, decay=20.0, minCai=1e-4)).set("cai", 1e-4)
    cell = cell.comp(3).clamp(ec.DataClamp("cai", trace, dt=DT))
    cell = cell.comp(4).stimulate(ec.step_current(1.0, 5.0, 0.2, DT, T_MAX))
    cell = cell.comp(0).record("v").comp(2).record("v", "cai").comp(3).record("cai")
    got = np.asarray(cell.integrate(t_max=T_MAX, dt=DT))

    def setup(h, segments):
        vec, tvec = h.Vector(trace), h.Vector(time)
        vec.play(segments[3]._ref_cai, tvec, 1)
        stim = h.IClamp(segments[4])
        stim.delay, stim.dur, stim.amp = 1.0, 5.0, 0.2
        return vec, tvec, stim

    def records(h, segments, kept):
        return [segments[0]._ref_v, segments[2]._ref_v, segments[2]._ref_cai]

    ref = run_neuron(cell, setup, records)
    np.testing.assert_allclose(got[:2], ref[:2], rtol=0, atol=1e-9)
    np.testing.assert_allclose(got[2], ref[2], rtol=1e-9, atol=0)
    np.testing.assert_allclose(got[3], trace, rtol=1e-12)  # the played compartment's
    free = cell.delete_clamps().integrate(t_max=T_MAX, dt=DT)
    assert np.abs(np.asarray(free)[0] - got[0]).max() > 0.1  # the played calcium matters


def test_extracellular_potential_gradient_wrt_a_channel_equals_finite_differences():
    """Through i_membrane: the potential at an electrode, differentiated w.r.t. gNa."""
    cell = hh_cell().comp(0).stimulate(ec.step_current(1.0, 2.0, 0.5, DT, 5.0))
    cell = cell.comp("all").record("i_membrane").make_trainable("HH_gNa")
    x = np.concatenate([[0.0], 20.0 + 50.0 * np.arange(4)])  # compartments along x (µm)
    starts = np.stack([x, np.zeros(5), np.zeros(5)], axis=1)
    ends = starts + np.array([[20.0, 0, 0]] + [[50.0, 0, 0]] * 4)
    matrix = ec.line_source_matrix(starts, ends, np.array([[60.0, 30.0, 0.0]]))

    def loss(params):
        phi = ec.extracellular_potential(cell.integrate(params, t_max=5.0, dt=DT), matrix)
        return jnp.sum(phi**2) * DT

    assert_gradient_matches_finite_differences(cell.params(), "HH_gNa", loss)
