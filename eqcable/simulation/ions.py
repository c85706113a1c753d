"""Ion quantities in the time loop, with NEURON's semantics.

A model holds, per compartment, the reversal potential and the two concentrations of
every species its mechanisms use (``ena``, ``nai``, ``nao``, …; `AbstractModel.ions`).
What the loop does with them follows NEURON's ion styles, compartment by compartment:

- where some mechanism *writes* a concentration (``ion_writes = ("cai",)``), that
  concentration is a state: it starts at the model's value and each step the mechanism
  integrates it;
- where some mechanism reads or writes a species' concentrations, its reversal potential
  is the Nernst potential of the present concentrations at the model's temperature (so a
  value set there is not used, as in NEURON); elsewhere it is the value set (default:
  NEURON's ``ena = 50``, ``ek = −77``, ``eca = 132.458`` mV);
- a species' current (``ica``) is the sum of the currents the mechanisms carrying it
  write, at the voltage at the start of the step.

NEURON starts a written concentration at a global value (``cai0_ca_ion``) at every
``finitialize``; eqcable starts it at the model's per-compartment value (`set("cai", …)`).
"""

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from ..channels.base import AbstractChannel
from ..channels.ion_use import ion_use, quantity_name, species_table, species_used
from ..channels.ions import nernst


class IonPlan(NamedTuple):
    """How the ion quantities of a model behave in its simulation (per compartment, in
    the order of the channels' arrays).

    - `valence`: the charge number of every species used.
    - `values`: the model's reversal potentials and concentrations (``"eca"``, ``"cai"``,
      …): fixed values, and the initial values of written concentrations.
    - `nernst`: per species whose concentrations some mechanism uses, where its reversal
      potential is their Nernst potential.
    - `written`: the concentrations some mechanism writes (states of the loop).
    - `currents`: the species currents the loop sums and carries (read by a mechanism,
      or recorded).
    """

    valence: dict[str, int]
    values: dict[str, Float[Array, " n"]]
    nernst: dict[str, Bool[Array, " n"]]
    written: tuple[str, ...]
    currents: tuple[str, ...]


def ion_plan(
    channels: tuple[AbstractChannel, ...],
    masks: tuple[Bool[Array, " n"], ...],
    values: dict[str, Float[Array, " n"]],
    recorded: tuple[str, ...] = (),
) -> IonPlan:
    """The `IonPlan` of `channels` inserted where `masks` say, with the model's ion
    `values`; `recorded` names the recordings (ion currents among them are carried)."""
    table = species_table(channels)
    valence, conc_users, written, read_currents = {}, {}, [], []
    for ch, mask in zip(channels, masks, strict=True):
        for s in species_used(ch, table):
            valence[s] = table[s].valence
        reads, writes = ion_use(ch, table)
        for q in (*reads, *writes):
            if q.kind in ("ci", "co"):
                conc_users.setdefault(q.species, []).append(mask)
        written += [quantity_name(*q) for q in writes if q.kind in ("ci", "co")]
        read_currents += [quantity_name(*q) for q in reads if q.kind == "i"]
    carried = [quantity_name(s, "i") for s in valence]
    carried = [q for q in carried if q in read_currents or q in recorded]
    nernst_masks = {}
    for s, ms in conc_users.items():
        any_mask = ms[0]
        for m in ms[1:]:
            any_mask = any_mask | m
        nernst_masks[s] = any_mask
    return IonPlan(
        valence=valence,
        values={k: x for k, x in values.items() if _species_of(k, valence) is not None},
        nernst=nernst_masks,
        written=tuple(dict.fromkeys(written)),
        currents=tuple(carried),
    )


def _species_of(name: str, valence: dict[str, int]) -> str | None:
    for s in valence:
        if name in (quantity_name(s, "e"), quantity_name(s, "ci"), quantity_name(s, "co")):
            return s
    return None


def initial_ions(plan: IonPlan, dtype) -> dict[str, Float[Array, " n"]]:
    """The ion quantities the loop carries at time 0: the written concentrations at
    their initial values, and zero currents."""
    n = next(iter(plan.values.values())).shape[0] if plan.values else 0
    carried = {q: plan.values[q].astype(dtype) for q in plan.written}
    return {**carried, **{q: jnp.zeros((n,), dtype) for q in plan.currents}}


def ion_values(
    plan: IonPlan, carried: dict[str, Float[Array, " n"]], celsius: Float[Array, ""]
) -> dict[str, Float[Array, " n"]]:
    """Every ion quantity of the model given what the loop carries: fixed values,
    concentrations, and reversal potentials (Nernst where concentrations are used)."""
    values = {**plan.values, **carried}
    for s, mask in plan.nernst.items():
        e = quantity_name(s, "e")
        ci, co = values[quantity_name(s, "ci")], values[quantity_name(s, "co")]
        values[e] = jnp.where(mask, nernst(ci, co, plan.valence[s], celsius), values[e])
    return values


def ion_parameter_names(mechanisms) -> tuple[str, ...]:
    """The reversal potential and concentrations (``"eca"``, ``"cai"``, ``"cao"``) of
    every species `mechanisms` use: the per-compartment values a model holds."""
    table = species_table(mechanisms)
    names = [
        quantity_name(s, k)
        for ch in mechanisms
        for s in species_used(ch, table)
        for k in ("e", "ci", "co")
    ]
    return tuple(dict.fromkeys(names))


def ion_quantity_names(channels: tuple[AbstractChannel, ...]) -> tuple[str, ...]:
    """The ion quantities of a model with these channels that can be recorded: the
    reversal potential and concentrations of every species used, and the current of
    every species some channel carries."""
    table = species_table(channels)
    names = list(ion_parameter_names(channels))
    for ch in channels:
        _, writes = ion_use(ch, table)
        names += [quantity_name(*q) for q in writes if q.kind == "i"]
    return tuple(dict.fromkeys(names))


def initial_ion_values(
    channels: tuple[AbstractChannel, ...],
    masks: tuple[Bool[Array, " n"], ...],
    values: dict[str, Float[Array, " n"]],
    celsius: Float[Array, ""],
) -> dict[str, Float[Array, " n"]]:
    """Every ion quantity at time 0 (the `values` set, reversal potentials from the
    concentrations where those set them), as the initial channel states see them."""
    plan = ion_plan(channels, masks, values)
    return ion_values(plan, initial_ions(plan, celsius.dtype), celsius)


def default_ion_reads(channel: AbstractChannel) -> dict[str, float]:
    """The ion quantities `channel` receives (those it reads and the concentrations it
    writes), at their species' defaults (0 for currents)."""
    table = species_table([channel])
    reads, writes = ion_use(channel, table)
    return {
        quantity_name(*q): 0.0 if q.kind == "i" else float(getattr(table[q.species], q.kind))
        for q in (*reads, *(w for w in writes if w.kind in ("ci", "co")))
    }
