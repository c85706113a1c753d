"""Writing a channel: the AbstractChannel interface, several channels in one compartment."""

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike

import eqcable as ec
from eqcable.channels.hh import _rates


class Na_T(ec.AbstractChannel):
    """HH's sodium current as its own channel (a name with an underscore, on purpose)."""

    gNa: ArrayLike = 0.12  # S/cm²
    eNa: ArrayLike = 50.0  # mV
    state_names: ClassVar = ("m", "h")

    def steady_state(self, v, celsius):
        m_inf, _, h_inf, _, _, _ = _rates(v, celsius)
        return {"m": m_inf, "h": h_inf}

    def step(self, states, v, dt, celsius):
        m_inf, m_tau, h_inf, h_tau, _, _ = _rates(v, celsius)
        return {
            "m": ec.exponential_euler(states["m"], m_inf, m_tau, dt),
            "h": ec.exponential_euler(states["h"], h_inf, h_tau, dt),
        }

    def current(self, states, v):
        return self.gNa * states["m"] ** 3 * states["h"] * (v - self.eNa)


class Kdr(ec.AbstractChannel):
    """HH's potassium current."""

    gK: ArrayLike = 0.036  # S/cm²
    eK: ArrayLike = -77.0  # mV
    state_names: ClassVar = ("n",)

    def steady_state(self, v, celsius):
        return {"n": _rates(v, celsius)[4]}

    def step(self, states, v, dt, celsius):
        _, _, _, _, n_inf, n_tau = _rates(v, celsius)
        return {"n": ec.exponential_euler(states["n"], n_inf, n_tau, dt)}

    def current(self, states, v):
        return self.gK * states["n"] ** 4 * (v - self.eK)


def _cell():
    comp = ec.Compartment(radius=3.0, length=10.0)
    cell = ec.Cell([ec.Branch(comp, ncomp=3), ec.Branch(comp, ncomp=2)], parents=[-1, 0])
    return cell.comp(0).stimulate(ec.step_current(1.0, 2.0, 0.2, 0.025, 10.0))


def test_user_channels_sum_to_hh():
    hh = _cell().insert(ec.HH()).set("celsius", 20.0).comp([0, 4]).record()
    split = (
        _cell()
        .insert(Na_T())
        .insert(Kdr())
        .insert(ec.Leak(gLeak=0.0003, eLeak=-54.3))
        .set("celsius", 20.0)
        .comp([0, 4])
        .record()
    )
    v_hh, v_split = hh.integrate(t_max=10.0), split.integrate(t_max=10.0)
    assert float(v_hh.max()) > 20.0
    np.testing.assert_allclose(v_split, v_hh, atol=1e-9)


def test_user_channel_names_and_records():
    cell = _cell().insert(Na_T()).insert(Kdr())
    assert "Na_T_gNa" in cell.quantity_names() and "Na_T_m" in cell.recordable_names()
    cell = cell.set("Na_T_gNa", 0.2).make_trainable("Kdr_gK")
    assert float(cell.get("Na_T_gNa")[0]) == 0.2
    rec = cell.comp(0).record("Na_T_h", "i_Kdr").integrate(t_max=10.0)
    assert rec.shape == (2, 401) and bool(jnp.all(jnp.isfinite(rec)))


def test_vtrap_forms_agree_and_the_float32_one_is_exact():
    """HH's rate x / (exp(x/y) − 1): NEURON's form (float64) and the series form (float32)
    are the same function; in float32 the series form keeps value and derivative to a few
    ulps across the removable singularity, where NEURON's form does not."""
    import jax

    from eqcable.channels.rates import (
        _vtrap_series,
        vtrap as _vtrap,
        vtrap_from_exp as _vtrap_neuron,
    )

    # v from -42 to -38 mV, denser near -40 (x = -(v + 40), y = 10), in float64.
    x = np.concatenate([np.linspace(-2.0, 2.0, 4001), np.geomspace(1e-9, 1.0, 200)])
    x = np.concatenate([x, -x])
    exact = np.array([float(xi / np.expm1(xi / 10.0)) if xi else 10.0 for xi in x])
    # d/dx of x/(e^(x/y) - 1), from the series in float64 (exact to round-off here)
    dseries = jax.vmap(jax.grad(lambda a: _vtrap_series(a, 10.0)))(jnp.asarray(x))
    neuron = _vtrap_neuron(jnp.asarray(x), 10.0)
    np.testing.assert_allclose(neuron, exact, rtol=1e-10)
    np.testing.assert_allclose(_vtrap_series(jnp.asarray(x), 10.0), exact, rtol=5e-15)  # ~20 ulps
    assert jnp.asarray(_vtrap(jnp.asarray(x), 10.0)).dtype == jnp.float64
    np.testing.assert_array_equal(_vtrap(jnp.asarray(x), 10.0), neuron)
    # float32: the series form, a few ulps in value and derivative
    x32 = jnp.asarray(x, jnp.float32)
    value32 = _vtrap(x32, 10.0)
    assert value32.dtype == jnp.float32
    np.testing.assert_allclose(value32, exact, rtol=1e-6)  # measured 5.6e-7 (~5 ulps)
    d32 = jax.vmap(jax.grad(lambda a: _vtrap(a, 10.0)))(x32)
    np.testing.assert_allclose(d32, dseries, rtol=2e-5, atol=1e-6)  # measured 1.2e-5
    # ... where NEURON's form in float32 is far off (what the series form fixes)
    d32_neuron = jax.vmap(jax.grad(lambda a: _vtrap_neuron(a, 10.0)))(x32)
    assert np.max(np.abs(np.asarray(d32_neuron) - np.asarray(dseries))) > 1e-2


def test_vtrap_pair_equals_two_vtraps():
    """One exponential for a channel's forward and backward rates: in float32 exactly the
    two series values; in float64 the same within NEURON's form's own precision: near
    u = x/y = 0, ``exp(u) − 1`` keeps eps/|u| of relative precision, 2.2e-10 at the
    smallest |u| (1e-6) where the form is used; derivatives too."""
    import jax

    from eqcable.channels.rates import _vtrap_series, vtrap, vtrap_pair

    x = np.concatenate([np.linspace(-60.0, 60.0, 2401), np.geomspace(1e-9, 1.0, 50)])
    x = np.concatenate([x, -x])
    exact = np.array([float(xi / np.expm1(xi / 6.0)) if xi else 6.0 for xi in x])
    exact_minus = np.array([float(-xi / np.expm1(-xi / 6.0)) if xi else 6.0 for xi in x])
    backward, forward = vtrap_pair(jnp.asarray(x), 6.0)
    np.testing.assert_allclose(forward, exact, rtol=2.5e-10)
    np.testing.assert_allclose(backward, exact_minus, rtol=2.5e-10)
    away = np.abs(x / 6.0) > 1e-3  # the derivatives of NEURON's form: see `vtrap_from_exp`
    for k, sign in ((0, -1.0), (1, 1.0)):
        d_pair = jax.vmap(jax.grad(lambda a, k=k: vtrap_pair(a, 6.0)[k]))(jnp.asarray(x))
        d_exact = jax.vmap(jax.grad(lambda a, s=sign: _vtrap_series(s * a, 6.0)))(jnp.asarray(x))
        np.testing.assert_allclose(d_pair[away], d_exact[away], rtol=1e-9, atol=1e-12)
        # Within 1e-4 of u = 0 NEURON's form's derivative is 1.1e-4 off (`vtrap_from_exp`),
        # the backward rate's here 2.0e-4 (one more rounding: exp(-u) as 1/exp(u)).
        np.testing.assert_allclose(d_pair, d_exact, rtol=2.5e-4, atol=1e-12)
    x32 = jnp.asarray(x, jnp.float32)
    pair32 = vtrap_pair(x32, 6.0)
    np.testing.assert_array_equal(pair32[0], vtrap(-x32, 6.0))
    np.testing.assert_array_equal(pair32[1], vtrap(x32, 6.0))
