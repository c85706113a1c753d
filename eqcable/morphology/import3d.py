"""NEURON's Import3d rules: from SWC samples to sections with 3-D points (NumPy only).

[`eqcable.morphology.sections.unbranched_sections`][] splits the samples into sections as
Import3d's ``sectionify`` does. This module then applies what Import3d's ``mksection``,
``chk_valid`` and ``instantiate`` (NEURON 9, ``read_swc.hoc`` and ``import3d_gui.hoc``)
do to each section, so that a cell built from the result has NEURON's sections, 3-D
points and connections exactly:

- a non-root section starts with the point of the sample it grows from (its parent
  point); where the parent is a soma section and the section is not, that first point
  takes the section's own first diameter;
- children of a single-point soma, and dendrites growing from an interior soma sample,
  attach at the soma's middle (``x = 0.5``); children of the root's first sample at
  ``x = 0``; a branch growing from the proximal sample of a section wired to the soma
  attaches at that section's start (``x = 0``); all others at the parent's end
  (``x = 1``);
- in the soma cases above the parent point is dropped, so the dendrite starts at its own
  first sample (NEURON then joins it to the soma "by a wire": the connection is
  topological, the geometry begins at the first sample);
- a section left with one point (a single-point soma, or NeuroMorpho's three-point soma
  reduced to its centre) becomes a cylinder along x, of length and diameter equal to the
  sample's diameter, centred on it;
- a non-root section with a single point, or with two points of the same x, y and z
  (Import3d compares the coordinates only: the diameters may differ), is removed and its
  children attach where it attached, their first point keeping the removed sample's
  diameter. Each removal is an
  [`eqcable.morphology.swc.UnusualMorphologyWarning`][] naming its line.

Import3d also accepts, and so does this module, each with one
[`eqcable.morphology.swc.UnusualMorphologyWarning`][] naming the line: a sample id 0; ids
out of increasing order (Import3d sorts them; NEURON 9.0.2 fails there, and the file's
order is kept here); a file without a soma (the root section is then a neurite), or a
root sample that is not a soma (the soma is then a branch of the root section); and types
other than 1-4 (sections ``dend_0``, ``dend_5``, ``dend_42``, ...).

What NEURON would build but eqcable cannot is a
[`eqcable.morphology.swc.GeometryError`][] naming the line: NEURON stores 3-D points in
single precision, so a coordinate beyond about 3.4e38 µm, a diameter that rounds to 0 or
overflows there, and a section whose length overflows are refused; and a section of zero
length that Import3d keeps (the root, or three or more points with the same x, y, z;
NEURON reports ``L = 1e-9`` µm for it) cannot become compartments.
"""

from typing import NamedTuple

import numpy as np
from jaxtyping import Float, Int

from .errors import MultipleRootsError, raise_problems
from .oddities import (
    check_single_precision,
    length_problem,
    type_name as type_name,
    warn_at,
    warn_unusual,
)
from .sections import is_neuromorpho_soma, unbranched_sections
from .swc import SOMA, SwcSamples


class Import3dSection(NamedTuple):
    """A section as NEURON's Import3d instantiates it.

    - `xyz`: ``(npt, 3)`` its 3-D points (µm); `diam`: ``(npt,)`` their diameters (µm).
    - `parent`: index of the parent section, ``-1`` for the root.
    - `parent_x`: where it attaches on the parent (``0``, ``0.5`` or ``1``).
    - `type`: SWC type of its samples; `name`: NEURON's name, e.g. ``"dend[3]"``.
    - `rows`: the sample rows (file order) that belong to this section.
    - `point_rows`: ``(npt,)`` the sample row of each 3-D point (``-1`` for the two ends
      Import3d adds to a single point).
    """

    xyz: Float[np.ndarray, "npt 3"]
    diam: Float[np.ndarray, " npt"]
    parent: int
    parent_x: float
    type: int
    name: str
    rows: Int[np.ndarray, " nrow"]
    point_rows: Int[np.ndarray, " npt"]


def _cylinder(point, d):
    # Import3d's `sphere_rep`: three points along x spanning one diameter. Import3d holds
    # the coordinates in single precision already, so round before shifting as it does.
    point = point.astype(np.float32).astype(np.float64)
    d = float(np.float32(d))
    xyz = np.repeat(point[None], 3, axis=0)
    xyz[0, 0] -= d / 2
    xyz[2, 0] += d / 2
    return xyz, np.full(3, d)


def import3d_sections(samples: SwcSamples) -> list[Import3dSection]:
    """The sections, 3-D points and connections NEURON's Import3d makes of `samples`.

    **Arguments:**

    - `samples`: validated samples from [`eqcable.morphology.swc.read_swc_samples`][] (one
      root).

    **Returns:** a list of [`eqcable.morphology.import3d.Import3dSection`][], parents
    before children, in NEURON's creation order.

    **Raises:** a [`eqcable.morphology.swc.MorphologyError`][] naming the file and line:
    [`eqcable.morphology.swc.MultipleRootsError`][] if the samples are not one tree;
    [`eqcable.morphology.swc.GeometryError`][] for a coordinate or diameter that single
    precision cannot hold (NEURON's 3-D points are float32), or a section Import3d keeps
    whose length is zero (the root, or three or more points with the same x, y, z) or
    overflows.

    **Warns:** [`eqcable.morphology.swc.UnusualMorphologyWarning`][], naming the line, once
    for each of: a sample id 0; ids out of increasing order; no soma, or else a root that
    is not a soma; types other than 1-4; and each section removed as Import3d removes it.
    """
    parent_row = samples.parent_index
    types = samples.types
    roots = np.flatnonzero(parent_row < 0)
    if len(roots) != 1:
        raise MultipleRootsError(
            f"Import3d needs exactly one root sample, found {len(roots)}.",
            path=samples.source_name,
        )
    check_single_precision(samples)
    warn_unusual(samples)
    xyz, diam = samples.xyz, 2.0 * samples.radius
    n = len(types)
    raw_sections = unbranched_sections(samples)

    # Import3d's bookkeeping: soma children per soma sample, and `connect2prox`.
    nchild_soma = np.zeros(n, dtype=np.int64)
    for i in range(1, n):
        p = parent_row[i]
        if types[i] == SOMA and p >= 0 and types[p] == SOMA:
            nchild_soma[p] += 1
    connect2prox = np.zeros(n, dtype=bool)
    for i in range(n):
        p = parent_row[i]
        if p >= 0 and p != i - 1:
            if p > 1 and types[p] != SOMA and types[parent_row[p]] == SOMA:
                connect2prox[i] = True
            elif p == 0 and types[p] != SOMA:
                connect2prox[i] = True
    nchild = np.bincount(parent_row[parent_row >= 0], minlength=n).astype(float)
    soma3geom = is_neuromorpho_soma(samples, nchild.tolist())

    # First pass: Import3d's raw point lists (`raw`, `first`, `d`) and connections.
    secs = []
    for indices, psec, typ in raw_sections:
        if psec < 0:
            own = indices
            raw = own[:1] if soma3geom else own
            secs.append(
                dict(
                    raw=raw,
                    first=0,
                    d=diam[raw].copy(),
                    parent=-1,
                    x=1.0,
                    type=int(typ),
                    own=own,
                    id=int(own[0]),
                    nraw=len(raw),
                )
            )
            continue
        p, own = int(indices[0]), indices[1:]
        first_row, nown = int(own[0]), len(own)
        ps = secs[psec]
        den_con_soma = ps["type"] == SOMA and types[first_row] != SOMA
        con_soma = ps["type"] == SOMA
        parent_x, skip = 1.0, 0
        handled = False
        if psec == 0:
            handled = True
            if den_con_soma and ps["nraw"] == 1:
                parent_x = 0.5
                skip = 1 if nown > 1 else 0
            elif p == ps["id"]:
                parent_x = 0.0
                if types[first_row] != SOMA and nchild_soma[p] > 1:
                    skip = 1
            else:
                handled = False
        if not handled and con_soma:
            offset = -1 if ps["id"] == 0 else -2
            if p < ps["id"] + ps["nraw"] + offset:
                parent_x = 0.5
                if den_con_soma and nown > 1:
                    skip = 1
            elif nown > 1 and nchild_soma[p] > 1 and types[first_row] != SOMA:
                skip = 1
        raw = np.concatenate([[p], own])
        d = diam[raw].copy()
        if ps["type"] == SOMA and int(typ) != SOMA:
            d[0] = d[1]
        if connect2prox[first_row]:
            parent_x = 0.0
        secs.append(
            dict(
                raw=raw,
                first=skip,
                d=d,
                parent=psec,
                x=parent_x,
                type=int(typ),
                own=own,
                id=first_row,
                nraw=len(raw),
            )
        )

    # `chk_valid`: remove non-root sections with one point, or two points with the same
    # x, y, z (Import3d compares the coordinates only, as read, not the diameters), and
    # reattach their children where they attached (last sections first, as Import3d).
    removed = {}
    for s in range(len(secs) - 1, 0, -1):
        sec = secs[s]
        pts = sec["raw"][sec["first"] :]
        if len(pts) <= 1:
            removed[s] = (
                "the section starting here is left with a single 3-D point once joined to "
                "the soma by a wire"
            )
        elif len(pts) == 2 and np.array_equal(xyz[pts[0]], xyz[pts[1]]):
            d = sec["d"][sec["first"] :]
            removed[s] = (
                "the two-point section ending here has zero length: its points have the "
                f"same x, y, z (diameters {d[0]:g} and {d[1]:g} µm)"
            )
        else:
            continue
        for c in range(s + 1, len(secs)):
            if secs[c]["parent"] == s:
                secs[c]["parent"], secs[c]["x"] = sec["parent"], sec["x"]
    for s in sorted(removed):
        warn_at(
            samples,
            secs[s]["id"],
            f"{removed[s]}. NEURON's Import3d removes such a section and attaches its "
            "children where it attached; so does eqcable.",
        )

    # `instantiate`: the 3-D points from `first` on; a single point becomes a cylinder.
    keep = [s for s in range(len(secs)) if s not in removed]
    new_index = {s: k for k, s in enumerate(keep)}
    counts: dict[str, int] = {}
    out = []
    problems = []
    for s in keep:
        sec = secs[s]
        pts = sec["raw"][sec["first"] :]
        d = sec["d"][sec["first"] :]
        p_xyz = xyz[pts]
        point_rows = np.asarray(pts, dtype=np.int64)
        if len(pts) == 1:
            p_xyz, d = _cylinder(p_xyz[0].copy(), d[0])
            point_rows = np.array([-1, pts[0], -1], dtype=np.int64)
        prefix = type_name(sec["type"])
        name = f"{prefix}[{counts.get(prefix, 0)}]"
        counts[prefix] = counts.get(prefix, 0) + 1
        problem = length_problem(samples, sec["id"], name, p_xyz, point_rows)
        if problem is not None:
            problems.append(problem)
        parent = -1 if sec["parent"] < 0 else new_index[sec["parent"]]
        out.append(
            Import3dSection(
                p_xyz,
                d,
                parent,
                sec["x"],
                sec["type"],
                name,
                np.asarray(sec["own"], dtype=np.int64),
                point_rows,
            )
        )
    if problems:
        raise_problems(problems, samples.source_name)
    return out
