"""What NEURON's Import3d accepts although it is unusual (an
[`eqcable.morphology.swc.UnusualMorphologyWarning`][] naming the line), and what it would
build but eqcable cannot (a [`eqcable.morphology.swc.GeometryError`][]): the checks of
[`eqcable.morphology.import3d`][]."""

import os
import sys
import warnings

import numpy as np

from .errors import GeometryError, UnusualMorphologyWarning, raise_problems
from .geometry import pt3d_arc_lengths
from .swc import SOMA, SwcSamples

TYPE_NAMES = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}
"""NEURON's section names of the SWC types it knows."""


def type_name(swc_type: int) -> str:
    """NEURON's section name prefix for an SWC type (``dend_5`` for custom type 5)."""
    return TYPE_NAMES.get(int(swc_type), f"dend_{int(swc_type)}")


def _place(samples: SwcSamples, row: int | np.integer) -> str:
    line = int(samples.line_numbers[row])
    return f"line {line}" if line >= 0 else f"row {int(row)}"


def _where(samples: SwcSamples, row: int | np.integer) -> str:
    return f"{samples.source_name}, {_place(samples, row)}, sample {int(samples.ids[row])}"


def _stacklevel() -> int:
    """The stack level of the first caller outside eqcable, for `warnings.warn`."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(2), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def warn_at(samples: SwcSamples, row: int | np.integer, message: str) -> None:
    """An `UnusualMorphologyWarning` naming the file, line and sample of `row`."""
    warnings.warn(
        f"{_where(samples, row)}: {message}", UnusualMorphologyWarning, stacklevel=_stacklevel()
    )


def warn_unusual(samples: SwcSamples) -> None:
    """One `UnusualMorphologyWarning` per kind of oddity NEURON's Import3d accepts."""
    ids, types = samples.ids, samples.types
    root = int(np.flatnonzero(samples.parent_index < 0)[0])
    root_type = int(types[root])
    for r in np.flatnonzero(ids == 0)[:1]:
        warn_at(
            samples,
            r,
            "sample id 0. SWC ids start at 1, but NEURON's Import3d accepts 0 as any "
            "other id; so does eqcable.",
        )
    for r in np.flatnonzero(np.diff(ids) <= 0)[:1] + 1:
        warn_at(
            samples,
            r,
            f"id {ids[r]} follows id {ids[r - 1]}: the ids are not in increasing order. "
            "NEURON's Import3d sorts such a file by id (NEURON 9.0.2 stops with an error "
            "there instead); eqcable keeps the file's order, so the sections and their "
            "names can differ from NEURON's.",
        )
    if not np.any(types == SOMA):
        warn_at(
            samples,
            root,
            f"no soma (no sample of type 1). The root sample, of type {root_type}, starts "
            f"the root section {type_name(root_type)}[0], as in NEURON's Import3d.",
        )
    elif root_type != SOMA:
        warn_at(
            samples,
            root,
            f"the root sample is of type {root_type}, not a soma (type 1). NEURON's "
            f"Import3d makes its section, {type_name(root_type)}[0], the root of the cell "
            "and the soma a branch; so does eqcable.",
        )
    odd = sorted(set(types.tolist()) - set(TYPE_NAMES))
    if odd:
        first = [int(np.argmax(types == t)) for t in odd]
        listing = ", ".join(
            f"{t} ({type_name(t)}, first on {_place(samples, r)})"
            for t, r in zip(odd, first, strict=True)
        )
        warn_at(
            samples,
            min(first),
            f"SWC type{'s' if len(odd) > 1 else ''} other than soma (1), axon (2), dendrite "
            f"(3) and apical dendrite (4): {listing}. NEURON's Import3d makes sections of "
            "any type, named after it; so does eqcable.",
        )


def check_single_precision(samples: SwcSamples) -> None:
    """NEURON stores 3-D points in single precision: refuse values it cannot hold."""
    with np.errstate(over="ignore"):
        xyz = samples.xyz.astype(np.float32)
        diam = (2.0 * samples.radius).astype(np.float32)
    problems = []
    for r in np.flatnonzero(~np.isfinite(xyz).all(axis=1) | ~np.isfinite(diam) | (diam <= 0)):
        if not np.isfinite(xyz[r]).all():
            what = "a coordinate is beyond the single-precision range (about 3.4e38 µm)"
        elif not np.isfinite(diam[r]):
            what = f"the diameter {2.0 * samples.radius[r]:g} µm is beyond it"
        else:
            what = f"the diameter {2.0 * samples.radius[r]:g} µm rounds to 0 there"
        problems.append(
            GeometryError(
                f"{what}; NEURON stores 3-D points in single precision.",
                **samples.locate(r),
            )
        )
    if problems:
        raise_problems(problems, samples.source_name)


def length_problem(samples, first_row, name, xyz, point_rows) -> GeometryError | None:
    """A `GeometryError` if the section's length, as NEURON computes it, is 0 or not finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        length = float(pt3d_arc_lengths(xyz)[-1])
    if length > 0 and np.isfinite(length):
        return None
    rows = point_rows[point_rows >= 0]
    lines = samples.line_numbers[rows]
    lo, hi, what = (
        (lines.min(), lines.max(), "line") if lines.min() >= 0 else (rows.min(), rows.max(), "row")
    )
    span = f"{what} {lo}" if lo == hi else f"{what}s {lo}-{hi}"
    if not np.isfinite(length):
        detail = (
            f"the section {name} ({span}) is longer than single precision can hold; NEURON "
            "stores 3-D points in single precision."
        )
    else:
        detail = (
            f"the section {name} ({span}) has zero length: its 3-D points coincide once "
            "rounded to single precision, as NEURON stores them. NEURON's Import3d removes "
            "only two-point sections of zero length (and never the root), and keeps this one "
            "with zero length, which eqcable cannot build."
        )
    return GeometryError(detail, **samples.locate(first_row))
