"""The errors of SWC reading: one class per rule, all `MorphologyError`s; and its warnings."""


class MorphologyError(ValueError):
    """A morphology that eqcable refuses to read; the base of all the SWC errors below.

    **Attributes:**

    - `path`: the file (or ``"<string>"``, ``"<array>"``) the problem is in.
    - `line`: the 1-based line number of the problem, `None` where it has none (a whole-file
      problem, or an array source).
    - `row`: for an array source, the 0-based row of the problem; otherwise `None`.
    - `sample_id`: the id of the offending sample, `None` where there is none.
    - `detail`: the description without the location prefix.
    """

    def __init__(
        self,
        detail: str,
        *,
        path: str | None = None,
        line: int | None = None,
        sample_id: int | None = None,
        row: int | None = None,
    ):
        self.detail = detail
        self.path = path
        self.line = line
        self.row = row
        self.sample_id = sample_id
        where = self.location()
        super().__init__(f"{path}, {where}: {detail}" if where else f"{path}: {detail}")

    def location(self) -> str:
        """The position of the problem inside its file: ``"line 9, sample 3"``."""
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        elif self.row is not None:
            parts.append(f"row {self.row}")
        if self.sample_id is not None:
            parts.append(f"sample {self.sample_id}")
        return ", ".join(parts)

    def __reduce__(self):
        return _rebuild_error, (type(self), self.args, dict(self.__dict__))


def _rebuild_error(cls, args, state):
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class MalformedLineError(MorphologyError):
    """A data line without exactly seven whitespace-separated fields."""


class NonNumericFieldError(MorphologyError):
    """A field that is not a finite number, or an id/type/parent that is not an integer."""


class InvalidIdError(MorphologyError):
    """A negative sample id (``-1`` is reserved for "no parent")."""


class MissingParentError(MorphologyError):
    """A parent id that no sample in the file has."""


class DuplicateIdError(MorphologyError):
    """A sample id used twice. `first_line` is the line of the first use."""


class ParentAfterChildError(MorphologyError):
    """A sample whose parent is listed on a later line (or is the sample itself)."""


class CycleError(ParentAfterChildError):
    """Samples that are their own ancestors. `cycle_ids` lists them from child to parent."""


class MultipleRootsError(MorphologyError):
    """More than one sample with ``parent = -1``. `root_ids` lists them all."""


class NonPositiveRadiusError(MorphologyError):
    """A radius ``<= 0`` (pass ``min_radius=`` to raise small radii on purpose)."""


class UnknownTypeError(MorphologyError):
    """A negative SWC type id."""


class GeometryError(MorphologyError):
    """Samples that NEURON's Import3d would turn into a section eqcable cannot build.

    NEURON stores 3-D points in single precision and keeps some sections of zero length;
    eqcable refuses, naming the line: a coordinate or diameter that single precision cannot
    hold (beyond about 3.4e38 µm, or a diameter that rounds to 0), a section whose length
    is zero or overflows once its points are rounded, and a rule that would give a section
    more than NEURON's 32,767 segments.
    """


class EmptyFileError(MorphologyError):
    """A file without a single sample."""


class NoSomaError(MorphologyError):
    """No sample of type 1 (soma), when ``require_soma=True``."""


class MultipleProblemsError(MorphologyError):
    """Several problems in one file; `problems` holds the individual errors, by line."""

    def __init__(self, problems: list[MorphologyError], *, path: str | None = None):
        self.problems = list(problems)
        listing = "\n".join(
            f"  {p.location() or 'file'}: {type(p).__name__}: {p.detail}" for p in problems
        )
        super().__init__(f"{len(problems)} problems:\n{listing}", path=path)


def raise_problems(problems: list[MorphologyError], path: str | None) -> None:
    """Raise the one problem, or a `MultipleProblemsError` of all of them (by line)."""
    problems = sorted(
        problems,
        key=lambda p: p.line if p.line is not None else (p.row if p.row is not None else -1),
    )
    if len(problems) == 1:
        raise problems[0]
    raise MultipleProblemsError(problems, path=path)


class LikelyNanometresWarning(UserWarning):
    """The coordinates or radii look like nanometres; eqcable expects µm."""


class UnusualMorphologyWarning(UserWarning):
    """A loadable but unusual file, built as NEURON's Import3d builds it; the message names
    the file and line. Raised once per kind of oddity: a sample id 0, a root that is not a
    soma, no soma at all, a type other than 1-4, ids out of increasing order, and each
    section that Import3d removes (one point, or two points with the same x, y, z)."""
