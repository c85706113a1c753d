"""Selections: ``cell.branch(2).comp(1)`` and friends.

A `View` remembers a module and a set of compartments. Its edit methods call the module's
with that set and return the updated *whole* module.
"""

from collections.abc import Sequence

import numpy as np

from ..morphology.tree import branch_offsets
from ..simulation.recording import synapse_group
from .arrays import take

#: What selects branches or compartments: an index, several, a slice, or ``"all"``.
Index = int | np.integer | Sequence[int] | np.ndarray | slice | str


def resolve_index(index, size: int, what: str) -> np.ndarray:
    """Turn an int / sequence / slice / "all" into an array of valid indices.

    **Raises:** `ValueError` for an index out of range (naming `what`), `TypeError` for
    something that is not an index.
    """
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

    def __init__(
        self,
        module,
        comps: np.ndarray,
        branches: np.ndarray | None = None,
        per_cell: list[np.ndarray] | None = None,
    ):
        if len(comps) == 0:
            raise ValueError(
                "The selection is empty: it selects no compartment, so an edit would do "
                "nothing. Select at least one branch or compartment."
            )
        self.module = module
        self.indices = comps
        self.branches = branches
        self.per_cell = per_cell  # the branches of each selected cell of a network

    @classmethod
    def of_branches(cls, module, index, per_cell: list[np.ndarray] | None = None):
        branches = resolve_index(index, module.nbranches, "branch")
        offsets = branch_offsets(module.ncomp_per_branch)
        comps = np.concatenate(
            [np.arange(offsets[b], offsets[b + 1]) for b in branches] or [np.zeros(0, int)]
        )
        return cls(module, comps.astype(np.int64), branches, per_cell)

    def branch(self, index: Index) -> "View":
        """Select branches of each selected cell of a network (local index in each cell)."""
        if self.per_cell is None:
            raise ValueError("branch() selects within cells: use net.cell(i).branch(j).")
        chosen = []
        for cell_branches in self.per_cell:
            chosen.append(cell_branches[resolve_index(index, len(cell_branches), "branch")])
        return View.of_branches(self.module, np.concatenate(chosen))

    @classmethod
    def of_comps(cls, module, index):
        return cls(module, resolve_index(index, module.ncomp, "compartment"))

    def comp(self, index: Index) -> "View":
        """Select compartments within each selected branch (local index in each branch),
        or within each selected cell of a network (flat index in each cell)."""
        if self.per_cell is not None:
            offsets = branch_offsets(self.module.ncomp_per_branch)
            comps = []
            for cell_branches in self.per_cell:
                cell_comps = np.arange(offsets[cell_branches[0]], offsets[cell_branches[-1] + 1])
                comps.append(cell_comps[resolve_index(index, len(cell_comps), "compartment")])
            return View(self.module, np.concatenate(comps).astype(np.int64))
        if self.branches is None:
            local = resolve_index(index, len(self.indices), "compartment")
            return View(self.module, self.indices[local])
        offsets = branch_offsets(self.module.ncomp_per_branch)
        comps = []
        for b in self.branches:
            n = self.module.ncomp_per_branch[b]
            try:
                local = resolve_index(index, n, "compartment")
            except ValueError as e:
                raise ValueError(f"Branch {b}: {e}") from None
            comps.append(offsets[b] + local)
        return View(self.module, np.concatenate(comps).astype(np.int64))

    def __repr__(self) -> str:
        return f"View({type(self.module).__name__}, compartments={self.indices.tolist()})"

    def _check(self, name: str) -> None:
        if synapse_group(name, self.module.synapses) is not None:
            raise ValueError(
                f"{name!r} belongs to synapses, not compartments: use "
                "net.synapse(<type>, <indices>) to select connections."
            )

    def set(self, name, value):
        """See `AbstractModule.set`; applies to the selection only."""
        self._check(name)
        return self.module.set(name, value, _where=self.indices)

    def insert(self, channel):
        """See `AbstractModule.insert`; applies to the selection only."""
        return self.module.insert(channel, _where=self.indices)

    def stimulate(self, current):
        """See `AbstractModule.stimulate`; applies to the selection only."""
        return self.module.stimulate(current, _where=self.indices)

    def clamp(self, device):
        """See `AbstractModule.clamp`; clamps the selected compartments."""
        return self.module.clamp(device, _where=self.indices)

    def record(self, *names: str):
        """See `AbstractModule.record`; records every name at the selection."""
        for name in names:
            self._check(name)
        return self.module.record(*names, _where=self.indices)

    def make_trainable(self, name: str, *, shared: bool = True):
        """See `AbstractModule.make_trainable`; applies to the selection only."""
        self._check(name)
        return self.module.make_trainable(name, shared=shared, _where=self.indices)

    def get(self, name: str):
        """Values of quantity `name` at the selected compartments."""
        self._check(name)
        return self.module.get(name)[self.indices]


class SynapseView:
    """Some connections of one synapse type; edits return the whole updated network."""

    def __init__(self, network, synapse_name: str, indices: np.ndarray):
        if len(indices) == 0:
            raise ValueError(f"The selection of {synapse_name} connections is empty.")
        self.module = network
        self.synapse_name = synapse_name
        self.indices = indices

    def _check(self, name: str) -> None:
        ok = name.startswith(f"{self.synapse_name}_") or name == f"i_{self.synapse_name}"
        if not ok:
            raise ValueError(
                f"{name!r} is not a quantity of {self.synapse_name}; use "
                f"'{self.synapse_name}_<name>' (or 'i_{self.synapse_name}' to record)."
            )

    def __repr__(self) -> str:
        return f"SynapseView({self.synapse_name}, connections={self.indices.tolist()})"

    def set(self, name: str, value):
        """Set a synapse parameter or state on the selected connections."""
        self._check(name)
        return self.module.set(name, value, _where=self.indices)

    def make_trainable(self, name: str, *, shared: bool = True):
        """Make a synapse parameter trainable on the selected connections (see
        `AbstractModule.make_trainable`)."""
        self._check(name)
        return self.module.make_trainable(name, shared=shared, _where=self.indices)

    def record(self, *names: str):
        """Record synapse states (``"<Synapse>_<state>"``) or its current
        (``"i_<Synapse>"``, nA, outward positive) at each selected connection.

        The value recorded at time ``t`` is the state after the step that ends at ``t``,
        and the current through that state at the postsynaptic voltage at ``t``, with
        the presynaptic signal that step received (for graded synapses, the presynaptic
        voltage at the step's start, ``t − dt``, or ``delay`` earlier)."""
        if not names:
            raise ValueError(f"Name what to record, e.g. record('i_{self.synapse_name}').")
        for name in names:
            self._check(name)
        return self.module.record(*names, _where=self.indices)

    def get(self, name: str):
        """Values of a synapse parameter or state at the selected connections."""
        self._check(name)
        return take(self.module.get(name), self.indices)
