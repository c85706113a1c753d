"""`TimeStepWarning`: the fastest time constant of a model's channels, estimated from their
own `step`, and the warning when `dt` is too large for it."""

import warnings
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import ArrayLike
from test_channels import Kdr

import eqcable as ec
from eqcable.channels.hh import _rates
from eqcable.simulation.timestep import (
    MAX_DT_OVER_TAU,
    V_GRID,
    TimeStepWarning,
    check_time_step,
    fastest_time_constant,
)

STEPPERS = [ec.BackwardEuler(), ec.CrankNicolson()]


def _hh(celsius=6.3):
    return ec.Compartment().insert(ec.HH()).set("celsius", celsius)


def _cell(ncomp=3):
    return ec.Cell([ec.Branch(ec.Compartment(), ncomp=ncomp)] * 2, parents=[-1, 0])


def _relax_class():
    """A user's channel class, new at each call (so not yet compiled)."""

    class Relax(ec.AbstractChannel):
        """A gate: forward Euler towards 0.5 with a per-compartment time constant."""

        tau: ArrayLike = 1.0  # ms
        state_names: ClassVar = ("x",)
        traces: ClassVar[list] = []

        def steady_state(self, v, celsius):
            self.traces.append(None)  # once per trace, not per call
            return {"x": jnp.full_like(v, 0.5)}

        def step(self, states, v, dt, celsius):
            return {"x": states["x"] + dt * (0.5 - states["x"]) / self.tau}

        def current(self, states, v):
            return 0.0 * v

    return Relax


Relax = _relax_class()


class CaBuffer(ec.AbstractChannel):
    """Reads the calcium current; its state relaxes with τ = 3 ms, and an instantaneous
    state (no time constant) copies the current."""

    gDummy: ArrayLike = 0.0  # S/cm²
    state_names: ClassVar = ("c", "seen")
    ion_reads: ClassVar = ("ica",)

    def steady_state(self, v, celsius, ions):
        return {"c": jnp.zeros_like(v), "seen": jnp.zeros_like(v)}

    def step(self, states, v, dt, celsius):
        c = ec.exponential_euler(states["c"], -states["ica"], 3.0, dt)
        return {"c": c, "seen": states["ica"] + 0.0 * v}

    def current(self, states, v):
        return self.gDummy * v


def test_hh_is_the_analytic_fastest_gate_over_the_grid():
    for celsius in (6.3, 20.0, 37.0):
        m_tau = _rates(jnp.asarray(V_GRID), celsius)[1]
        np.testing.assert_allclose(fastest_time_constant(_hh(celsius)), m_tau.min(), rtol=1e-10)
    assert np.argmin(_rates(jnp.asarray(V_GRID), 6.3)[1]) == 0  # m at −100 mV
    np.testing.assert_allclose(fastest_time_constant(_hh()), 0.0357476, rtol=1e-6)


def test_a_users_channel_gets_its_time_constant():
    n_tau = _rates(jnp.asarray(V_GRID), 6.3)[5]
    hhn = ec.Compartment().insert(Kdr())  # a user's channel: HH's potassium gate alone
    np.testing.assert_allclose(fastest_time_constant(hhn), n_tau.min(), rtol=1e-10)
    # Forward Euler: s = 1 − h/τ, so the estimate is τ to O(h/τ) (h = 1e-3 ms).
    relax = _cell().insert(Relax()).branch(1).comp(1).set("Relax_tau", 0.2)
    np.testing.assert_allclose(fastest_time_constant(relax), 0.2, rtol=5e-3)


def test_temperature_scales_with_q10():
    tau = fastest_time_constant(_hh(6.3))
    for celsius in (16.3, 20.0, 37.0):
        q10 = 3.0 ** ((celsius - 6.3) / 10.0)
        np.testing.assert_allclose(fastest_time_constant(_hh(celsius)), tau / q10, rtol=1e-10)


def test_only_compartments_where_the_channel_is_inserted_count():
    cell = _cell().branch(1).insert(Relax())
    cell = cell.branch(0).set("Relax_tau", 1e-3)  # not inserted there
    cell = cell.branch(1).comp(2).set("Relax_tau", 0.5)
    np.testing.assert_allclose(fastest_time_constant(cell), 0.5, rtol=5e-3)
    nowhere = eqx.tree_at(lambda m: m.channel_masks, cell, (jnp.zeros(6, bool),))
    assert fastest_time_constant(nowhere) == np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error", TimeStepWarning)
        check_time_step(nowhere, 5.0, None)


def test_ion_reads_are_zero_and_instantaneous_states_have_no_time_constant():
    cell = ec.Compartment().insert(CaBuffer())
    np.testing.assert_allclose(fastest_time_constant(cell), 3.0, rtol=1e-10)


def test_one_compilation_per_channel_class_whatever_the_cell_size():
    fresh = _relax_class()
    for ncomp in (1, 4, 50):
        cell = _cell(ncomp).insert(fresh()).branch(0).comp(0).set("Relax_tau", 0.3)
        np.testing.assert_allclose(fastest_time_constant(cell), 0.3, rtol=5e-3)
    assert len(fresh.traces) == 1  # two distinct rows (τ = 0.3 and 1) every time


@pytest.mark.parametrize("stepper", STEPPERS, ids=lambda s: type(s).__name__)
def test_dt_5_warns_and_neurons_everyday_dt_does_not(stepper):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TimeStepWarning)
        check_time_step(_hh(), 0.025, stepper)
        check_time_step(_hh(), 0.05, stepper)
    with pytest.warns(TimeStepWarning) as record:
        check_time_step(_hh(), 5.0, stepper)
    (w,) = record
    message = str(w.message)
    for part in ("dt = 5 ms", "τ = 0.0357 ms", "HH state 'm'", "-100 mV", "6.3 °C"):
        assert part in message
    assert type(stepper).__name__ in message and "dt <= 2τ = 0.0715 ms (e.g. dt = 0.05)" in message
    assert "simplefilter('ignore', eqcable.TimeStepWarning)" in message
    assert w.filename == __file__  # attributed to the caller


def test_the_threshold_is_twice_the_fastest_time_constant():
    tau = fastest_time_constant(_hh(37.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", TimeStepWarning)
        check_time_step(_hh(37.0), MAX_DT_OVER_TAU * tau * 0.999, None)
    with pytest.warns(TimeStepWarning, match="BackwardEuler"):
        check_time_step(_hh(37.0), 0.025, None)  # NEURON's dt at 37 °C: dt/τ = 20


@pytest.mark.parametrize("dt", [0.025, 5.0, 100.0])
def test_passive_models_never_warn(dt):
    with warnings.catch_warnings():
        warnings.simplefilter("error", TimeStepWarning)
        for model in (ec.Compartment(), ec.Compartment().insert(ec.Leak()), _cell()):
            assert fastest_time_constant(model) == np.inf
            for stepper in STEPPERS:
                check_time_step(model, dt, stepper)


def test_traced_models_are_not_checked():
    with warnings.catch_warnings():
        warnings.simplefilter("error", TimeStepWarning)
        eqx.filter_jit(lambda m: check_time_step(m, 5.0, None))(_hh())
        jax.vmap(lambda c: check_time_step(_hh().set("celsius", c), 5.0, None))(
            jnp.array([6.3, 20.0])
        )


def test_concrete_models_are_checked_inside_someones_jit_or_vmap():
    # The model is concrete (closed over) while the caller traces something else: the
    # check still runs, from its own compiled probe.
    model = _hh()
    with pytest.warns(TimeStepWarning, match="fastest time constant"):
        jax.jit(lambda x: (check_time_step(model, 5.0, None), x)[1])(1.0)
    with pytest.warns(TimeStepWarning, match="fastest time constant"):
        jax.vmap(lambda x: (check_time_step(model, 5.0, None), x)[1])(jnp.ones(2))
