"""A network: cells connected by synapses.

The cells' compartments are concatenated (cell 0's, then cell 1's, ...) into one forest,
so the whole network is one module: one array per quantity and one tree solve, whose
levels hold the nodes of all cells at the same depth (see `eqcable.morphology.dhs`).
Synapses are stored per type in `Connections` (made by `eqcable.modules.connect`).
"""

from collections.abc import Sequence

import equinox as eqx
import jax
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Shaped

from ..channels.base import AbstractChannel
from ..experiments.clamps import Clamp
from ..morphology.tree import branch_offsets
from ..simulation.model import CellStructure, Recording, Stimulus
from ..synapses.base import AbstractSynapse
from ..synapses.connections import Connections
from ..synapses.inputs import SpikeTrain
from . import connect as connecting
from .assemble import from_parts
from .base import AbstractModule
from .connect import npairs
from .parameters import Trainable
from .selection import Index, SynapseView, View, resolve_index


class Network(AbstractModule):
    """Cells connected by synapses.

    **Arguments:**

    - `cells`: the cells (`Cell`, `Branch` or `Compartment`), with their channels,
      stimuli and recordings. All must have the same temperature.

    Compartments are numbered cell by cell (cell 0's flat compartments first). Select
    with ``net.cell(i).branch(j).comp(k)`` and edit as a cell; connect with `connect`,
    `fully_connect`, `sparse_connect` or `connect_matrix` (each returns a new network);
    simulate with `integrate` as a cell. Synapse parameters and states are addressed as
    ``"<Synapse>_<name>"`` (``"IonotropicSynapse_gS"``), on all connections of that
    type with `set`/`make_trainable`/`record`, or on some with `synapse`.

    **Raises:** `TypeError` for a cell that is not a module (or is a network),
    `ValueError` for an empty list or cells at different temperatures.
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
    cell_nbranches: tuple[int, ...] = eqx.field(static=True)
    connections: tuple[Connections, ...]
    inputs: tuple[SpikeTrain, ...]

    def __init__(self, cells: Sequence[AbstractModule]):
        cells = list(cells)
        if not cells:
            raise ValueError("A Network needs at least one cell.")
        for i, c in enumerate(cells):
            if not isinstance(c, AbstractModule) or isinstance(c, Network):
                raise TypeError(
                    f"Network cell {i} is a {type(c).__name__}, not a Cell, Branch or Compartment."
                )
        ncomp, parents, parent_x, types = [], [], [], []
        for c in cells:
            offset = len(ncomp)
            ncomp += list(c.ncomp_per_branch)
            parents += [p + offset if p >= 0 else -1 for p in c.branch_parents]
            parent_x += list(c.branch_parent_x)
            types += list(c.branch_types)
        fields = from_parts(cells, ncomp, parents, parent_x, types)
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
        self.cell_nbranches = tuple(c.nbranches for c in cells)
        self.connections = ()
        self.inputs = ()

    def __check_init__(self):
        if sum(self.cell_nbranches) != len(self.ncomp_per_branch):
            raise ValueError(
                f"The cells have {sum(self.cell_nbranches)} branches in all, but the network "
                f"has {len(self.ncomp_per_branch)}."
            )

    # ------------------------------------------------------------------ sizes, selections
    @property
    def ncells(self) -> int:
        """Number of cells."""
        return len(self.cell_nbranches)

    def cell(self, index: Index) -> View:
        """Select cells: an int, a sequence of ints, a slice or ``"all"``. Continue with
        ``.branch(j)`` (branch `j` of each selected cell) and ``.comp(k)``."""
        cells = resolve_index(index, self.ncells, "cell")
        if len(cells) == 0:
            raise ValueError(f"cell({index!r}) selects no cell.")
        first = branch_offsets(self.cell_nbranches)
        branches = [np.arange(first[c], first[c + 1]) for c in cells]
        return View.of_branches(self, np.concatenate(branches), per_cell=branches)

    def cell_compartments(self, index: int) -> np.ndarray:
        """Flat indices of the compartments of cell `index`."""
        return self.cell(index).indices

    def synapse(self, name: str, index: Index = "all") -> "SynapseView":
        """Select connections of the synapse type `name` (e.g. ``"IonotropicSynapse"``), by
        their index among that type's connections (in the order they were made)."""
        k = self._group(name)
        indices = resolve_index(index, self.connections[k].size, "connection")
        if len(indices) == 0:
            raise ValueError(f"synapse({name!r}, {index!r}) selects no connection.")
        return SynapseView(self, name, indices)

    def _group(self, synapse_name: str) -> int:
        for k, c in enumerate(self.connections):
            if c.synapse.name == synapse_name:
                return k
        known = [c.synapse.name for c in self.connections]
        raise ValueError(f"No {synapse_name!r} synapses in this network (present: {known}).")

    # ------------------------------------------------------------------ connecting
    def connect(
        self, pre, post: View, synapse: AbstractSynapse, *, delay: ArrayLike | Sequence[float] = 0.0
    ):
        """Connect compartments (or spike trains) to compartments with synapses.

        **Arguments:**

        - `pre`: the presynaptic compartments, a selection of this network (e.g.
          ``net.cell(0).branch(0).comp(0)``), or a `SpikeTrain` or a list of them.
        - `post`: the postsynaptic compartments, a selection of this network. One
          connection per (pre, post) pair in order when both select the same number; one
          presynaptic site may also drive several postsynaptic ones and vice versa.
        - `synapse`: an `AbstractSynapse` instance with its parameter values (scalars, or
          one value per connection).
        - `delay`: synaptic delay (ms), ≥ 0, scalar or one per connection. At `integrate`
          it must be a whole number of time steps. Memory grows with the longest delay,
          not with the simulation length.

        **Returns:** the new network. Connections of one synapse type are stored together,
        in the order they were made (see `synapse`).

        **Raises:** `ValueError` for a selection that does not exist or is empty, a
        negative or non-finite delay, non-finite synapse parameters, or counts that do
        not pair up; `TypeError` for a wrong synapse or source type.
        """
        return connecting.connect(self, pre, post, synapse, delay)

    def fully_connect(
        self,
        pre_cells: Index,
        post_cells: Index,
        synapse: AbstractSynapse,
        *,
        delay: ArrayLike | Sequence[float] = 0.0,
        pre_site: tuple[int, int] = (0, 0),
        post_site: tuple[int, int] = (0, 0),
        autapses: bool = False,
    ) -> "Network":
        """Connect every cell of `pre_cells` to every cell of `post_cells`.

        Each connection goes from compartment ``pre_site = (branch, comp)`` of the
        presynaptic cell to ``post_site`` of the postsynaptic cell (default ``(0, 0)``),
        in row-major (pre, post) order. A cell is not connected to itself unless
        `autapses`. See `connect` for `synapse` and `delay`.
        """
        return self.connect_matrix(
            np.ones(npairs(self, pre_cells, post_cells), bool),
            synapse,
            pre_cells=pre_cells,
            post_cells=post_cells,
            delay=delay,
            pre_site=pre_site,
            post_site=post_site,
            autapses=autapses,
        )

    def sparse_connect(
        self,
        pre_cells: Index,
        post_cells: Index,
        synapse: AbstractSynapse,
        p: float,
        key: jax.Array,
        *,
        delay: ArrayLike | Sequence[float] = 0.0,
        pre_site: tuple[int, int] = (0, 0),
        post_site: tuple[int, int] = (0, 0),
        autapses: bool = False,
    ) -> "Network":
        """Connect each (pre, post) pair of cells independently with probability `p`,
        drawn with the `jax.random` key `key` (reproducible). See `fully_connect`.

        **Raises:** `ValueError` if `p` is not in ``[0, 1]``.
        """
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"sparse_connect(): p must be in [0, 1], got {p}.")
        matrix = np.asarray(jax.random.bernoulli(key, p, npairs(self, pre_cells, post_cells)))
        return self.connect_matrix(
            matrix,
            synapse,
            pre_cells=pre_cells,
            post_cells=post_cells,
            delay=delay,
            pre_site=pre_site,
            post_site=post_site,
            autapses=autapses,
        )

    def connect_matrix(
        self,
        matrix: Shaped[ArrayLike, "npre npost"] | Sequence[Sequence[float]],
        synapse: AbstractSynapse,
        *,
        pre_cells: Index = "all",
        post_cells: Index = "all",
        delay: ArrayLike | Sequence[float] = 0.0,
        pre_site: tuple[int, int] = (0, 0),
        post_site: tuple[int, int] = (0, 0),
        autapses: bool = True,
    ) -> "Network":
        """Connect cell ``pre_cells[i]`` to ``post_cells[j]`` wherever ``matrix[i, j]`` is
        nonzero (row-major order). See `fully_connect` for the sites; `delay` is a scalar
        or one value per connection made.

        **Raises:** `ValueError` if the matrix's shape does not match the cell selections.
        """
        return connecting.connect_matrix(
            self, matrix, synapse, pre_cells, post_cells, delay, pre_site, post_site, autapses
        )
