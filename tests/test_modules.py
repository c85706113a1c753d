"""Modules are immutable pytrees: edits, selections, jit/vmap, parameters, recordings."""

import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import eqcable as ec

T_MAX, DT = 3.0, 0.025


def _cell():
    branch = ec.Branch(ec.Compartment(), ncomp=4)
    cell = ec.Cell([branch, branch, branch], parents=[-1, 0, 0]).insert(ec.HH())
    stim = ec.step_current(0.5, 1.0, 0.2, dt=DT, t_max=T_MAX)
    return cell.branch(1).comp(3).stimulate(stim).branch(0).comp(0).record("v")


def test_selection_edits_return_the_whole_cell():
    cell = _cell()
    new = cell.branch(2).comp(1).set("radius", 3.0)
    assert isinstance(new, ec.Cell)
    expected = np.ones(12)
    expected[9] = 3.0
    np.testing.assert_array_equal(new.radius, expected)
    np.testing.assert_array_equal(cell.radius, np.ones(12))  # the original is unchanged
    new = cell.branch([0, 2]).comp(-1).set("HH_gNa", 0.2)
    assert np.flatnonzero(np.asarray(new.get("HH_gNa")) == 0.2).tolist() == [3, 11]
    assert cell.comp(slice(2, 5)).set("length", 5.0).length[1:6].tolist() == [10, 5, 5, 5, 10]


def test_edits_work_under_jit():
    cell = _cell()

    @eqx.filter_jit
    def edit(cell, r):
        cell = cell.branch(1).set("radius", r).set("v", -70.0).init_states()
        return cell.branch(2).comp(0).record("HH_m")

    new = edit(cell, jnp.asarray(2.0))
    np.testing.assert_array_equal(new.branch(1).get("radius"), 2.0)
    v = new.integrate(t_max=T_MAX, dt=DT)
    assert v.shape == (2, 121) and float(v[0, 0]) == -70.0


def test_init_states_sets_steady_state():
    cell = _cell().set("v", -70.0).init_states()
    m_inf = ec.HH().steady_state(jnp.asarray(-70.0), 6.3)["m"]
    np.testing.assert_allclose(cell.initial_states()["HH_m"], m_inf, rtol=1e-14)
    rec = cell.comp(0).record("HH_m").integrate(t_max=T_MAX, dt=DT)
    np.testing.assert_allclose(rec[1, 0], m_inf, rtol=1e-14)  # recorded at t = 0


def test_partial_insertion_and_channel_currents():
    branch = ec.Branch(ec.Compartment(), ncomp=3)
    cell = ec.Cell([branch, branch], parents=[-1, 0]).insert(ec.Leak(gLeak=1e-4, eLeak=-65.0))
    cell = cell.branch(0).insert(ec.HH())
    cell = cell.comp(0).record("i_HH").comp(5).record("i_HH").comp(0).record("i_Leak")
    rec = cell.integrate(t_max=1.0, dt=DT)
    assert np.all(np.asarray(rec[1]) == 0.0)  # no HH in branch 1
    assert np.any(np.asarray(rec[0]) != 0.0)


def test_no_recompilation_when_only_values_change(monkeypatch):
    run_module = sys.modules["eqcable.modules.run"]
    once = eqx.filter_jit(eqx.debug.assert_max_traces(run_module._run_impl, max_traces=1))
    monkeypatch.setattr(run_module, "_run", once)
    cell = _cell().make_trainable("HH_gK").make_trainable("radius", shared=False)
    params = cell.params()
    for scale in (1.0, 1.1, 0.9):
        cell.integrate(jax.tree.map(lambda x, s=scale: x * s, params), t_max=T_MAX, dt=DT)
    # A new module with the same structure but other values does not recompile either.
    other = cell.set("HH_gNa", 0.1).branch(2).set("length", 7.0)
    other.integrate(params, t_max=T_MAX, dt=DT)


def test_filter_vmap_over_parameters_equals_a_loop():
    cell = _cell().make_trainable("HH_gNa")
    values = jnp.asarray([0.08, 0.12, 0.16])
    batched = eqx.filter_vmap(lambda g: cell.integrate(({"HH_gNa": g},), t_max=T_MAX, dt=DT))(
        values
    )
    looped = jnp.stack([cell.integrate(({"HH_gNa": g},), t_max=T_MAX, dt=DT) for g in values])
    np.testing.assert_allclose(batched, looped, rtol=1e-12, atol=1e-12)


def test_params_none_uses_module_values():
    cell = _cell().make_trainable("HH_gNa")
    np.testing.assert_array_equal(
        cell.integrate(t_max=T_MAX, dt=DT), cell.integrate(cell.params(), t_max=T_MAX, dt=DT)
    )
    changed = cell.integrate(({"HH_gNa": jnp.asarray(0.05)},), t_max=T_MAX, dt=DT)
    assert not np.allclose(changed, cell.integrate(t_max=T_MAX, dt=DT))


def test_shared_vs_per_compartment_parameters():
    cell = (
        _cell().branch(1).make_trainable("radius").branch(2).make_trainable("length", shared=False)
    )
    (p0, p1) = cell.params()
    assert p0["radius"].shape == () and p1["length"].shape == (4,)
    new = cell.apply_params(({"radius": jnp.asarray(2.0)}, {"length": jnp.arange(1.0, 5.0)}))
    np.testing.assert_array_equal(new.branch(1).get("radius"), 2.0)
    np.testing.assert_array_equal(new.branch(2).get("length"), [1, 2, 3, 4])


def test_compartment_and_branch_integrate():
    comp = ec.Compartment(radius=5.0).insert(ec.HH()).comp(0).record()
    assert comp.integrate(t_max=1.0).shape == (1, 41)
    branch = ec.Branch(comp, ncomp=3)
    assert branch.integrate(t_max=1.0).shape == (3, 41)  # each part's recording is kept


def test_branched_cell_equals_the_same_cable_as_one_branch():
    comp = ec.Compartment(radius=0.7, length=12.0)
    one = ec.Cell([ec.Branch(comp, ncomp=6)], parents=[-1])
    two = ec.Cell([ec.Branch(comp, ncomp=2), ec.Branch(comp, ncomp=4)], parents=[-1, 0])
    traces = []
    for cell in (one, two):
        cell = cell.insert(ec.HH()).comp(0).stimulate(ec.step_current(0.2, 1.0, 0.1, DT, 5.0))
        traces.append(cell.comp([0, 2, 5]).record().integrate(t_max=5.0, dt=DT))
    np.testing.assert_allclose(traces[0], traces[1], atol=1e-10)


@pytest.mark.parametrize("stepper", [ec.BackwardEuler(), ec.CrankNicolson()])
def test_passive_cable_against_cable_theory(stepper):
    """Steady state of a sealed-end cable with current injected at one end.

    V(x) − E = I r_a λ cosh((L − x)/λ) / sinh(L/λ). With dx = λ/100 the discretisation
    error is O((dx/λ)²) ≈ 1e-4 relative.
    """
    a, ra, g, e, amp = 0.5, 100.0, 1e-4, -65.0, 0.01  # µm, Ω·cm, S/cm², mV, nA
    lam = np.sqrt(a * 1e-4 / (2 * ra * g)) * 1e4  # µm
    ncomp, total = 200, 2 * lam
    comp = ec.Compartment(radius=a, length=total / ncomp, axial_resistivity=ra, v=e)
    cell = ec.Cell([ec.Branch(comp, ncomp=ncomp)], parents=[-1]).insert(ec.Leak(g, e))
    cell = cell.comp(0).stimulate(jnp.full(4001, amp)).comp([0, 50, 100, 199]).record()
    v = cell.integrate(t_max=200.0, dt=0.05, stepper=stepper)[:, -1]  # τ = 10 ms
    x = (np.array([0, 50, 100, 199]) + 0.5) * total / ncomp
    r_a = ra * 1e4 / (np.pi * a**2) * 1e-6  # MΩ/µm
    theory = e + amp * r_a * lam * np.cosh((total - x) / lam) / np.sinh(total / lam)
    np.testing.assert_allclose(v - e, theory - e, rtol=5e-4)
