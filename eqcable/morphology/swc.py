"""Strict SWC reading and writing (NumPy only, construction time).

An SWC file lists one *sample* per line: ``id type x y z radius parent``, coordinates and
radius in µm, ``parent = -1`` for a root. This module turns such a file into a plain
[`eqcable.morphology.swc.SwcSamples`][] description and never builds a cell: turning the
samples into branches is the job of the layer above.

The reader is strict: it refuses every file it would otherwise have to guess about, and it
reports *all* the problems of a file at once, each with the file name, the line number and
the sample id. It never renumbers, reattaches or drops a sample; the only relaxations are
the explicit opt-ins of [`eqcable.morphology.swc.read_swc_samples`][].

Rules, in addition to "seven numbers per line":

- a number is written in ASCII (``12``, ``-1.5e3``, ``.5``): Python would also read
  ``1_0`` as 10 and non-ASCII digits, which SWC readers such as NEURON's do not;
- ids, types and parents are integers (``3`` or ``3.0``); ids are ``>= 0`` and unique
  (an id 0 is valid, and the cell builder warns about it);
- a parent is ``-1`` (a root) or the id of a sample listed on an *earlier* line — this also
  excludes cycles, which are named as such;
- one root per file, unless ``allow_multiple_roots=True``;
- radii are ``> 0`` (``min_radius=`` raises the small ones explicitly);
- types are integers ``>= 0``: ``0`` undefined, ``1`` soma, ``2`` axon, ``3`` basal
  dendrite, ``4`` apical dendrite, and every id ``>= 5`` is accepted as a custom type (the
  original 5 fork point, 6 end point, 7 custom, and the larger ids of NeuroMorpho and
  Vaa3D files). Negative types are unknown;
- a soma (type ``1``) is *not* required, as in NEURON's Import3d: files of a lone axon or
  dendrite are valid SWC. Pass ``require_soma=True`` to make its absence an error;
- soma samples need not be contiguous in the file, and two samples may share coordinates.

This reader warns only about likely nanometres. What NEURON's Import3d makes of valid but
unusual samples (an id 0, ids out of order, no soma or a root that is not a soma, types
other than 1-4, sections of zero length) is the business of [`eqcable.morphology.import3d`][],
which warns about each ([`eqcable.morphology.swc.UnusualMorphologyWarning`][]) and refuses
what eqcable cannot build as NEURON does
([`eqcable.morphology.swc.GeometryError`][]).

The reader's parts live beside this module: `eqcable.morphology.swc_parse` parses the
lines and checks each field, `eqcable.morphology.swc_structure` checks the ids and parents.
"""

import io
import os
import warnings
from typing import NamedTuple

import numpy as np
from jaxtyping import Float, Int

from .errors import (
    CycleError as CycleError,
    DuplicateIdError as DuplicateIdError,
    EmptyFileError as EmptyFileError,
    GeometryError as GeometryError,
    InvalidIdError as InvalidIdError,
    LikelyNanometresWarning as LikelyNanometresWarning,
    MalformedLineError as MalformedLineError,
    MissingParentError as MissingParentError,
    MorphologyError as MorphologyError,
    MultipleProblemsError as MultipleProblemsError,
    MultipleRootsError as MultipleRootsError,
    NonNumericFieldError as NonNumericFieldError,
    NonPositiveRadiusError as NonPositiveRadiusError,
    NoSomaError as NoSomaError,
    ParentAfterChildError as ParentAfterChildError,
    UnknownTypeError as UnknownTypeError,
    UnusualMorphologyWarning as UnusualMorphologyWarning,
    raise_problems,
)
from .swc_parse import check_fields, rows_from_array, rows_from_text
from .swc_structure import Locator, check_structure

SOMA = 1
"""The SWC type id of soma samples."""

AXON = 2
"""The SWC type id of axon samples."""

NANOMETRE_EXTENT = 50_000.0
"""Extent (µm) above which the coordinates are taken to be in nanometres (a hint)."""

NANOMETRE_MEDIAN_RADIUS = 50.0
"""Median non-soma radius (µm) above which the radii are taken to be in nm (a hint)."""

# --------------------------------------------------------------------------------------
# The description


class SwcSamples(NamedTuple):
    """The samples of an SWC file, in file order, as NumPy arrays.

    - `ids`: ``(n,)`` int64 sample ids as written.
    - `types`: ``(n,)`` int64 SWC types (1 soma, 2 axon, 3 basal, 4 apical, ...).
    - `xyz`: ``(n, 3)`` float64 coordinates (µm).
    - `radius`: ``(n,)`` float64 radii (µm), after ``min_radius`` if it was given.
    - `parent_ids`: ``(n,)`` int64 parent ids as written, ``-1`` for roots.
    - `parent_index`: ``(n,)`` int64 row of each sample's parent, ``-1`` for roots; always
      smaller than the sample's own row.
    - `line_numbers`: ``(n,)`` int64 1-based line of each sample, ``-1`` for array sources.
    - `source_name`: the path read, ``"<string>"``, ``"<array>"`` or a file object's name.
    """

    ids: Int[np.ndarray, " nsample"]
    types: Int[np.ndarray, " nsample"]
    xyz: Float[np.ndarray, "nsample 3"]
    radius: Float[np.ndarray, " nsample"]
    parent_ids: Int[np.ndarray, " nsample"]
    parent_index: Int[np.ndarray, " nsample"]
    line_numbers: Int[np.ndarray, " nsample"]
    source_name: str

    @property
    def nsample(self) -> int:
        """The number of samples."""
        return len(self.ids)

    def locate(self, row: int | np.integer) -> dict:
        """Where sample `row` is, as the keyword arguments of a `MorphologyError`: the
        file, the line (or the row, for an array source) and the sample id."""
        line = int(self.line_numbers[row])
        where = dict(line=line) if line >= 0 else dict(row=int(row))
        return dict(path=self.source_name, sample_id=int(self.ids[row]), **where)

    def as_array(self) -> Float[np.ndarray, "nsample 7"]:
        """The SWC rows ``(id, type, x, y, z, radius, parent)`` as one float64 array."""
        return np.column_stack(
            [self.ids, self.types, self.xyz, self.radius, self.parent_ids]
        ).astype(np.float64)


# --------------------------------------------------------------------------------------
# Reading


def read_swc_samples(
    source: str | os.PathLike | io.TextIOBase | np.ndarray,
    *,
    allow_multiple_roots: bool = False,
    min_radius: float | None = None,
    require_soma: bool = False,
) -> SwcSamples:
    """Read and validate an SWC morphology into a [`eqcable.morphology.swc.SwcSamples`][].

    Comment lines (``#``) anywhere, comments after a row, blank lines, tabs and repeated
    spaces, CRLF line endings, scientific notation, integer-valued floats for id, type and
    parent (``3.0``) and zero-length steps between samples are all accepted. Everything else
    listed in [`eqcable.morphology.swc`][] is refused, and every problem of the file is
    reported in one exception. Nothing is renumbered, reattached or dropped.

    **Arguments:**

    - `source`: a path (`str` or `os.PathLike`); or the SWC text itself, a `str` that
      contains a line break; or an open text file; or an ``(n, 7)`` numeric array of rows
      ``(id, type, x, y, z, radius, parent)``. Coordinates and radii in µm.
    - `allow_multiple_roots`: accept a forest (several samples with ``parent = -1``).
      Repeated ids stay an error.
    - `min_radius`: if given (µm, ``> 0``), every radius below it — zero and negative ones
      included — is replaced by `min_radius` instead of being an error. Only on request.
    - `require_soma`: make a file without a type-1 sample an error.

    **Returns:** the samples, in file order.

    **Raises:**

    - A [`eqcable.morphology.swc.MorphologyError`][] subclass (a `ValueError`) naming the
      file, line and sample: the problem's own class if the file has exactly one problem,
      else a [`eqcable.morphology.swc.MultipleProblemsError`][] whose `problems` lists them.
    - `OSError` if a path cannot be opened (a `str` without a line break is a path);
      `ValueError` for a `min_radius` that is not a positive number.

    **Warns:** [`eqcable.morphology.swc.LikelyNanometresWarning`][] if the extent of the
    coordinates exceeds `NANOMETRE_EXTENT` (50,000 µm) or the median radius of the non-soma
    samples exceeds `NANOMETRE_MEDIAN_RADIUS` (50 µm): the file is probably in nm.

    !!! example

        ```python
        samples = read_swc_samples("cell.swc")
        samples.xyz[samples.types == 1]  # the soma samples' coordinates, µm
        ```
    """
    if min_radius is not None and not (np.isfinite(min_radius) and min_radius > 0):
        raise ValueError(f"`min_radius` must be a positive number of µm, got {min_radius!r}.")

    from_array = isinstance(source, np.ndarray)
    if from_array:
        name = "<array>"
        values, raw, numeric, lines, problems, bad_ids = rows_from_array(source)
    else:
        if isinstance(source, io.TextIOBase):
            name = str(getattr(source, "name", "<file>"))
            text = source.read()
        elif isinstance(source, str) and ("\n" in source or "\r" in source):
            name = "<string>"
            text = source
        else:
            name = os.fspath(source)
            with open(name, encoding="utf-8-sig", errors="replace") as f:
                text = f.read()
        values, raw, numeric, lines, problems, bad_ids = rows_from_text(text, name)

    good, field_problems = check_fields(values, raw, numeric, lines, name)
    problems += field_problems
    bad_ids.update(p.sample_id for p in field_problems if p.sample_id is not None)
    values, lines = values[good], lines[good]
    rows = np.nonzero(good)[0] if from_array else None

    if len(values) == 0:
        if not problems:
            problems.append(EmptyFileError("no samples (only comments or blank lines).", path=name))
        raise_problems(problems, name)

    ids = values[:, 0].astype(np.int64)
    types = values[:, 1].astype(np.int64)
    xyz = np.ascontiguousarray(values[:, 2:5])
    radius = values[:, 5].copy()
    parent_ids = values[:, 6].astype(np.int64)
    loc = Locator(name, lines, rows, ids)

    parent_index = check_structure(ids, parent_ids, loc, bad_ids, problems)
    roots = np.nonzero(parent_ids == -1)[0]
    if len(roots) > 1 and not allow_multiple_roots:
        shown = ", ".join(f"sample {ids[r]} on {loc.where(r)}" for r in roots[:10])
        more = f" and {len(roots) - 10} more" if len(roots) > 10 else ""
        error = MultipleRootsError(
            f"{len(roots)} roots (parent -1): {shown}{more}. A cell is one tree; pass "
            "allow_multiple_roots=True to read a forest.",
            **loc.at(roots[1]),
        )
        error.root_ids = [int(ids[r]) for r in roots]
        problems.append(error)
    for r in np.nonzero(types < 0)[0]:
        problems.append(
            UnknownTypeError(
                f"type {types[r]} is not an SWC type (0 undefined, 1 soma, 2 axon, 3 basal, "
                "4 apical, >= 5 custom).",
                **loc.at(r),
            )
        )
    if min_radius is None:
        for r in np.nonzero(radius <= 0)[0]:
            problems.append(
                NonPositiveRadiusError(
                    f"radius {float(radius[r]):g} µm is not positive (pass min_radius= to replace "
                    "small radii on purpose).",
                    **loc.at(r),
                )
            )
    else:
        radius = np.maximum(radius, min_radius)
    if require_soma and len(ids) and not np.any(types == SOMA):
        problems.append(NoSomaError("no soma sample (type 1).", path=name))

    if problems:
        raise_problems(problems, name)

    _hint_nanometres(xyz, radius, types, name)
    return SwcSamples(
        ids=ids,
        types=types,
        xyz=xyz,
        radius=radius,
        parent_ids=parent_ids,
        parent_index=parent_index,
        line_numbers=lines.astype(np.int64),
        source_name=name,
    )


def _hint_nanometres(xyz, radius, types, name):
    with np.errstate(over="ignore"):  # an extent beyond float64 is inf: still a hint
        extent = float(np.ptp(xyz, axis=0).max()) if len(xyz) else 0.0
    neurite = radius[types != SOMA]
    median_radius = float(np.median(neurite)) if len(neurite) else 0.0
    if extent > NANOMETRE_EXTENT or median_radius > NANOMETRE_MEDIAN_RADIUS:
        warnings.warn(
            f"{name}: the morphology spans {extent:.4g} µm and its median neurite radius "
            f"is {median_radius:.4g} µm; eqcable expects µm, and these look like "
            "nanometres. Scale the coordinates and radii by 1e-3 if so.",
            LikelyNanometresWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------------------
# Writing


def write_swc(
    path_or_file: str | os.PathLike | io.TextIOBase,
    samples: SwcSamples,
    *,
    header: str | None = None,
) -> None:
    """Write samples as SWC text that reads back to the same arrays.

    Floats are written in their shortest exact form, so reading the file back with
    [`eqcable.morphology.swc.read_swc_samples`][] gives identical `ids`, `types`, `xyz`,
    `radius`, `parent_ids` and `parent_index` (the `line_numbers` refer to the new file).

    **Arguments:**

    - `path_or_file`: a path, or a text file open for writing.
    - `samples`: the samples to write (coordinates and radii in µm).
    - `header`: comment text for the top of the file (``#`` is added to every line);
      by default a line naming `samples.source_name`.

    **Returns:** nothing.
    """
    if header is None:
        header = f"written by eqcable from {samples.source_name}"
    out = [f"# {line}".rstrip() for line in header.split("\n")]
    out.append("# id type x y z radius parent")
    columns = zip(
        samples.ids.tolist(),
        samples.types.tolist(),
        *np.asarray(samples.xyz, dtype=np.float64).T.tolist(),
        np.asarray(samples.radius, dtype=np.float64).tolist(),
        samples.parent_ids.tolist(),
        strict=True,
    )
    out.extend(f"{i} {t} {x!r} {y!r} {z!r} {r!r} {p}" for i, t, x, y, z, r, p in columns)
    text = "\n".join(out) + "\n"
    if isinstance(path_or_file, io.TextIOBase):
        path_or_file.write(text)
    else:
        with open(path_or_file, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
