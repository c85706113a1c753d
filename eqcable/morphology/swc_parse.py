"""Parsing of SWC text, or of an ``(n, 7)`` array, into numeric rows, and the checks of
each row's fields: seven plain ASCII numbers, finite, with integer id, type and parent.

The reader [`eqcable.morphology.swc.read_swc_samples`][] calls these, then checks the ids
and parents with `eqcable.morphology.swc_structure`. The rows come as a tuple
``(values, raw, numeric, lines, problems, bad_ids)``:

- `values`: ``(n, 7)`` float64, one row per line of seven fields (``nan`` where a field is
  not a number);
- `raw`: the fields as written, ``7 n`` strings in order, or ``None`` for an array source;
- `numeric`: ``(n, 7)`` bool, whether each field parsed as a number;
- `lines`: ``(n,)`` int64 1-based line of each row, ``-1`` for an array source;
- `problems`: the [`eqcable.morphology.swc.MorphologyError`][]s found so far;
- `bad_ids`: the ids of lines that could not be read, whose children are not reported as
  missing their parent.
"""

import numpy as np

from .errors import MalformedLineError, NonNumericFieldError

_FIELDS = ("id", "type", "x", "y", "z", "radius", "parent")
_INTEGER_COLUMNS = (0, 1, 6)


def rows_from_text(text: str, name: str):
    """Split the text into 7-field rows; lines with another field count are problems.

    Comments (``#`` to the end of the line), blank lines, a byte order mark and CR or CRLF
    line endings are skipped. `name` is the source's name for the problems. Returns the
    rows tuple described in this module's docstring.
    """
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
        if not plain_numbers(" ".join(tokens)):
            raise ValueError
        values = np.array(list(map(float, tokens)), dtype=np.float64).reshape(-1, 7)
        numeric = np.ones(values.shape, dtype=bool)
    except ValueError:  # some field is not a number: find which, one by one
        values = np.full((len(lines), 7), np.nan)
        numeric = np.zeros(values.shape, dtype=bool)
        for k, token in enumerate(tokens):
            try:
                if plain_numbers(token):
                    values.flat[k] = float(token)
                    numeric.flat[k] = True
            except ValueError:
                pass
    return values, tokens, numeric, np.asarray(lines, dtype=np.int64), problems, bad_ids


def rows_from_array(array: np.ndarray):
    """Rows from an ``(n, 7)`` numeric array; a wrong shape is a malformed source.

    Returns the rows tuple described in this module's docstring (no `raw` fields, no
    problems). Raises a `MalformedLineError` for an array of another shape or dtype.
    """
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


def plain_numbers(text: str) -> bool:
    """Whether Python's `float` may parse these tokens: ASCII without ``_``, since `float`
    would otherwise read ``1_0`` as 10 and non-ASCII digits as numbers."""
    return text.isascii() and "_" not in text


def _as_id(token: str) -> int | None:
    try:
        value = float(token) if plain_numbers(token) else None
    except ValueError:
        return None
    if value is None:
        return None
    return int(value) if np.isfinite(value) and value == int(value) else None


def check_fields(values, raw, numeric, lines, name):
    """Rows whose fields are all finite numbers, with integer id/type/parent.

    Takes `values`, `raw`, `numeric` and `lines` of the rows tuple (this module's
    docstring) and the source's `name`. Returns ``(good, problems)``: an ``(n,)`` bool mask
    of the valid rows, and one `NonNumericFieldError` per other row, naming its fields.
    """
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
