"""A network: cells connected by synapses.

The cells' compartments are concatenated (cell 0's, then cell 1's, ...) into one forest,
so the whole network is one `AbstractModule`: one array per quantity and one tree solve,
whose levels hold the nodes of all cells at the same depth (see
`eqcable.morphology.dhs`). Synapses are stored per type in `Connections`.
"""

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int, Shaped

from ..morphology.tree import branch_offsets
from ..synapses.base import AbstractSynapse
from ..synapses.inputs import SpikeTrain
from ._arrays import concatenate, float_dtype, is_concrete, take
from ._build import fields_from_parts
from .base import AbstractModule, check_value
from .selection import Index, View, _resolve


class Connections(eqx.Module):
    """All connections of one synapse type.

    **Fields:**

    - `synapse`: the synapse, each parameter an array with one value per connection.
    - `pre`: presynaptic compartment of each connection (flat network index), or
      ``-1 - k`` for the network's input spike train ``k``.
    - `post`: postsynaptic compartment of each connection.
    - `states`: the synapse states, one value per connection.
    - `delay`: delay of each connection (ms); static, as it sets buffer sizes.
    """

    synapse: AbstractSynapse
    pre: Int[Array, " nconn"]
    post: Int[Array, " nconn"]
    states: dict[str, Float[Array, " nconn"]]
    delay: tuple[float, ...] = eqx.field(static=True)

    @property
    def size(self) -> int:
        """Number of connections."""
        return len(self.delay)


def _broadcast(value, n: int, what: str):
    """`value` as one value per connection (NumPy, or JAX when `value` is traced)."""
    xp = np if is_concrete(value) else jnp
    arr = xp.asarray(value, dtype=float_dtype())
    if arr.ndim == 0:
        return xp.full(n, arr)
    if arr.shape != (n,):
        raise ValueError(
            f"{what}: expected a scalar or {n} values (one per connection), got shape {arr.shape}."
        )
    return arr


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
        fields = fields_from_parts(cells, ncomp, parents, parent_x, types)
        for name, value in fields.items():
            setattr(self, name, value)
        self.cell_nbranches = tuple(c.nbranches for c in cells)
        self.connections = ()
        self.inputs = ()

    # ------------------------------------------------------------------ sizes, selections
    @property
    def ncells(self) -> int:
        """Number of cells."""
        return len(self.cell_nbranches)

    def cell(self, index: Index) -> View:
        """Select cells: an int, a sequence of ints, a slice or ``"all"``. Continue with
        ``.branch(j)`` (branch `j` of each selected cell) and ``.comp(k)``."""
        cells = _resolve(index, self.ncells, "cell")
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
        indices = _resolve(index, self.connections[k].size, "connection")
        if len(indices) == 0:
            raise ValueError(f"synapse({name!r}, {index!r}) selects no connection.")
        return SynapseView(self, name, indices)

    def _group(self, synapse_name: str) -> int:
        for k, c in enumerate(self.connections):
            if c.synapse.name == synapse_name:
                return k
        known = [c.synapse.name for c in self.connections]
        raise ValueError(f"No {synapse_name!r} synapses in this network (present: {known}).")

    # ------------------------------------------------------------------ quantities
    def _parse(self, name: str):
        if isinstance(name, str):
            for k, c in enumerate(self.connections):
                field = name.removeprefix(f"{c.synapse.name}_")
                if field != name and field in c.synapse.param_names():
                    return "synapse_param", k, field
                if field != name and field in c.synapse.state_names:
                    return "synapse_state", k, field
        return super()._parse(name)

    def _synapse_current_group(self, name: str) -> int | None:
        for k, c in enumerate(self.connections):
            if name == f"i_{c.synapse.name}":
                return k
        return None

    def _synapse_group_of(self, name: str) -> int | None:
        k = self._synapse_current_group(name)
        if k is not None:
            return k
        try:
            kind, k, _ = self._parse(name)
        except ValueError:  # not a quantity (e.g. a channel current): not synaptic
            return None
        return k if kind.startswith("synapse") else None

    def _must_be_positive(self, kind: str, k: int | None, field: str) -> bool:
        if kind == "synapse_param":
            return field in self.connections[k].synapse.positive_params
        return super()._must_be_positive(kind, k, field)

    def make_trainable(self, name: str, *, shared: bool = True, _where=None):
        kind, k, field = self._parse(name)
        if (
            kind == "synapse_param"
            and field in self.connections[k].synapse.nondifferentiable_params
        ):
            raise ValueError(
                f"{name} has no gradient (it only decides when spikes happen), so it "
                "cannot be made trainable."
            )
        if _where is not None and len(_where) == 0:
            raise ValueError(f"make_trainable({name!r}): the selection is empty.")
        return super().make_trainable(name, shared=shared, _where=_where)

    make_trainable.__doc__ = AbstractModule.make_trainable.__doc__

    def _is_synaptic(self, name: str) -> bool:
        return self._synapse_group_of(name) is not None

    def _extent(self, name: str) -> int:
        k = self._synapse_group_of(name)
        return self.ncomp if k is None else self.connections[k].size

    def quantity_names(self) -> tuple[str, ...]:
        names = list(super().quantity_names())
        for c in self.connections:
            syn = c.synapse
            names += [f"{syn.name}_{p}" for p in (*syn.param_names(), *syn.state_names)]
        return tuple(names)

    def recordable_names(self) -> tuple[str, ...]:
        names = list(super().recordable_names())
        for c in self.connections:
            syn = c.synapse
            names += [f"{syn.name}_{s}" for s in syn.state_names] + [f"i_{syn.name}"]
        return tuple(names)

    def get(self, name: str):
        kind, k, field = self._parse(name)
        if kind == "synapse_param":
            return getattr(self.connections[k].synapse, field)
        if kind == "synapse_state":
            return self.connections[k].states[field]
        return super().get(name)

    def _replace(self, name: str, value):
        kind, k, field = self._parse(name)
        if kind == "synapse_param":
            return eqx.tree_at(lambda m: getattr(m.connections[k].synapse, field), self, value)
        if kind == "synapse_state":
            return eqx.tree_at(lambda m: m.connections[k].states[field], self, value)
        return super()._replace(name, value)

    # ------------------------------------------------------------------ connecting
    def _same_cells(self, other) -> bool:
        """Whether `other` has this network's cells and branches (it may be this network
        before some edits or connections, as when a selection is reused)."""
        return isinstance(other, Network) and (
            other.ncomp_per_branch,
            other.branch_parents,
            other.cell_nbranches,
        ) == (self.ncomp_per_branch, self.branch_parents, self.cell_nbranches)

    def _sites(self, source, what: str) -> np.ndarray:
        """Flat compartment indices of a `View` of this network."""
        if not isinstance(source, View):
            raise TypeError(
                f"{what} must be a selection of this network such as "
                f"net.cell(0).branch(0).comp(0), got {type(source).__name__}."
            )
        if not self._same_cells(source.module):
            raise ValueError(f"{what} is a selection of a different module, not this network.")
        if len(source.indices) == 0:
            raise ValueError(f"{what} selects no compartment.")
        return np.asarray(source.indices, dtype=np.int64)

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
        if not isinstance(synapse, AbstractSynapse):
            raise TypeError(f"connect() expects an AbstractSynapse, got {type(synapse).__name__}.")
        if synapse.event_driven and "threshold" not in synapse.param_names():
            raise TypeError(
                f"{synapse.name} is event-driven but has no `threshold` field (mV), which "
                "decides when its presynaptic compartment spikes."
            )
        net = self
        if isinstance(pre, SpikeTrain) or (
            isinstance(pre, (list, tuple)) and pre and all(isinstance(p, SpikeTrain) for p in pre)
        ):
            trains = [pre] if isinstance(pre, SpikeTrain) else list(pre)
            first = len(net.inputs)
            net = eqx.tree_at(lambda m: m.inputs, net, net.inputs + tuple(trains))
            pre_idx = -1 - (first + np.arange(len(trains)))
        else:
            pre_idx = self._sites(pre, "pre")
        post_idx = self._sites(post, "post")
        if len(pre_idx) != len(post_idx) and 1 not in (len(pre_idx), len(post_idx)):
            raise ValueError(
                f"connect(): {len(pre_idx)} presynaptic and {len(post_idx)} postsynaptic "
                "sites do not pair up (give equal numbers, or one on either side)."
            )
        n = max(len(pre_idx), len(post_idx))
        pre_idx = np.broadcast_to(pre_idx, (n,))
        post_idx = np.broadcast_to(post_idx, (n,))
        return net._add(pre_idx, post_idx, synapse, delay)

    def _add(self, pre_idx, post_idx, synapse: AbstractSynapse, delay) -> "Network":
        n = len(pre_idx)
        if not is_concrete(delay):
            raise TypeError(
                "Synaptic delays set the size of the delay buffers, so they must be numbers, "
                "not values traced by jit/grad/vmap."
            )
        delays = _broadcast(delay, n, "delay")
        if not np.all(np.isfinite(delays)) or np.any(delays < 0):
            bad = delays[~(np.isfinite(delays) & (delays >= 0))][0]
            raise ValueError(f"Synaptic delays must be finite and >= 0 ms, got {bad}.")
        params = {}
        for p in synapse.param_names():
            value = getattr(synapse, p)
            check_value(f"{synapse.name}_{p}", value, positive=p in synapse.positive_params)
            params[p] = _broadcast(value, n, f"{synapse.name}_{p}")
        init = synapse.init_states()
        states = {s: _broadcast(init[s], n, f"{synapse.name}_{s}") for s in synapse.state_names}
        k = next(
            (i for i, c in enumerate(self.connections) if c.synapse.name == synapse.name), None
        )
        dtype = float_dtype()
        if k is not None:
            old = self.connections[k]
            if type(old.synapse) is not type(synapse) or jax.tree.structure(
                old.synapse
            ) != jax.tree.structure(synapse):
                raise TypeError(
                    f"A different synapse named {synapse.name!r} (another class or other "
                    "options) is already connected."
                )
            params = {p: concatenate([getattr(old.synapse, p), v]) for p, v in params.items()}
            states = {s: concatenate([old.states[s], v]) for s, v in states.items()}
            pre_idx = np.concatenate([np.asarray(old.pre), pre_idx])
            post_idx = np.concatenate([np.asarray(old.post), post_idx])
            delays = np.concatenate([np.asarray(old.delay), delays])
        syn = eqx.tree_at(
            lambda s: [getattr(s, p) for p in params],
            synapse,
            [jnp.asarray(v, dtype=dtype) for v in params.values()],
            is_leaf=lambda x: x is None,
        )
        group = Connections(
            synapse=syn,
            pre=jnp.asarray(pre_idx, dtype=jnp.int32),
            post=jnp.asarray(post_idx, dtype=jnp.int32),
            states={s: jnp.asarray(v, dtype=dtype) for s, v in states.items()},
            delay=tuple(float(d) for d in delays),
        )
        groups = list(self.connections)
        if k is None:
            groups.append(group)
        else:
            groups[k] = group
        return eqx.tree_at(lambda m: m.connections, self, tuple(groups))

    def _cell_sites(self, cells: Index, site: tuple[int, int], what: str) -> np.ndarray:
        cells = _resolve(cells, self.ncells, "cell")
        branch, comp = site
        return np.asarray(
            [self.cell(int(c)).branch(branch).comp(comp).indices[0] for c in cells],
            dtype=np.int64,
        )

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
            np.ones(self._npairs(pre_cells, post_cells), bool),
            synapse,
            pre_cells=pre_cells,
            post_cells=post_cells,
            delay=delay,
            pre_site=pre_site,
            post_site=post_site,
            autapses=autapses,
        )

    def _npairs(self, pre_cells: Index, post_cells: Index) -> tuple[int, int]:
        # The shape of a (pre, post) connection matrix between two cell selections.
        return (
            len(_resolve(pre_cells, self.ncells, "cell")),
            len(_resolve(post_cells, self.ncells, "cell")),
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
        matrix = np.asarray(jax.random.bernoulli(key, p, self._npairs(pre_cells, post_cells)))
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
        pre = _resolve(pre_cells, self.ncells, "cell")
        post = _resolve(post_cells, self.ncells, "cell")
        matrix = np.asarray(matrix)
        if matrix.shape != (len(pre), len(post)):
            raise ValueError(
                f"Connectivity matrix has shape {matrix.shape}; expected "
                f"({len(pre)}, {len(post)}) for the selected pre and post cells."
            )
        if not np.all(np.isfinite(matrix.astype(float))):
            raise ValueError("Connectivity matrix must be finite.")
        i, j = np.nonzero(matrix)
        if not autapses:
            keep = pre[i] != post[j]
            i, j = i[keep], j[keep]
        if len(i) == 0:
            return self
        pre_sites = self._cell_sites(pre, pre_site, "pre")[i]
        post_sites = self._cell_sites(post, post_site, "post")[j]
        return self._add(pre_sites, post_sites, synapse, delay)


class SynapseView:
    """Some connections of one synapse type; edits return the whole updated network."""

    def __init__(self, network: Network, synapse_name: str, indices: np.ndarray):
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

    def record(self, name: str):
        """Record a synapse state (``"<Synapse>_<state>"``) or its current
        (``"i_<Synapse>"``, nA, outward positive) at each selected connection.

        The value recorded at time ``t`` is the state after the step that ends at ``t``,
        and the current through that state at the postsynaptic voltage at ``t``, with
        the presynaptic signal that step received (for graded synapses, the presynaptic
        voltage at the step's start, ``t − dt``, or ``delay`` earlier)."""
        self._check(name)
        return self.module.record(name, _where=self.indices)

    def get(self, name: str):
        """Values of a synapse parameter or state at the selected connections."""
        self._check(name)
        return take(self.module.get(name), self.indices)
