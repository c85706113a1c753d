"""Selections: ``cell.branch(2).comp(1)`` and friends.

A `View` remembers a module and a set of compartments. Its edit methods call the module's
with that set and return the updated *whole* module.
"""

from collections.abc import Sequence

import numpy as np

from ..morphology.tree import branch_offsets

#: What selects branches or compartments: an index, several, a slice, or ``"all"``.
Index = int | np.integer | Sequence[int] | np.ndarray | slice | str


def _resolve(index, size: int, what: str) -> np.ndarray:
    """Turn an int / sequence / slice / "all" into an array of valid indices."""
    if isinstance(index, str):
        if index != "all":
            raise ValueError(f"Unknown {what} selection {index!r}; use an index or 'all'.")
        return np.arange(size)
    if isinstance(index, slice):
        return np.arange(size)[index]
    if isinstance(index, (bool, np.bool_)):
        raise TypeError(f"{what} index must be an int, got a bool.")
    arr = np.atleast_1d(np.asarray(index))
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{what} index must be an int or a sequence of ints, got {index!r}.")
    bad = arr[(arr < -size) | (arr >= size)]
    if bad.size:
        raise ValueError(
            f"{what} index {int(bad[0])} is out of range: there are {size} {what}es."
            if what == "branch"
            else f"{what} index {int(bad[0])} is out of range: there are {size} {what}s."
        )
    return np.where(arr < 0, arr + size, arr).astype(np.int64)


class View:
    """A selection of compartments of a module. Edits return the whole updated module."""

    def __init__(self, module, comps: np.ndarray, branches: np.ndarray | None = None):
        self.module = module
        self.indices = comps
        self.branches = branches

    @classmethod
    def of_branches(cls, module, index):
        branches = _resolve(index, module.nbranches, "branch")
        offsets = branch_offsets(module.ncomp_per_branch)
        comps = np.concatenate(
            [np.arange(offsets[b], offsets[b + 1]) for b in branches] or [np.zeros(0, int)]
        )
        return cls(module, comps.astype(np.int64), branches)

    @classmethod
    def of_comps(cls, module, index):
        return cls(module, _resolve(index, module.ncomp, "compartment"))

    def comp(self, index: Index) -> "View":
        """Select compartments within the selected branches (local index in each branch)."""
        if self.branches is None:
            local = _resolve(index, len(self.indices), "compartment")
            return View(self.module, self.indices[local])
        offsets = branch_offsets(self.module.ncomp_per_branch)
        comps = []
        for b in self.branches:
            n = self.module.ncomp_per_branch[b]
            try:
                local = _resolve(index, n, "compartment")
            except ValueError as e:
                raise ValueError(f"Branch {b}: {e}") from None
            comps.append(offsets[b] + local)
        return View(self.module, np.concatenate(comps).astype(np.int64))

    def __repr__(self) -> str:
        return f"View({type(self.module).__name__}, compartments={self.indices.tolist()})"

    def set(self, name, value):
        """See `AbstractModule.set`; applies to the selection only."""
        return self.module.set(name, value, _where=self.indices)

    def insert(self, channel):
        """See `AbstractModule.insert`; applies to the selection only."""
        return self.module.insert(channel, _where=self.indices)

    def stimulate(self, current):
        """See `AbstractModule.stimulate`; applies to the selection only."""
        return self.module.stimulate(current, _where=self.indices)

    def record(self, name: str = "v"):
        """See `AbstractModule.record`; applies to the selection only."""
        return self.module.record(name, _where=self.indices)

    def make_trainable(self, name: str, *, shared: bool = True):
        """See `AbstractModule.make_trainable`; applies to the selection only."""
        return self.module.make_trainable(name, shared=shared, _where=self.indices)

    def get(self, name: str):
        """Values of quantity `name` at the selected compartments."""
        return self.module.get(name)[self.indices]
