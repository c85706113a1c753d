"""Hay et al. (2011)'s layer-5b pyramidal cell on any SWC morphology.

Hay, Hill, Schürmann, Markram and Segev (2011), *Models of neocortical layer 5b pyramidal
cells capturing a wide range of dendritic and perisomatic active properties*, PLoS Comput
Biol 7:e1002107 (ModelDB 139653): the model constrained by both BAC firing and current
steps (``L5PCbiophys3.hoc``), with the catalogue's channels ([`eqcable.channels.bbp`][]).

Per SWC type (all: Ra = 100 Ω·cm, leak reversal −90 mV, ``ena`` = 50 mV, ``ek`` = −85 mV):

- soma (cm 1 µF/cm²): leak 3.38e-5; NaTa_t 2.04, Nap_Et2 0.00172, K_Pst 0.00223,
  K_Tst 0.0812, SKv3_1 0.693, SK_E2 0.0441, Ca_HVA 0.000992, Ca_LVAst 0.00343, Ih 0.0002
  (S/cm²); CaDynamics_E2 with gamma 0.000501, decay 460 ms;
- apical (cm 2): leak 5.89e-5; NaTa_t 0.0213, SKv3_1 0.000261, SK_E2 0.0012, Im 6.75e-5;
  Ih, Ca_HVA and Ca_LVAst by distance (below); CaDynamics_E2 with gamma 0.000509,
  decay 122 ms;
- basal (cm 2): leak 4.67e-5; Ih 0.0002;
- axon (cm 1): leak 3.25e-5; the reconstructed axon is replaced by a stub.

Along the apical tree, with ``d`` the path distance (µm) of a compartment's centre from
the point where the (first) apical dendrite leaves the soma and ``D`` the largest such
distance to an apical tip:

- Ih rises exponentially: ``gIhbar = 0.0002 · (−0.8696 + 2.087 · exp(3.6161 · d/D))``;
- the calcium "hot zone": ``gCa_LVAstbar = 0.0187`` and ``gCa_HVAbar = 0.000555`` where
  685 < d < 885 µm, 100 and 10 times less elsewhere.

Hay et al.'s hoc measures ``d`` from the same point (its ``distribute_channels`` leaves
NEURON's distance origin at ``apic[0](0)``) and evaluates the rules in a ``for (x)``
loop, whose last iteration (x = 1) gives each section's last segment the value at the
section's end rather than at the segment's centre. By default every compartment gets the
value at its centre; ``hay_l5pc(..., section_ends=True)`` reproduces the hoc.
"""

import os
from collections.abc import Sequence

import numpy as np

from ..channels import (
    SK_E2,
    Ca_HVA,
    Ca_LVAst,
    CaDynamics_E2,
    Ih,
    Im,
    K_Pst,
    K_Tst,
    Leak,
    Nap_Et2,
    NaTa_t,
    SKv3_1,
)
from ..modules import Cell, DLambda, MaxLength, cell_from_sections
from ..morphology.axon import replace_axon
from ..morphology.import3d import import3d_sections
from ..morphology.swc import read_swc_samples

SOMA, AXON, BASAL, APICAL = 1, 2, 3, 4

#: Axial resistivity (Ω·cm) everywhere, and the membrane capacitance (µF/cm²) per SWC type.
AXIAL_RESISTIVITY = 100.0
CAPACITANCE = {SOMA: 1.0, AXON: 1.0, BASAL: 2.0, APICAL: 2.0}

#: The mechanisms of each SWC type at their uniform densities (Hay et al.'s
#: ``L5PCbiophys3.hoc``); Ih, Ca_HVA and Ca_LVAst on the apical tree are then set by
#: distance (`ih_density`, `hot_zone_density`).
MECHANISMS = {
    SOMA: (
        Leak(gLeak=3.38e-5, eLeak=-90.0),
        Ca_LVAst(gCa_LVAstbar=0.00343),
        Ca_HVA(gCa_HVAbar=0.000992),
        SKv3_1(gSKv3_1bar=0.693),
        SK_E2(gSK_E2bar=0.0441),
        K_Tst(gK_Tstbar=0.0812),
        K_Pst(gK_Pstbar=0.00223),
        Nap_Et2(gNap_Et2bar=0.00172),
        NaTa_t(gNaTa_tbar=2.04),
        CaDynamics_E2(gamma=0.000501, decay=460.0),
        Ih(gIhbar=0.0002),
    ),
    APICAL: (
        Leak(gLeak=5.89e-5, eLeak=-90.0),
        Ih(gIhbar=0.0002),
        SK_E2(gSK_E2bar=0.0012),
        Ca_LVAst(gCa_LVAstbar=0.0187),
        Ca_HVA(gCa_HVAbar=0.000555),
        SKv3_1(gSKv3_1bar=0.000261),
        NaTa_t(gNaTa_tbar=0.0213),
        Im(gImbar=6.75e-5),
        CaDynamics_E2(gamma=0.000509, decay=122.0),
    ),
    BASAL: (Leak(gLeak=4.67e-5, eLeak=-90.0), Ih(gIhbar=0.0002)),
    AXON: (Leak(gLeak=3.25e-5, eLeak=-90.0),),
}

#: Reversal potentials (mV) of sodium and potassium, and the temperature (°C).
ENA, EK, CELSIUS = 50.0, -85.0, 34.0
#: The default discretisation: NEURON's d_lambda rule at 100 Hz, 0.1 λ.
D_LAMBDA = DLambda(0.1, 100.0)
#: The axon stub's two sections: length and diameter (µm).
STUB_LENGTH, STUB_DIAMETER = 30.0, 1.0
#: The calcium hot zone (µm from the apical dendrite's origin).
HOT_ZONE = (685.0, 885.0)


def ih_density(relative_distance: np.ndarray) -> np.ndarray:
    """Hay et al.'s apical Ih density (S/cm²) at `relative_distance` = d/D (0 at the
    apical origin, 1 at the farthest apical tip)."""
    return 0.0002 * (-0.8696 + 2.087 * np.exp(3.6161 * np.asarray(relative_distance)))


def hot_zone_density(distance: np.ndarray, peak: float, outside: float) -> np.ndarray:
    """`peak` (S/cm²) where ``685 < distance < 885`` µm, ``outside · peak`` elsewhere."""
    distance = np.asarray(distance)
    inside = (distance > HOT_ZONE[0]) & (distance < HOT_ZONE[1])
    return np.where(inside, peak, outside * peak)


def _branch_descendants(parents: Sequence[int], root: int) -> np.ndarray:
    inside = np.zeros(len(parents), dtype=bool)
    inside[root] = True
    for b, p in enumerate(parents):  # parents come before their children
        if p >= 0 and inside[p]:
            inside[b] = True
    return inside


def apical_distance(cell: Cell) -> tuple[np.ndarray, float]:
    """Path distances (µm) of every compartment's centre from the start of the first
    apical branch (where the apical dendrite leaves the soma), and the largest distance
    from there to the end of an apical branch without children (Hay et al.'s ``D``).

    **Raises:** `ValueError` if the cell has no apical branch.
    """
    types = np.asarray(cell.branch_types)
    if not np.any(types == APICAL):
        raise ValueError("The cell has no apical branch (SWC type 4).")
    first = int(np.flatnonzero(types == APICAL)[0])
    offsets = np.concatenate([[0], np.cumsum(cell.ncomp_per_branch)])
    ref = int(offsets[first])
    length = np.asarray(cell.length)
    # Distances from the first compartment's centre, moved to the branch's start: half a
    # compartment farther for what lies beyond it, half nearer for the rest.
    beyond = np.repeat(_branch_descendants(cell.branch_parents, first), cell.ncomp_per_branch)
    d = cell.path_distance(ref) + np.where(beyond, 0.5, -0.5) * length[ref]
    has_child = np.zeros(len(types), dtype=bool)
    has_child[[p for p in cell.branch_parents if p >= 0]] = True
    tips = [offsets[b + 1] - 1 for b in np.flatnonzero((types == APICAL) & ~has_child)]
    return d, float(np.max(d[tips] + 0.5 * length[tips]))


def apical_path(cell: Cell) -> np.ndarray:
    """The compartments (flat indices, in order) from the apical origin to the apical tip
    farthest from it: the trunk and its continuation into the tuft, for plots along the
    apical dendrite.

    **Raises:** `ValueError` if the cell has no apical branch.
    """
    d, _ = apical_distance(cell)
    types = np.asarray(cell.branch_types)
    offsets = np.concatenate([[0], np.cumsum(cell.ncomp_per_branch)])
    ends = offsets[1:] - 1
    apical = np.flatnonzero(types == APICAL)
    reach = d[ends] + 0.5 * np.asarray(cell.length)[ends]
    b = int(apical[np.argmax(reach[apical])])
    branches = []
    while b >= 0 and types[b] == APICAL:
        branches.append(b)
        b = cell.branch_parents[b]
    return np.concatenate([np.arange(offsets[b], offsets[b + 1]) for b in reversed(branches)])


def hay_l5pc(
    source: str | os.PathLike | np.ndarray,
    *,
    ncomp: int | Sequence[int] | DLambda | MaxLength = D_LAMBDA,
    v: float = -80.0,
    section_ends: bool = False,
    return_map: bool = False,
):
    """Hay et al. (2011)'s L5b pyramidal cell on the morphology in `source` (see this
    module's description for the densities and rules).

    The file is read as `read_swc` reads it; its axon (every SWC type-2 section) is
    replaced by two sections of 30 µm length and 1 µm diameter, the first attached to the
    soma's middle ([`eqcable.morphology.replace_axon`][]); the mechanisms are inserted per
    SWC type, Ih and the calcium channels of the apical tree set by distance; celsius is
    34 °C and ``ena``/``ek`` 50/−85 mV, the other ions at NEURON's defaults.

    **Arguments:**

    - `source`: a path, SWC text, or an ``(N, 7)`` array of samples, with a soma (type
      1) and basal (3) and/or apical (4) dendrites; types other than 1-4 are refused.
    - `ncomp`: compartments per section, as for `read_swc`; by default NEURON's d_lambda
      rule at 100 Hz and 0.1 λ, with each section's capacitance and Ra = 100 Ω·cm.
    - `v`: the initial voltage (mV).
    - `section_ends`: give each apical branch's last compartment the densities at the
      branch's distal end, as Hay et al.'s hoc does (see above); by default the densities
      at each compartment's centre.
    - `return_map`: also return the [`eqcable.SwcMap`][] (section names as NEURON names
      them after the replacement: the stub is ``axon[0]``, ``axon[1]``; its samples are the
      file's without the axon's).

    **Returns:** the `Cell` (and the `SwcMap` if `return_map`). Every parameter can then
    be changed, made trainable or fitted like any other cell's.

    **Raises:** what `read_swc` raises for a broken file; `ValueError` for a file without
    a soma root, with types other than 1-4, or with a dendrite growing from the axon.
    """
    samples = read_swc_samples(source)
    other = sorted(set(samples.types.tolist()) - {SOMA, AXON, BASAL, APICAL})
    if other:
        raise ValueError(
            f"{samples.source_name}: hay_l5pc needs SWC types 1-4 (soma, axon, basal, "
            f"apical); the file also has type(s) {other}."
        )
    samples, sections = replace_axon(
        samples, import3d_sections(samples), (STUB_LENGTH,) * 2, (STUB_DIAMETER,) * 2
    )
    cell, swc_map = cell_from_sections(
        samples,
        sections,
        ncomp,
        axial_resistivity=AXIAL_RESISTIVITY,
        capacitance=[CAPACITANCE[s.type] for s in sections],
        v=v,
        return_map=True,
    )
    # The stub's exact length: its 3-D points, stored in single precision as NEURON stores
    # them, would make it 30.000002 µm long.
    stub = [b for b, name in enumerate(swc_map.section_names) if name.startswith("axon")]
    for b in stub:
        n = cell.ncomp_per_branch[b]
        cell = cell.branch(b).set("length", np.full(n, STUB_LENGTH / n))
    cell = cell.set("celsius", CELSIUS)
    present = set(cell.branch_types)
    for swc_type, mechanisms in MECHANISMS.items():
        if swc_type in present:
            for mechanism in mechanisms:
                cell = cell.group(swc_type).insert(mechanism)
    cell = cell.set("ena", ENA).set("ek", EK)
    if APICAL in present:
        d, longest = apical_distance(cell)
        if section_ends:
            last = np.cumsum(cell.ncomp_per_branch) - 1
            d[last] += 0.5 * np.asarray(cell.length)[last]
        apical = np.repeat(np.asarray(cell.branch_types) == APICAL, cell.ncomp_per_branch)
        d = d[apical]
        group = cell.group(APICAL)
        cell = group.set("Ih_gIhbar", ih_density(d / longest))
        group = cell.group(APICAL)
        cell = group.set("Ca_LVAst_gCa_LVAstbar", hot_zone_density(d, 0.0187, 0.01))
        group = cell.group(APICAL)
        cell = group.set("Ca_HVA_gCa_HVAbar", hot_zone_density(d, 0.000555, 0.1))
    return (cell, swc_map) if return_map else cell
