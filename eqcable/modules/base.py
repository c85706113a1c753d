"""The fields every simulated module holds, and its edit methods.

`Compartment`, `Branch` and `Cell` are final subclasses of `AbstractModule` that differ
only in how they are built. Every edit (`set`, `insert`, `stimulate`, `record`,
`make_trainable`, `init_states`) returns a new module (via `eqx.tree_at`), so edits also
work inside `jax.jit`.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from ..channels.base import AbstractChannel
from ..morphology.dhs import build_schedule
from ..solvers.tree_solve import TreeSchedule
from ._arrays import float_dtype, full, is_concrete, scatter_set, take

if TYPE_CHECKING:
    from .selection import Index

# Per-compartment physical quantities every module has, with units and positivity.
GEOMETRY = {
    "radius": ("µm", True),
    "length": ("µm", True),
    "axial_resistivity": ("Ω·cm", True),
    "capacitance": ("µF/cm²", True),
    "v": ("mV", False),
}


# Per-compartment shape factors (dimensionless): a compartment's true membrane area and the
# axial resistances of its proximal and distal halves, relative to those of the cylinder
# of its `radius` and `length`. 1 for cylinders; set from 3-D points by
# `Branch.from_points`, so that scaling `radius` or `length` scales the true geometry.
SHAPE = ("area_scale", "r_proximal_scale", "r_distal_scale")


class Stimulus(eqx.Module):
    """Currents (nA) injected into compartments ``indices``, one row per compartment."""

    indices: Int[Array, " k"]
    current: Float[Array, "k ntime"]


class Recording(eqx.Module):
    """A quantity recorded at compartments ``indices``."""

    name: str = eqx.field(static=True)
    indices: Int[Array, " k"]


class Trainable(eqx.Module):
    """A parameter made trainable at compartments ``indices``, shared or per compartment."""

    name: str = eqx.field(static=True)
    shared: bool = eqx.field(static=True)
    indices: Int[Array, " k"]


class CellStructure(eqx.Module):
    """Integer arrays of the compartment tree (see `eqcable.morphology.dhs.Schedule`)."""

    comp_to_node: Int[Array, " ncomp"]
    node_to_comp: Int[Array, " nnodes"]
    parent_half: Int[Array, " nnodes"]
    tree: TreeSchedule

    @staticmethod
    def build(
        ncomp_per_branch: Sequence[int],
        parents: Sequence[int],
        parent_x: Sequence[float] | None = None,
    ) -> "CellStructure":
        s = build_schedule(ncomp_per_branch, parents, parent_x)
        return CellStructure(
            comp_to_node=jnp.asarray(s.comp_to_node),
            node_to_comp=jnp.asarray(s.node_to_comp),
            parent_half=jnp.asarray(s.parent_half),
            tree=TreeSchedule(
                parent=jnp.asarray(s.parent),
                all_children=jnp.asarray(s.all_children),
                all_parents=jnp.asarray(s.all_parents),
                levels=jnp.asarray(s.levels),
            ),
        )


def check_value(name: str, value: Any, positive: bool = False) -> None:
    """Raise `ValueError` if a concrete `value` is non-finite (or non-positive)."""
    if not is_concrete(value):
        return
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real number or array, got {arr.dtype}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}.")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{name} must be positive, got {value!r}.")


@eqx.filter_jit
def _steady_state(channel: AbstractChannel, v, celsius) -> dict:
    # Jitted once per channel class and size, rather than op by op.
    return channel.steady_state(v, celsius)


class AbstractModule(eqx.Module):
    """A neuron model: compartments on a tree, channels, stimuli, recordings.

    Per-compartment arrays are in *flat compartment order*: branch 0's compartments,
    then branch 1's, and so on.

    Geometry: a compartment is a cylinder of `radius` and `length` (µm) whose membrane area
    and half axial resistances are multiplied by `area_scale`, `r_proximal_scale` and
    `r_distal_scale` (all 1 for cylinders; for compartments built from 3-D points they
    make the geometry NEURON's, see `Branch.from_points`).
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
    stimuli: tuple[Stimulus, ...]
    recordings: tuple[Recording, ...]
    trainables: tuple[Trainable, ...]
    structure: CellStructure

    # ------------------------------------------------------------------ sizes, names
    @property
    def ncomp(self) -> int:
        """Total number of compartments."""
        return sum(self.ncomp_per_branch)

    @property
    def nbranches(self) -> int:
        """Number of branches."""
        return len(self.ncomp_per_branch)

    def _channel_index(self, name: str) -> int | None:
        for k, ch in enumerate(self.channels):
            if ch.name == name:
                return k
        return None

    def _parse(self, name: str) -> tuple[str, int | None, str]:
        """Classify a quantity name: ('geometry'|'param'|'state'|'celsius', channel, field)."""
        if not isinstance(name, str):
            raise TypeError(f"Quantity names are strings, got {name!r}.")
        if name in GEOMETRY:
            return "geometry", None, name
        if name == "celsius":
            return "celsius", None, name
        if name in self.states:
            return "state", None, name
        for k, ch in enumerate(self.channels):
            field = name.removeprefix(f"{ch.name}_")
            if field != name and field in ch.param_names():
                return "param", k, field
        raise ValueError(f"Unknown quantity {name!r}. Known: {', '.join(self.quantity_names())}.")

    def quantity_names(self) -> tuple[str, ...]:
        """All names usable in `set`, `make_trainable` and (with currents) `record`."""
        names = list(GEOMETRY) + ["celsius"]
        for ch in self.channels:
            names += [f"{ch.name}_{p}" for p in ch.param_names()]
        names += list(self.states)
        return tuple(names)

    def recordable_names(self) -> tuple[str, ...]:
        """Names usable in `record`: ``v``, channel states, and ``i_<Channel>`` currents."""
        return ("v", *self.states, *(f"i_{ch.name}" for ch in self.channels))

    def get(self, name: str) -> Float[Array, " ncomp"]:
        """The per-compartment array of quantity `name` (``celsius`` is a scalar)."""
        kind, k, field = self._parse(name)
        if kind == "geometry":
            return getattr(self, field)
        if kind == "celsius":
            return self.celsius
        if kind == "state":
            return self.states[field]
        return getattr(self.channels[k], field)

    def _replace(self, name: str, value: Array) -> "AbstractModule":
        kind, k, field = self._parse(name)
        if kind == "geometry":
            return eqx.tree_at(lambda m: getattr(m, field), self, value)
        if kind == "celsius":
            return eqx.tree_at(lambda m: m.celsius, self, value)
        if kind == "state":
            return eqx.tree_at(lambda m: m.states[field], self, value)
        return eqx.tree_at(lambda m: getattr(m.channels[k], field), self, value)

    def _extent(self, name: str) -> int:
        """How many values quantity (or recording) `name` has: one per compartment."""
        return self.ncomp

    def _must_be_positive(self, kind: str, k: int | None, field: str) -> bool:
        """Whether a quantity (as classified by `_parse`) must be positive."""
        return kind == "geometry" and GEOMETRY[field][1]

    def _is_synaptic(self, name: str) -> bool:
        """Whether `name` is a quantity of synapses (one value per connection)."""
        return False

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
    def branch(self, index: "Index"):
        """Select branches: an int, a sequence of ints, a slice or ``"all"``.

        **Returns:** a selection whose edit methods return the updated whole module.
        """
        from .selection import View

        return View.of_branches(self, index)

    def group(self, name: str | int):
        """Select the branches of an SWC type: ``"soma"``, ``"axon"``, ``"basal"`` (or
        ``"dend"``), ``"apical"`` (or ``"apic"``), or a type id (``5`` for a custom type).

        **Raises:** `ValueError` for an unknown name, or if no branch has that type.
        """
        from .selection import View

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

    def comp(self, index: "Index"):
        """Select compartments by flat index (int, sequence, slice or ``"all"``)."""
        from .selection import View

        return View.of_comps(self, index)

    # ------------------------------------------------------------------ edits
    def set(self, name: str, value: ArrayLike, *, _where: np.ndarray | None = None):
        """Set a quantity everywhere (or on a selection) and return the new module.

        **Arguments:**

        - `name`: ``radius`` (µm), ``length`` (µm), ``axial_resistivity`` (Ω·cm),
          ``capacitance`` (µF/cm²), ``v`` (mV, the initial voltage), ``celsius`` (°C,
          whole module only), a channel parameter ``"<Channel>_<param>"`` or a channel
          state ``"<Channel>_<state>"``.
        - `value`: a scalar, or one value per selected compartment.

        **Raises:** `ValueError` for an unknown name, a non-finite value, or a
        non-positive geometric quantity.
        """
        kind, k, field = self._parse(name)
        check_value(name, value, positive=self._must_be_positive(kind, k, field))
        if kind == "celsius":
            if _where is not None and len(_where) != self.ncomp:
                raise ValueError("celsius applies to the whole module; set it without a selection.")
            if jnp.ndim(value) != 0:
                raise ValueError(f"celsius must be a scalar (°C), got shape {jnp.shape(value)}.")
            return self._replace(name, jnp.asarray(value, dtype=self.celsius.dtype))
        where = np.arange(self._extent(name)) if _where is None else _where
        shape = jnp.shape(value)
        if len(shape) > 1 or (len(shape) == 1 and shape[0] != len(where)):
            raise ValueError(
                f"set({name!r}): expected a scalar or {len(where)} values (one per selected "
                f"item), got shape {shape}."
            )
        return self._replace(name, scatter_set(self.get(name), where, value))

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
        k = self._channel_index(channel.name)
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
        module = self
        for s in channel.state_names:
            name = f"{channel.name}_{s}"
            module = module._replace(
                name, scatter_set(module.states[name], where, take(ss[s], where))
            )
        return module

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
        current = jnp.asarray(current)
        stim = Stimulus(indices=jnp.asarray(where), current=current)
        return eqx.tree_at(lambda m: m.stimuli, self, self.stimuli + (stim,))

    def record(self, name: str = "v", *, _where: np.ndarray | None = None):
        """Record `name` at every selected compartment (one output row each).

        `name` is ``v`` (mV), a channel state (``"HH_m"``) or a channel's current density
        ``"i_<Channel>"`` (mA/cm², outward positive).

        **Raises:** `ValueError` for an unknown name.
        """
        if name not in self.recordable_names():
            raise ValueError(
                f"Cannot record {name!r}. Recordable: {', '.join(self.recordable_names())}."
            )
        where = np.arange(self._extent(name)) if _where is None else _where
        rec = Recording(name=name, indices=jnp.asarray(where))
        return eqx.tree_at(lambda m: m.recordings, self, self.recordings + (rec,))

    def make_trainable(self, name: str, *, shared: bool = True, _where: np.ndarray | None = None):
        """Make a parameter trainable on the whole module (or a selection).

        **Arguments:**

        - `name`: any name accepted by `set` except ``celsius``.
        - `shared`: if ``True`` (default) one value is shared by all selected
          compartments; if ``False`` every selected compartment gets its own value.

        The values appear, in order, in `params()`.

        **Raises:** `ValueError` for an unknown name, or when `shared=True` but the
        selected compartments currently hold different values.
        """
        kind, _, _ = self._parse(name)
        if kind == "celsius":
            raise ValueError("celsius cannot be made trainable.")
        where = np.arange(self._extent(name)) if _where is None else _where
        if shared:
            current = self.get(name)
            if is_concrete(current) and np.unique(np.asarray(current)[where]).size > 1:
                raise ValueError(
                    f"make_trainable({name!r}, shared=True): the selected items hold "
                    "different values; set one value first or use shared=False."
                )
        tr = Trainable(name=name, shared=bool(shared), indices=jnp.asarray(where))
        return eqx.tree_at(lambda m: m.trainables, self, self.trainables + (tr,))

    def params(self) -> tuple[dict[str, Float[Array, "..."]], ...]:
        """The trainable values: one ``{name: value}`` dict per `make_trainable` call.

        A shared parameter's value is a scalar; a per-compartment one has one entry per
        selected compartment. Pass (an updated copy of) this to `integrate`.
        """
        out = []
        for tr in self.trainables:
            values = take(self.get(tr.name), tr.indices)
            out.append({tr.name: values[0] if tr.shared else values})
        return tuple(out)

    def check_params(self, params) -> None:
        """Check that `params` has the structure and shapes of `params()` (cheap, no copies).

        **Raises:** `ValueError` naming the mismatch, or a non-finite concrete value.
        """
        if not isinstance(params, (tuple, list)) or len(params) != len(self.trainables):
            raise ValueError(
                f"params do not match this module's trainables: expected a tuple of "
                f"{len(self.trainables)} dicts like module.params(), got {type(params).__name__}"
                + (f" of length {len(params)}." if isinstance(params, (tuple, list)) else ".")
            )
        for k, (tr, p) in enumerate(zip(self.trainables, params, strict=True)):
            if not isinstance(p, dict) or set(p) != {tr.name}:
                raise ValueError(
                    f"params do not match this module's trainables: entry {k} should be "
                    f"{{{tr.name!r}: value}}, got {p!r}."
                )
            shape = () if tr.shared else tr.indices.shape
            if jnp.shape(p[tr.name]) != shape:
                raise ValueError(
                    f"params value for {tr.name!r} has shape {jnp.shape(p[tr.name])}, "
                    f"expected {shape} ({'shared' if tr.shared else 'one per compartment'})."
                )
            check_value(f"params value for {tr.name!r}", p[tr.name])

    def apply_params(self, params) -> "AbstractModule":
        """Write trainable values (as returned by `params()`) into the module."""
        if params is None:
            return self
        self.check_params(params)
        module = self
        for tr, p in zip(self.trainables, params, strict=True):
            module = module._replace(
                tr.name, scatter_set(module.get(tr.name), tr.indices, p[tr.name])
            )
        return module

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
        from ..integrate import integrate

        return integrate(
            self,
            params,
            t_max=t_max,
            dt=dt,
            solver=solver,
            stepper=stepper,
            checkpoint_length=checkpoint_length,
        )
