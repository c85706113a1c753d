"""Cells from SWC files, with NEURON's Import3d geometry."""

import os
from collections.abc import Sequence
from typing import NamedTuple

import equinox as eqx
import numpy as np
from jaxtyping import Float

from ..morphology.errors import GeometryError, raise_problems
from ..morphology.geometry import (
    compartment_boundaries,
    d_lambda_nseg,
    max_length_nseg,
    pt3d_arc_lengths,
)
from ..morphology.import3d import Import3dSection, import3d_sections
from ..morphology.swc import SwcSamples, read_swc_samples, write_swc
from .arrays import float_dtype
from .branch import points_geometry, with_geometry
from .cell import Cell, cell_of_sizes
from .compartment import Compartment


class DLambda(eqx.Module):
    """NEURON's d_lambda rule: compartments no longer than `d_lambda` of the AC length
    constant at `frequency` (NEURON's ``fixnseg.hoc``; always an odd number, at most
    NEURON's 32,767 per section).

    **Arguments:** `d_lambda` (fraction of λ, default 0.1), `frequency` (Hz, default 100).
    """

    d_lambda: float = 0.1
    frequency: float = 100.0


class MaxLength(eqx.Module):
    """Compartments no longer than `max_length` (µm): ``ceil(L / max_length)`` per branch,
    at most NEURON's 32,767."""

    max_length: float


class SwcMap(NamedTuple):
    """How a cell read from SWC relates to the file and to NEURON.

    - `section_names`: NEURON's name of each branch's section (``"dend[3]"``), as Import3d
      creates them; branch ``b``'s compartment ``j`` is NEURON's
      ``section(x)`` with ``x = (j + 0.5) / ncomp``.
    - `sample_compartment`: ``{sample id: compartment index}``, the compartment holding each
      sample. Samples Import3d puts in no section (the outer samples of NeuroMorpho's
      three-point soma, those of a removed zero-length section) map to the middle
      compartment of the root section.
    - `samples`: the validated samples.
    - `sections`: the sections with their 3-D points, as Import3d makes them (used by
      [`eqcable.plot_morphology`][]).
    - `radius`: the compartments' radii as read (µm), to tell later changes apart.
    - `ncomp_per_section`: the number of compartments of each section, in the cell's branch
      order (empty for a map made without it; then pass the cell where a method needs it).
    """

    section_names: tuple[str, ...]
    sample_compartment: dict[int, int]
    samples: SwcSamples
    sections: tuple[Import3dSection, ...]
    radius: np.ndarray
    ncomp_per_section: tuple[int, ...] = ()

    def write(self, path, cell: Cell | None = None) -> None:
        """Write the morphology back to an SWC file.

        Without `cell` the samples are written as read (reading the file back gives the
        same samples). With `cell` (this map's cell, possibly with fitted radii), every
        sample's radius is scaled by the change of its compartment's radius.

        **Raises:** `ValueError` if `cell` has a different number of compartments.
        """
        samples = self.samples
        if cell is not None:
            if cell.ncomp != len(self.radius):
                raise ValueError(
                    f"cell has {cell.ncomp} compartments; this map was made for {len(self.radius)}."
                )
            ratio = np.asarray(cell.radius) / self.radius
            comps = np.array([self.sample_compartment[int(i)] for i in samples.ids])
            samples = samples._replace(radius=samples.radius * ratio[comps])
        write_swc(path, samples)

    def compartment_of(self, sample_id: int) -> int:
        """The compartment that holds SWC sample `sample_id`.

        **Raises:** `ValueError` for an id not in the file.
        """
        try:
            return self.sample_compartment[int(sample_id)]
        except KeyError:
            raise ValueError(
                f"Sample id {sample_id} is not in {self.samples.source_name}."
            ) from None

    def neuron_segment(self, cell: Cell, comp: int) -> tuple[str, float]:
        """NEURON's ``(section name, x)`` of compartment `comp` of `cell`."""
        offsets = np.concatenate([[0], np.cumsum(cell.ncomp_per_branch)])
        b = int(np.searchsorted(offsets, comp, side="right") - 1)
        j = comp - offsets[b]
        return self.section_names[b], (j + 0.5) / cell.ncomp_per_branch[b]

    def compartment_segments(
        self, cell: Cell | None = None
    ) -> tuple[Float[np.ndarray, "ncomp 3"], Float[np.ndarray, "ncomp 3"]]:
        """The 3-D start and end point (µm) of every compartment, as straight segments.

        Compartment ``j`` of a section of ``n`` compartments spans the arc lengths
        ``[j, j + 1] · L / n`` of the section's 3-D points, its ends interpolated linearly
        along them (NEURON's single-precision points and arc lengths; LFPy's segment
        ends): see [`eqcable.morphology.geometry.compartment_boundaries`][]. Consecutive
        compartments of a section share their boundary point; a compartment that spans a
        bend of the section is straightened (its chord is shorter than its length).

        These are the `starts` and `ends` of the line-source approximation
        (``eqcable.experiments.extracellular.line_source_matrix``); their midpoints are the
        point sources, and ``cell.radius`` the usual ``r_limit``.

        **Arguments:**

        - `cell`: the cell this map was read with; needed only for a map that does not
          store `ncomp_per_section`, and then its ``ncomp_per_branch`` is used.

        **Returns:** ``(starts, ends)``, each ``(ncomp, 3)`` in µm, in the cell's flat
        compartment order (branch 0's compartments first, from its 0-end).

        **Raises:** `ValueError` if the numbers of compartments are unknown or do not match
        the sections.
        """
        counts = tuple(cell.ncomp_per_branch) if cell is not None else self.ncomp_per_section
        if len(counts) != len(self.sections):
            raise ValueError(
                "compartment_segments needs the number of compartments of each of the "
                f"{len(self.sections)} sections; got {len(counts)} (pass the cell)."
            )
        bounds = [
            compartment_boundaries(s.xyz, int(n))
            for s, n in zip(self.sections, counts, strict=True)
        ]
        starts = np.concatenate([b[:-1] for b in bounds])
        ends = np.concatenate([b[1:] for b in bounds])
        return starts, ends


MAX_NSEG = 32767
"""NEURON's largest ``nseg``: the most compartments `DLambda` or `MaxLength` give a section."""


def _ncomp(
    samples: SwcSamples, sections: list[Import3dSection], ncomp, ra: float, cm: np.ndarray
) -> list[int]:
    if isinstance(ncomp, DLambda):
        counts = [
            d_lambda_nseg(
                pt3d_arc_lengths(s.xyz),
                s.diam.astype(np.float32).astype(float),
                float(ra),
                float(c),
                ncomp.d_lambda,
                ncomp.frequency,
            )
            for s, c in zip(sections, cm, strict=True)
        ]
        return _within_nseg_limit(samples, sections, counts, "the d_lambda rule")
    if isinstance(ncomp, MaxLength):
        counts = [
            max_length_nseg(float(pt3d_arc_lengths(s.xyz)[-1]), ncomp.max_length) for s in sections
        ]
        return _within_nseg_limit(samples, sections, counts, "MaxLength")
    if isinstance(ncomp, (int, np.integer)) and not isinstance(ncomp, bool):
        return [int(ncomp)] * len(sections)
    if isinstance(ncomp, Sequence) and not isinstance(ncomp, str):
        if len(ncomp) != len(sections):
            raise ValueError(
                f"ncomp has {len(ncomp)} entries, the file has {len(sections)} sections."
            )
        return [int(n) for n in ncomp]
    raise TypeError(
        f"ncomp must be an int, one int per section, DLambda(...) or MaxLength(...); got {ncomp!r}."
    )


def _within_nseg_limit(samples, sections, counts, rule) -> list[int]:
    problems = [
        GeometryError(
            f"{rule} gives section {s.name} {n} compartments, more than NEURON's limit of "
            f"{MAX_NSEG} segments per section (is the file in µm?).",
            **samples.locate(int(s.rows[0])),
        )
        for s, n in zip(sections, counts, strict=True)
        if n > MAX_NSEG
    ]
    if problems:
        raise_problems(problems, samples.source_name)
    return counts


def _check_representable(samples, sections, per_section) -> None:
    """Every compartment's geometry must be finite and positive in JAX's float type: in
    single precision (without ``jax_enable_x64``), a radius near 1e-45 µm gives an axial
    resistance factor beyond its range."""
    dtype = float_dtype()
    problems = []
    for s, geometry in zip(sections, per_section, strict=True):
        with np.errstate(over="ignore", under="ignore"):
            bad = [k for k, x in geometry.items() if not np.all(x.astype(dtype) > 0)]
            bad += [k for k, x in geometry.items() if not np.all(np.isfinite(x.astype(dtype)))]
        if bad:
            own = s.point_rows >= 0
            thinnest = int(s.point_rows[own][np.argmin(s.diam[own])])
            problems.append(
                GeometryError(
                    f"the section {s.name} (radii {s.diam.min() / 2:g} to "
                    f"{s.diam.max() / 2:g} µm, length {pt3d_arc_lengths(s.xyz)[-1]:g} µm, "
                    f"thinnest here) gives compartments whose {', '.join(dict.fromkeys(bad))} "
                    f"is 0 or infinite in {np.dtype(dtype).name}, JAX's float type.",
                    **samples.locate(thinnest),
                )
            )
    if problems:
        raise_problems(problems, samples.source_name)


def read_swc(
    source: str | os.PathLike | np.ndarray,
    ncomp: int | Sequence[int] | DLambda | MaxLength = 1,
    *,
    axial_resistivity: float = 35.4,
    capacitance: float = 1.0,
    v: float = -65.0,
    min_radius: float | None = None,
    return_map: bool = False,
):
    """Read an SWC morphology into a `Cell` with NEURON's geometry.

    The file is validated strictly ([`eqcable.morphology.swc.read_swc_samples`][]), split
    into sections and given 3-D points and connections exactly as NEURON's Import3d does
    ([`eqcable.morphology.import3d`][]); each section becomes a branch whose compartments
    have NEURON's membrane areas and axial resistances ([`eqcable.Branch.from_points`][]).
    Branches carry their SWC type, so ``cell.group("soma")`` selects the soma.

    **Arguments:**

    - `source`: a path, SWC text, or an ``(N, 7)`` array of samples.
    - `ncomp`: compartments per section: an int, one int per section (in Import3d's order),
      `DLambda()` (NEURON's d_lambda rule) or `MaxLength(µm)`.
    - `axial_resistivity` (Ω·cm), `capacitance` (µF/cm²), `v` (mV): for every compartment.
    - `min_radius`: raise radii below this (µm) instead of refusing them (explicit opt-in).
    - `return_map`: also return an [`eqcable.SwcMap`][] (sample ids to compartments,
      NEURON section names).

    **Returns:** the `Cell` (and the `SwcMap` if `return_map`).

    **Raises:** a [`eqcable.morphology.swc.MorphologyError`][] subclass for a broken file,
    naming the file, line and sample id: the rules of
    [`eqcable.morphology.swc.read_swc_samples`][], and a
    [`eqcable.morphology.swc.GeometryError`][] for what NEURON would build but eqcable
    cannot (a section of zero length that Import3d keeps, values beyond single precision,
    `DLambda` or `MaxLength` giving a section more than 32,767 compartments);
    `ValueError` or `TypeError` for a bad `ncomp`, `min_radius` or `DLambda` parameter;
    `OSError` for a path that cannot be opened.

    **Warns:** [`eqcable.morphology.swc.UnusualMorphologyWarning`][], naming the line, once
    for each oddity NEURON's Import3d accepts and eqcable builds as it does: a sample id 0,
    ids out of increasing order, no soma or a root that is not a soma, types other than
    1-4, and each section Import3d removes (two points with the same x, y, z, or one
    point); see [`eqcable.morphology.import3d`][].
    """
    samples = read_swc_samples(source, min_radius=min_radius)
    sections = import3d_sections(samples)
    return cell_from_sections(
        samples,
        sections,
        ncomp,
        axial_resistivity=axial_resistivity,
        capacitance=capacitance,
        v=v,
        return_map=return_map,
    )


def cell_from_sections(
    samples: SwcSamples,
    sections: Sequence[Import3dSection],
    ncomp: int | Sequence[int] | DLambda | MaxLength = 1,
    *,
    axial_resistivity: float = 35.4,
    capacitance: float | Sequence[float] = 1.0,
    v: float = -65.0,
    return_map: bool = False,
):
    """A `Cell` from Import3d's sections of `samples` (what `read_swc` does after reading
    the file), for builders that change the sections first (e.g.
    [`eqcable.morphology.replace_axon`][]).

    `capacitance` (µF/cm²) is one value or one per section (`DLambda` uses each section's);
    the other arguments are `read_swc`'s.
    """
    sections = list(sections)
    cm = np.broadcast_to(np.asarray(capacitance, dtype=np.float64), (len(sections),))
    if not np.all(np.isfinite(cm) & (cm > 0)):
        raise ValueError(f"capacitance must be positive (µF/cm²), got {capacitance}.")
    ncomps = _ncomp(samples, sections, ncomp, axial_resistivity, cm)
    per_section = [
        points_geometry(s.xyz, s.diam / 2.0, n) for s, n in zip(sections, ncomps, strict=True)
    ]
    _check_representable(samples, sections, per_section)
    arrays = {k: np.concatenate([g[k] for g in per_section]) for k in per_section[0]}
    arrays["capacitance"] = np.repeat(cm, ncomps)
    compartment = Compartment(axial_resistivity=axial_resistivity, v=v)
    cell = cell_of_sizes(
        ncomps,
        [s.parent for s in sections],
        [s.parent_x if s.parent >= 0 else 1.0 for s in sections],
        [s.type for s in sections],
        compartment,
    )
    cell = with_geometry(cell, arrays)
    if not return_map:
        return cell
    return cell, SwcMap(
        tuple(s.name for s in sections),
        _sample_map(samples, sections, ncomps),
        samples,
        tuple(sections),
        np.asarray(cell.radius),
        tuple(ncomps),
    )


def _sample_map(samples, sections, ncomps) -> dict[int, int]:
    offsets = np.concatenate([[0], np.cumsum(ncomps)])
    out: dict[int, int] = {}
    for b, (s, n) in enumerate(zip(sections, ncomps, strict=True)):
        arc = pt3d_arc_lengths(s.xyz)
        own = set(s.rows.tolist())
        for k, row in enumerate(s.point_rows):
            if row in own:
                j = min(int(arc[k] / arc[-1] * n), n - 1) if arc[-1] > 0 else 0
                out[int(samples.ids[row])] = int(offsets[b] + j)
        for row in s.rows:  # own samples dropped from the points (the soma's "wire")
            out.setdefault(int(samples.ids[row]), int(offsets[b]))
    middle = int(offsets[0] + ncomps[0] // 2)
    for sample_id in samples.ids:  # samples in no section: the soma's middle compartment
        out.setdefault(int(sample_id), middle)
    return out
