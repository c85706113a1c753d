"""An unbranched cable of compartments (a NEURON section)."""

from collections.abc import Sequence

from ._build import fields_from_parts
from .base import AbstractModule
from .compartment import Compartment


class Branch(AbstractModule):
    """An unbranched chain of compartments.

    **Arguments:**

    - `compartments`: one `Compartment` repeated `ncomp` times, or a sequence of
      compartments (then `ncomp` may be omitted).
    - `ncomp`: number of compartments (≥ 1) when `compartments` is a single compartment.

    Compartment 0 is the end that attaches to a parent branch (NEURON's ``x = 0``).

    **Raises:** `ValueError` if ``ncomp < 1`` or does not match the sequence's length;
    `TypeError` if the parts are not compartments.
    """

    def __init__(self, compartments: Compartment | Sequence[Compartment], ncomp: int | None = None):
        if isinstance(compartments, Compartment):
            if ncomp is None:
                raise ValueError("Branch(compartment, ncomp): give the number of compartments.")
            if not isinstance(ncomp, int) or isinstance(ncomp, bool):
                raise TypeError(f"ncomp must be an int, got {ncomp!r}.")
            if ncomp < 1:
                raise ValueError(f"ncomp must be >= 1, got {ncomp}.")
            parts = [compartments] * ncomp
        else:
            parts = list(compartments)
            if ncomp is not None and ncomp != len(parts):
                raise ValueError(f"ncomp={ncomp} but {len(parts)} compartments were given.")
            if len(parts) == 0:
                raise ValueError("A branch needs at least one compartment.")
            for i, c in enumerate(parts):
                if not isinstance(c, Compartment):
                    raise TypeError(f"Branch part {i} is a {type(c).__name__}, not a Compartment.")
        fields = fields_from_parts(parts, (len(parts),), (-1,))
        for name, value in fields.items():
            setattr(self, name, value)
