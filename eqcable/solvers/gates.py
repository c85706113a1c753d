"""Integrators for gating variables."""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float


def exponential_euler(
    x: Float[Array, "*shape"],
    x_inf: Float[ArrayLike, "*shape"],
    tau: Float[ArrayLike, "*shape"],
    dt: float,
) -> Float[Array, "*shape"]:
    """One exponential-Euler step of ``dx/dt = (x_inf − x)/tau`` with ``x_inf, tau`` frozen.

    Exact for constant ``x_inf`` and ``tau``; the same update as NEURON's ``cnexp``:
    ``x + (1 − exp(−dt/tau)) (x_inf − x)``.

    **Arguments:** `x` the gate, `x_inf` its steady state, `tau` its time constant (ms),
    `dt` the step (ms).
    """
    return x + (1.0 - jnp.exp(-dt / tau)) * (x_inf - x)
