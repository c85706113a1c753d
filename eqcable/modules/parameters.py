"""Trainable parameters: declared once by name, then addressed by their path.

The module *is* the model and the parameter: ``eqx.filter_grad(loss)(cell)`` differentiates
with respect to every float leaf, and `eqx.partition` with `trainable_filter` (or any filter
spec) picks the ones to fit. `make_trainable` additionally declares *shared* or *selected*
values, viewed by `params()` as a tuple of ``{name: value}`` dicts and written back by
`apply_params` (what ``module.integrate(params)`` does). The name is resolved once, when it
is declared, into a `Trainable` holding the path of its array; nothing is parsed per call.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .arrays import is_concrete, scatter_set, take, to_device
from .quantities import Path, follow, replace, resolve, where


class Trainable(eqx.Module):
    """A parameter made trainable at ``indices`` (compartments or connections): one value
    shared by all of them, or one each. `path` locates its array in the module (see
    `eqcable.modules.quantities`)."""

    name: str = eqx.field(static=True)
    shared: bool = eqx.field(static=True)
    indices: Int[Array, " k"]
    path: Path = eqx.field(static=True, default=())


def declare(module, name: str, shared: bool, indices: np.ndarray) -> Trainable:
    """A `Trainable` for quantity `name` of `module` at `indices`.

    **Raises:** `ValueError` for an unknown or non-trainable name, an empty selection, or
    ``shared=True`` on items that hold different values.
    """
    q = resolve(module, name)
    if q.per == "module":
        raise ValueError(f"{name} cannot be made trainable.")
    if not q.differentiable:
        raise ValueError(
            f"{name} has no gradient (it only decides when spikes happen), so it "
            "cannot be made trainable."
        )
    if len(indices) == 0:
        raise ValueError(f"make_trainable({name!r}): the selection is empty.")
    current = follow(module, q.path)
    if shared and is_concrete(current) and np.unique(np.asarray(current)[indices]).size > 1:
        raise ValueError(
            f"make_trainable({name!r}, shared=True): the selected items hold "
            "different values; set one value first or use shared=False."
        )
    return Trainable(name=name, shared=bool(shared), indices=to_device(indices), path=q.path)


def params(module) -> tuple[dict[str, Float[Array, "..."]], ...]:
    """The trainable values of `module` (see `AbstractModule.params`)."""
    out = []
    for tr in module.trainables:
        values = take(follow(module, tr.path), tr.indices)
        out.append({tr.name: values[0] if tr.shared else values})
    return tuple(out)


def check_params(module, values) -> None:
    """Check that `values` has the structure and shapes of ``params(module)``.

    **Raises:** `ValueError` naming the mismatch, or a non-finite concrete value.
    """
    trainables = module.trainables
    if not isinstance(values, (tuple, list)) or len(values) != len(trainables):
        raise ValueError(
            f"params do not match this module's trainables: expected a tuple of "
            f"{len(trainables)} dicts like module.params(), got {type(values).__name__}"
            + (f" of length {len(values)}." if isinstance(values, (tuple, list)) else ".")
        )
    for k, (tr, p) in enumerate(zip(trainables, values, strict=True)):
        if not isinstance(p, dict) or set(p) != {tr.name}:
            raise ValueError(
                f"params do not match this module's trainables: entry {k} should be "
                f"{{{tr.name!r}: value}}, got {p!r}."
            )
        shape = () if tr.shared else tr.indices.shape
        if jnp.shape(p[tr.name]) != shape:
            raise ValueError(
                f"params value for {tr.name!r} has shape {jnp.shape(p[tr.name])}, "
                f"expected {shape} ({'shared' if tr.shared else 'one per compartment'})."
            )
        resolve(module, tr.name).check(p[tr.name], label=f"params value for {tr.name!r}")


def as_arrays(module, values):
    """`values` (as returned by `params`) with plain numbers, lists and NumPy arrays
    turned into arrays of the module's float type; anything else is left for
    `check_params` to judge."""
    if not isinstance(values, (tuple, list)):
        return values

    def convert(x):
        if isinstance(x, jax.Array) or not is_concrete(x):
            return x
        try:
            return to_device(np.asarray(x, dtype=module.v.dtype))
        except (TypeError, ValueError):
            return x  # not numbers: check_params names it

    return tuple(
        {k: convert(x) for k, x in p.items()} if isinstance(p, dict) else p for p in values
    )


def apply_params(module, values):
    """`module` with the trainable `values` (as returned by `params`) written in."""
    if values is None:
        return module
    check_params(module, values)
    for tr, p in zip(module.trainables, values, strict=True):
        old = follow(module, tr.path)
        module = replace(module, tr.path, scatter_set(old, tr.indices, p[tr.name]))
    return module


def trainable_filter(module):
    """A filter spec for `eqx.partition`: ``True`` at every array a `make_trainable`
    declared (the whole array: with `eqx.filter_grad` a shared value's gradient is the
    sum over its selection), ``False`` elsewhere."""
    spec = jax.tree.map(lambda _: False, module)
    for tr in module.trainables:
        spec = eqx.tree_at(where(tr.path), spec, True)
    return spec


def error_if_not_finite(values):
    """`values`, with a runtime error (under tracing) if any of them is not finite."""
    leaves = jax.tree.leaves(values)
    if not leaves:
        return values
    finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))
    return eqx.error_if(values, ~finite, "integrate(): a parameter value is not finite.")
