"""Names of quantities (``"radius"``, ``"HH_gNa"``, ``"Exp2Syn_tau1"``) and where they live.

A name is resolved into a `Quantity`: its *path* in the module's pytree (field names,
indices and dict keys, e.g. ``("channels", 0, "gNa")``), whether it has a value per
compartment or per connection, and what values it accepts. Paths are plain tuples, so
they can be saved, and `where` turns one into the ``where`` function of `eqx.tree_at`.
"""

from typing import NamedTuple

import equinox as eqx
from jaxtyping import Array

from ..channels.ion_use import parse, species_table
from ..channels.parameter import UNBOUNDED, Bounds
from .arrays import check_value

# Per-compartment physical quantities every module has, with units and valid ranges.
POSITIVE = Bounds.of(gt=0.0)
GEOMETRY = {
    "radius": ("µm", POSITIVE),
    "length": ("µm", POSITIVE),
    "axial_resistivity": ("Ω·cm", POSITIVE),
    "capacitance": ("µF/cm²", POSITIVE),
    "v": ("mV", UNBOUNDED),
}
#: Units and valid ranges of ion quantities (`eqcable.channels.ion_use`), by kind.
ION_QUANTITIES = {"e": ("mV", UNBOUNDED), "ci": ("mM", POSITIVE), "co": ("mM", POSITIVE)}
#: The temperature (°C) must lie above absolute zero.
CELSIUS = ("°C", Bounds.of(gt=-273.15))

# Per-compartment shape factors (dimensionless): a compartment's true membrane area and the
# axial resistances of its proximal and distal halves, relative to those of the cylinder
# of its `radius` and `length`. 1 for cylinders; set from 3-D points by
# `Branch.from_points`, so that scaling `radius` or `length` scales the true geometry.
SHAPE = ("area_scale", "r_proximal_scale", "r_distal_scale")

Path = tuple[str | int, ...]

#: Names of earlier versions, and the quantity that replaced them.
RENAMED = {"HH_eNa": "ena", "HH_eK": "ek"}


class Quantity(NamedTuple):
    """A resolved quantity name.

    - `name`: the name, e.g. ``"HH_gNa"``.
    - `path`: where its array is in the module, e.g. ``("channels", 0, "gNa")``.
    - `per`: ``"compartment"``, ``"connection"`` (synapses) or ``"module"`` (celsius).
    - `unit`: its unit (``""`` if none is declared).
    - `bounds`: its valid range.
    - `differentiable`: whether it has a gradient (a spike threshold has none).
    """

    name: str
    path: Path
    per: str
    unit: str = ""
    bounds: Bounds = UNBOUNDED
    differentiable: bool = True

    def check(self, value, label: str | None = None) -> None:
        """Check a concrete `value` against the quantity's range (see `check_value`)."""
        check_value(label or self.name, value, self.bounds, self.unit)


def follow(tree, path: Path):
    """The node of `tree` at `path` (attributes, then indices or dict keys)."""
    for key in path:
        tree = tree[key] if isinstance(tree, (dict, tuple, list)) else getattr(tree, key)
    return tree


def where(path: Path):
    """The ``where`` function of `eqx.tree_at` for `path`."""
    return lambda module: follow(module, path)


def replace(module, path: Path, value: Array):
    """`module` with the array at `path` replaced by `value`."""
    return eqx.tree_at(where(path), module, value)


def _all(module) -> list[Quantity]:
    out = [Quantity(n, (n,), "compartment", *info) for n, info in GEOMETRY.items()]
    out.append(Quantity("celsius", ("celsius",), "module", *CELSIUS))
    for k, ch in enumerate(module.channels):
        out += [
            Quantity(f"{ch.name}_{p}", ("channels", k, p), "compartment", *ch.param_info(p))
            for p in ch.param_names()
        ]
    out += [Quantity(s, ("states", s), "compartment") for s in module.states]
    table = species_table(module.channels)
    for name in module.ions:
        kind = parse(name, table, "Module").kind
        out.append(Quantity(name, ("ions", name), "compartment", *ION_QUANTITIES[kind]))
    for k, c in enumerate(module.connections):
        syn = c.synapse
        for p in syn.param_names():
            out.append(
                Quantity(
                    f"{syn.name}_{p}",
                    ("connections", k, "synapse", p),
                    "connection",
                    *syn.param_info(p),
                    differentiable=p not in syn.nondifferentiable_params,
                )
            )
        out += [
            Quantity(f"{syn.name}_{s}", ("connections", k, "states", s), "connection")
            for s in syn.state_names
        ]
    return out


def quantity_names(module) -> tuple[str, ...]:
    """All names usable in `set` and `make_trainable` on `module`."""
    return tuple(q.name for q in _all(module))


def resolve(module, name: str) -> Quantity:
    """The `Quantity` called `name` in `module`.

    **Raises:** `TypeError` if `name` is not a string; `ValueError` naming the known
    quantities if there is none called `name`.
    """
    if not isinstance(name, str):
        raise TypeError(f"Quantity names are strings, got {name!r}.")
    for q in _all(module):
        if q.name == name:
            return q
    hint = ""
    if name in RENAMED:
        hint = f" HH reads the reversal potentials of the ion species now: use {RENAMED[name]!r}."
    raise ValueError(
        f"Unknown quantity {name!r}.{hint} Known: {', '.join(quantity_names(module))}."
    )
