"""The checks of the ids and parents of parsed SWC samples: ids ``>= 0`` and unique, each
parent ``-1`` or a sample listed earlier, no cycles; and where to say a problem is.

The reader [`eqcable.morphology.swc.read_swc_samples`][] calls these once the rows are
parsed by `eqcable.morphology.swc_parse`.
"""

import numpy as np

from .errors import (
    CycleError,
    DuplicateIdError,
    InvalidIdError,
    MissingParentError,
    ParentAfterChildError,
)


class Locator:
    """Keyword arguments locating a problem at a row of the parsed samples.

    `name` is the source's name; `lines` the 1-based line of each row; `rows` the row of
    each sample in the source array, or ``None`` for a text source (the problems then name
    lines); `ids` the sample ids.
    """

    def __init__(self, name, lines, rows, ids):
        self.name, self.lines, self.rows, self.ids = name, lines, rows, ids

    def at(self, r) -> dict:
        """The keyword arguments of a `MorphologyError` at row `r`: file, line or row, id."""
        if self.rows is not None:
            return dict(path=self.name, row=int(self.rows[r]), sample_id=int(self.ids[r]))
        return dict(path=self.name, line=int(self.lines[r]), sample_id=int(self.ids[r]))

    def where(self, r) -> str:
        """Row `r`'s place in words: ``"line 12"``, or ``"row 3"`` for an array source."""
        if self.rows is not None:
            return f"row {int(self.rows[r])}"
        return f"line {int(self.lines[r])}"


def check_structure(ids, parent_ids, loc, bad_ids, problems):
    """Check ids and parents; return each sample's parent row (``-1`` root, ``-2`` none).

    `ids` and `parent_ids` are the int64 columns of the valid rows; `loc` a `Locator` of
    these rows; `bad_ids` the ids of unreadable lines, whose children are not reported as
    missing their parent. Appends an `InvalidIdError`, `DuplicateIdError`,
    `MissingParentError`, `CycleError` or `ParentAfterChildError` to `problems` for each
    problem found.
    """
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
