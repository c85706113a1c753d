"""Spike outputs (`eqcable.experiments.spikes`): interpolated threshold crossings, their
padding and gradients, and the soft spike count (float64, set in conftest.py)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import eqcable as ec
from eqcable.experiments.spikes import Spikes, soft_spike_count, spike_times

# ---------------------------------------------------------------------------------------
# Synthetic traces

TRACE = np.array([-70.0, -10.0, 30.0, 10.0, -20.0, -5.0, 5.0, 0.0, -1.0, 0.0, 2.0])
# Upward crossings of 0 mV: step 1 (-10 -> 30), step 5 (-5 -> 5), step 8 (-1 -> 0, which
# touches the threshold from below); step 6 -> 7 (5 -> 0) and 7 -> 8 are not upward.
EXPECTED = [1 + 10 / 40, 5 + 5 / 10, 8 + 1 / 1]


def test_interpolated_times_count_and_padding():
    dt, t0 = 0.5, 3.0
    s = spike_times(jnp.asarray(TRACE), dt, max_spikes=5, t0=t0)
    assert isinstance(s, Spikes)
    assert s.times.shape == (5,) and s.count.shape == () and int(s.count) == 3
    np.testing.assert_allclose(s.times[:3], t0 + np.array(EXPECTED) * dt, rtol=1e-15)
    assert np.all(np.isposinf(s.times[3:]))


def test_more_crossings_than_slots_keeps_the_first_and_counts_all():
    s = spike_times(jnp.asarray(TRACE), 1.0, max_spikes=2)
    np.testing.assert_allclose(s.times, EXPECTED[:2], rtol=1e-15)
    assert int(s.count) == 3


def test_more_slots_than_steps_and_no_crossing():
    s = spike_times(jnp.array([-1.0, 1.0]), 0.1, max_spikes=4)
    np.testing.assert_allclose(s.times, [0.05, np.inf, np.inf, np.inf])
    # starting above the threshold is no crossing
    s = spike_times(jnp.array([5.0, 10.0, 1.0]), 0.1, max_spikes=3)
    assert int(s.count) == 0 and np.all(np.isposinf(s.times))


def test_threshold_is_a_parameter():
    s = spike_times(jnp.asarray(TRACE), 1.0, threshold=20, max_spikes=2)  # an int is fine
    np.testing.assert_allclose(s.times, [1 + 30 / 40, np.inf])
    assert int(s.count) == 1


def test_batch_dimensions_jit_and_vmap():
    rows = np.stack([TRACE, TRACE[::-1], -TRACE, TRACE + 1.0])  # (4, 11)
    batch = jnp.asarray(np.stack([rows, rows[::-1]]))  # (2, 4, 11)
    s = spike_times(batch, 0.25, max_spikes=3)
    assert s.times.shape == (2, 4, 3) and s.count.shape == (2, 4)
    for i in range(2):
        for j in range(4):
            one = spike_times(batch[i, j], 0.25, max_spikes=3)
            np.testing.assert_array_equal(s.times[i, j], one.times)
            assert s.count[i, j] == one.count
    jitted = jax.jit(lambda v: spike_times(v, 0.25, max_spikes=3))(batch)
    vmapped = jax.vmap(jax.vmap(lambda v: spike_times(v, 0.25, max_spikes=3)))(batch)
    for other in (jitted, vmapped):
        np.testing.assert_array_equal(other.times, s.times)
        np.testing.assert_array_equal(other.count, s.count)
    # threshold and t0 may be traced
    f = jax.jit(lambda v, th, t0: spike_times(v, 0.25, th, 3, t0).times)
    np.testing.assert_allclose(f(batch, 0.0, 0.0), s.times)


def test_gradient_is_the_interpolation_formula_and_zero_at_padding():
    dt, theta = 0.1, 0.0
    v = jnp.asarray(TRACE)

    def loss(v):  # the masked times, summed: padded slots are inf
        t = spike_times(v, dt, theta, max_spikes=6).times
        return jnp.sum(jnp.where(jnp.isfinite(t), t, 0.0))

    g = jax.grad(loss)(v)
    assert np.all(np.isfinite(g))
    expected = np.zeros_like(TRACE)
    for k in (1, 5, 8):  # the crossing steps
        a, b = TRACE[k], TRACE[k + 1]
        expected[k] += -dt * (b - theta) / (b - a) ** 2
        expected[k + 1] += -dt * (theta - a) / (b - a) ** 2
    np.testing.assert_allclose(g, expected, rtol=1e-14, atol=1e-15)
    # The Jacobian of every slot, the padded ones included, is finite; padded rows are 0.
    jac = jax.jacrev(lambda v: spike_times(v, dt, theta, max_spikes=6).times)(v)
    assert np.all(np.isfinite(jac)) and np.all(jac[3:] == 0)
    # A flat trace (every slot padded, v[k+1] - v[k] = 0 everywhere) has zero gradient.
    flat = jax.grad(lambda v: jnp.sum(spike_times(v, dt, max_spikes=2).times[0] * 0.0))
    np.testing.assert_array_equal(flat(jnp.full(5, -65.0)), 0.0)
    flat_jac = jax.jacfwd(lambda v: spike_times(v, dt, max_spikes=2).times)(jnp.full(5, -65.0))
    np.testing.assert_array_equal(flat_jac, 0.0)


@pytest.mark.parametrize(
    "call,error,match",
    [
        (lambda: spike_times(jnp.asarray(TRACE), 0.0), ValueError, "dt must be positive"),
        (lambda: spike_times(jnp.asarray(TRACE), -0.1), ValueError, "dt must be positive"),
        (lambda: spike_times(jnp.asarray(TRACE), float("nan")), ValueError, "dt must be"),
        (lambda: spike_times(jnp.asarray(TRACE), 0.1, max_spikes=0), ValueError, "at least 1"),
        (lambda: spike_times(jnp.ones((3, 1)), 0.1), ValueError, "at least 2 time points"),
        (lambda: spike_times(jnp.ones(0), 0.1), ValueError, "at least 2 time points"),
        (lambda: soft_spike_count(jnp.asarray(TRACE), width=0.0), ValueError, "width must"),
        (lambda: soft_spike_count(jnp.asarray(TRACE), width=-1.0), ValueError, "width must"),
        (lambda: soft_spike_count(jnp.ones((2, 1))), ValueError, "at least 2 time points"),
    ],
)
def test_bad_arguments_are_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_bad_argument_types_are_refused():
    # TypeError from the function itself or from the runtime type checker (jaxtyping).
    with pytest.raises(TypeError):
        spike_times(jnp.asarray(TRACE), 0.1, max_spikes=2.0)
    with pytest.raises(TypeError):
        spike_times(jnp.asarray(TRACE), "0.1")
    with pytest.raises(TypeError):  # a traced dt
        jax.jit(lambda dt: spike_times(jnp.asarray(TRACE), dt))(0.1)


def test_soft_count_of_synthetic_spikes():
    t = np.arange(0.0, 100.0, 0.05)
    spikes = sum(110.0 * np.exp(-(((t - c) / 0.5) ** 2)) for c in (20.0, 50.0, 80.0))
    v = jnp.asarray(-70.0 + spikes)  # three clean spikes from -70 mV to +40 mV
    assert int(spike_times(v, 0.05).count) == 3
    np.testing.assert_allclose(soft_spike_count(v, width=1.0), 3.0, atol=1e-12)
    batch = jnp.stack([v, v - 100.0, -v])
    soft = soft_spike_count(batch, threshold=0.0, width=1.0)
    assert soft.shape == (3,)
    np.testing.assert_allclose(soft, [3.0, 0.0, 3.0], atol=1e-12)  # -v: 3 upward returns
    # a subthreshold bump to threshold - 2·width counts sigmoid(-2) - sigmoid(-70/width)
    bump = jnp.asarray(-70.0 + 68.0 * np.exp(-(((t - 50.0) / 2.0) ** 2)))
    np.testing.assert_allclose(soft_spike_count(bump, width=1.0), jax.nn.sigmoid(-2.0), 1e-6)


# ---------------------------------------------------------------------------------------
# Through a simulation: an HH compartment driven by a current step

T_MAX, DT = 50.0, 0.025
AMP = 0.01  # nA into the default compartment (area 62.8 µm²): 4 spikes in 50 ms
MAX_SPIKES = 6


def _cell(amplitude):
    cell = ec.Compartment().insert(ec.HH())
    cell = cell.stimulate(ec.step_current(5.0, 40.0, amplitude, dt=DT, t_max=T_MAX))
    return cell.record("v")


def _times_of_amplitude(amplitude):
    v = _cell(amplitude).integrate(t_max=T_MAX, dt=DT)[0]
    return spike_times(v, DT, threshold=0.0, max_spikes=MAX_SPIKES)


def _assert_matches_central_differences(times_of, x0, derivative, h):
    """`derivative` (per slot) equals central differences of the interpolated spike times
    with step `h`, no spike appearing or vanishing and none changing its step."""
    s0, plus, minus = times_of(x0), times_of(x0 + h), times_of(x0 - h)
    n = int(s0.count)
    assert 2 <= n < MAX_SPIKES and int(plus.count) == int(minus.count) == n
    np.testing.assert_array_equal(
        np.floor(np.asarray(plus.times[:n]) / DT), np.floor(np.asarray(minus.times[:n]) / DT)
    )
    fd = (np.asarray(plus.times[:n]) - np.asarray(minus.times[:n])) / (2 * h)
    derivative = np.asarray(derivative)
    np.testing.assert_allclose(derivative[:n], fd, rtol=1e-4)
    assert np.all(derivative[n:] == 0)  # padding
    assert np.all(np.abs(fd) > 1e-3)  # every spike time does depend on the parameter
    return np.max(np.abs(derivative[:n] - fd) / np.abs(fd))


def test_spike_time_gradient_wrt_stimulus_amplitude():
    # forward mode through the simulation
    derivative = jax.jacfwd(lambda a: _times_of_amplitude(a).times)(jnp.asarray(AMP))
    error = _assert_matches_central_differences(_times_of_amplitude, AMP, derivative, 1e-7)
    assert error < 1e-5, error


def test_spike_time_gradient_wrt_gna():
    cell = _cell(AMP).make_trainable("HH_gNa")
    params = cell.params()
    gna = float(params[0]["HH_gNa"])

    def times_of(p):
        v = cell.integrate(p, t_max=T_MAX, dt=DT)[0]
        return spike_times(v, DT, threshold=0.0, max_spikes=MAX_SPIKES)

    # reverse mode, one backward pass per slot (padded slots included)
    jac = eqx.filter_jacrev(lambda p: times_of(p).times)(params)[0]["HH_gNa"]
    error = _assert_matches_central_differences(
        lambda g: times_of(({"HH_gNa": jnp.asarray(g)},)), gna, jac, 1e-6 * gna
    )
    assert error < 1e-5, error


def test_soft_count_of_a_simulated_cell():
    v = _cell(AMP).integrate(t_max=T_MAX, dt=DT)[0]
    count = int(spike_times(v, DT).count)
    assert count == 4
    # clean HH spikes (troughs near -75 mV, peaks near +40 mV): the soft count is the
    # true one within 1e-9 at width 1 mV
    np.testing.assert_allclose(soft_spike_count(v, width=1.0), count, atol=1e-9)


def test_soft_count_has_a_gradient_below_threshold():
    amplitude, width = 0.001, 10.0  # peak about -62 mV: no spike

    def soft(a):
        v = _cell(a).integrate(t_max=T_MAX, dt=DT)[0]
        return soft_spike_count(v, threshold=0.0, width=width)

    v = _cell(amplitude).integrate(t_max=T_MAX, dt=DT)[0]
    assert float(v.max()) < -50.0 and int(spike_times(v, DT).count) == 0
    grad = float(jax.grad(soft)(jnp.asarray(amplitude)))
    h = 1e-6 * amplitude
    fd = (float(soft(amplitude + h)) - float(soft(amplitude - h))) / (2 * h)
    assert grad > 0
    np.testing.assert_allclose(grad, fd, rtol=1e-5)
