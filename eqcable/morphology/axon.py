"""Replacing a reconstructed axon by a short stub (NumPy only).

Detailed models fitted to somatic and dendritic recordings usually drop the reconstructed
axon, which is cut and incomplete in slices, and put a stub in its place: Hay et al.
(2011) delete every axonal section and connect two sections of 30 µm, one after the
other, to the soma's middle (``connect axon[0](0), soma(0.5)``). `replace_axon` does the
same to Import3d's sections ([`eqcable.morphology.import3d`][]).
"""

from collections.abc import Sequence

import numpy as np

from .import3d import Import3dSection
from .swc import AXON, SOMA, SwcSamples


def _check_sizes(lengths, diameters) -> tuple[list[float], list[float]]:
    lengths, diameters = list(lengths), list(diameters)
    if not lengths or len(lengths) != len(diameters):
        raise ValueError(
            f"replace_axon needs one diameter per stub section (at least one); got "
            f"{len(lengths)} lengths and {len(diameters)} diameters."
        )
    for what, values in (("length", lengths), ("diameter", diameters)):
        for k, x in enumerate(values):
            if not np.isfinite(x) or x <= 0:
                raise ValueError(f"stub section {k}: {what} must be positive (µm), got {x}.")
    return [float(x) for x in lengths], [float(x) for x in diameters]


def _point_at(section: Import3dSection, x: float) -> np.ndarray:
    """The 3-D point at normalised arc length `x` along `section`."""
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(section.xyz, axis=0), axis=1))])
    if arc[-1] == 0:
        return section.xyz[0].copy()
    return np.array([np.interp(x * arc[-1], arc, section.xyz[:, k]) for k in range(3)])


def _direction(axon: list[Import3dSection]) -> np.ndarray:
    """Unit vector along the first axonal section (from its first to its last point);
    −y without one."""
    if axon:
        d = axon[0].xyz[-1] - axon[0].xyz[0]
        norm = np.linalg.norm(d)
        if norm > 0:
            return d / norm
    return np.array([0.0, -1.0, 0.0])


def replace_axon(
    samples: SwcSamples,
    sections: Sequence[Import3dSection],
    lengths: Sequence[float] = (30.0, 30.0),
    diameters: Sequence[float] = (1.0, 1.0),
    attach_x: float = 0.5,
) -> tuple[SwcSamples, list[Import3dSection]]:
    """Remove every axonal section (SWC type 2) and attach a chain of cylindrical stub
    sections to the soma, as Hay et al. (2011) do.

    **Arguments:**

    - `samples`, `sections`: as [`eqcable.morphology.import3d.import3d_sections`][] gives
      them for `samples`.
    - `lengths`, `diameters`: of the stub sections (µm), in order from the soma: the first
      attaches to the soma at `attach_x`, each next one to the end of the one before.
      Default: Hay et al.'s two sections of 30 µm, here of 1 µm diameter.
    - `attach_x`: where on the soma section the stub starts (0 to 1; 0.5 is its middle).

    **Returns:** the samples without the axon's own samples (so a map or a file written
    from them has no axon), and the sections: the others in their order, renumbered,
    then the stub sections ``axon[0]``, ``axon[1]``, … (NEURON's names for them). The stub
    starts at the soma's point at `attach_x` and points along the first reconstructed
    axonal section (or −y without one); it has no samples.

    **Raises:** `ValueError` if the root section is not a soma, if a non-axonal section
    grows from an axonal one (it would be left unconnected), or for a non-positive length
    or diameter or an `attach_x` outside 0 to 1.
    """
    sections = list(sections)
    lengths, diameters = _check_sizes(lengths, diameters)
    if not 0.0 <= attach_x <= 1.0:
        raise ValueError(f"attach_x must be within 0 and 1, got {attach_x}.")
    roots = [s for s in sections if s.parent < 0]
    if len(roots) != 1 or roots[0].type != SOMA:
        found = ", ".join(f"{s.name} (type {s.type})" for s in roots)
        raise ValueError(
            f"replace_axon needs a cell whose root section is a soma (SWC type 1); "
            f"{samples.source_name} has {found}."
        )
    removed = np.array([s.type == AXON for s in sections])
    for k, s in enumerate(sections):
        if not removed[k] and s.parent >= 0 and removed[s.parent]:
            raise ValueError(
                f"{samples.source_name}: section {s.name} (line "
                f"{int(samples.line_numbers[s.rows[0]])}) grows from the axonal section "
                f"{sections[s.parent].name}; replacing the axon would leave it unconnected."
            )
    axon = [s for s, r in zip(sections, removed, strict=True) if r]
    gone_rows = np.zeros(samples.nsample, dtype=bool)
    for s in axon:
        gone_rows[s.rows] = True
    new_row = np.cumsum(~gone_rows) - 1
    keep = np.flatnonzero(~gone_rows)
    parent_index = samples.parent_index[keep]
    kept_samples = samples._replace(
        ids=samples.ids[keep],
        types=samples.types[keep],
        xyz=samples.xyz[keep],
        radius=samples.radius[keep],
        parent_ids=samples.parent_ids[keep],
        parent_index=np.where(parent_index >= 0, new_row[parent_index], -1),
        line_numbers=samples.line_numbers[keep],
    )
    new_section = np.cumsum(~removed) - 1
    out = [
        s._replace(
            parent=int(new_section[s.parent]) if s.parent >= 0 else -1,
            rows=new_row[s.rows],
            point_rows=np.where(s.point_rows >= 0, new_row[s.point_rows], -1),
        )
        for s, r in zip(sections, removed, strict=True)
        if not r
    ]
    soma = int(new_section[next(k for k, s in enumerate(sections) if s.parent < 0)])
    start, direction = _point_at(roots[0], attach_x), _direction(axon)
    none = np.zeros(0, dtype=np.int64)
    for k, (length, diam) in enumerate(zip(lengths, diameters, strict=True)):
        end = start + length * direction
        out.append(
            Import3dSection(
                xyz=np.stack([start, end]),
                diam=np.array([diam, diam]),
                parent=soma if k == 0 else len(out) - 1,
                parent_x=attach_x if k == 0 else 1.0,
                type=AXON,
                name=f"axon[{k}]",
                rows=none,
                point_rows=np.array([-1, -1]),
            )
        )
        start = end
    return kept_samples, out
