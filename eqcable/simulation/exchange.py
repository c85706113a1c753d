"""Exchanging presynaptic voltages between devices once every few steps, as NEURON and
Arbor exchange spikes once per minimum delay.

With an exchange interval of ``m`` steps the time loop runs in blocks of ``m`` steps. Within
a block each device records its voltages at the start of every step; after the block one
`all_gather` brings every device's ``m`` exported voltages, and
each connection's presynaptic signals of those ``m`` steps (voltages, or spikes detected
in order) go into its delay buffer. A step of the next block reads its signal ``delay``
steps back, which is then always in the buffer if every delay is at least ``m`` steps
(`check_interval`). The result equals an exchange every step.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ..synapses.wiring import Exchange, SynapseSetup
from .state import State


def check_interval(interval: int, delays, names, dt: float) -> None:
    """Refuse an exchange interval of `interval` steps longer than a connection's delay.

    `delays` holds every synapse group's delays (steps), `names` the groups' names.

    **Raises:** `ValueError` naming the first connection whose delay is shorter.
    """
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ValueError(f"exchange_every must be a positive int (steps), got {interval!r}.")
    if interval == 1:
        return
    for steps, name in zip(delays, names, strict=True):
        short = np.flatnonzero(np.asarray(steps) < interval)
        if short.size:
            j = int(short[0])
            raise ValueError(
                f"{name} connection {j} has a delay of {steps[j] * dt:g} ms, shorter than the "
                f"exchange interval ({interval} steps = {interval * dt:g} ms): a spike would "
                "arrive before the devices exchange it. Use exchange_every <= the shortest "
                "delay in steps (1 for graded synapses without delay)."
            )


def blocked_step(advance: Callable, syn: SynapseSetup, exchange: Exchange) -> Callable:
    """A step of ``exchange.interval`` time steps for `lax.scan`, exchanging once at its
    end.

    `advance(state, sigs, i_ext_k, k)` takes one step given the presynaptic signals
    `sigs` and returns the new `State` (with the same flags and buffers) and its
    recordings. The block's inputs are the injected currents and step indices of its
    steps, stacked.
    """

    interval = exchange.interval

    def block(state: State, xs):
        i_ext, ks = xs

        def one(carry, xs):
            state, history = carry
            i_ext_k, k, j = xs
            history = history.at[j].set(state.v)
            sigs = tuple(w.read(b, k) for w, b in zip(syn.sources, state.buffers, strict=True))
            state, rec = advance(state, sigs, i_ext_k, k)
            return (state, history), rec

        history = jnp.zeros((interval, state.v.shape[0]), state.v.dtype)
        (state, history), recs = jax.lax.scan(
            one, (state, history), (i_ext, ks, jnp.arange(interval))
        )
        every = exchange.voltages(history)  # one all-gather for the block

        def publish(carry, xs):
            v_pre, k = xs
            spiking, buffers = [], []
            for w, above, buffer in zip(syn.sources, *carry, strict=True):
                sig, above = w.signal(v_pre, above, syn.pulses[k], syn.counts[k])
                buffer = w.write(buffer, sig, k)
                spiking.append(above)
                buffers.append(buffer)
            return (tuple(spiking), tuple(buffers)), None

        (spiking, buffers), _ = jax.lax.scan(publish, (state.spiking, state.buffers), (every, ks))
        return State(state.v, state.channels, state.ions, state.synapses, spiking, buffers), recs

    return block


def in_blocks(xs, interval: int):
    """Per-step inputs ``(i_ext, k)`` in blocks of `interval` steps (the last one padded
    with zero current and the following step indices)."""
    i_ext, ks = xs
    nsteps = ks.shape[0]
    nblocks = -(-nsteps // interval)
    extra = nblocks * interval - nsteps
    i_ext = jnp.pad(i_ext, ((0, extra), (0, 0))).reshape(nblocks, interval, -1)
    ks = jnp.arange(nblocks * interval).reshape(nblocks, interval)
    return i_ext, ks
