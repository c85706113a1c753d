"""Cells read from SWC equal NEURON's Import3d cells: geometry and voltage traces.

NEURON loads the same file with Import3d in the test; both sides get the same nseg per
section, HH everywhere (or HH soma and passive dendrites), a current step at the soma,
and are compared at the soma and at distal tips, every time step.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest

import eqcable as ec

MORPHOLOGIES = Path(__file__).parents[2] / "shared" / "morphologies"
REAL = ["ca1_n120", "ca1_n120_single_point_soma", "allen_485574832", "l5pc_with_axon"]
SMALL = [
    "3_types",
    "3_types_single_point_soma",
    "minimal",
    "single_branch",
    "soma_both_ends",
    "somatic_branchpoint",
    "non_somatic_branchpoint",
    "variable_radiuses_within_branch",
    "variable_radiuses_multi_branch",
    "interrupted_soma",
]
RA, CM, DT, T_MAX = 123.0, 1.1, 0.025, 6.0


def _neuron_cell(path):
    from neuron import h

    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(str(path))
    h.Import3d_GUI(reader, False).instantiate(None)
    return {sec.name(): sec for sec in h.allsec()}


def _clear_neuron():
    from neuron import h

    for sec in list(h.allsec()):
        h.delete_section(sec=sec)


def _load(name, ncomp):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nanometre hints on some edge-case files
        return ec.read_swc(
            MORPHOLOGIES / f"{name}.swc",
            ncomp,
            axial_resistivity=RA,
            capacitance=CM,
            return_map=True,
        )


def _segments(cell, swc_map, sections):
    return [sections[n](x) for n, x in (swc_map.neuron_segment(cell, c) for c in range(cell.ncomp))]


@pytest.mark.parametrize("name", SMALL + REAL)
def test_geometry_equals_neuron(name):
    cell, swc_map = _load(name, ec.DLambda(d_lambda=0.05))
    sections = _neuron_cell(MORPHOLOGIES / f"{name}.swc")
    try:
        assert set(sections) == set(swc_map.section_names)
        for sec in sections.values():
            sec.Ra, sec.cm = RA, CM
        for b, n in enumerate(swc_map.section_names):
            sections[n].nseg = cell.ncomp_per_branch[b]
        from neuron import h

        h.define_shape()
        segs = _segments(cell, swc_map, sections)
        area = 2 * np.pi * np.asarray(cell.radius * cell.length * cell.area_scale)
        np.testing.assert_allclose(area, [s.area() for s in segs], rtol=1e-9)
        # seg.ri(): from the previous node, i.e. the previous compartment's distal half
        # (none for a branch's first compartment) plus this one's proximal half.
        half = 0.5e-2 * RA * np.asarray(cell.length) / (np.pi * np.asarray(cell.radius) ** 2)
        prox, dist = (
            half * np.asarray(cell.r_proximal_scale),
            half * np.asarray(cell.r_distal_scale),
        )
        first = np.concatenate([[0], np.cumsum(cell.ncomp_per_branch)[:-1]])
        ri = prox + np.where(np.isin(np.arange(cell.ncomp), first), 0.0, np.roll(dist, 1))
        np.testing.assert_allclose(ri, [s.ri() for s in segs], rtol=1e-9)
    finally:
        _clear_neuron()


def _tips(cell, count):
    ends = np.cumsum(cell.ncomp_per_branch) - 1
    parents = set(cell.branch_parents)
    leaves = [int(ends[b]) for b in range(cell.nbranches) if b not in parents]
    return leaves[:: max(1, len(leaves) // count)][:count]


@pytest.mark.parametrize("variant", ["hh", "hh_soma_passive_dendrites"])
@pytest.mark.parametrize("name", REAL + ["minimal", "somatic_branchpoint", "3_types"])
def test_voltage_traces_equal_neuron(name, variant):
    from neuron import h

    cell, swc_map = _load(name, ec.DLambda())
    soma = swc_map.compartment_of(int(swc_map.samples.ids[0]))
    soma_branches = [b for b, t in enumerate(cell.branch_types) if t == 1] or [0]
    hh_branches = set(range(cell.nbranches)) if variant == "hh" else set(soma_branches)
    cell = cell.branch(sorted(hh_branches)).insert(ec.HH())
    passive = sorted(set(range(cell.nbranches)) - hh_branches)
    if passive:
        cell = cell.branch(passive).insert(ec.Leak(gLeak=1e-4, eLeak=-65.0))
    record = [soma, *_tips(cell, 3)]
    cell = cell.comp(soma).stimulate(ec.step_current(1.0, 3.0, 1.0, DT, T_MAX))
    ours = np.asarray(cell.comp(record).record().integrate(t_max=T_MAX, dt=DT))

    sections = _neuron_cell(MORPHOLOGIES / f"{name}.swc")
    try:
        for b, n in enumerate(swc_map.section_names):
            sec = sections[n]
            sec.Ra, sec.cm, sec.nseg = RA, CM, cell.ncomp_per_branch[b]
            if b in hh_branches:
                sec.insert("hh")
            else:
                sec.insert("pas")
                for seg in sec:
                    seg.pas.g, seg.pas.e = 1e-4, -65.0
        segs = _segments(cell, swc_map, sections)
        h.dt, h.secondorder, h.usetable_hh, h.celsius = DT, 0, 0, 6.3
        stim = h.IClamp(segs[soma])
        stim.delay, stim.dur, stim.amp = 1.0, 3.0, 1.0
        vecs = [h.Vector().record(segs[c]._ref_v) for c in record]
        h.finitialize(-65.0)
        for _ in range(int(round(T_MAX / DT))):
            h.fadvance()
        ref = np.array([np.asarray(v) for v in vecs])
    finally:
        del stim
        _clear_neuron()
    err = np.max(np.abs(ours - ref))
    print(f"{name} {variant}: max |ΔV| = {err:.3g} mV over {len(record)} sites")
    assert err <= 0.01
    assert np.ptp(ours[0]) > 20.0  # the soma is driven far from rest (spikes, in the real cells)
