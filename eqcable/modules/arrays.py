"""Array edits that run in NumPy when their inputs are concrete, in JAX when traced.

Building and editing a model happens outside `jit` most of the time. Done eagerly in JAX,
every new shape would compile a small XLA kernel (tens of milliseconds each); done in
NumPy it takes microseconds. Inside `jit` (traced inputs) the same edits use JAX, so the
edit methods work in both places.
"""

import jax
import jax.numpy as jnp
import numpy as np

from ..channels.parameter import UNBOUNDED, Bounds, check_in_bounds


def to_device(x) -> jax.Array:
    """`x` as a JAX array: a NumPy array (or number) is put on the device as it is,
    a traced value is returned as a JAX array.

    `jax.device_put` rather than `jnp.asarray`/`jnp.array`: with JAX 0.10 on CPU these
    compile a small program for every new shape (about 25 ms each, and building a cell
    meets dozens of shapes), while `device_put` copies without compiling (about 0.2 ms).
    """
    if is_concrete(x):
        return jax.device_put(np.asarray(x))
    return jnp.asarray(x)


def float_dtype():
    """The default float type: float64 with ``jax_enable_x64``, else float32."""
    return jnp.result_type(float)


def is_concrete(*xs) -> bool:
    """True if no leaf of `xs` is a JAX tracer."""
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(xs))


def scatter_set(old, where: np.ndarray | jax.Array, value):
    """``old`` with ``old[where] = value`` (a new array)."""
    if is_concrete(old, value, where):
        out = np.array(old)
        out[where] = np.asarray(value, dtype=out.dtype)
        return to_device(out)
    return old.at[where].set(jnp.asarray(value, dtype=old.dtype))


def take(arr, where):
    """``arr[where]``."""
    if is_concrete(arr, where):
        return to_device(np.asarray(arr)[np.asarray(where)])
    return jnp.asarray(arr)[where]


def full(n: int, value, dtype=None):
    """An array of `n` copies of `value`."""
    dtype = float_dtype() if dtype is None else dtype
    if is_concrete(value):
        return to_device(np.full((n,), np.asarray(value), dtype=dtype))
    return jnp.full((n,), value, dtype=dtype)


def concatenate(arrays):
    """Concatenate 1-D arrays."""
    if is_concrete(arrays):
        return to_device(np.concatenate([np.asarray(a) for a in arrays]))
    return jnp.concatenate(arrays)


def check_value(name: str, value, bounds: Bounds = UNBOUNDED, unit: str = "") -> None:
    """Raise `ValueError` if a concrete `value` is non-finite or outside `bounds` (naming
    `name`, the value, the range and `unit`), and `TypeError` if it is not a real number
    or array. Traced values are not checked."""
    check_in_bounds(name, value, bounds, unit)
