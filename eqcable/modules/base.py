"""`AbstractModule`: what every module users hold can do.

`Compartment`, `Branch`, `Cell` and `Network` are final subclasses that hold the fields
and differ in how they are built; every method here is implemented once, for all of them.
Every edit (`set`, `insert`, `stimulate`, `record`, `make_trainable`, `init_states`) returns
a new module (via `eqx.tree_at`), so edits also work inside `jax.jit`. Quantity names are
resolved by `eqcable.modules.quantities`, trainables by `eqcable.modules.parameters`.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ..channels.base import AbstractChannel
from ..simulation.model import AbstractModel, Recording, Stimulus
from ..simulation.recording import recordable_names, synapse_group
from . import parameters
from .arrays import check_value, float_dtype, full, is_concrete, scatter_set, take, to_device
from .quantities import follow, quantity_names, replace, resolve
from .run import integrate
from .selection import Index, View


@eqx.filter_jit
def _steady_state(channel: AbstractChannel, v, celsius) -> dict:
    # Jitted once per channel class and size, rather than op by op.
    return channel.steady_state(v, celsius)


class AbstractModule(AbstractModel):
    """A neuron model: compartments on a tree, channels, stimuli, recordings (and, in a
    `Network`, synapses).

    Per-compartment arrays are in *flat compartment order*: branch 0's compartments,
    then branch 1's, and so on. The tree is described by the static fields
    `ncomp_per_branch`, `branch_parents`, `branch_parent_x` and `branch_types` (see
    `Cell`), the physics by float arrays (see [`eqcable.simulation.AbstractModel`][]).
    """

    ncomp_per_branch: eqx.AbstractVar[tuple[int, ...]]
    branch_parents: eqx.AbstractVar[tuple[int, ...]]
    branch_parent_x: eqx.AbstractVar[tuple[float, ...]]
    branch_types: eqx.AbstractVar[tuple[int, ...]]
    trainables: eqx.AbstractVar[tuple[parameters.Trainable, ...]]

    # ------------------------------------------------------------------ sizes, names
    @property
    def ncomp(self) -> int:
        """Total number of compartments."""
        return sum(self.ncomp_per_branch)

    @property
    def nbranches(self) -> int:
        """Number of branches."""
        return len(self.ncomp_per_branch)

    def quantity_names(self) -> tuple[str, ...]:
        """All names usable in `set` and `make_trainable`."""
        return quantity_names(self)

    def recordable_names(self) -> tuple[str, ...]:
        """Names usable in `record`: ``v``, channel states, ``i_<Channel>`` currents, and
        in a network synapse states and ``i_<Synapse>`` currents."""
        return recordable_names(self.channels, self.connections)

    def get(self, name: str) -> Float[Array, " n"]:
        """The array of quantity `name`: one value per compartment (per connection for
        synapse quantities; ``celsius`` is a scalar)."""
        return follow(self, resolve(self, name).path)

    def _extent(self, name: str) -> int:
        """How many values a quantity or recording has: compartments or connections."""
        k = synapse_group(name, tuple(c.synapse for c in self.connections))
        return self.ncomp if k is None else self.connections[k].size

    def path_distance(self, reference: int = 0) -> np.ndarray:
        """Distance along the cell (µm) from compartment `reference`'s centre to every
        compartment's centre, through the tree (NEURON's ``h.distance`` between
        segment centres).

        Computed from the present lengths with NumPy: a morphology measure for defining
        parameters as functions of position (e.g. ``g0 * exp(-d / lam)``), not itself
        differentiated.

        **Raises:** `ValueError` if `reference` is not a compartment index.
        """
        if not 0 <= reference < self.ncomp:
            raise ValueError(f"reference {reference} is not a compartment (0..{self.ncomp - 1}).")
        s = self.structure
        parent = np.asarray(s.tree.parent)
        node_to_comp = np.asarray(s.node_to_comp)
        half = np.where(node_to_comp >= 0, np.asarray(self.length)[node_to_comp] / 2, 0.0)
        parent_half = np.asarray(s.parent_half)
        # Length of each node's edge to its parent: its own half plus, within a branch, the
        # previous compartment's distal half.
        edge = half + np.where(parent_half >= 0, np.asarray(self.length)[parent_half] / 2, 0.0)
        neighbours: list[list[tuple[int, float]]] = [[] for _ in parent]
        for i, p in enumerate(parent):
            if p >= 0:
                neighbours[i].append((int(p), edge[i]))
                neighbours[p].append((i, edge[i]))
        dist = np.full(len(parent), np.inf)
        start = int(np.asarray(s.comp_to_node)[reference])
        dist[start] = 0.0
        stack = [start]
        while stack:
            i = stack.pop()
            for j, w in neighbours[i]:
                if dist[j] == np.inf:
                    dist[j] = dist[i] + w
                    stack.append(j)
        return dist[np.asarray(s.comp_to_node)]

    # ------------------------------------------------------------------ selections
    def branch(self, index: Index):
        """Select branches: an int, a sequence of ints, a slice or ``"all"``.

        **Returns:** a selection whose edit methods return the updated whole module.
        """
        return View.of_branches(self, index)

    def group(self, name: str | int):
        """Select the branches of an SWC type: ``"soma"``, ``"axon"``, ``"basal"`` (or
        ``"dend"``), ``"apical"`` (or ``"apic"``), or a type id (``5`` for a custom type).

        **Raises:** `ValueError` for an unknown name, or if no branch has that type.
        """
        ids = {"soma": 1, "axon": 2, "basal": 3, "dend": 3, "apical": 4, "apic": 4}
        if isinstance(name, str):
            if name not in ids:
                raise ValueError(f"Unknown group {name!r}; use one of {sorted(ids)} or a type id.")
            type_id = ids[name]
        else:
            type_id = int(name)
        branches = [b for b, t in enumerate(self.branch_types) if t == type_id]
        if not branches:
            present = sorted(set(self.branch_types))
            raise ValueError(f"No branch has type {name!r} (type ids present: {present}).")
        return View.of_branches(self, branches)

    def comp(self, index: Index):
        """Select compartments by flat index (int, sequence, slice or ``"all"``)."""
        return View.of_comps(self, index)

    # ------------------------------------------------------------------ edits
    def set(self, name: str, value: ArrayLike, *, _where: np.ndarray | None = None):
        """Set a quantity everywhere (or on a selection) and return the new module.

        **Arguments:**

        - `name`: ``radius`` (µm), ``length`` (µm), ``axial_resistivity`` (Ω·cm),
          ``capacitance`` (µF/cm²), ``v`` (mV, the initial voltage), ``celsius`` (°C,
          whole module only), a channel parameter ``"<Channel>_<param>"`` or a channel
          state ``"<Channel>_<state>"`` (in a network also synapse parameters and states).
        - `value`: a scalar, or one value per selected compartment.

        **Raises:** `ValueError` for an unknown name, a non-finite value, or a
        non-positive geometric quantity.
        """
        q = resolve(self, name)
        check_value(name, value, positive=q.positive)
        if q.per == "module":
            if _where is not None and len(_where) != self.ncomp:
                raise ValueError("celsius applies to the whole module; set it without a selection.")
            if jnp.ndim(value) != 0:
                raise ValueError(f"celsius must be a scalar (°C), got shape {jnp.shape(value)}.")
            return replace(self, q.path, jnp.asarray(value, dtype=self.celsius.dtype))
        where = np.arange(self._extent(name)) if _where is None else _where
        shape = jnp.shape(value)
        if len(shape) > 1 or (len(shape) == 1 and shape[0] != len(where)):
            raise ValueError(
                f"set({name!r}): expected a scalar or {len(where)} values (one per selected "
                f"item), got shape {shape}."
            )
        return replace(self, q.path, scatter_set(follow(self, q.path), where, value))

    def insert(self, channel: AbstractChannel, *, _where: np.ndarray | None = None):
        """Insert a channel everywhere (or on a selection) with its parameter values.

        Gating states of the selected compartments start at their steady state at the
        present voltage. Inserting a channel that is already present sets its parameters
        on the selection to `channel`'s values.

        **Raises:** `TypeError` if `channel` is not an `AbstractChannel`.
        """
        if not isinstance(channel, AbstractChannel):
            raise TypeError(f"insert() expects an AbstractChannel, got {type(channel).__name__}.")
        for p in channel.param_names():
            check_value(f"{channel.name}_{p}", getattr(channel, p))
        where = np.arange(self.ncomp) if _where is None else _where
        module = self
        k = next((i for i, ch in enumerate(self.channels) if ch.name == channel.name), None)
        if k is None:
            broadcast = jax.tree.map(lambda x: full(self.ncomp, x), channel)
            mask = full(self.ncomp, False, dtype=bool)
            states = {
                **self.states,
                **{f"{channel.name}_{s}": full(self.ncomp, 0.0) for s in channel.state_names},
            }
            module = eqx.tree_at(
                lambda m: (m.channels, m.channel_masks, m.states),
                module,
                (self.channels + (broadcast,), self.channel_masks + (mask,), states),
            )
            k = len(module.channels) - 1
        elif type(self.channels[k]) is not type(channel):
            raise TypeError(
                f"A different channel class named {channel.name!r} is already inserted."
            )
        for p in channel.param_names():
            module = module.set(f"{channel.name}_{p}", getattr(channel, p), _where=where)
        masks = list(module.channel_masks)
        masks[k] = scatter_set(masks[k], where, True)
        module = eqx.tree_at(lambda m: m.channel_masks, module, tuple(masks))
        return module._init_states(k, where)

    def _init_states(self, k: int, where: np.ndarray):
        channel = self.channels[k]
        if not channel.state_names:
            return self
        ss = _steady_state(channel, self.v, self.celsius)
        names = [f"{channel.name}_{s}" for s in channel.state_names]
        new = {
            n: scatter_set(self.states[n], where, take(ss[s], where))
            for n, s in zip(names, channel.state_names, strict=True)
        }
        return eqx.tree_at(lambda m: m.states, self, {**self.states, **new})

    def init_states(self):
        """Set every channel's gating states to their steady state at the present ``v``.

        Call it after changing ``v`` (e.g. ``cell.set("v", -65.0).init_states()``), as
        NEURON's ``finitialize`` does. Works inside `jax.jit`.
        """
        module = self
        for k in range(len(self.channels)):
            module = module._init_states(k, np.arange(self.ncomp))
        return module

    def stimulate(self, current: Float[ArrayLike, " ntime"], *, _where: np.ndarray | None = None):
        """Inject a current (nA, one value per time step) into every selected compartment.

        `current` is 1-D (the same for every selected compartment) or 2-D with one row per
        selected compartment. See `eqcable.stimuli` for the timing convention.
        """
        where = np.arange(self.ncomp) if _where is None else _where
        check_value("stimulus current", current)
        xp = np if is_concrete(current) else jnp
        current = xp.asarray(current, dtype=float_dtype())
        if current.ndim == 1:
            current = xp.broadcast_to(current, (len(where), current.shape[0]))
        if current.ndim != 2 or current.shape[0] != len(where):
            raise ValueError(
                f"stimulate(): expected shape (ntime,) or ({len(where)}, ntime), "
                f"got {current.shape}."
            )
        stim = Stimulus(indices=to_device(where), current=to_device(current))
        return eqx.tree_at(lambda m: m.stimuli, self, self.stimuli + (stim,))

    def record(self, name: str = "v", *, _where: np.ndarray | None = None):
        """Record `name` at every selected compartment (one output row each).

        `name` is ``v`` (mV), a channel state (``"HH_m"``) or a channel's current density
        ``"i_<Channel>"`` (mA/cm², outward positive); in a network also a synapse state or
        current (see `Network.synapse`).

        **Raises:** `ValueError` for an unknown name.
        """
        if name not in self.recordable_names():
            raise ValueError(
                f"Cannot record {name!r}. Recordable: {', '.join(self.recordable_names())}."
            )
        where = np.arange(self._extent(name)) if _where is None else _where
        rec = Recording(name=name, indices=to_device(where))
        return eqx.tree_at(lambda m: m.recordings, self, self.recordings + (rec,))

    # ------------------------------------------------------------------ parameters
    def make_trainable(self, name: str, *, shared: bool = True, _where: np.ndarray | None = None):
        """Declare a parameter trainable on the whole module (or a selection).

        **Arguments:**

        - `name`: any name accepted by `set` except ``celsius``.
        - `shared`: if ``True`` (default) one value is shared by all selected
          compartments; if ``False`` every selected compartment gets its own value.

        The values appear, in order, in `params()`. The name is resolved now, once, into
        the path of its array in the module.

        **Raises:** `ValueError` for an unknown name, an empty selection, a quantity with
        no gradient, or when `shared=True` but the selection holds different values.
        """
        where = np.arange(self._extent(name)) if _where is None else _where
        tr = parameters.declare(self, name, shared, where)
        return eqx.tree_at(lambda m: m.trainables, self, self.trainables + (tr,))

    def params(self) -> tuple[dict[str, Float[Array, "..."]], ...]:
        """The trainable values: one ``{name: value}`` dict per `make_trainable` call.

        A shared parameter's value is a scalar; a per-compartment one has one entry per
        selected compartment. Pass (an updated copy of) this to `integrate`. It is a view:
        the module itself is the parameter too (see `trainable_filter`).
        """
        return parameters.params(self)

    def check_params(self, params) -> None:
        """Check that `params` has the structure and shapes of `params()` (cheap, no copies).

        **Raises:** `ValueError` naming the mismatch, or a non-finite concrete value.
        """
        parameters.check_params(self, params)

    def apply_params(self, params):
        """Write trainable values (as returned by `params()`) into the module."""
        return parameters.apply_params(self, params)

    def trainable_filter(self):
        """A filter spec for `eqx.partition`: ``True`` at the arrays that `make_trainable`
        declared, ``False`` elsewhere (the whole array of each). For example:

        ```python
        diff, static = eqx.partition(cell, cell.trainable_filter())
        grads = eqx.filter_grad(lambda d: loss(eqx.combine(d, static)))(diff)
        ```
        """
        return parameters.trainable_filter(self)

    def delete_recordings(self):
        """Remove all recordings."""
        return eqx.tree_at(lambda m: m.recordings, self, ())

    def delete_stimuli(self):
        """Remove all stimuli."""
        return eqx.tree_at(lambda m: m.stimuli, self, ())

    def delete_trainables(self):
        """Make every parameter non-trainable again."""
        return eqx.tree_at(lambda m: m.trainables, self, ())

    # ------------------------------------------------------------------ simulation
    def integrate(
        self,
        params=None,
        *,
        t_max: float,
        dt: float = 0.025,
        solver=None,
        stepper=None,
        checkpoint_length: int | str | None = "auto",
    ):
        """Simulate and return the recordings. See [`eqcable.integrate`][]."""
        return integrate(
            self,
            params,
            t_max=t_max,
            dt=dt,
            solver=solver,
            stepper=stepper,
            checkpoint_length=checkpoint_length,
        )
