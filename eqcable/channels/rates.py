"""Shapes that rate functions of voltage-gated channels share."""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float


def vtrap(x: Float[ArrayLike, "*#s"], y: float) -> Float[Array, "*s"]:
    """``x / (exp(x/y) − 1)``: the form of many rate functions, with a removable
    singularity at ``x = 0`` (for HH's `m` at v = −40 mV), which every spike crosses.

    In float64 NEURON's own arithmetic (its ``vtrap`` in ``hh.mod``); in float32 a series
    near the singularity, exact to a few ulps in value and derivative."""
    if jnp.finfo(jnp.result_type(x)).bits >= 64:
        return vtrap_from_exp(x, y)
    return _vtrap_series(x, y)


def vtrap_pair(
    x: Float[ArrayLike, "*#s"], y: float
) -> tuple[Float[Array, "*s"], Float[Array, "*s"]]:
    """``(vtrap(−x, y), vtrap(x, y))``, the forward and backward rates many channels
    take from one argument, with one exponential between them in float64 (``exp(−x/y)``
    as ``1/exp(x/y)``: one more rounding, within NEURON's form's own precision near the
    singularity; `vtrap` itself in float32)."""
    if jnp.finfo(jnp.result_type(x)).bits >= 64:
        e = jnp.exp(x / y)
        return vtrap_from_exp(-x, y, 1.0 / e), vtrap_from_exp(x, y, e)
    return _vtrap_series(-x, y), _vtrap_series(x, y)


def vtrap_from_exp(x, y, e=None):
    """`vtrap` in NEURON's arithmetic, with ``e = exp(x/y)`` computed by the caller if
    given (shared between rates)."""
    # NEURON's own arithmetic (hh.mod): `x / (exp(x/y) - 1)`, and `y (1 - u/2)` for
    # |u| < 1e-6. Used in float64, where it is within 1e-10 of the exact rate (its
    # derivative within 1.7e-4, at |u| < 1e-4 only) and costs the fewest operations: the
    # accurate form below has ~8 more per call, which tips XLA-CPU into splitting CA1's
    # gate update across threads (forward 1.6x slower on 2 cores). The division is
    # guarded so that gradients through the unused branch stay finite. `e`, if given, is
    # ``exp(x/y)`` computed by the caller (shared between rates, as `eqcable.channels.hh` does).
    small = jnp.abs(x / y) < 1e-6
    if e is not None:
        return jnp.where(small, y * (1.0 - x / y / 2.0), x / jnp.where(small, 1.0, e - 1.0))
    safe_x = jnp.where(small, y, x)
    return jnp.where(small, y * (1.0 - x / y / 2.0), safe_x / (jnp.exp(safe_x / y) - 1.0))


def _vtrap_series(x, y):
    # Float32: NEURON's `exp(u) - 1` keeps only eps/|u| of relative precision near the
    # singularity, and its autodiff derivative subtracts two terms of size 1/|u|: the rate
    # up to 5% and its derivative up to 1e5 (relative) off, at a step or two of every
    # spike, was the largest float32 error of voltages and gradients (see "Precision" in
    # the docs). Here, for |u| < 0.1, the Taylor series of u / (exp(u) − 1) to u⁸
    # (truncation below u¹⁰/47900160 ≈ 2e-18) replaces it; for |u| >= 0.1 `exp(u) - 1`
    # loses at most log2(1/0.1) ≈ 3 bits, and its derivative no more: value and
    # derivative exact to a few ulps. (`expm1` would buy nothing there and costs ~1.7x
    # `exp` on XLA-CPU.) The guard keeps the unused branch finite.
    u = x / y
    small = jnp.abs(u) < 0.1
    safe_u = jnp.where(small, 1.0, u)
    u2 = u * u
    taylor = 1.0 - u / 2.0 + u2 * (1 / 12 - u2 * (1 / 720 - u2 * (1 / 30240 - u2 / 1209600)))
    return y * jnp.where(small, taylor, safe_u / (jnp.exp(safe_u) - 1.0))


def q_factor(celsius: Float[ArrayLike, ""], q10: float, reference: float) -> Float[Array, ""]:
    """The temperature factor ``q10^((celsius − reference)/10)`` by which rates scale
    (``celsius`` and ``reference`` in °C)."""
    return q10 ** ((jnp.asarray(celsius) - reference) / 10.0)


def sigmoid(v: Float[ArrayLike, "*#s"], half: ArrayLike, slope: ArrayLike) -> Float[Array, "..."]:
    """The Boltzmann curve ``1 / (1 + exp(−(v − half)/slope))`` (mV): rising with `v`
    for ``slope > 0``, falling for ``slope < 0``."""
    return 1.0 / (1.0 + jnp.exp(-(jnp.asarray(v) - half) / slope))
