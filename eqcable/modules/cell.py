"""A cell: branches on a tree."""

from collections.abc import Sequence

from ._build import fields_from_parts
from .base import AbstractModule
from .branch import Branch


class Cell(AbstractModule):
    """A neuron made of branches connected as a tree.

    **Arguments:**

    - `branches`: the branches (each a `Branch`).
    - `parents`: for every branch, the index of the branch it hangs from, or ``-1`` for
      the root (exactly one). A child attaches to the far end of its parent (NEURON's
      ``child.connect(parent(1))``).
    - `parent_x`: optionally, where on its parent each branch attaches, as NEURON's
      ``child.connect(parent(x))``: ``1`` the far end (default), ``0`` the parent's start,
      ``0 < x < 1`` the centre of the parent's compartment containing ``x``. Ignored for
      the root.
    - `branch_types`: optionally, an SWC type id per branch (``1`` soma, ``2`` axon, ``3``
      basal, ``4`` apical, ...), used by `group`; ``0`` (undefined) by default.

    **Raises:** `ValueError` if `parents` is not a tree over the branches (wrong length,
    index out of range, cycle, not exactly one root) or `parent_x` is outside ``[0, 1]``.
    """

    def __init__(
        self,
        branches: Sequence[Branch],
        parents: Sequence[int],
        parent_x: Sequence[float] | None = None,
        branch_types: Sequence[int] | None = None,
    ):
        branches = list(branches)
        for i, b in enumerate(branches):
            if not isinstance(b, Branch):
                raise TypeError(f"Cell branch {i} is a {type(b).__name__}, not a Branch.")
        parents = list(parents)
        roots = [i for i, p in enumerate(parents) if p == -1]
        if len(parents) == len(branches) and len(roots) != 1:
            raise ValueError(
                f"A cell needs exactly one root branch (parent -1); got {len(roots)}: {roots}."
            )
        if branch_types is not None and len(branch_types) != len(branches):
            raise ValueError(
                f"`branch_types` has {len(branch_types)} entries for {len(branches)} branches."
            )
        fields = fields_from_parts(
            branches, [b.ncomp for b in branches], parents, parent_x, branch_types
        )
        for name, value in fields.items():
            setattr(self, name, value)
