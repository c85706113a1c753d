"""Injected currents.

A stimulus is an array of currents (nA, positive = depolarising, as NEURON's ``IClamp``),
one value per time step: entry ``k`` is injected during the step from ``t_k = k·dt`` to
``t_{k+1}``. Arrays shorter than the simulation inject nothing after their end.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float


def check_time(dt: float, t_max: float) -> int:
    """Validate ``dt`` and ``t_max`` (ms) and return the number of steps."""
    for name, value in (("dt", dt), ("t_max", t_max)):
        if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{name} must be a Python number (ms), got {type(value).__name__}.")
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be positive and finite (ms), got {value}.")
    if t_max < dt:
        raise ValueError(f"t_max ({t_max} ms) must be at least one time step dt ({dt} ms).")
    return int(round(t_max / dt))


def step_current(
    delay: float, duration: float, amplitude: ArrayLike, dt: float, t_max: float
) -> Float[Array, " ntime"]:
    """A current step with NEURON ``IClamp`` timing.

    The current is on during every step whose midpoint ``t_k + dt/2`` lies in
    ``[delay, delay + duration)``, exactly as NEURON evaluates ``IClamp`` in its fixed-step
    method.

    **Arguments:**

    - `delay`: onset (ms).
    - `duration`: length of the step (ms).
    - `amplitude`: current (nA); may be a traced value.
    - `dt`: time step (ms).
    - `t_max`: end of the simulation (ms).

    **Returns:** ``round(t_max/dt) + 1`` values (nA), one per time point.

    **Raises:** `ValueError` for non-positive `dt`/`t_max` or a negative `duration`.
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
        return amplitude * jnp.asarray(on, dtype=dtype)
    return jnp.asarray(np.asarray(amplitude, dtype=dtype) * on)
