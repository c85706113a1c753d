"""Extracellular potentials of membrane currents in an infinite, homogeneous, isotropic
medium, as LFPy and LFPykit compute them (volume-conductor theory), in JAX.

Each compartment's transmembrane current is a current source in a medium of conductivity
σ. The potential at the electrodes is linear in the currents, ``φ = M @ I``, with a
matrix ``M`` (one row per electrode, one column per compartment) that depends only on the
geometry; it is differentiable with respect to the electrode positions, the compartment
positions and σ.

- **Point source** (`point_source_matrix`): the whole current of a compartment leaves
  from its midpoint, ``M[e, n] = 1 / (4π σ r)``, with ``r`` the distance from electrode
  ``e`` to midpoint ``n``.
- **Line source** (`line_source_matrix`): the current leaves uniformly along the straight
  segment from the compartment's start to its end point (length ``L``); integrating the
  point source along it gives ``M[e, n] = (asinh(l / ρ) − asinh(h / ρ)) / (4π σ L)``,
  where ``ρ`` is the electrode's distance from the segment's axis, ``l`` its coordinate
  along the axis measured from the start and ``h = l − L`` from the end (Holt 1998; LFPy's
  ``calc_lfp_linesource``). It is evaluated in a form without cancellation for electrodes
  before, beside and beyond the segment; a segment of zero length is a point source.

Inside a compartment the formulas do not hold; as in LFPykit, a distance is raised to
``r_limit`` (per compartment, usually its radius) where it is smaller: for the point
source, ``r``; for the line source, the distance from the axis, ``ρ`` (also for electrodes
beyond the segment's ends). ``r_limit=None`` sets no limit: an electrode on a source then
gives an infinite potential.

Units: currents in nA, positions in µm, σ in S/m, potentials in mV (nA / (S/m · µm) =
mV; no factor). Signs: with the membrane current outward positive (NEURON's convention),
a current leaving the cell (a source) gives a positive potential nearby. The current must
be the total transmembrane current of each compartment, capacitive included (NEURON's
``i_membrane_``), as LFPy uses; ionic currents alone do not add up to zero over the cell.
"""

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

_FOUR_PI = 4.0 * math.pi


def _concrete(value) -> np.ndarray | None:
    """`value` as a NumPy array, or None while it is traced (under jit, grad or vmap)."""
    try:
        return np.asarray(value)
    except jax.errors.TracerArrayConversionError:
        return None


def _as_float_array(name: str, value) -> Array:
    """`value` as a JAX array of floats; `TypeError` naming `name` for anything else."""
    if not isinstance(value, jax.Array):
        try:
            value = np.asarray(value)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"`{name}` must be an array of numbers, got {type(value).__name__}."
            ) from error
    dtype = np.dtype(value.dtype)
    if dtype == np.bool_ or not (
        np.issubdtype(dtype, np.floating) or np.issubdtype(dtype, np.integer)
    ):
        raise TypeError(f"`{name}` must hold real numbers, got dtype {dtype}.")
    array = jnp.asarray(value)
    if not jnp.issubdtype(array.dtype, jnp.floating):
        array = array.astype(jnp.result_type(float))
    return array


def _positions(name: str, value) -> Array:
    """Points ``(n, 3)`` in µm, finite where they are concrete."""
    array = _as_float_array(name, value)
    if array.ndim != 2 or array.shape[1] != 3:
        raise ValueError(f"`{name}` must have shape (n, 3) (x, y, z in µm), got {array.shape}.")
    _check_finite(name, array)
    return array


def _vector(name: str, value) -> Array:
    """One vector ``(3,)``, finite where it is concrete."""
    array = _as_float_array(name, value)
    if array.shape != (3,):
        raise ValueError(f"`{name}` must be three numbers (x, y, z), got shape {array.shape}.")
    _check_finite(name, array[None])
    return array


def _check_finite(name: str, array: Array) -> None:
    concrete = _concrete(array)
    if concrete is not None:
        bad = np.flatnonzero(~np.all(np.isfinite(concrete), axis=1))
        if bad.size:
            raise ValueError(
                f"`{name}` must be finite (µm); row {int(bad[0])} is {concrete[bad[0]].tolist()}."
            )


def _sigma(sigma) -> Array:
    array = _as_float_array("sigma", sigma)
    if array.ndim != 0:
        raise ValueError(
            f"`sigma` must be one conductivity (S/m), a scalar, got shape {array.shape} "
            "(anisotropic media are not supported)."
        )
    concrete = _concrete(array)
    if concrete is not None and not (np.isfinite(concrete) and concrete > 0):
        raise ValueError(f"`sigma` must be a positive, finite conductivity (S/m), got {concrete}.")
    return array


def _r_limit(r_limit, nseg: int) -> Array:
    if r_limit is None:
        return jnp.zeros(())
    array = _as_float_array("r_limit", r_limit)
    if array.ndim > 1 or (array.ndim == 1 and array.shape[0] != nseg):
        raise ValueError(
            f"`r_limit` must be a scalar or one value per segment ({nseg}), got shape "
            f"{array.shape}."
        )
    concrete = _concrete(array)
    if concrete is not None and not np.all(np.isfinite(concrete) & (concrete >= 0)):
        raise ValueError("`r_limit` must be finite and >= 0 (µm).")
    return array


@jax.jit
def _point_source(mid, elec, sig, limit2):
    diff = elec[:, None, :] - mid[None, :, :]
    r2 = jnp.sum(diff * diff, axis=-1)
    r2 = jnp.where(r2 < limit2, limit2, r2)
    return 1.0 / (_FOUR_PI * sig * jnp.sqrt(r2))


@jax.jit
def _line_source(start, end, elec, sig, limit2):
    axis = end - start
    length2 = jnp.sum(axis * axis, axis=-1)
    is_line = (length2 > 0)[None, :]
    # Zero-length segments get a unit length and a unit distance below, so that every
    # branch of `where` stays finite (and so do the gradients); their value is the point
    # source's.
    length = jnp.sqrt(jnp.where(length2 > 0, length2, 1.0))
    unit = axis / length[:, None]
    rel = elec[:, None, :] - start[None, :, :]
    l = jnp.sum(rel * unit[None], axis=-1)  # noqa: E741 (the literature's name)
    h = l - length
    rho2 = jnp.sum(jnp.square(jnp.cross(unit[None], rel)), axis=-1)
    rho2 = jnp.where(rho2 < limit2, limit2, rho2)
    rho2 = jnp.where(is_line, rho2, 1.0)
    r_l = jnp.sqrt(l * l + rho2)
    r_h = jnp.sqrt(h * h + rho2)

    beyond = h >= 0  # past the end: log((R_l + l) / (R_h + h))
    before = (l <= 0) & ~beyond  # before the start: log((R_h - h) / (R_l - l))
    beside = ~(beyond | before)  # log((R_h - h) / (R_l - l)) with R_l - l = ρ² / (R_l + l)
    along = (l + h) / (r_l + r_h)
    x_beyond = length * (1.0 + along) / jnp.where(beyond, r_h + h, 1.0)
    x_before = length * (1.0 - along) / jnp.where(before, r_l - l, 1.0)
    gap = jnp.where(beside, rho2 / jnp.where(beside, r_l + l, 1.0), 1.0)
    x_beside = length * ((r_h - h) + gap) / ((r_h + r_l) * gap)
    ratio_m1 = jnp.where(beyond, x_beyond, jnp.where(before, x_before, x_beside))
    line = jnp.log1p(ratio_m1) / (_FOUR_PI * sig * length)

    dist2 = jnp.sum(rel * rel, axis=-1)
    dist2 = jnp.where(dist2 < limit2, limit2, dist2)
    dist2 = jnp.where(is_line, 1.0, dist2)
    point = 1.0 / (_FOUR_PI * sig * jnp.sqrt(dist2))
    return jnp.where(is_line, line, point)


def point_source_matrix(
    midpoints: Float[ArrayLike, "nseg 3"],
    electrodes: Float[ArrayLike, "nelec 3"],
    sigma: float | Float[ArrayLike, ""] = 0.3,
    r_limit: float | Float[ArrayLike, ""] | Float[ArrayLike, " nseg"] | None = None,
) -> Float[Array, "nelec nseg"]:
    """The point-source matrix: ``M[e, n] = 1 / (4π σ max(r[e, n], r_limit[n]))``.

    ``r[e, n]`` is the distance from electrode ``e`` to the midpoint of compartment ``n``;
    LFPykit's ``PointSourcePotential`` with ``r_limit`` the compartment's radius.

    **Arguments:**

    - `midpoints`: ``(nseg, 3)`` the compartments' midpoints (µm).
    - `electrodes`: ``(nelec, 3)`` the electrode positions (µm).
    - `sigma`: the extracellular conductivity (S/m), ``> 0``.
    - `r_limit`: the least distance (µm) to each compartment, a scalar or ``(nseg,)``
      (LFPykit: the radius, ``cell.radius``); ``None`` for none.

    **Returns:** ``(nelec, nseg)`` the matrix (mV/nA): ``M @ I`` with ``I`` in nA is the
    potential in mV.

    **Raises:** `ValueError` naming the argument for a shape that is not ``(n, 3)`` (or
    an `r_limit` of the wrong length), non-finite positions, a `sigma` that is not a
    positive scalar, a negative `r_limit`; `TypeError` for values that are not real
    numbers. Values are checked where they are concrete (not while traced).
    """
    mid = _positions("midpoints", midpoints)
    elec = _positions("electrodes", electrodes)
    sig = _sigma(sigma)
    limit2 = jnp.square(_r_limit(r_limit, mid.shape[0]))
    return _point_source(mid, elec, sig, limit2)


def line_source_matrix(
    starts: Float[ArrayLike, "nseg 3"],
    ends: Float[ArrayLike, "nseg 3"],
    electrodes: Float[ArrayLike, "nelec 3"],
    sigma: float | Float[ArrayLike, ""] = 0.3,
    r_limit: float | Float[ArrayLike, ""] | Float[ArrayLike, " nseg"] | None = None,
) -> Float[Array, "nelec nseg"]:
    """The line-source matrix: the current of each compartment spread uniformly along the
    straight segment from its start to its end point.

    With ``L`` the segment's length, ``l`` the electrode's coordinate along the segment
    measured from its start, ``h = l − L`` the same from its end, and ``ρ`` the
    electrode's distance from the segment's axis raised to ``r_limit`` where smaller
    (LFPykit's rule, also beyond the ends)::

        M = (asinh(l / ρ) − asinh(h / ρ)) / (4π σ L)
          = log((R_l + l) / (R_h + h)) / (4π σ L),   R_l = √(l² + ρ²), R_h = √(h² + ρ²)

    computed as ``log1p`` of a sum of positive terms (no cancellation: an electrode before,
    beside or beyond the segment, near or far, and short segments, are accurate); it equals
    LFPykit's ``LineSourcePotential`` with ``r_limit`` the compartment's radius. A segment
    of zero length is the point source at its start, with the same `r_limit`.

    **Arguments:**

    - `starts`, `ends`: ``(nseg, 3)`` each compartment's start and end point (µm), e.g.
      from ``SwcMap.compartment_segments()``.
    - `electrodes`: ``(nelec, 3)`` the electrode positions (µm).
    - `sigma`: the extracellular conductivity (S/m), ``> 0``.
    - `r_limit`: the least distance (µm) from each segment's axis, a scalar or ``(nseg,)``
      (LFPykit: the radius, ``cell.radius``); ``None`` for none (an electrode on a segment
      then gives an infinite value).

    **Returns:** ``(nelec, nseg)`` the matrix (mV/nA).

    **Raises:** as `point_source_matrix`;
    also `ValueError` if `ends` and `starts` differ in shape.
    """
    start = _positions("starts", starts)
    end = _positions("ends", ends)
    if end.shape != start.shape:
        raise ValueError(f"`ends` must have the shape of `starts` {start.shape}, got {end.shape}.")
    elec = _positions("electrodes", electrodes)
    sig = _sigma(sigma)
    limit2 = jnp.square(_r_limit(r_limit, start.shape[0]))

    return _line_source(start, end, elec, sig, limit2)


def extracellular_potential(
    i_membrane: Float[ArrayLike, " nseg *ntime"],
    matrix: Float[ArrayLike, "nelec nseg"],
) -> Float[Array, " nelec *ntime"]:
    """The potential at the electrodes, ``matrix @ i_membrane``.

    **Arguments:**

    - `i_membrane`: ``(nseg, ntime)`` or ``(nseg,)`` the total transmembrane current of
      each compartment (nA, outward positive, capacitive current included).
    - `matrix`: ``(nelec, nseg)`` from `point_source_matrix` or `line_source_matrix`
      (mV/nA).

    **Returns:** ``(nelec, ntime)`` (or ``(nelec,)``) the extracellular potential (mV).

    **Raises:** `ValueError` naming the argument if `matrix` is not 2-D or `i_membrane`
    has not one row per column of `matrix`; `TypeError` for values that are not numbers.
    """
    m = _as_float_array("matrix", matrix)
    current = _as_float_array("i_membrane", i_membrane)
    if m.ndim != 2:
        raise ValueError(f"`matrix` must have shape (nelec, nseg), got {m.shape}.")
    if current.ndim not in (1, 2) or current.shape[0] != m.shape[1]:
        raise ValueError(
            f"`i_membrane` must have shape (nseg, ntime) or (nseg,) with nseg = {m.shape[1]} "
            f"(the columns of `matrix`), got {current.shape}."
        )
    return jnp.matmul(m, current, precision=jax.lax.Precision.HIGHEST)


def linear_probe(
    n: int,
    spacing: float | Float[ArrayLike, ""],
    start: Sequence[float] | Float[ArrayLike, " 3"] = (0.0, 0.0, 0.0),
    direction: Sequence[float] | Float[ArrayLike, " 3"] = (0.0, 0.0, 1.0),
) -> Float[Array, "nelec 3"]:
    """The positions of `n` electrodes on a straight line: ``start + k · spacing · u`` for
    ``k = 0 … n − 1``, with ``u`` the unit vector along `direction`.

    **Arguments:**

    - `n`: the number of electrodes, an int ``>= 1``.
    - `spacing`: the distance between neighbouring electrodes (µm), ``> 0``.
    - `start`: ``(3,)`` the first electrode (µm).
    - `direction`: ``(3,)`` the probe's direction (any non-zero length).

    **Returns:** ``(n, 3)`` the electrode positions (µm), differentiable with respect to
    `spacing`, `start` and `direction`.

    **Raises:** `TypeError` if `n` is not an int; `ValueError` naming the argument for
    ``n < 1``, a `spacing` that is not a positive finite scalar, a `start` or `direction`
    that is not three finite numbers, or a zero `direction`.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"`n` must be an int (the number of electrodes), got {n!r}.")
    if n < 1:
        raise ValueError(f"`n` must be >= 1, got {n}.")
    step = _as_float_array("spacing", spacing)
    if step.ndim != 0:
        raise ValueError(f"`spacing` must be a scalar (µm), got shape {step.shape}.")
    concrete = _concrete(step)
    if concrete is not None and not (np.isfinite(concrete) and concrete > 0):
        raise ValueError(f"`spacing` must be positive and finite (µm), got {concrete}.")
    origin = _vector("start", start)
    toward = _vector("direction", direction)
    norm2 = jnp.sum(toward * toward)
    concrete = _concrete(norm2)
    if concrete is not None and not concrete > 0:
        raise ValueError("`direction` must not be zero.")
    unit = toward / jnp.sqrt(norm2)
    return origin + (jnp.arange(n) * step)[:, None] * unit
