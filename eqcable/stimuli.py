"""Injected currents and the time base they are sampled on.

A stimulus is an array of currents (nA, positive = depolarising, as NEURON's ``IClamp``),
one value per time step: entry ``k`` is injected during the step from ``t_k = k·dt`` to
``t_{k+1}``. A run of ``nsteps = t_max/dt`` steps takes an array of exactly ``nsteps``
values (one per step) or ``nsteps + 1`` (one per time point, as the recordings; the last
is never injected, since no step starts at ``t_max``). `step_current` gives the latter, as
a `Current` that also remembers its `dt`, so that using it at another `dt` is an error.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

#: Relative tolerance within which ``t_max`` must be a whole number of steps ``dt``.
STEP_TOLERANCE = 1e-9


def check_time(dt: float, t_max: float) -> int:
    """Validate ``dt`` and ``t_max`` (ms) and return the number of steps.

    **Raises:** `TypeError` if they are not numbers; `ValueError` if they are not positive
    and finite, or ``t_max`` is not a whole number of steps (within 1e-9, relative).
    """
    for name, value in (("dt", dt), ("t_max", t_max)):
        if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{name} must be a Python number (ms), got {type(value).__name__}.")
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be positive and finite (ms), got {value}.")
    if t_max < dt:
        raise ValueError(f"t_max ({t_max} ms) must be at least one time step dt ({dt} ms).")
    nsteps = int(round(t_max / dt))
    if abs(nsteps * dt - t_max) > STEP_TOLERANCE * t_max:
        raise ValueError(
            f"t_max = {t_max} ms is not a whole number of steps of dt = {dt} ms "
            f"(t_max/dt = {t_max / dt:.6g}); use e.g. t_max = {nsteps * dt:g} ms."
        )
    return nsteps


def check_samples(nsamples: int, nsteps: int, what: str) -> None:
    """Check that a current of `nsamples` values fits a run of `nsteps` steps.

    **Raises:** `ValueError`, naming `what`, unless ``nsamples`` is ``nsteps`` (one value
    per step) or ``nsteps + 1`` (one per time point).
    """
    if nsamples not in (nsteps, nsteps + 1):
        raise ValueError(
            f"{what} has {nsamples} samples, but this run has {nsteps} steps: give {nsteps} "
            f"values (one per step) or {nsteps + 1} (one per time point, t = 0 to t_max). "
            "Was it built for another dt or t_max?"
        )


class Current(eqx.Module):
    """A current (nA) sampled at the time points ``0, dt, ..., t_max``, with its time base.

    `values` has ``round(t_max/dt) + 1`` entries; entry ``k`` is injected during the step
    from ``k·dt`` to ``(k+1)·dt`` (the last is unused). Pass it to `stimulate`; it may
    only be used in runs with the same `dt` and `t_max`.

    **Arguments:**

    - `values`: the current at each time point (nA).
    - `dt`: the time step it was built for (ms).
    """

    values: Float[Array, " ntime"]
    dt: float = eqx.field(static=True)

    def __check_init__(self):
        if jnp.ndim(self.values) != 1:
            raise ValueError(f"Current values must be 1-D, got shape {jnp.shape(self.values)}.")

    @property
    def t_max(self) -> float:
        """The end of the run it was built for (ms)."""
        return (self.values.shape[0] - 1) * self.dt

    @property
    def time(self) -> np.ndarray:
        """The time points (ms) of `values`."""
        return np.arange(self.values.shape[0]) * self.dt

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.values, dtype=dtype)


def step_current(
    delay: float, duration: float, amplitude: ArrayLike, dt: float, t_max: float
) -> Current:
    """A current step with NEURON ``IClamp`` timing.

    The current is on during every step whose midpoint ``t_k + dt/2`` lies in
    ``[delay, delay + duration)``, exactly as NEURON evaluates ``IClamp`` in its fixed-step
    method.

    **Arguments:**

    - `delay`: onset (ms).
    - `duration`: length of the step (ms).
    - `amplitude`: current (nA); may be a traced value.
    - `dt`: time step (ms) of the run it is for.
    - `t_max`: end of that run (ms).

    **Returns:** a `Current` of ``round(t_max/dt) + 1`` values (nA), one per time point.

    **Raises:** `ValueError` for non-positive `dt`/`t_max`, a `t_max` that is not a whole
    number of steps, or a negative `duration`.
    """
    nsteps = check_time(dt, t_max)
    if not np.isfinite(delay) or not np.isfinite(duration) or duration < 0:
        raise ValueError(
            f"step_current needs a finite delay and a finite duration >= 0 (ms), "
            f"got delay={delay}, duration={duration}."
        )
    midpoints = (np.arange(nsteps + 1) + 0.5) * dt
    on = (midpoints >= delay) & (midpoints < delay + duration)
    dtype = jnp.result_type(float)
    if isinstance(amplitude, jax.core.Tracer):
        return Current(amplitude * jnp.asarray(on, dtype=dtype), float(dt))
    return Current(jax.device_put(np.asarray(amplitude, dtype=dtype) * on), float(dt))


def epsp_current(
    onset: float,
    tau_rise: float,
    tau_decay: float,
    amplitude: ArrayLike,
    dt: float,
    t_max: float,
) -> Current:
    """An EPSP-shaped current: a difference of exponentials that rises with `tau_rise`
    and decays with `tau_decay` from `onset`, scaled so that its peak is `amplitude`
    (the shape of Hay et al.'s ``epsp`` point process and of NEURON's ``Exp2Syn``
    conductance).

    Step ``k`` gets the value at its midpoint ``t_k + dt/2``, where NEURON's fixed-step
    method evaluates a point process's current.

    **Arguments:**

    - `onset`: start (ms); `tau_rise` < `tau_decay`: time constants (ms).
    - `amplitude`: peak current (nA, positive = depolarising); may be a traced value.
    - `dt`, `t_max`: the run it is for (ms).

    **Returns:** a `Current` of ``round(t_max/dt) + 1`` values (nA).

    **Raises:** `ValueError` for a non-finite onset, non-positive time constants or
    ``tau_rise >= tau_decay``, and as `step_current` for `dt` and `t_max`.
    """
    nsteps = check_time(dt, t_max)
    if not np.isfinite(onset) or not 0 < tau_rise < tau_decay < np.inf:
        raise ValueError(
            f"epsp_current needs a finite onset and 0 < tau_rise < tau_decay (ms), got "
            f"onset={onset}, tau_rise={tau_rise}, tau_decay={tau_decay}."
        )
    t_peak = np.log(tau_decay / tau_rise) * tau_rise * tau_decay / (tau_decay - tau_rise)
    norm = np.exp(-t_peak / tau_decay) - np.exp(-t_peak / tau_rise)
    s = np.maximum((np.arange(nsteps + 1) + 0.5) * dt - onset, 0.0)
    shape = (np.exp(-s / tau_decay) - np.exp(-s / tau_rise)) / norm
    dtype = jnp.result_type(float)
    if isinstance(amplitude, jax.core.Tracer):
        return Current(amplitude * jnp.asarray(shape, dtype=dtype), float(dt))
    return Current(jax.device_put(np.asarray(amplitude, dtype=dtype) * shape), float(dt))
