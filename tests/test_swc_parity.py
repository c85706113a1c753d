"""Cells read from SWC equal NEURON's Import3d cells: geometry and voltage traces.

NEURON loads the same file with Import3d in the test; both sides get the same nseg per
section, HH everywhere (or HH soma and passive dendrites), a current step at the soma,
and are compared at the soma and at distal tips, every time step.
"""

import warnings

import numpy as np
import pytest
from helpers import MORPHOLOGIES, clear_neuron, neuron_import3d, run_neuron_segments

import eqcable as ec

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
# Unusual files that NEURON loads: each gives one warning, naming this line, with these words.
UNUSUAL = {
    "zero_length_two_point_section": (7, "zero length"),
    "sample_id_zero": (2, "sample id 0"),
    "root_not_soma": (2, "not a soma"),
    "no_soma": (2, "no soma"),
    "unknown_type_42": (6, "42 (dend_42"),
    "one_point_section": (6, "single 3-D point"),
}
RA, CM, DT, T_MAX = 123.0, 1.1, 0.025, 6.0


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
    _assert_geometry_equals_neuron(name, cell, swc_map)


def _assert_geometry_equals_neuron(name, cell, swc_map):
    sections = neuron_import3d(MORPHOLOGIES / f"{name}.swc")
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
        clear_neuron()


@pytest.mark.parametrize("ncomp", [3, ec.DLambda(d_lambda=0.05)], ids=["3", "dlambda"])
@pytest.mark.parametrize("name", UNUSUAL)
def test_unusual_file_warns_once_and_equals_neuron(name, ncomp):
    path = MORPHOLOGIES / f"{name}.swc"
    line, words = UNUSUAL[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cell, swc_map = ec.read_swc(
            path, ncomp, axial_resistivity=RA, capacitance=CM, return_map=True
        )
    assert [w.category for w in caught] == [ec.morphology.swc.UnusualMorphologyWarning]
    message = str(caught[0].message)
    assert message.startswith(f"{path}, line {line}, sample ") and words in message
    _assert_geometry_equals_neuron(name, cell, swc_map)
    # The sections hang where NEURON's hang.
    sections = neuron_import3d(path)
    try:
        for b, n in enumerate(swc_map.section_names):
            p = cell.branch_parents[b]
            parent = sections[n].parentseg()
            if p < 0:
                assert parent is None
            else:
                assert parent.sec.name() == swc_map.section_names[p]
                assert parent.x == cell.branch_parent_x[b]
    finally:
        clear_neuron()


def _tips(cell, count):
    ends = np.cumsum(cell.ncomp_per_branch) - 1
    parents = set(cell.branch_parents)
    leaves = [int(ends[b]) for b in range(cell.nbranches) if b not in parents]
    return leaves[:: max(1, len(leaves) // count)][:count]


@pytest.mark.parametrize("variant", ["hh", "hh_soma_passive_dendrites"])
@pytest.mark.parametrize("name", REAL + SMALL + list(UNUSUAL))
def test_voltage_traces_equal_neuron(name, variant):

    # Real cells with NEURON's d_lambda rule; the tiny edge-case files with 3 per section
    # (d_lambda would give 1), so that every file has at least three recording sites.
    cell, swc_map = _load(name, ec.DLambda() if name in REAL else 3)
    soma = swc_map.compartment_of(int(swc_map.samples.ids[0]))
    soma_branches = [b for b, t in enumerate(cell.branch_types) if t == 1] or [0]
    hh_branches = set(range(cell.nbranches)) if variant == "hh" else set(soma_branches)
    cell = cell.branch(sorted(hh_branches)).insert(ec.HH())
    passive = sorted(set(range(cell.nbranches)) - hh_branches)
    if passive:
        cell = cell.branch(passive).insert(ec.Leak(gLeak=1e-4, eLeak=-65.0))
    record = list(dict.fromkeys([soma, cell.ncomp // 2, *_tips(cell, 3)]))
    assert len(record) >= 3
    cell = cell.comp(soma).stimulate(ec.step_current(1.0, 3.0, 1.0, DT, T_MAX))
    ours = np.asarray(cell.comp(record).record().integrate(t_max=T_MAX, dt=DT))

    sections = neuron_import3d(MORPHOLOGIES / f"{name}.swc")
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
        ref = run_neuron_segments(
            segs, t_max=T_MAX, dt=DT, record_comps=record, iclamps=[(soma, 1.0, 3.0, 1.0)]
        )
    finally:
        clear_neuron()
    err = np.max(np.abs(ours - ref))
    print(f"{name} {variant}: max |ΔV| = {err:.3g} mV over {len(record)} sites")
    assert err <= 0.01
    assert np.ptp(ours[0]) > 20.0  # the soma is driven far from rest (spikes, in the real cells)


@pytest.mark.parametrize("name", REAL)
def test_d_lambda_equals_neuron(name):
    """ncomp=DLambda() gives NEURON's fixnseg.hoc nseg for every section."""
    from neuron import h

    cell, swc_map = _load(name, ec.DLambda(d_lambda=0.1, frequency=100.0))
    sections = neuron_import3d(MORPHOLOGIES / f"{name}.swc")
    try:
        h.load_file("stdlib.hoc")
        nseg = {}
        for n, sec in sections.items():
            sec.Ra, sec.cm = RA, CM
            lam = h.lambda_f(100.0, sec=sec)
            nseg[n] = int((sec.L / (0.1 * lam) + 0.9) / 2) * 2 + 1
        assert [nseg[n] for n in swc_map.section_names] == list(cell.ncomp_per_branch)
    finally:
        clear_neuron()


def test_read_from_string_and_array_equals_file():
    path = MORPHOLOGIES / "ca1_n120.swc"
    from_file = ec.read_swc(path, 2)
    from_text = ec.read_swc(path.read_text(), 2)
    rows = np.array(
        [
            r.split()[:7]
            for r in path.read_text().splitlines()
            if r.strip() and not r.lstrip().startswith("#")
        ],
        dtype=float,
    )
    from_array = ec.read_swc(rows, 2)
    for other in (from_text, from_array):
        for field in ("radius", "length", "area_scale", "r_proximal_scale", "r_distal_scale"):
            np.testing.assert_array_equal(getattr(other, field), getattr(from_file, field))
        assert other.branch_parents == from_file.branch_parents


def test_broken_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "bad.swc"
    bad.write_text("1 1 0 0 0 5 -1\n2 3 0 5 0 0 1\n3 3 0 9 0 1 7\n")
    with pytest.raises(ec.morphology.MorphologyError) as info:
        ec.read_swc(bad)
    message = str(info.value)
    assert "line 2" in message and "line 3" in message and "bad.swc" in message


def test_groups_and_sample_lookup():
    cell, swc_map = _load("ca1_n120", 3)
    soma = cell.group("soma")
    assert {cell.branch_types[b] for b in soma.branches} == {1}
    assert (
        len(cell.group("apical").indices) + len(cell.group("basal").indices) + len(soma.indices)
        == cell.ncomp
    )
    cell = cell.insert(ec.Leak()).group("soma").insert(ec.HH())
    assert np.asarray(cell.channel_masks[1]).sum() == len(soma.indices)
    with pytest.raises(ValueError, match="axon"):
        cell.group("axon")
    # The sample a compartment is looked up by lies within that compartment's section.
    for sample_id in swc_map.samples.ids[::50]:
        comp = swc_map.compartment_of(int(sample_id))
        name, x = swc_map.neuron_segment(cell, comp)
        assert 0 < x < 1 and name in swc_map.section_names
    with pytest.raises(ValueError, match="99999"):
        swc_map.compartment_of(99999)


def test_write_back_to_swc(tmp_path):
    cell, swc_map = _load("ca1_n120", 2)
    swc_map.write(tmp_path / "same.swc")
    again, _ = ec.read_swc(
        tmp_path / "same.swc", 2, axial_resistivity=RA, capacitance=CM, return_map=True
    )
    np.testing.assert_array_equal(again.radius, cell.radius)
    np.testing.assert_array_equal(again.area_scale, cell.area_scale)
    # A fitted radius is written back as scaled sample radii.
    thicker = cell.group("soma").set("radius", 2 * cell.group("soma").get("radius"))
    swc_map.write(tmp_path / "thicker.swc", thicker)
    samples = ec.morphology.read_swc_samples(tmp_path / "thicker.swc")
    soma_rows = samples.types == 1
    np.testing.assert_allclose(samples.radius[soma_rows], 2 * swc_map.samples.radius[soma_rows])
    np.testing.assert_array_equal(samples.radius[~soma_rows], swc_map.samples.radius[~soma_rows])


def test_path_distance_equals_neuron():
    from neuron import h

    cell, swc_map = _load("ca1_n120", 3)
    soma = swc_map.compartment_of(1)
    ours = cell.path_distance(soma)
    sections = neuron_import3d(MORPHOLOGIES / "ca1_n120.swc")
    try:
        for b, n in enumerate(swc_map.section_names):
            sections[n].nseg = cell.ncomp_per_branch[b]
        segs = _segments(cell, swc_map, sections)
        h.distance(0, segs[soma])
        np.testing.assert_allclose(ours, [h.distance(seg) for seg in segs], rtol=1e-9, atol=1e-9)
    finally:
        clear_neuron()
