"""The edits `set`, `insert`, `stimulate` and `record`, and measures of the tree.

`AbstractModule`'s methods of the same names call these; each returns a new module (via
`eqx.tree_at`) and works on concrete values (NumPy) and traced ones (JAX) alike. `where`
is the selection: compartment (or connection) indices, ``None`` for the whole module.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..channels.base import AbstractChannel
from ..channels.ion_use import parse, species_table
from ..experiments.clamps import place
from ..simulation.ions import ion_parameter_names
from ..simulation.model import Recording, Stimulus
from ..simulation.recording import synapse_group
from ..stimuli import Current
from .arrays import check_value, float_dtype, full, is_concrete, scatter_set, to_device
from .quantities import follow, replace, resolve


def extent(module, name: str) -> int:
    """How many values quantity or recording `name` has: compartments or connections."""
    k = synapse_group(name, module.synapses)
    return module.ncomp if k is None else module.connections[k].size


def set_value(module, name: str, value, where: np.ndarray | None):
    """`module` with quantity `name` set to `value` at `where` (see `AbstractModule.set`).
    Setting a channel state marks it explicit there (it no longer follows ``v``)."""
    q = resolve(module, name)
    q.check(value)
    if q.per == "module":
        if where is not None and len(where) != module.ncomp:
            raise ValueError("celsius applies to the whole module; set it without a selection.")
        if jnp.ndim(value) != 0:
            raise ValueError(f"celsius must be a scalar (°C), got shape {jnp.shape(value)}.")
        return replace(module, q.path, jnp.asarray(value, dtype=module.celsius.dtype))
    where = np.arange(extent(module, name)) if where is None else where
    shape = jnp.shape(value)
    if len(shape) > 1 or (len(shape) == 1 and shape[0] != len(where)):
        raise ValueError(
            f"set({name!r}): expected a scalar or {len(where)} values (one per selected "
            f"item), got shape {shape}."
        )
    if name in module.states:
        explicit = scatter_set(module.explicit_states[name], where, True)
        module = eqx.tree_at(
            lambda m: m.explicit_states, module, {**module.explicit_states, name: explicit}
        )
    return replace(module, q.path, scatter_set(follow(module, q.path), where, value))


def insert_channel(module, channel: AbstractChannel, where: np.ndarray | None):
    """`module` with `channel` inserted at `where` (see `AbstractModule.insert`)."""
    if not isinstance(channel, AbstractChannel):
        raise TypeError(f"insert() expects an AbstractChannel, got {type(channel).__name__}.")
    for p in channel.param_names():
        channel.check_param(p, getattr(channel, p))
    where = np.arange(module.ncomp) if where is None else where
    module = add_ions(module, channel)
    k = next((i for i, ch in enumerate(module.channels) if ch.name == channel.name), None)
    if k is None:
        broadcast = jax.tree.map(lambda x: full(module.ncomp, x), channel)
        mask = full(module.ncomp, False, dtype=bool)
        names = [f"{channel.name}_{s}" for s in channel.state_names]
        states = {**module.states, **{n: full(module.ncomp, 0.0) for n in names}}
        explicit = {**module.explicit_states, **{n: mask for n in names}}
        module = eqx.tree_at(
            lambda m: (m.channels, m.channel_masks, m.states, m.explicit_states),
            module,
            (module.channels + (broadcast,), module.channel_masks + (mask,), states, explicit),
        )
        k = len(module.channels) - 1
    elif type(module.channels[k]) is not type(channel):
        raise TypeError(f"A different channel class named {channel.name!r} is already inserted.")
    for p in channel.param_names():
        module = set_value(module, f"{channel.name}_{p}", getattr(channel, p), where)
    masks = list(module.channel_masks)
    masks[k] = scatter_set(masks[k], where, True)
    module = eqx.tree_at(lambda m: m.channel_masks, module, tuple(masks))
    # Re-inserting forgets explicitly set states: they start at the steady state.
    explicit = {
        n: scatter_set(module.explicit_states[n], where, False)
        for n in (f"{channel.name}_{s}" for s in channel.state_names)
    }
    return eqx.tree_at(lambda m: m.explicit_states, module, {**module.explicit_states, **explicit})


def add_ions(module, channel: AbstractChannel):
    """`module` with the reversal potential and concentrations of every ion species
    `channel` uses, at the species' defaults (NEURON's for ``na``, ``k``, ``ca``), for the
    species it does not hold yet."""
    table = species_table((*module.channels, channel))
    new = {}
    for name in ion_parameter_names((channel,)):
        if name not in module.ions:
            q = parse(name, table, channel.name)
            new[name] = full(module.ncomp, getattr(table[q.species], q.kind))
    if not new:
        return module
    return eqx.tree_at(lambda m: m.ions, module, {**module.ions, **new})


def sites(module, call: str, name: str, where: np.ndarray | None) -> np.ndarray:
    """The indices that edit `call` of quantity `name` applies to: `where`, or every site
    if the module has only one. On a module of more than one site, `stimulate` and
    `record` need a selection: edits return the whole module, so in
    ``sel.record("v").record("HH_m")`` the second call would record everywhere."""
    if where is not None:
        return where
    size = extent(module, name)
    if size > 1:
        group = synapse_group(name, module.synapses)
        if group is not None:
            syn = module.synapses[group].name
            hint = f"`net.synapse({syn!r}).{call}` for all its {size} connections"
        else:
            hint = (
                f"`module.branch(0).comp(0).{call}`, or `module.comp('all').{call}` "
                f"for all {size} compartments"
            )
        raise ValueError(
            f"{call} on a whole {type(module).__name__}: select where first, e.g. {hint}. "
            "Each edit returns the whole module, so in `sel.record('v').record('HH_m')` "
            "the second call would record everywhere: give several names at once "
            "instead, `sel.record('v', 'HH_m')`."
        )
    return np.arange(size)


def add_stimulus(module, current, where: np.ndarray | None):
    """`module` with `current` injected at `where` (see `AbstractModule.stimulate`)."""
    where = sites(module, "stimulate(...)", "v", where)
    dt = None
    if isinstance(current, Current):
        current, dt = current.values, current.dt
    check_value("stimulus current", current)
    xp = np if is_concrete(current) else jnp
    current = xp.asarray(current, dtype=float_dtype())
    if current.ndim == 1:
        current = xp.broadcast_to(current, (len(where), current.shape[0]))
    if current.ndim != 2 or current.shape[0] != len(where):
        raise ValueError(
            f"stimulate(): expected shape (ntime,) or ({len(where)}, ntime), got {current.shape}."
        )
    stim = Stimulus(indices=to_device(where), current=to_device(current), dt=dt)
    return eqx.tree_at(lambda m: m.stimuli, module, module.stimuli + (stim,))


def add_clamp(module, device, where: np.ndarray | None):
    """`module` with `device` clamping `where` (see `AbstractModule.clamp`)."""
    where = sites(module, "clamp(...)", "v", where)
    clamp = place(device, np.asarray(where))
    clamp = eqx.tree_at(lambda c: c.indices, clamp, to_device(np.asarray(where)))
    return eqx.tree_at(lambda m: m.clamps, module, module.clamps + (clamp,))


def add_recordings(module, names: tuple[str, ...], where: np.ndarray | None):
    """`module` recording each of `names` at `where` (see `AbstractModule.record`)."""
    for name in names or ("v",):
        if not isinstance(name, str) or name not in module.recordable_names():
            raise ValueError(
                f"Cannot record {name!r}. Recordable: {', '.join(module.recordable_names())}."
            )
        indices = sites(module, f"record({name!r})", name, where)
        rec = Recording(name=name, indices=to_device(indices))
        module = eqx.tree_at(lambda m: m.recordings, module, module.recordings + (rec,))
    return module


def path_distance(module, reference: int) -> np.ndarray:
    """Distances (µm) through the tree from compartment `reference`'s centre to every
    compartment's centre (see `AbstractModule.path_distance`)."""
    if not 0 <= reference < module.ncomp:
        raise ValueError(f"reference {reference} is not a compartment (0..{module.ncomp - 1}).")
    s = module.structure
    parent = np.asarray(s.tree.parent)
    node_to_comp = np.asarray(s.node_to_comp)
    half = np.where(node_to_comp >= 0, np.asarray(module.length)[node_to_comp] / 2, 0.0)
    parent_half = np.asarray(s.parent_half)
    # Length of each node's edge to its parent: its own half plus, within a branch, the
    # previous compartment's distal half.
    edge = half + np.where(parent_half >= 0, np.asarray(module.length)[parent_half] / 2, 0.0)
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
