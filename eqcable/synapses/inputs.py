"""Spike trains that drive synapses from outside the network."""

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float


class SpikeTrain(eqx.Module):
    """Given presynaptic spike times, a source for `Network.connect` (like NEURON's
    ``VecStim``).

    An event-driven synapse (e.g. `Exp2Syn`) receives each spike ``delay`` after it, at
    the step whose start is nearest (NEURON's fixed-step delivery: the step ``k`` with
    ``(k − ½) dt < t ≤ (k + ½) dt``). A graded synapse (e.g. `IonotropicSynapse`) sees
    a presynaptic voltage that is `v_rest` except for `width` after each spike, when it is
    `v_peak`.

    **Arguments:**

    - `times`: spike times (ms), finite and ≥ 0.
    - `v_rest`, `v_peak`: the presynaptic voltage seen by graded synapses (mV), defaults
      −70 and 20.
    - `width`: duration of that voltage pulse (ms), default 1.

    **Raises:** `ValueError` for negative or non-finite times or a non-positive width.
    """

    times: Float[Array, " nspikes"]
    v_rest: float = eqx.field(static=True, default=-70.0)
    v_peak: float = eqx.field(static=True, default=20.0)
    width: float = eqx.field(static=True, default=1.0)

    def __init__(self, times: ArrayLike | Sequence[float], v_rest=-70.0, v_peak=20.0, width=1.0):
        times = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
        if times.ndim != 1:
            raise ValueError(f"SpikeTrain times must be 1-D, got shape {times.shape}.")
        if not np.all(np.isfinite(times)) or np.any(times < 0):
            raise ValueError(f"SpikeTrain times must be finite and >= 0 ms, got {times}.")
        if not width > 0:
            raise ValueError(f"SpikeTrain width must be positive (ms), got {width}.")
        self.times = jnp.asarray(times)
        self.v_rest, self.v_peak, self.width = float(v_rest), float(v_peak), float(width)


def poisson_spike_train(rate: float, t_max: float, key: jax.Array, **kwargs) -> SpikeTrain:
    """A `SpikeTrain` of a homogeneous Poisson process.

    **Arguments:** `rate` (Hz), `t_max` duration (ms), `key` a `jax.random` key; further
    keyword arguments go to `SpikeTrain`.

    **Raises:** `ValueError` for a negative or non-finite rate or duration.
    """
    if not (np.isfinite(rate) and rate >= 0):
        raise ValueError(f"Poisson rate must be finite and >= 0 Hz, got {rate}.")
    if not (np.isfinite(t_max) and t_max >= 0):
        raise ValueError(f"Poisson t_max must be finite and >= 0 ms, got {t_max}.")
    k_count, k_times = jax.random.split(key)
    n = int(jax.random.poisson(k_count, rate * t_max / 1000.0))
    times = jax.random.uniform(k_times, (n,), minval=0.0, maxval=t_max)
    return SpikeTrain(np.asarray(times), **kwargs)


def spike_counts(
    times: Float[Array, " nspikes"], dt: float, nsteps: int
) -> Float[Array, " nsteps"]:
    """Number of spikes delivered at each step (NEURON's fixed-step delivery).

    A spike at time ``t`` arrives at the step ``k`` with ``(k − ½) dt < t ≤ (k + ½) dt``.
    A spike within 1e-6 steps of a half step counts as on it (XLA may divide by `dt`
    through its reciprocal, which moves exact half steps by round-off; NEURON's own
    delivery of such spikes depends on round-off in its accumulated time).
    """
    step = jnp.ceil(times / dt - 0.5 - 1e-6).astype(jnp.int32)
    return jnp.zeros(nsteps).at[step].add(1.0, mode="drop")


def pulse_voltage(train: SpikeTrain, counts: Float[Array, " nsteps"], dt: float):
    """The presynaptic voltage a graded synapse sees from `train` at each step (mV)."""
    w = max(1, round(train.width / dt))
    total = jnp.cumsum(counts)
    before = jnp.concatenate([jnp.zeros(w), total[:-w]]) if w < counts.shape[0] else 0.0
    active = (total - before) > 0
    return jnp.where(active, train.v_peak, train.v_rest)
