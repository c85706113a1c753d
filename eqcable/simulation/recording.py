"""What can be recorded, and the recordings of one step, gathered at once.

Names (resolved once per simulation, never inside the loop):

- ``"v"``: membrane voltage (mV), per compartment;
- ``"<Channel>_<state>"`` (``"HH_m"``): a channel state, per compartment;
- ``"i_<Channel>"``: a channel's outward current density (mA/cm²), per compartment;
- ion quantities by NEURON's names (``"eca"`` mV, ``"cai"``/``"cao"`` mM, ``"ica"``
  mA/cm²), per compartment, for the species the channels use (a species' current where
  some channel carries it); a reversal potential is recorded as the Nernst potential of
  the recorded concentrations where those set it (NEURON records the one the step used,
  from the concentrations one step earlier);
- ``"i_membrane"``: the total membrane current (nA, outward positive: capacitive,
  channel and synaptic currents, not the electrodes'), per compartment, as NEURON's
  ``i_membrane_`` with ``cvode.use_fast_imem(1)``; the input of extracellular potentials;
- ``"i_clamp"``: the current of the voltage clamps on a compartment (nA, positive into
  the cell, as NEURON's ``SEClamp.i``; 0 without a clamp);
- ``"<Synapse>_<state>"``: a synapse state, per connection;
- ``"i_<Synapse>"``: a synapse's outward current (nA), per connection.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from ..channels.base import AbstractChannel
from ..channels.ion_use import UNITS, parse, species_table
from ..synapses.base import AbstractSynapse
from ..synapses.connections import Connections
from .ions import ion_quantity_names, ion_values
from .model import Recording
from .state import mechanism_states
from .step import Membrane

#: Recordable currents of each step (nA, per compartment) that the step computes.
STEP_CURRENTS = ("i_membrane", "i_clamp")


def recordable_names(
    channels: tuple[AbstractChannel, ...], connections: tuple[Connections, ...] = ()
) -> tuple[str, ...]:
    """Every name `record` accepts for a model with these channels and synapse groups."""
    names = ["v", *STEP_CURRENTS]
    names += [f"{ch.name}_{s}" for ch in channels for s in ch.state_names]
    names += [f"i_{ch.name}" for ch in channels]
    names += list(ion_quantity_names(channels))
    for c in connections:
        names += [f"{c.synapse.name}_{s}" for s in c.synapse.state_names]
        names.append(f"i_{c.synapse.name}")
    return tuple(names)


def recording_unit(
    name: str,
    channels: tuple[AbstractChannel, ...],
    synapses: tuple[AbstractSynapse, ...] = (),
) -> str:
    """The unit of recording `name`: ``"mV"`` for ``v``, ``"mA/cm²"`` for a channel's
    current density, ``"nA"`` for a synapse's current, a state's declared unit
    (`state_units`), else ``"1"`` (dimensionless)."""
    if name == "v":
        return "mV"
    if name in STEP_CURRENTS:
        return "nA"
    if name in ion_quantity_names(channels):
        table = species_table(channels)
        return UNITS[parse(name, table, "recording").kind]
    k = synapse_group(name, synapses)
    if name.startswith("i_"):
        return "mA/cm²" if k is None else "nA"
    for mech in channels if k is None else (synapses[k],):
        state = name.removeprefix(f"{mech.name}_")
        if state != name and state in mech.state_names:
            return mech.state_units.get(state, "1")
    raise ValueError(f"{name!r} is not a recordable name.")


def synapse_group(name: str, synapses: tuple[AbstractSynapse, ...]) -> int | None:
    """The index of the synapse group (among `synapses`, one per group) that a name
    belongs to (``"i_<Synapse>"``, or a synapse state or parameter), or ``None`` for a
    per-compartment quantity."""
    for k, syn in enumerate(synapses):
        field = name.removeprefix(f"{syn.name}_")
        own = field != name and field in (*syn.state_names, *syn.param_names())
        if own or name == f"i_{syn.name}":
            return k
    return None


class Recorder:
    """The recordings of a model, planned once; calling it gives one step's values.

    Recordings of the same quantity share one source array (the voltage of every node,
    say); the rows of all recordings are then taken from the sources by one gather, in
    the order of the `record` calls.
    """

    def __init__(self, recordings: tuple[Recording, ...], membrane: Membrane, wirings, system):
        self.membrane = membrane
        self.membrane_node = system.membrane_node
        self.wirings = wirings
        synapses = tuple(w.synapse for w in wirings)
        by_name: dict[str, list[Int[Array, " k"]]] = {}
        for rec in recordings:
            by_name.setdefault(rec.name, []).append(rec.indices)
        self.sources = []  # (name, synapse group or None, nodes to compute a current at)
        rows, offset = {}, 0
        for name, parts in by_name.items():
            group = synapse_group(name, synapses)
            at = None
            if group is not None:  # per connection
                size = wirings[group].post_node.shape[0]
                rows[name] = [offset + i for i in parts]
            elif name in STEP_CURRENTS or name == "v":  # per node
                size = system.node_comp.shape[0]
                rows[name] = [offset + system.comp_to_node[i] for i in parts]
            elif name.startswith("i_"):  # a channel current, computed where recorded
                at = system.comp_membrane[jnp.concatenate(parts)]
                size = at.shape[0]
                starts = offset + np.cumsum([0, *(i.shape[0] for i in parts)])[:-1]
                rows[name] = [
                    jnp.arange(a, a + i.shape[0]) for a, i in zip(starts, parts, strict=True)
                ]
            else:  # a channel state or ion quantity, on every compartment in membrane order
                size = system.comp_to_node.shape[0]
                rows[name] = [offset + system.comp_membrane[i] for i in parts]
            self.sources.append((name, group, at))
            offset += size
        taken = {name: iter(r) for name, r in rows.items()}
        self.rows = jnp.concatenate([next(taken[rec.name]) for rec in recordings])

    def __call__(self, v, states, ions, syn, sigs, currents) -> Float[Array, " nrows"]:
        """The recorded values after a step: voltage `v`, channel `states`, `ions`,
        synapse states `syn`, the presynaptic signals `sigs` the step received, and the
        step's `currents` per node (`STEP_CURRENTS`)."""
        values = [
            currents[src[0]]
            if src[0] in STEP_CURRENTS
            else self._source(*src, v, states, ions, syn, sigs)
            for src in self.sources
        ]
        flat = values[0] if len(values) == 1 else jnp.concatenate(values)
        return flat[self.rows]

    def _source(self, name, group, at, v, states, ions, syn, sigs):
        if group is not None:
            w, st = self.wirings[group], syn[group]
            if name.startswith("i_"):
                return w.synapse.current(st, sigs[group], v[w.post_node])
            return st[name.removeprefix(f"{w.synapse.name}_")]
        if name == "v":
            return v
        if at is None:
            if name in states:
                return states[name]
            return ion_values(self.membrane.ions, ions, self.membrane.celsius)[name]
        m = self.membrane
        k = [ch.name for ch in m.channels].index(name.removeprefix("i_"))
        ch = jax.tree.map(lambda x: x[at], m.channels[k])
        own = (f"{ch.name}_{n}" for n in ch.state_names)
        local = {key: states[key][at] for key in own}
        values = ion_values(self.membrane.ions, ions, self.membrane.celsius)
        st = mechanism_states(ch, local, {q: x[at] for q, x in values.items()})
        if ch.reads_celsius:
            st = {**st, "celsius": self.membrane.celsius}
        return jnp.where(m.masks[k][at], ch.current(st, v[self.membrane_node[at]]), 0.0)
