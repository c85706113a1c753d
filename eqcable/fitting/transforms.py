"""Bounded parameters: maps between an unconstrained space and physical values.

An optimiser works best on parameters that may take any real value; conductances must stay
positive and some parameters belong in an interval. A transform maps an unconstrained
``u`` to the physical ``x = forward(u)``, and back with ``inverse``. Apply them to a whole
parameter pytree with `constrain` / `unconstrain`:

!!! example

    ```python
    transforms = ({"HH_gNa": ec.Softplus()}, {"radius": ec.Sigmoid(0.1, 5.0)})
    u = ec.unconstrain(transforms, cell.params())      # optimise u
    v = cell.integrate(ec.constrain(transforms, u), t_max=10.0)
    ```
"""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike


class AbstractTransform(eqx.Module):
    """A bijection between the unconstrained reals and a parameter's valid values."""

    @abc.abstractmethod
    def forward(self, u: ArrayLike) -> Array:
        """Physical value of the unconstrained `u`."""

    @abc.abstractmethod
    def inverse(self, x: ArrayLike) -> Array:
        """Unconstrained value of the physical `x` (must be in the transform's range)."""


def _check_range(name, x, lower=-np.inf, upper=np.inf):
    if isinstance(x, jax.core.Tracer):
        return
    arr = np.asarray(x)
    if np.any(~np.isfinite(arr)) or np.any(arr <= lower) or np.any(arr >= upper):
        raise ValueError(f"{name}.inverse: {x!r} is outside the open interval ({lower}, {upper}).")


class Identity(AbstractTransform):
    """``x = u``."""

    def forward(self, u):
        return jnp.asarray(u)

    def inverse(self, x):
        return jnp.asarray(x)


class Affine(AbstractTransform):
    """``x = scale·u + shift`` (e.g. to bring parameters to a common scale).

    **Arguments:** `scale` (non-zero), `shift`, in the parameter's units.
    """

    scale: float = 1.0
    shift: float = 0.0

    def __check_init__(self):
        if not np.isfinite(self.scale) or self.scale == 0 or not np.isfinite(self.shift):
            raise ValueError(
                f"Affine needs a finite non-zero scale and a finite shift, got {self}."
            )

    def forward(self, u):
        return self.scale * jnp.asarray(u) + self.shift

    def inverse(self, x):
        return (jnp.asarray(x) - self.shift) / self.scale


class Exp(AbstractTransform):
    """``x = exp(u)``: positive values, optimised on a log scale."""

    def forward(self, u):
        return jnp.exp(u)

    def inverse(self, x):
        _check_range("Exp", x, lower=0.0)
        return jnp.log(x)


class Softplus(AbstractTransform):
    """``x = lower + log(1 + exp(u))``: values above `lower` (default 0)."""

    lower: float = 0.0

    def forward(self, u):
        return self.lower + jax.nn.softplus(u)

    def inverse(self, x):
        _check_range("Softplus", x, lower=self.lower)
        y = jnp.asarray(x) - self.lower
        return y + jnp.log(-jnp.expm1(-y))  # log(exp(y) - 1), stable for large y


class Sigmoid(AbstractTransform):
    """``x = lower + (upper − lower)·sigmoid(u)``: values in the open interval."""

    lower: float
    upper: float

    def __check_init__(self):
        if not (np.isfinite(self.lower) and np.isfinite(self.upper) and self.lower < self.upper):
            raise ValueError(
                f"Sigmoid needs finite lower < upper, got ({self.lower}, {self.upper})."
            )

    def forward(self, u):
        return self.lower + (self.upper - self.lower) * jax.nn.sigmoid(u)

    def inverse(self, x):
        _check_range("Sigmoid", x, self.lower, self.upper)
        p = (jnp.asarray(x) - self.lower) / (self.upper - self.lower)
        return jnp.log(p) - jnp.log1p(-p)


class Chain(AbstractTransform):
    """Transforms applied one after the other: ``forward`` applies ``transforms[0]`` first."""

    transforms: tuple[AbstractTransform, ...]

    def __init__(self, *transforms: AbstractTransform):
        for t in transforms:
            if not isinstance(t, AbstractTransform):
                raise TypeError(f"Chain takes transforms, got {t!r}.")
        self.transforms = tuple(transforms)

    def forward(self, u):
        for t in self.transforms:
            u = t.forward(u)
        return u

    def inverse(self, x):
        for t in reversed(self.transforms):
            x = t.inverse(x)
        return x


def _is_transform(x) -> bool:
    return isinstance(x, AbstractTransform)


def constrain(transforms, unconstrained):
    """Physical parameters from unconstrained ones, leaf by leaf.

    `transforms` has the structure of the parameters with a transform at each leaf (or
    ``None`` for no transform).
    """
    return jax.tree.map(
        lambda t, u: u if t is None else t.forward(u),
        transforms,
        unconstrained,
        is_leaf=lambda x: x is None or _is_transform(x),
    )


def unconstrain(transforms, params):
    """Unconstrained parameters from physical ones (the inverse of `constrain`).

    **Raises:** `ValueError` if a value lies outside its transform's range.
    """
    return jax.tree.map(
        lambda t, x: x if t is None else t.inverse(x),
        transforms,
        params,
        is_leaf=lambda x: x is None or _is_transform(x),
    )
