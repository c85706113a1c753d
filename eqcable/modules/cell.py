"""A cell: branches on a tree."""

from collections.abc import Sequence
from typing import ClassVar

import equinox as eqx
from jaxtyping import Array, Bool, Float

from ..channels.base import AbstractChannel
from ..experiments.clamps import Clamp
from ..simulation.model import CellStructure, Recording, Stimulus
from ..synapses.connections import Connections
from ..synapses.inputs import SpikeTrain
from .assemble import from_parts
from .base import AbstractModule
from .branch import Branch
from .compartment import Compartment
from .parameters import Trainable


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

    ncomp_per_branch: tuple[int, ...] = eqx.field(static=True)
    branch_parents: tuple[int, ...] = eqx.field(static=True)
    branch_parent_x: tuple[float, ...] = eqx.field(static=True)
    branch_types: tuple[int, ...] = eqx.field(static=True)
    radius: Float[Array, " ncomp"]
    length: Float[Array, " ncomp"]
    axial_resistivity: Float[Array, " ncomp"]
    capacitance: Float[Array, " ncomp"]
    v: Float[Array, " ncomp"]
    area_scale: Float[Array, " ncomp"]
    r_proximal_scale: Float[Array, " ncomp"]
    r_distal_scale: Float[Array, " ncomp"]
    celsius: Float[Array, ""]
    channels: tuple[AbstractChannel, ...]
    channel_masks: tuple[Bool[Array, " ncomp"], ...]
    states: dict[str, Float[Array, " ncomp"]]
    explicit_states: dict[str, Bool[Array, " ncomp"]]
    ions: dict[str, Float[Array, " ncomp"]]
    stimuli: tuple[Stimulus, ...]
    clamps: tuple[Clamp, ...]
    recordings: tuple[Recording, ...]
    trainables: tuple[Trainable, ...]
    structure: CellStructure
    connections: ClassVar[tuple[Connections, ...]] = ()  # only networks have synapses
    inputs: ClassVar[tuple[SpikeTrain, ...]] = ()

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
        if branch_types is not None and len(branch_types) != len(branches):
            raise ValueError(
                f"`branch_types` has {len(branch_types)} entries for {len(branches)} branches."
            )
        if len(parents) == len(branches):
            _check_one_root(parents)
        fields = from_parts(branches, [b.ncomp for b in branches], parents, parent_x, branch_types)
        (
            self.ncomp_per_branch,
            self.branch_parents,
            self.branch_parent_x,
            self.branch_types,
            self.radius,
            self.length,
            self.axial_resistivity,
            self.capacitance,
            self.v,
            self.area_scale,
            self.r_proximal_scale,
            self.r_distal_scale,
            self.celsius,
            self.channels,
            self.channel_masks,
            self.states,
            self.explicit_states,
            self.ions,
            self.stimuli,
            self.clamps,
            self.recordings,
            self.trainables,
            self.structure,
        ) = fields

    def __check_init__(self):
        _check_one_root(self.branch_parents)


def _check_one_root(parents: Sequence[int]) -> None:
    roots = [i for i, p in enumerate(parents) if p == -1]
    if len(roots) != 1:
        raise ValueError(
            f"A cell needs exactly one root branch (parent -1); got {len(roots)}: {roots}."
        )


def cell_of_sizes(
    ncomp_per_branch: Sequence[int],
    parents: Sequence[int],
    parent_x: Sequence[float] | None = None,
    branch_types: Sequence[int] | None = None,
    compartment: Compartment | None = None,
) -> Cell:
    """A `Cell` whose branch ``b`` is `compartment` (default `Compartment()`) repeated
    ``ncomp_per_branch[b]`` times: the tree of a cell, for builders that set the
    geometry afterwards (with `eqx.tree_at`). One `Branch` is built per distinct size."""
    compartment = Compartment() if compartment is None else compartment
    branches = {n: Branch(compartment, n) for n in sorted(set(ncomp_per_branch))}
    return Cell([branches[n] for n in ncomp_per_branch], parents, parent_x, branch_types)
