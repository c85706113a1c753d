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

SOMA = 1
"""The SWC type id of soma samples."""

NANOMETRE_EXTENT = 50_000.0
"""Extent (µm) above which the coordinates are taken to be in nanometres (a hint)."""

NANOMETRE_MEDIAN_RADIUS = 50.0
"""Median non-soma radius (µm) above which the radii are taken to be in nm (a hint)."""

_FIELDS = ("id", "type", "x", "y", "z", "radius", "parent")
_INTEGER_COLUMNS = (0, 1, 6)


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
        values, raw, numeric, lines, problems, bad_ids = _rows_from_array(source)
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
        values, raw, numeric, lines, problems, bad_ids = _rows_from_text(text, name)

    good, field_problems = _check_fields(values, raw, numeric, lines, name)
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
    loc = _Locator(name, lines, rows, ids)

    parent_index = _check_structure(ids, parent_ids, loc, bad_ids, problems)
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


class _Locator:
    """Keyword arguments locating a problem at a row of the parsed samples."""

    def __init__(self, name, lines, rows, ids):
        self.name, self.lines, self.rows, self.ids = name, lines, rows, ids

    def at(self, r) -> dict:
        if self.rows is not None:
            return dict(path=self.name, row=int(self.rows[r]), sample_id=int(self.ids[r]))
        return dict(path=self.name, line=int(self.lines[r]), sample_id=int(self.ids[r]))

    def where(self, r) -> str:
        if self.rows is not None:
            return f"row {int(self.rows[r])}"
        return f"line {int(self.lines[r])}"


def _rows_from_text(text: str, name: str):
    """Split the text into 7-field rows; lines with another field count are problems."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    tokens, lines, problems, bad_ids = [], [], [], set()
    for number, line in enumerate(text.split("\n"), start=1):
        fields = line.split("#", 1)[0].split()
        if len(fields) == 7:
            tokens.extend(fields)
            lines.append(number)
        elif fields:
            sample_id = _as_id(fields[0])
            if sample_id is not None:
                bad_ids.add(sample_id)
            problems.append(
                MalformedLineError(
                    f"expected 7 fields (id type x y z radius parent), found {len(fields)}: "
                    f"{line.strip()!r}.",
                    path=name,
                    line=number,
                    sample_id=sample_id,
                )
            )
    try:
        if not _plain_numbers(" ".join(tokens)):
            raise ValueError
        values = np.array(list(map(float, tokens)), dtype=np.float64).reshape(-1, 7)
        numeric = np.ones(values.shape, dtype=bool)
    except ValueError:  # some field is not a number: find which, one by one
        values = np.full((len(lines), 7), np.nan)
        numeric = np.zeros(values.shape, dtype=bool)
        for k, token in enumerate(tokens):
            try:
                if _plain_numbers(token):
                    values.flat[k] = float(token)
                    numeric.flat[k] = True
            except ValueError:
                pass
    return values, tokens, numeric, np.asarray(lines, dtype=np.int64), problems, bad_ids


def _rows_from_array(array: np.ndarray):
    """Rows from an ``(n, 7)`` numeric array; a wrong shape is a malformed source."""
    if (
        array.ndim != 2
        or array.shape[1] != 7
        or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating))
    ):
        raise MalformedLineError(
            f"an array source must be numeric with shape (n, 7) (id type x y z radius "
            f"parent), got dtype {array.dtype} and shape {array.shape}.",
            path="<array>",
        )
    values = array.astype(np.float64)
    raw = None
    numeric = np.ones(values.shape, dtype=bool)
    lines = np.full(len(values), -1, dtype=np.int64)
    return values, raw, numeric, lines, [], set()


def _plain_numbers(text: str) -> bool:
    """Whether Python's `float` may parse these tokens: ASCII without ``_``, since `float`
    would otherwise read ``1_0`` as 10 and non-ASCII digits as numbers."""
    return text.isascii() and "_" not in text


def _as_id(token: str) -> int | None:
    try:
        value = float(token) if _plain_numbers(token) else None
    except ValueError:
        return None
    if value is None:
        return None
    return int(value) if np.isfinite(value) and value == int(value) else None


def _check_fields(values, raw, numeric, lines, name):
    """Rows whose fields are all finite numbers, with integer id/type/parent."""
    ok = numeric & np.isfinite(values)
    integer = ok[:, _INTEGER_COLUMNS] & (
        values[:, _INTEGER_COLUMNS] == np.round(values[:, _INTEGER_COLUMNS])
    )
    integer &= np.abs(values[:, _INTEGER_COLUMNS]) < 2.0**53
    ok[:, _INTEGER_COLUMNS] = integer
    good = ok.all(axis=1)
    problems = []
    for r in np.nonzero(~good)[0]:
        complaints = []
        for c in np.nonzero(~ok[r])[0]:
            text = repr(raw[7 * r + c]) if raw is not None else repr(float(values[r, c]))
            if not numeric[r, c]:
                what = "not a number"
            elif not np.isfinite(values[r, c]):
                what = "not a finite number"
            else:
                what = "not an integer"
            complaints.append(f"`{_FIELDS[c]}` is {text}, {what}")
        sample_id = int(values[r, 0]) if ok[r, 0] else None
        where = dict(line=int(lines[r])) if raw is not None else dict(row=int(r))
        problems.append(
            NonNumericFieldError(
                "; ".join(complaints) + ".", path=name, sample_id=sample_id, **where
            )
        )
    return good, problems


def _check_structure(ids, parent_ids, loc, bad_ids, problems):
    """Check ids and parents; return each sample's parent row (``-1`` root, ``-2`` none)."""
    n = len(ids)
    for r in np.nonzero(ids < 0)[0]:
        problems.append(
            InvalidIdError(
                f"id {ids[r]} is negative; ids are integers >= 0 (-1 marks a root's parent).",
                **loc.at(r),
            )
        )
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    repeat = np.zeros(n, dtype=bool)
    repeat[1:] = sorted_ids[1:] == sorted_ids[:-1]
    run_start = np.maximum.accumulate(np.where(repeat, 0, np.arange(n)))
    for k in np.nonzero(repeat)[0]:
        r, first = order[k], order[run_start[k]]
        error = DuplicateIdError(
            f"id {ids[r]} is used again (first on {loc.where(first)}); ids must be unique.",
            **loc.at(r),
        )
        error.first_line = loc.at(first).get("line")
        problems.append(error)

    unique_ids, first_rows = sorted_ids[~repeat], order[~repeat]
    pos = np.minimum(np.searchsorted(unique_ids, parent_ids), len(unique_ids) - 1)
    parent_index = np.where(unique_ids[pos] == parent_ids, first_rows[pos], -2)
    parent_index[parent_ids == -1] = -1
    for r in np.nonzero(parent_index == -2)[0]:
        if int(parent_ids[r]) in bad_ids:
            continue  # the parent's own line is already reported as unreadable
        problems.append(
            MissingParentError(
                f"parent {parent_ids[r]} is not the id of any sample (use -1 for a root).",
                **loc.at(r),
            )
        )

    late = np.nonzero(parent_index >= np.arange(n))[0]
    in_cycle = set()
    for cycle in _cycles(parent_index) if len(late) else []:
        in_cycle.update(cycle)
        r = next(c for c in cycle if parent_index[c] >= c)
        if len(cycle) == 1:
            detail = f"sample {ids[r]} is its own parent."
        else:
            chain = " -> ".join(str(ids[c]) for c in cycle + [cycle[0]])
            detail = (
                f"the parents form a cycle (sample -> parent: {chain}; on "
                f"{', '.join(loc.where(c) for c in sorted(cycle))}); a cell is a tree."
            )
        error = CycleError(detail, **loc.at(r))
        error.cycle_ids = [int(ids[c]) for c in cycle]
        problems.append(error)
    for r in late:
        if r not in in_cycle:
            problems.append(
                ParentAfterChildError(
                    f"its parent {parent_ids[r]} is listed later, on "
                    f"{loc.where(parent_index[r])}; SWC lists every parent before its "
                    "children.",
                    **loc.at(r),
                )
            )
    return parent_index


def _cycles(parent_index):
    """The cycles of the parent pointers: each its rows, from the first in the file to its
    parent, its parent's parent, and so on."""
    parent = parent_index.tolist()
    state = [0] * len(parent)  # 0 unseen, 1 on the current path, 2 done
    cycles = []
    for start in range(len(parent)):
        path, r = [], start
        while r >= 0 and state[r] == 0:
            state[r] = 1
            path.append(r)
            r = parent[r]
        if r >= 0 and state[r] == 1:
            cycle = path[path.index(r) :]
            k = cycle.index(min(cycle))
            cycles.append(cycle[k:] + cycle[:k])
        for p in path:
            state[p] = 2
    return cycles


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
