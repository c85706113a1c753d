"""Save a model to one self-describing file, and load it back bit for bit.

The file is a zip archive with two members:

- ``spec.json``: what the model *is*: the eqcable version and file-format version, the
  module class, the tree (compartments per branch, parents, attachment positions, SWC
  types), the channels and synapses (their classes, by name), the names of the states, the
  shapes of stimuli, recordings and trainables, the float type, the units, and a SHA-256
  checksum of the leaves;
- ``leaves.eqx``: every array, written by `eqx.tree_serialise_leaves`.

Loading rebuilds an empty model from the spec and fills it with the saved arrays, so a
loaded model equals the saved one exactly. Files are written atomically (a temporary file
renamed into place), so an interrupted save never leaves a half-written file where a good
one was.

Loading never runs code named by the file. A model file is data shared between people, so
`load` only *looks up* the mechanism classes the spec names: among eqcable's own channels
and synapses, and among the classes the caller passes in ``classes=``. It imports nothing;
a file that names any other class is refused with a `ModelFileError`.
"""

import dataclasses
import importlib.metadata
import io
import os
from collections.abc import Iterable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..channels.base import AbstractChannel
from ..experiments.clamps import Clamp
from ..modules.base import AbstractModule
from ..modules.branch import Branch
from ..modules.cell import Cell, cell_of_sizes
from ..modules.compartment import Compartment
from ..modules.network import Network
from ..modules.parameters import Trainable
from ..modules.quantities import RENAMED, follow, resolve
from ..simulation.ions import ion_parameter_names
from ..simulation.model import Recording, Stimulus
from ..synapses.base import AbstractSynapse
from ..synapses.connections import Connections
from ..synapses.inputs import SpikeTrain
from .archive import read_archive, write_archive
from .clamp_spec import clamp_spec, clamp_template
from .legacy import hh_after_ion_layer, hh_before_ion_layer

FORMAT = 1
SPEC = "spec.json"
_CLASSES = {"Compartment": Compartment, "Branch": Branch, "Cell": Cell, "Network": Network}
UNITS = {
    "radius": "um",
    "length": "um",
    "axial_resistivity": "ohm*cm",
    "capacitance": "uF/cm2",
    "v": "mV",
    "celsius": "degC",
    "channel conductances": "S/cm2",
    "channel reversal potentials": "mV",
    "stimuli": "nA",
    "synaptic conductances": "uS",
    "synaptic delays": "ms",
    "spike times": "ms",
}


class ModelFileError(ValueError):
    """A model file that cannot be loaded: corrupt, from another format, or inconsistent."""


def _version() -> str:
    try:
        return importlib.metadata.version("eqcable")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        return "0.0.0+unknown"


def _class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _subclasses(base: type) -> list[type]:
    found, todo = [], list(base.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _known_classes(classes: Iterable[type]) -> dict[str, type]:
    """The mechanism classes a model file may name: eqcable's own channels and synapses,
    and `classes`, by their ``module.qualname``."""
    classes = list(classes)
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, (AbstractChannel, AbstractSynapse))):
            raise TypeError(
                f"load(classes=...) takes channel and synapse classes (subclasses of "
                f"AbstractChannel or AbstractSynapse), got {cls!r}."
            )
    own = [
        cls
        for base in (AbstractChannel, AbstractSynapse)
        for cls in _subclasses(base)
        if cls.__module__.split(".")[0] == "eqcable"
    ]
    return {_class_path(cls): cls for cls in own + classes}


def _static_fields(obj) -> dict:
    """The static (non-array) dataclass fields of a mechanism, e.g. options."""
    return {
        f.name: getattr(obj, f.name)
        for f in dataclasses.fields(obj)
        if f.metadata.get("static", False)
    }


def _network_spec(net: Network) -> dict:
    return {
        "cell_nbranches": list(net.cell_nbranches),
        "connections": [
            {
                "name": c.synapse.name,
                "class": _class_path(type(c.synapse)),
                "static": _static_fields(c.synapse),
                "delay": list(c.delay),
                "states": list(c.states),
            }
            for c in net.connections
        ],
        "inputs": [[int(t.times.shape[0]), t.v_rest, t.v_peak, t.width] for t in net.inputs],
    }


def _spec(module: AbstractModule) -> dict:
    network = _network_spec(module) if isinstance(module, Network) else None
    return {
        "format": FORMAT,
        "eqcable_version": _version(),
        "class": type(module).__name__,
        "dtype": str(module.radius.dtype),
        "ncomp_per_branch": list(module.ncomp_per_branch),
        "branch_parents": list(module.branch_parents),
        "branch_parent_x": list(module.branch_parent_x),
        "branch_types": list(module.branch_types),
        "channels": [
            {"name": ch.name, "class": _class_path(type(ch)), "static": _static_fields(ch)}
            for ch in module.channels
        ],
        "network": network,
        "states": sorted(module.states),
        "explicit_states": sorted(module.explicit_states),
        "ions": sorted(module.ions),
        "stimuli": [[*s.current.shape, s.dt] for s in module.stimuli],
        "clamps": [clamp_spec(c) for c in module.clamps],
        "recordings": [[r.name, int(r.indices.shape[0])] for r in module.recordings],
        "trainables": [
            [t.name, t.shared, int(t.indices.shape[0]), list(t.path)] for t in module.trainables
        ],
        "units": UNITS,
    }


def save(path: str | os.PathLike, module: AbstractModule) -> None:
    """Save `module` (its structure, values, stimuli, recordings and trainables) to `path`.

    The write is atomic: the file appears complete or not at all, and a file already at
    `path` stays as it was until the new one is whole.

    **Raises:** `TypeError` if `module` is not a `Compartment`, `Branch`, `Cell` or
    `Network`; `FileNotFoundError` naming the folder if `path`'s folder does not exist.
    """
    if type(module) not in _CLASSES.values():
        raise TypeError(
            f"save() expects a Compartment, Branch, Cell or Network, got {type(module)}."
        )
    buffer = io.BytesIO()
    eqx.tree_serialise_leaves(buffer, module)
    write_archive(path, SPEC, _spec(module), buffer.getvalue())


def _template(entry: dict, base: type, size: int, dtype, path, known: dict[str, type]):
    """A mechanism of the class named in `entry` (looked up in `known`, never imported),
    every parameter ``size`` zeros."""
    name = entry.get("class")
    cls = known.get(name) if isinstance(name, str) else None
    if cls is None and isinstance(name, str):
        # A class saved from one module (e.g. a notebook's __main__) and passed from
        # another: accept it when exactly one passed class has that qualified name.
        qualname = name.rpartition(".")[2]
        same = {c for p, c in known.items() if p.rpartition(".")[2] == qualname}
        same = [c for c in same if c.__module__.split(".")[0] != "eqcable"]
        cls = same[0] if len(same) == 1 else None
    if cls is None:
        raise ModelFileError(
            f"{path}: the file names the class {name!r}, which is neither one of eqcable's "
            "channels or synapses nor a class passed to load(); if you trust the file and "
            "have that class, pass it: load(path, classes=[TheClass]). Nothing was imported."
        )
    if not issubclass(cls, base):
        raise ModelFileError(f"{path}: {entry['class']} is not an {base.__name__}.")
    try:
        template = cls(**entry.get("static", {}))
    except TypeError as e:
        raise ModelFileError(f"{path}: cannot build {entry['class']}() ({e}).") from None
    return jax.tree.map(lambda _: jnp.zeros((size,), dtype), template)


def _connections(spec: dict, dtype, path, known: dict[str, type]) -> tuple:
    net = spec["network"]
    groups = []
    for entry in net["connections"]:
        n = len(entry["delay"])
        groups.append(
            Connections(
                synapse=_template(entry, AbstractSynapse, n, dtype, path, known),
                pre=jnp.zeros((n,), jnp.int32),
                post=jnp.zeros((n,), jnp.int32),
                states={s: jnp.zeros((n,), dtype) for s in entry["states"]},
                delay=tuple(float(d) for d in entry["delay"]),
            )
        )
    inputs = tuple(
        SpikeTrain(np.zeros(n), v_rest=v_rest, v_peak=v_peak, width=width)
        for n, v_rest, v_peak, width in net["inputs"]
    )
    return tuple(groups), inputs


def _tree(spec: dict) -> AbstractModule:
    """A module of the spec's class and tree, built by its public constructor."""
    ncomp, parents = spec["ncomp_per_branch"], spec["branch_parents"]
    parent_x, types = spec["branch_parent_x"], spec["branch_types"]

    def cell(first: int, last: int) -> Cell:
        shift = [p - first if p >= 0 else -1 for p in parents[first:last]]
        return cell_of_sizes(ncomp[first:last], shift, parent_x[first:last], types[first:last])

    if spec["class"] == "Compartment":
        return Compartment()
    if spec["class"] == "Branch":
        return Branch(Compartment(), ncomp[0])
    if spec["class"] == "Cell":
        return cell(0, len(ncomp))
    ends = np.cumsum([0, *spec["network"]["cell_nbranches"]])
    return Network([cell(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:], strict=True)])


def _trainable(module: AbstractModule, entry: list, index) -> Trainable:
    name, shared, k = entry[:3]
    # Files before HH read the ion layer name its reversal potentials "HH_eNa", "HH_eK".
    name = RENAMED.get(name, name)
    # Files before paths were saved name only the quantity: resolve it once, here.
    keys = entry[3] if len(entry) > 3 and name not in RENAMED.values() else None
    keys = resolve(module, name).path if keys is None else keys
    if not all(isinstance(x, (str, int)) for x in keys):
        raise ModelFileError(f"trainable {name!r} has a malformed path {keys!r}.")
    follow(module, tuple(keys))  # the path must exist in the model
    return Trainable(name=name, shared=bool(shared), indices=index(k), path=tuple(keys))


def _stimulus(entry, index, zeros) -> Stimulus:
    # [k, ntime, dt]; files written before stimuli kept their dt hold [k, ntime].
    k, t, *dt = entry
    return Stimulus(indices=index(k), current=zeros(k, t), dt=dt[0] if dt else None)


def _clamp(entry, index, zeros, path) -> Clamp:
    try:
        return clamp_template(entry, index, zeros)
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"{path}: malformed clamp entry {entry!r} ({e}).") from None


def _skeleton(spec: dict, path, known: dict[str, type]) -> AbstractModule:
    """An empty model with the structure the spec describes (values to be filled in)."""
    dtype = jnp.dtype(spec["dtype"])
    ncomp = sum(spec["ncomp_per_branch"])
    zeros = lambda *shape: jnp.zeros(shape, dtype)  # noqa: E731
    index = lambda k: jnp.zeros((k,), jnp.int64 if jax.config.jax_enable_x64 else jnp.int32)  # noqa: E731
    channels = [_template(e, AbstractChannel, ncomp, dtype, path, known) for e in spec["channels"]]
    # Files before the ion layer hold none: their mechanisms' species, at the defaults.
    ions = spec.get("ions", ion_parameter_names(channels))
    module = eqx.tree_at(
        lambda m: (
            m.celsius,
            m.channels,
            m.channel_masks,
            m.states,
            m.explicit_states,
            m.ions,
            m.stimuli,
            m.clamps,
            m.recordings,
        ),
        _tree(spec),
        (
            zeros(),
            tuple(channels),
            tuple(jnp.zeros((ncomp,), bool) for _ in channels),
            {name: zeros(ncomp) for name in spec["states"]},
            {name: jnp.zeros((ncomp,), bool) for name in spec.get("explicit_states", [])},
            {name: zeros(ncomp) for name in ions},
            tuple(_stimulus(e, index, zeros) for e in spec["stimuli"]),
            tuple(_clamp(e, index, zeros, path) for e in spec.get("clamps", [])),
            tuple(Recording(name=name, indices=index(k)) for name, k in spec["recordings"]),
        ),
    )
    if spec["class"] == "Network":
        groups, inputs = _connections(spec, dtype, path, known)
        module = eqx.tree_at(lambda m: (m.connections, m.inputs), module, (groups, inputs))
    trainables = tuple(_trainable(module, e, index) for e in spec["trainables"])
    return eqx.tree_at(lambda m: m.trainables, module, trainables)


def _structure_before_run_layout(structure):
    """Arrays shaped as a file written before the run layout holds the structure: the
    same tree, numbered without padding nodes, with four `TreeSchedule` arrays."""
    tree = structure.tree
    n2c = np.asarray(structure.node_to_comp)
    has_edge = np.zeros(n2c.shape, bool)
    has_edge[np.asarray(tree.all_children)] = has_edge[np.asarray(tree.all_parents)] = True
    nodes = np.zeros(int(np.sum((n2c >= 0) | has_edge)), np.int64)
    return (structure.comp_to_node, nodes, nodes, (nodes, *(tree.all_children,) * 2, tree.levels))


def _deserialise(leaves: bytes, skeleton: AbstractModule) -> AbstractModule:
    """The module in `leaves`. The tree's integer structure is always the one built from
    the spec (`skeleton`'s): files written before the run layout (2026-12) hold it in
    the older numbering, which is read past and replaced."""
    try:
        module = eqx.tree_deserialise_leaves(io.BytesIO(leaves), skeleton)
    except Exception:
        old = _structure_before_run_layout(skeleton.structure)
        older = eqx.tree_at(lambda m: m.structure, skeleton, old)
        module = eqx.tree_deserialise_leaves(io.BytesIO(leaves), older)
    return eqx.tree_at(lambda m: m.structure, module, skeleton.structure)


def load(path: str | os.PathLike, classes: Iterable[type] = ()) -> AbstractModule:
    """Load a model saved with `save`, exactly as it was saved.

    Loading never imports a module or runs code named by the file: the channel and
    synapse classes the file names are looked up among eqcable's own and among
    `classes`.

    **Arguments:**

    - `path`: the model file.
    - `classes`: your own channel and synapse classes (subclasses of `AbstractChannel` or
      `AbstractSynapse`) that the model uses, e.g. ``load(path, classes=[MyChannel])``.
      A class is matched by its module and qualified name as saved; failing that, by its
      qualified name alone when exactly one of `classes` has it (a class saved from a
      notebook and loaded from a module).

    **Raises:** `ModelFileError` (a `ValueError`) if the file is not an eqcable model,
    is corrupt (checksum), comes from an unknown format version, names a class that is
    neither eqcable's nor in `classes`, or its arrays do not match its spec;
    `FileNotFoundError` if there is no such file; `TypeError` if `classes` holds
    something that is not a channel or synapse class.
    """
    known = _known_classes(classes)
    spec, leaves = read_archive(path, SPEC, FORMAT, ModelFileError, "eqcable model file")
    if not isinstance(spec.get("class"), str) or spec["class"] not in _CLASSES:
        raise ModelFileError(f"{path}: unknown module class {spec.get('class')!r}.")
    if spec.get("dtype") not in ("float32", "float64"):
        raise ModelFileError(f"{path}: unknown float type {spec.get('dtype')!r}.")
    if jnp.dtype(spec["dtype"]) != jnp.result_type(float):
        raise ModelFileError(
            f"{path} holds {spec['dtype']} values but JAX is set to {jnp.result_type(float)}; "
            "set jax_enable_x64 accordingly before loading."
        )
    skeleton = _skeleton(spec, path, known)
    try:
        if "ions" in spec:
            module = _deserialise(leaves, skeleton)
        else:
            module = hh_after_ion_layer(_deserialise(leaves, hh_before_ion_layer(skeleton)))
    except ModelFileError:
        raise
    except Exception as e:  # a spec that does not describe these arrays
        raise ModelFileError(f"{path}: the arrays do not match the spec ({e}).") from None
    if "explicit_states" not in spec:
        # Written before states followed the initial voltage: the saved states are the
        # ones that file's model started from, so they all stay explicit.
        explicit = {n: jnp.ones(x.shape, bool) for n, x in module.states.items()}
        module = eqx.tree_at(lambda m: m.explicit_states, module, explicit)
    return module
