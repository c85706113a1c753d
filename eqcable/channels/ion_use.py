"""Which ion quantities a mechanism reads and writes, by NEURON's names.

Each ion species ``X`` has four quantities per compartment, named as in NEURON (for
``ca``: ``eca``, ``cai``, ``cao``, ``ica``):

- ``eX``: the reversal potential (mV);
- ``Xi``, ``Xo``: the internal and external concentrations (mM);
- ``iX``: the species' membrane current density (mA/cm², outward positive), the sum of
  what every mechanism carrying it writes.

A mechanism lists the ones it reads in `ion_reads` and the ones it writes in
`ion_writes` (currents it carries, or concentrations it integrates); see
`eqcable.AbstractChannel`. The species are NEURON's ``na``, ``k`` and ``ca``
(`NEURON_IONS`) and any a mechanism declares in its `ion_species`.
"""

from collections.abc import Iterable
from typing import NamedTuple

from .ions import NEURON_IONS, Ion

#: The kinds of ion quantity: reversal potential, internal and external concentration,
#: current.
KINDS = ("e", "ci", "co", "i")
UNITS = {"e": "mV", "ci": "mM", "co": "mM", "i": "mA/cm²"}


class IonQuantity(NamedTuple):
    """An ion quantity: its `species` (e.g. ``"ca"``) and `kind` (one of `KINDS`)."""

    species: str
    kind: str


def quantity_name(species: str, kind: str) -> str:
    """NEURON's name of quantity `kind` of `species` (``("ca", "ci")`` → ``"cai"``)."""
    return {"e": f"e{species}", "ci": f"{species}i", "co": f"{species}o", "i": f"i{species}"}[kind]


def species_table(mechanisms: Iterable) -> dict[str, Ion]:
    """NEURON's species and those the `mechanisms` declare (`ion_species`), by name.

    **Raises:** `ValueError` if a mechanism redefines a species differently.
    """
    table = dict(NEURON_IONS)
    for mech in mechanisms:
        for name, ion in getattr(mech, "ion_species", {}).items():
            if not isinstance(ion, Ion):
                raise TypeError(
                    f"{type(mech).__name__}.ion_species[{name!r}] must be an eqcable.Ion, "
                    f"got {ion!r}."
                )
            if name in table and table[name] != ion:
                raise ValueError(
                    f"{type(mech).__name__} declares the ion species {name!r} as {ion}, "
                    f"but it is already {table[name]}."
                )
            table[name] = ion
    return table


def parse(name: str, table: dict[str, Ion], who: str) -> IonQuantity:
    """The species and kind of ion quantity `name` among the species of `table`.

    **Raises:** `ValueError` naming `who` (the mechanism) if `name` is no quantity of
    these species, or more than one.
    """
    found = [IonQuantity(s, k) for s in table for k in KINDS if quantity_name(s, k) == name]
    if len(found) == 1:
        return found[0]
    if not found:
        known = ", ".join(quantity_name(s, k) for s in table for k in KINDS)
        raise ValueError(
            f"{who} names the ion quantity {name!r}, which belongs to no known species "
            f"(known: {known}). Declare a new species in the class's `ion_species`, e.g. "
            "ion_species = {'x': ec.Ion(valence=1, ci=1.0, co=1.0, e=0.0)}."
        )
    raise ValueError(f"{who}: the ion quantity {name!r} is ambiguous: {found}.")


def ion_use(mechanism, table: dict[str, Ion]) -> tuple[list[IonQuantity], list[IonQuantity]]:
    """The quantities `mechanism` reads and writes, checked.

    **Raises:** `ValueError` for an unknown quantity, or a reversal potential written (its
    value comes from the concentrations or is set; no mechanism writes it).
    """
    who = type(mechanism).__name__
    reads = [parse(q, table, who) for q in mechanism.ion_reads]
    writes = [parse(q, table, who) for q in mechanism.ion_writes]
    for q, name in zip(writes, mechanism.ion_writes, strict=True):
        if q.kind == "e":
            raise ValueError(
                f"{who} writes {name!r}: a reversal potential is computed from the "
                "concentrations (where a mechanism reads or writes them) or set with "
                f"set({name!r}, ...); no mechanism writes it."
            )
    return reads, writes


def species_used(mechanism, table: dict[str, Ion]) -> tuple[str, ...]:
    """The species whose quantities `mechanism` reads or writes, in order."""
    reads, writes = ion_use(mechanism, table)
    return tuple(dict.fromkeys(q.species for q in (*reads, *writes)))
