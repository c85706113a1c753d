"""Mechanism parameters that declare their unit and valid range.

A channel's or synapse's parameter is a dataclass field; declared with `parameter`, it
also carries its unit and bounds, so that every value a user gives (at construction, in
`insert`, `set`, `connect`, and concrete trainable values in `integrate`) is checked
against them with a message that names the parameter, the value, the range and the unit:

```python
class Kdr(ec.AbstractChannel):
    gK: ArrayLike = ec.parameter(0.036, "S/cm²", ge=0.0)
    tau: ArrayLike = ec.parameter(1.0, "ms", gt=0.0)
```

Values traced by `jit`/`grad`/`vmap` (during a fit) are not checked.
"""

from typing import Any, NamedTuple

import equinox as eqx
import jax
import numpy as np


class Bounds(NamedTuple):
    """A valid range: ``lower <(=) x <(=) upper``; ``None`` for no bound on that side."""

    lower: float | None = None
    upper: float | None = None
    lower_open: bool = False  # True: x > lower; False: x >= lower
    upper_open: bool = False

    @staticmethod
    def of(ge=None, gt=None, le=None, lt=None) -> "Bounds":
        """Bounds from keyword comparisons (``ge=0`` means ``x >= 0``)."""
        if ge is not None and gt is not None or le is not None and lt is not None:
            raise TypeError("Give at most one lower bound (ge or gt) and one upper (le or lt).")
        lower = gt if gt is not None else ge
        upper = lt if lt is not None else le
        return Bounds(
            lower=None if lower is None else float(lower),
            upper=None if upper is None else float(upper),
            lower_open=gt is not None,
            upper_open=lt is not None,
        )

    def describe(self) -> str:
        """The range in words, e.g. ``">= 0"`` or ``"in (0, 1]"``."""
        if self.lower is None and self.upper is None:
            return "any finite value"
        if self.upper is None:
            return f"{'>' if self.lower_open else '>='} {self.lower:g}"
        if self.lower is None:
            return f"{'<' if self.upper_open else '<='} {self.upper:g}"
        left, right = "(" if self.lower_open else "[", ")" if self.upper_open else "]"
        return f"in {left}{self.lower:g}, {self.upper:g}{right}"

    def outside(self, values: np.ndarray) -> np.ndarray:
        """A boolean mask of the `values` outside the range."""
        bad = np.zeros(values.shape, bool)
        if self.lower is not None:
            bad |= values <= self.lower if self.lower_open else values < self.lower
        if self.upper is not None:
            bad |= values >= self.upper if self.upper_open else values > self.upper
        return bad


#: No bounds (the default of a plain field).
UNBOUNDED = Bounds()


def parameter(default: Any, unit: str, *, ge=None, gt=None, le=None, lt=None, static: bool = False):
    """A mechanism parameter field with its unit and valid range.

    **Arguments:**

    - `default`: the default value.
    - `unit`: the unit, e.g. ``"S/cm²"``, ``"mV"``, ``"ms"``, ``"1"`` for none.
    - `ge`, `gt`, `le`, `lt`: bounds (``ge=0``: ``>= 0``; ``gt=0``: ``> 0``).
    - `static`: an option rather than a number (not an array, not checked).

    **Returns:** a dataclass field (`eqx.field`).
    """
    bounds = Bounds.of(ge=ge, gt=gt, le=le, lt=lt)
    metadata = {"unit": unit, "bounds": bounds}
    if static:
        return eqx.field(default=default, static=True, metadata=metadata)
    return eqx.field(default=default, metadata=metadata)


def check_in_bounds(name: str, value, bounds: Bounds = UNBOUNDED, unit: str = "") -> None:
    """Check a concrete `value` (a number or array) for parameter `name`.

    **Raises:** `TypeError` if it is not real; `ValueError`, naming the parameter, the
    offending value, the valid range and the unit, if it is not finite or out of range.
    Traced values are not checked.
    """
    if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(value)):
        return
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real number or array, got {arr.dtype}.")
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr) | bounds.outside(arr)
    if np.any(bad):
        first = arr[bad].flat[0] if arr.ndim else arr.item()
        where = f" (at index {int(np.flatnonzero(bad)[0])})" if arr.ndim else ""
        unit = f" {unit}" if unit and unit != "1" else ""
        if bounds == UNBOUNDED:
            rule = "it must be finite"
        else:
            rule = f"it must be finite and {bounds.describe()}{unit}"
        raise ValueError(f"{name} = {first:g}{unit}{where} is invalid: {rule}.")


def field_info(cls, name: str) -> tuple[str, Bounds]:
    """The unit and bounds that `cls` declares for its field `name` (``("", UNBOUNDED)``
    for a plain field)."""
    for f in getattr(cls, "__dataclass_fields__", {}).values():
        if f.name == name:
            return f.metadata.get("unit", ""), f.metadata.get("bounds", UNBOUNDED)
    return "", UNBOUNDED
