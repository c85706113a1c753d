"""Spike outputs of a voltage recording, usable in losses: spike times and a smooth count.

**Crossings.** A spike is an upward crossing of a threshold ``θ`` (mV) between two
samples: step ``k`` holds one when ``v[k] < θ <= v[k+1]``. A trace that starts at or
above ``θ`` has no crossing until it has been below it; a trace that only touches ``θ``
from below (``v[k+1] == θ``) crosses it.

**Interpolation.** The crossing time is interpolated linearly within its step,

    t = t0 + (k + (θ − v[k]) / (v[k+1] − v[k])) · dt      (ms),

which is what makes spike times differentiable: a change of ``v[k]`` or ``v[k+1]`` (and
so of any model parameter, through the simulation) moves ``t`` continuously, with
``∂t/∂v[k] = −dt (v[k+1] − θ) / (v[k+1] − v[k])²`` and
``∂t/∂v[k+1] = −dt (θ − v[k]) / (v[k+1] − v[k])²``. The derivative is that of the
interpolated time: it jumps where a crossing moves from one step to the next (``t`` itself
stays continuous), and it does not see a spike appear or vanish (the count is an integer,
its gradient zero). `soft_spike_count` is a surrogate with gradients for the latter.

**Padding.** `spike_times` returns a fixed number, `max_spikes`, of times per row (a
shape must be static under `jit`): the first `max_spikes` crossings in order, then
``+inf`` for the slots without a crossing. `Spikes.count` is the true number of crossings,
which may exceed `max_spikes` (the later ones are then dropped). The padding is computed
with the "double where": neither its value nor its gradient is ever NaN, and the gradient
of any loss w.r.t. ``v`` through a padded slot is exactly zero. Mask padded slots before
using them in a loss, e.g. ``jnp.where(jnp.isfinite(s.times), s.times - target, 0.0)``
(or ``jnp.arange(max_spikes) < s.count``).

**Surrogate count.** `soft_spike_count` is the total upward variation of
``sigmoid((v − θ) / width)``: about one per clean spike, smooth in ``v``, and with a
nonzero gradient below threshold, where the true count is flat.

Everything works under `jax.jit`, `jax.vmap` and `jax.grad`, on any number of leading
batch dimensions (``v`` as `integrate` returns it, ``(nrows, ntime)``, or with more).
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int, Real

#: Default number of spike-time slots per row of `spike_times`.
DEFAULT_MAX_SPIKES = 16


class Spikes(NamedTuple):
    """The result of `spike_times`, a pytree (it passes through `jit` and `vmap`).

    - `times`: the first `max_spikes` threshold crossings of each row (ms, from `t0`), in
      increasing order, padded with ``+inf`` (gradient exactly zero there).
    - `count`: the number of crossings of each row, all of them (it may exceed
      `max_spikes`); the first ``min(count, max_spikes)`` entries of `times` are finite.
    """

    times: Float[Array, "*rows max_spikes"]
    count: Int[Array, "*rows"]


def spike_times(
    v: Float[ArrayLike, "*rows ntime"],
    dt: float,
    threshold: Real[ArrayLike, ""] = 0.0,
    max_spikes: int = DEFAULT_MAX_SPIKES,
    t0: Real[ArrayLike, ""] = 0.0,
) -> Spikes:
    """The times of the upward threshold crossings of voltage traces, interpolated.

    A crossing lies in step ``k`` when ``v[k] < threshold <= v[k+1]``; its time is
    ``t0 + (k + (threshold − v[k]) / (v[k+1] − v[k])) · dt`` (linear interpolation within
    the step), differentiable w.r.t. ``v`` (see the module's docstring).

    **Arguments:**

    - `v`: membrane potentials (mV), time along the last axis, sampled every `dt` from
      `t0`; any leading batch dimensions (e.g. the rows of `integrate`'s result).
    - `dt`: the sampling interval (ms), a positive number (not traced).
    - `threshold`: the crossing level (mV), default 0; may be traced.
    - `max_spikes`: the number of time slots per row (a static int >= 1), default 16.
    - `t0`: the time of ``v[..., 0]`` (ms), default 0; may be traced.

    **Returns:** `Spikes` with `times` of shape ``(*rows, max_spikes)`` (ms; the first
    `max_spikes` crossings in order, then ``+inf``) and `count` of shape ``(*rows,)`` (the
    number of all crossings).

    **Raises:** `TypeError` for a `dt` that is not a number or a `max_spikes` that is not
    an int; `ValueError` for a non-positive or non-finite `dt`, ``max_spikes < 1``, or a
    `v` with fewer than 2 time points.
    """
    dt = _check_positive("dt", dt, "ms")
    if not isinstance(max_spikes, (int, np.integer)) or isinstance(max_spikes, bool):
        raise TypeError(f"max_spikes must be an int, got {type(max_spikes).__name__}.")
    if max_spikes < 1:
        raise ValueError(f"max_spikes must be at least 1, got {max_spikes}.")
    v = _as_traces(v, "spike_times")
    dtype = v.dtype
    threshold = jnp.asarray(threshold, dtype=dtype)
    t0 = jnp.asarray(t0, dtype=dtype)
    nsteps = v.shape[-1] - 1
    before, after = v[..., :-1], v[..., 1:]
    crosses = (before < threshold) & (after >= threshold)
    count = jnp.sum(crosses, axis=-1)

    # The steps of the first max_spikes crossings, in order: the smallest keys, where a
    # step without a crossing has the key nsteps (larger than any step).
    steps = jnp.arange(nsteps)
    keys = jnp.where(crosses, steps, nsteps)
    k = min(max_spikes, nsteps)
    first = -jax.lax.top_k(-keys, k)[0]  # ascending
    if k < max_spikes:
        pad = jnp.full((*first.shape[:-1], max_spikes - k), nsteps, dtype=first.dtype)
        first = jnp.concatenate([first, pad], axis=-1)
    valid = first < nsteps
    index = jnp.minimum(first, nsteps - 1)
    v_before = jnp.take_along_axis(before, index, axis=-1)
    v_after = jnp.take_along_axis(after, index, axis=-1)
    # Double where: at a padded slot the quotient is 0/1, so neither the value nor the
    # gradient can be NaN (v_after − v_before may be 0 there); at a crossing the
    # denominator is positive, since v_before < threshold <= v_after.
    rise = jnp.where(valid, v_after - v_before, 1.0)
    above = jnp.where(valid, threshold - v_before, 0.0)
    t = t0 + (index.astype(dtype) + above / rise) * dt
    times = jnp.where(valid, t, jnp.inf)
    return Spikes(times=times, count=count)


def soft_spike_count(
    v: Float[ArrayLike, "*rows ntime"],
    threshold: Real[ArrayLike, ""] = 0.0,
    width: float = 1.0,
) -> Float[Array, "*rows"]:
    """A smooth surrogate of the number of spikes, for losses on spike counts.

    With ``s(v) = sigmoid((v − threshold) / width)`` it is the total upward variation of
    ``s`` over the samples: ``Σ_k relu(s(v[k+1]) − s(v[k]))``. A clean spike (from well
    below the threshold to well above it and back) raises ``s`` from about 0 to about 1
    once, so it counts about 1; its fall is not counted. Unlike the true count (an integer,
    with zero gradient), it moves smoothly with ``v`` and its gradient is nonzero below the
    threshold: a depolarisation that does not reach it still counts a little (a rise to
    ``threshold − 2·width`` counts about 0.12), and more as it gets closer.

    **When it differs from the true count** (`spike_times`' `count`):

    - a spike whose peak, or whose trough before it, lies within a few `width` of the
      threshold counts less than 1 (a peak at ``threshold + width`` counts about 0.73);
      a clean spike counts ``s(peak) − s(trough)``, within ``2·exp(−d/width)`` of 1
      where ``d`` is the smaller distance of peak and trough from the threshold;
    - subthreshold depolarisations and wiggles within a few `width` of the threshold add
      fractions (each upward stretch of the trace adds its rise of ``s``), as does noise
      around the threshold;
    - a trace that starts above the threshold counts its first spike only from the
      value of ``s`` at the start.

    Choose `width` by the trade-off: small (about 1 mV) for a count close to the true one
    on clean action potentials; larger (several mV) for a useful gradient from a trace
    that stays well below the threshold (the gradient decays as ``exp(−(threshold − v) /
    width) / width``, e.g. ``e^{−65}`` from rest at −65 mV with width 1 mV and threshold
    0 mV).

    **Arguments:**

    - `v`: membrane potentials (mV), time along the last axis; any leading batch
      dimensions.
    - `threshold`: the level that counts as a spike (mV), default 0; may be traced.
    - `width`: the voltage scale of the sigmoid (mV), a positive number, default 1.

    **Returns:** the soft count of each row, shape ``(*rows,)`` (dimensionless).

    **Raises:** `TypeError` for a `width` that is not a number; `ValueError` for a
    non-positive or non-finite `width`, or a `v` with fewer than 2 time points.
    """
    width = _check_positive("width", width, "mV")
    v = _as_traces(v, "soft_spike_count")
    s = jax.nn.sigmoid((v - jnp.asarray(threshold, dtype=v.dtype)) / width)
    return jnp.sum(jax.nn.relu(s[..., 1:] - s[..., :-1]), axis=-1)


def _check_positive(name: str, value, unit: str) -> float:
    """`value` as a float, checked to be a positive, finite, concrete number (in `unit`).

    **Raises:** `TypeError` if it is not a number (a traced value is not accepted);
    `ValueError` if it is not positive and finite.
    """
    if isinstance(value, jax.core.Tracer):
        raise TypeError(f"{name} must be a concrete number ({unit}), not a traced value.")
    if isinstance(value, bool) or not (
        isinstance(value, (int, float, np.integer, np.floating))
        or (isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) == 0)
    ):
        raise TypeError(f"{name} must be a number ({unit}), got {type(value).__name__}.")
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be positive and finite ({unit}), got {value}.")
    return value


def _as_traces(v, caller: str) -> Float[Array, "*rows ntime"]:
    """`v` as a floating-point array with at least 2 time points on its last axis.

    **Raises:** `ValueError`, naming `caller`, for fewer than 2 time points.
    """
    v = jnp.asarray(v)
    if not jnp.issubdtype(v.dtype, jnp.floating):
        v = v.astype(jnp.result_type(float))
    if v.ndim == 0 or v.shape[-1] < 2:
        raise ValueError(
            f"{caller} needs voltage traces with at least 2 time points on the last axis, "
            f"got shape {v.shape}."
        )
    return v
