"""Segment geometry of a section given by 3-D points, exactly as NEURON computes it.

A NEURON section with 3-D points (``pt3dadd``) is a chain of frusta: between consecutive
points the diameter varies linearly with the arc length. Its ``nseg`` segments have equal
arc length ``ds = L / nseg``; each has a node at its centre, and the section has one more
node at its 1-end (and shares its 0-end node with the parent). NEURON (``treeset.cpp``,
`nrn_area_ri` and `diam_from_list`) integrates over each *half* segment:

- membrane area: the lateral surface of the frusta, slant included;
- axial resistance: ``∫ 4 Ra / (π d(x)²) dx``, which for a frustum from ``(x1, d1)`` to
  ``(x2, d2)`` is exactly ``4 Ra (x2 - x1) / (π d1 d2)``;
- mean diameter: the trapezoidal mean of ``d(x)``, which becomes ``seg.diam``.

The integration is split at every 3-D point and at every half-segment point, where the
diameter is interpolated linearly. A segment's ``ri`` is the right half of the previous
segment plus its own left half (for the first segment, the left half alone: from the 0-end
to the node); the 1-end node's ``ri`` is the right half of the last segment.

NEURON's details, kept here so that the numbers are NEURON's to round-off:

- a step of length ``< 1e-15`` µm (a repeated point) counts as ``1e-15`` µm in the
  resistance and the area, so a diameter jump at a repeated point adds the annulus
  ``π |d2² - d1²| / 4`` to the area of the segment holding it (the frustum's slant);
- points are consumed while their arc is ``<=`` the half-segment point, so at a
  half-segment point that falls on a repeated point the diameter on the distal side is
  used;
- the last half-segment point is not clamped to the last 3-D point: ``nseg * ds`` may
  exceed it by round-off, and the diameter is then extrapolated from the last frustum.

NEURON stores the coordinates and diameters of 3-D points in single precision and their
arc lengths in double precision; [`eqcable.morphology.geometry.pt3d_arc_lengths`][]
reproduces that from coordinates.
"""

import math
from typing import NamedTuple

import numpy as np
from jaxtyping import Float

# NEURON's constants (treeset.cpp): resistance of a frustum per unit of
# Ra (Ω·cm) · length (µm) / diameter² (µm²) is 4 / π · 0.01 MΩ.
_MIN_STEP = 1e-15  # µm, NEURON's floor on a step length in `diam_from_list`
_SAME_ARC = 1e-10  # µm, NEURON's test for a zero-length frustum when interpolating


class SegmentGeometry(NamedTuple):
    """The geometry of a section's segments, as NEURON has it.

    - `area`: ``(nseg,)`` membrane area of each segment (µm²), NEURON's ``seg.area()``.
    - `ri`: ``(nseg,)`` axial resistance (MΩ) from the previous node to each segment's
      node, NEURON's ``seg.ri()``; for the first segment, from the section's 0-end.
    - `ri_end`: axial resistance (MΩ) from the last segment's node to the section's 1-end
      node, where children attach; NEURON's ``sec(1).ri()``.
    - `diam`: ``(nseg,)`` mean diameter of each segment (µm), NEURON's ``seg.diam`` (which
      NEURON leaves unchanged when it is within ``1e-9`` µm of this value).
    - `r_proximal`, `r_distal`: ``(nseg,)`` axial resistance (MΩ) of each segment's
      proximal half (from its 0-side boundary to its node) and distal half; ``ri`` is
      ``r_distal`` of the previous segment plus ``r_proximal``, ``ri_end`` the last
      ``r_distal``.
    """

    area: Float[np.ndarray, " nseg"]
    ri: Float[np.ndarray, " nseg"]
    ri_end: float
    diam: Float[np.ndarray, " nseg"]
    r_proximal: Float[np.ndarray, " nseg"]
    r_distal: Float[np.ndarray, " nseg"]


def _check_points(arc: np.ndarray, diam: np.ndarray) -> None:
    if arc.ndim != 1 or diam.shape != arc.shape:
        raise ValueError(
            f"`arc` and `diam` must be 1-D arrays of the same length, got shapes {arc.shape} "
            f"and {diam.shape}."
        )
    if len(arc) < 2:
        raise ValueError(f"A section needs at least two 3-D points, got {len(arc)}.")
    if not (np.all(np.isfinite(arc)) and np.all(np.isfinite(diam))):
        raise ValueError("`arc` and `diam` must be finite.")
    if arc[0] != 0.0 or np.any(np.diff(arc) < 0.0):
        raise ValueError("`arc` must start at 0 and never decrease (cumulative arc lengths).")
    if arc[-1] <= 0.0:
        raise ValueError("The section has zero length: all its 3-D points coincide.")
    if np.any(diam < 0.0):
        i = int(np.argmax(diam < 0.0))
        raise ValueError(f"`diam` must be >= 0, got {diam[i]} at point {i}.")


def segment_geometry(
    arc: Float[np.ndarray, " npt"],
    diam: Float[np.ndarray, " npt"],
    nseg: int,
    ra: float,
) -> SegmentGeometry:
    """Areas, axial resistances and mean diameters of a section's segments, as in NEURON.

    This is NEURON's `diam_from_list` (``src/nrnoc/treeset.cpp``), operation for
    operation, so the results equal ``seg.area()``, ``seg.ri()`` and ``seg.diam`` to
    round-off. See the module documentation for the integration rule.

    **Arguments:**

    - `arc`: cumulative arc length (µm) at each 3-D point, ``arc[0] = 0``,
      non-decreasing; repeated values (zero-length steps) are allowed. NEURON's
      ``sec.arc3d(i)``.
    - `diam`: diameter (µm) at each 3-D point, ``>= 0``. NEURON's ``sec.diam3d(i)``.
    - `nseg`: number of segments, ``>= 1``.
    - `ra`: axial resistivity (Ω·cm).

    **Returns:** a [`eqcable.morphology.geometry.SegmentGeometry`][]
    ``(area, ri, ri_end, diam, r_proximal, r_distal)`` in µm², MΩ, MΩ, µm, MΩ, MΩ.

    **Raises:** `ValueError` if the points are not a section's (fewer than two, arc not
    cumulative, negative diameters, zero length) or ``nseg < 1``.

    !!! example

        ```python
        arc = np.array([0.0, 50.0, 100.0])
        diam = np.array([2.0, 1.0, 1.0])
        geom = segment_geometry(arc, diam, nseg=3, ra=100.0)
        geom.area.sum()  # the lateral surface of the two frusta
        ```
    """
    arc = np.asarray(arc, dtype=np.float64)
    diam = np.asarray(diam, dtype=np.float64)
    _check_points(arc, diam)
    if isinstance(nseg, bool) or not isinstance(nseg, (int, np.integer)) or nseg < 1:
        raise ValueError(f"`nseg` must be an int >= 1, got {nseg!r}.")
    nseg = int(nseg)
    x = arc.tolist()
    d = diam.tolist()
    last = len(x) - 1
    ds = x[last] / nseg
    to_megohm = float(ra) / math.pi * (4.0 * 0.01)

    area = np.empty(nseg)
    ri = np.empty(nseg)
    mean_diam = np.empty(nseg)
    r_proximal = np.empty(nseg)
    r_distal = np.empty(nseg)
    j = 0  # the current frustum is (j, j + 1)
    x1, y1 = x[0], d[0]  # the integration has reached arc x1, where the diameter is y1
    r_right = 0.0  # right half resistance of the previous segment (MΩ)
    for inode in range(nseg):
        s = inode * ds
        diam_sum = 0.0
        area_sum = 0.0
        r_left = r_next = 0.0
        for ihalf in range(2):
            r = 0.0
            s_half = s + ds / 2.0
            while True:
                xj, xjp = x[j], x[j + 1]
                if xjp > s_half or j + 1 == last:
                    # the half-segment ends inside frustum j (or past the last point)
                    frac = 1.0 if abs(xjp - xj) < _SAME_ARC else (s_half - xj) / (xjp - xj)
                    x2 = s_half
                    y2 = (1.0 - frac) * d[j] + frac * d[j + 1]
                    advance = False
                else:
                    x2, y2 = xjp, d[j + 1]
                    advance = True
                delta = x2 - x1
                diam_sum += (y2 + y1) * delta
                if delta < _MIN_STEP:
                    delta = _MIN_STEP
                temp = y2 * y1 / delta
                if temp == 0.0:
                    temp = _MIN_STEP
                r += 1.0 / temp
                taper = 0.5 * (y2 - y1)
                area_sum += (y2 + y1) * math.sqrt(delta * delta + taper * taper)
                x1, y1 = x2, y2
                if not advance:
                    break
                j += 1
            if ihalf == 0:
                r_left = r * to_megohm
            else:
                r_next = r * to_megohm
            s = s_half
        ri[inode] = r_right + r_left
        area[inode] = area_sum * 0.5 * math.pi
        mean_diam[inode] = diam_sum * (0.5 / ds)
        r_proximal[inode], r_distal[inode] = r_left, r_next
        r_right = r_next
    return SegmentGeometry(area, ri, r_right, mean_diam, r_proximal, r_distal)


def pt3d_arc_lengths(xyz: Float[np.ndarray, "npt 3"]) -> Float[np.ndarray, " npt"]:
    """Cumulative arc lengths of 3-D points, computed as NEURON stores them.

    NEURON keeps the coordinates of 3-D points as single-precision floats, takes their
    differences in single precision and accumulates the distances in double precision
    (`nrn_pt3dmodified`, ``src/nrnoc/treeset.cpp``). Pass the result, with the diameters
    rounded the same way (``diam.astype(np.float32).astype(np.float64)``), to
    [`eqcable.morphology.geometry.segment_geometry`][] to get NEURON's numbers from the
    coordinates a section was built from.

    **Arguments:**

    - `xyz`: coordinates (µm) of the section's 3-D points, in order.

    **Returns:** the ``(npt,)`` cumulative arc lengths (µm), starting at 0.
    """
    xyz = np.asarray(xyz, dtype=np.float64)
    if xyz.ndim != 2 or xyz.shape[1] != 3 or len(xyz) < 1:
        raise ValueError(f"`xyz` must have shape (npt, 3) with npt >= 1, got {xyz.shape}.")
    step = np.diff(xyz.astype(np.float32), axis=0).astype(np.float64)
    length = np.sqrt(step[:, 0] * step[:, 0] + step[:, 1] * step[:, 1] + step[:, 2] * step[:, 2])
    return np.concatenate([[0.0], np.cumsum(length)])


def d_lambda_nseg(
    arc: Float[np.ndarray, " npt"],
    diam: Float[np.ndarray, " npt"],
    ra: float,
    cm: float,
    d_lambda: float = 0.1,
    frequency: float = 100.0,
) -> int:
    """The number of segments NEURON's d_lambda rule gives a section.

    NEURON's ``fixnseg.hoc`` (the rule the CellBuilder's "d_lambda" option uses, there
    with ``0.999`` for ``0.9``) sets::

        nseg = int((L / (d_lambda * lambda_f(frequency)) + 0.9) / 2) * 2 + 1

    the smallest odd number of segments, up to the ``0.9``, no longer than ``d_lambda``
    times the AC length constant at ``frequency``. With 3-D points, ``lambda_f``
    (``stdlib.hoc``) is ``L`` divided by the section's electrotonic length
    ``Σ (arc[i] - arc[i-1]) / sqrt(diam[i-1] + diam[i]) · sqrt(2) · 1e-5 ·
    sqrt(4 π frequency Ra cm)``, summed over the 3-D points in order; with ``cm = 0`` it is
    ``1e10`` µm. The computation here follows the hoc code's operations and order.

    **Arguments:**

    - `arc`: cumulative arc length (µm) at each 3-D point, as for
      [`eqcable.morphology.geometry.segment_geometry`][].
    - `diam`: diameter (µm) at each 3-D point, ``> 0`` except possibly at the last point.
    - `ra`: axial resistivity (Ω·cm).
    - `cm`: specific membrane capacitance (µF/cm²).
    - `d_lambda`: the largest segment length, as a fraction of the length constant.
    - `frequency`: the frequency (Hz) at which the length constant is taken.

    **Returns:** the odd number of segments, ``>= 1``.

    **Raises:** `ValueError` if the points are not a section's, a diameter before the
    last point is zero (NEURON's ``lambda_f error``), `d_lambda`, `frequency` or `ra` is
    not a positive number, `cm` is negative, or the count would not be finite.
    """
    arc = np.asarray(arc, dtype=np.float64)
    diam = np.asarray(diam, dtype=np.float64)
    _check_points(arc, diam)
    for label, value in (("d_lambda", d_lambda), ("frequency", frequency), ("ra", ra)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"`{label}` must be a positive number, got {value!r}.")
    if not (math.isfinite(cm) and cm >= 0):
        raise ValueError(f"`cm` must be a number >= 0, got {cm!r}.")
    length = float(arc[-1])
    if cm == 0:
        lambda_f = 1e10
    else:
        zero = np.flatnonzero(diam[:-1] == 0.0)
        if len(zero):
            raise ValueError(f"Zero diameter at 3-D point {zero[0]}: lambda_f is undefined.")
        steps = np.diff(arc) / np.sqrt(diam[:-1] + diam[1:])
        lam = float(np.cumsum(steps)[-1])  # sequential, as the hoc loop adds
        lam *= math.sqrt(2) * 1e-5 * math.sqrt(4 * math.pi * frequency * ra * cm)
        lambda_f = length / lam
    per_lambda = length / (d_lambda * lambda_f)
    if not math.isfinite(per_lambda):
        raise ValueError(
            f"The d_lambda rule gives no finite number of segments (L = {length:g} µm, "
            f"lambda_f = {lambda_f:g} µm, d_lambda = {d_lambda:g})."
        )
    return int((per_lambda + 0.9) / 2) * 2 + 1


def max_length_nseg(length: float, max_length: float) -> int:
    """The fewest segments no longer than ``max_length``: ``max(1, ceil(L / max_length))``.

    NEURON has no such rule; this one does not force an odd count (use
    [`eqcable.morphology.geometry.d_lambda_nseg`][] for NEURON's odd counts).

    **Arguments:**

    - `length`: the section's length (µm), ``>= 0``.
    - `max_length`: the largest segment length (µm), ``> 0``.

    **Returns:** the number of segments, ``>= 1``.

    **Raises:** `ValueError` if ``max_length <= 0``, ``length < 0`` or the count would not
    be finite.
    """
    if not max_length > 0:
        raise ValueError(f"`max_length` must be > 0 µm, got {max_length}.")
    if not length >= 0:
        raise ValueError(f"`length` must be >= 0 µm, got {length}.")
    count = length / max_length
    if not math.isfinite(count):
        raise ValueError(
            f"{length:g} µm in pieces of at most {max_length:g} µm is no finite number of "
            "compartments."
        )
    return max(1, math.ceil(count))


def compartment_boundaries(
    xyz: Float[np.ndarray, "npt 3"], ncomp: int
) -> Float[np.ndarray, "nb 3"]:
    """The 3-D points where a section's `ncomp` compartments begin and end.

    Compartment ``j`` of ``ncomp`` spans the arc lengths ``[j, j + 1] · L / ncomp``; its
    ends are found by linear interpolation along the section's 3-D points, at their arc
    lengths as NEURON stores them ([`eqcable.morphology.geometry.pt3d_arc_lengths`][]),
    with the coordinates rounded to single precision as NEURON keeps them (``x3d``). This
    is how LFPy places a segment's start and end point.

    **Arguments:**

    - `xyz`: coordinates (µm) of the section's 3-D points, in order (``npt >= 1``).
    - `ncomp`: the number of compartments, ``>= 1``.

    **Returns:** the ``(ncomp + 1, 3)`` boundary points (µm); compartment ``j`` runs from
    row ``j`` to row ``j + 1``. Row 0 is the first 3-D point and the last row the last
    3-D point (in single precision).

    **Raises:** `ValueError` if `xyz` is not ``(npt, 3)`` or `ncomp` is not an int >= 1.
    """
    if not isinstance(ncomp, (int, np.integer)) or isinstance(ncomp, bool) or ncomp < 1:
        raise ValueError(f"`ncomp` must be an int >= 1, got {ncomp!r}.")
    arc = pt3d_arc_lengths(xyz)
    points = np.asarray(xyz, dtype=np.float64).astype(np.float32).astype(np.float64)
    at = arc[-1] * (np.arange(ncomp + 1) / ncomp)
    at[-1] = arc[-1]
    # Repeated points have equal arcs and equal coordinates, so `interp`'s choice among
    # them does not matter.
    return np.stack([np.interp(at, arc, points[:, k]) for k in range(3)], axis=1)
