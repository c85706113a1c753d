"""Segment geometry equals NEURON's: areas, axial resistances, mean diameters, d_lambda.

Every section of real and edge-case SWC files is loaded by NEURON's Import3d, and our
functions, fed the section's 3-D points as NEURON stores them, are compared with what
NEURON reports for the same section, in the same test.
"""

import contextlib
import math

import numpy as np
import pytest
from helpers import MORPHOLOGIES

from eqcable.morphology.geometry import (
    d_lambda_nseg,
    max_length_nseg,
    pt3d_arc_lengths,
    segment_geometry,
)

# Every file of MORPHOLOGIES that Import3d loads (it refuses multiple_roots.swc).
FILES = [
    "ca1_n120.swc",
    "l5pc_with_axon.swc",
    "allen_485574832.swc",
    "3_types.swc",
    "3_types_single_point_soma.swc",
    "ca1_n120_single_point_soma.swc",
    "interrupted_soma.swc",
    "minimal.swc",
    "non_somatic_branchpoint.swc",
    "single_branch.swc",
    "soma_both_ends.swc",
    "somatic_branchpoint.swc",
    "variable_radiuses_multi_branch.swc",
    "variable_radiuses_within_branch.swc",
]
RA = 123.0  # Ω·cm
RTOL = 1e-9
NSEGS = (1, 2, 3, 5, 8, 25)

# fixnseg.hoc's geom_nseg, over a SectionList instead of `forall`.
_GEOM_NSEG = """
proc eqcable_geom_nseg() {
    forsec $o1 { nseg = int((L/(d_lambda*lambda_f(freq))+0.9)/2)*2 + 1 }
}
"""


@pytest.fixture(scope="module")
def h():
    neuron = pytest.importorskip("neuron")
    h = neuron.h
    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    if not hasattr(h, "eqcable_geom_nseg"):
        h("d_lambda = 0.1\nfreq = 100\n")
        h(_GEOM_NSEG)
    return h


@contextlib.contextmanager
def _import3d(h, name):
    """The sections NEURON's Import3d makes of a file; deleted on exit."""
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(str(MORPHOLOGIES / name))
    before = {s.hoc_internal_name() for s in h.allsec()}
    h.Import3d_GUI(reader, False).instantiate(None)
    sections = [s for s in h.allsec() if s.hoc_internal_name() not in before]
    try:
        yield sections
    finally:
        for s in sections:
            h.delete_section(sec=s)


def _points(sec):
    n = sec.n3d()
    arc = np.array([sec.arc3d(i) for i in range(n)])
    diam = np.array([sec.diam3d(i) for i in range(n)])
    return arc, diam


def _rel(ours, ref):
    ours, ref = np.atleast_1d(ours), np.atleast_1d(ref)
    return float(np.max(np.abs(ours - ref) / np.abs(ref)))


def _compare_section(sec, arc, diam, nseg, worst):
    sec.nseg = nseg
    geom = segment_geometry(arc, diam, nseg, RA)
    area = np.array([seg.area() for seg in sec])
    ri = np.array([seg.ri() for seg in sec])
    seg_diam = np.array([seg.diam for seg in sec])
    where = f"{sec.name()} nseg={nseg}"
    np.testing.assert_allclose(geom.area, area, rtol=RTOL, atol=0, err_msg=where)
    np.testing.assert_allclose(geom.ri, ri, rtol=RTOL, atol=0, err_msg=where)
    np.testing.assert_allclose(geom.ri_end, sec(1).ri(), rtol=RTOL, atol=0, err_msg=where)
    # NEURON keeps the old seg.diam when the new one is within 1e-9 µm of it.
    np.testing.assert_allclose(geom.diam, seg_diam, rtol=0, atol=1e-9, err_msg=where)
    worst["area"] = max(worst["area"], _rel(geom.area, area))
    worst["ri"] = max(worst["ri"], _rel(geom.ri, ri))
    worst["ri_end"] = max(worst["ri_end"], _rel(geom.ri_end, sec(1).ri()))
    worst["diam"] = max(worst["diam"], float(np.max(np.abs(geom.diam - seg_diam))))


@pytest.mark.parametrize("name", FILES)
def test_segment_geometry_matches_neuron(h, name):
    worst = dict.fromkeys(["area", "ri", "ri_end", "diam"], 0.0)
    with _import3d(h, name) as sections:
        for sec in sections:
            sec.Ra = RA
            arc, diam = _points(sec)
            nsegs = set(NSEGS)
            nsegs.add(d_lambda_nseg(arc, diam, RA, 1.0, d_lambda=0.02, frequency=1000.0))
            for nseg in sorted(nsegs):
                _compare_section(sec, arc, diam, nseg, worst)
    print(f"{name}: max relative error {worst} (diam: absolute, µm)")


@pytest.mark.parametrize("name", FILES)
def test_d_lambda_nseg_matches_neuron(h, name):
    with _import3d(h, name) as sections:
        section_list = h.SectionList()
        for sec in sections:
            section_list.append(sec=sec)
        for d_lambda, freq, cm in [(0.1, 100.0, 1.0), (0.02, 1000.0, 0.75), (0.3, 10.0, 2.0)]:
            h.d_lambda, h.freq = d_lambda, freq
            for sec in sections:
                sec.Ra, sec.cm = RA, cm
            h.eqcable_geom_nseg(section_list)
            ours = [
                d_lambda_nseg(*_points(sec), RA, cm, d_lambda=d_lambda, frequency=freq)
                for sec in sections
            ]
            assert ours == [sec.nseg for sec in sections], (d_lambda, freq, cm)


# Edge cases built with pt3dadd along the x axis: (arc, diam) of the points, and nsegs.
_EDGE_CASES = {
    "cylinder": ([0.0, 100.0], [2.0, 2.0], (1, 2, 3, 7)),
    "taper": ([0.0, 10.0, 30.0], [4.0, 1.0, 3.0], (1, 2, 5, 7, 40)),
    "jump_at_half_point": ([0.0, 25.0, 25.0, 100.0], [2.0, 2.0, 4.0, 4.0], (1, 2, 4)),
    "jump_at_boundary": ([0.0, 50.0, 50.0, 100.0], [1.0, 1.0, 3.0, 3.0], (1, 2, 3)),
    "repeated_last_point": ([0.0, 100.0, 100.0], [2.0, 2.0, 5.0], (1, 2, 3)),
    "repeated_first_point": ([0.0, 0.0, 100.0], [5.0, 2.0, 2.0], (1, 2, 3)),
    "triple_point": ([0.0, 40.0, 40.0, 40.0, 80.0], [1.0, 2.0, 6.0, 3.0, 3.0], (1, 2, 3, 4)),
    "tiny_first_step": ([0.0, 1e-12, 100.0], [3.0, 1.0, 1.0], (1, 3)),
    "zero_diameter_tip": ([0.0, 50.0, 100.0], [2.0, 1.0, 0.0], (1, 2, 3)),
    "odd_length": ([0.0, 0.1, 3.7, 9.3, 33.3], [1.1, 0.7, 0.7, 2.3, 0.9], (1, 3, 9, 11)),
}


@pytest.mark.parametrize("case", sorted(_EDGE_CASES))
def test_segment_geometry_edge_cases(h, case):
    xs, ds, nsegs = _EDGE_CASES[case]
    sec = h.Section(name=f"edge_{case}")
    try:
        for x, d in zip(xs, ds, strict=True):
            sec.pt3dadd(x, 0.0, 0.0, d)
        sec.Ra = RA
        arc, diam = _points(sec)
        xyz = np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for i in range(sec.n3d())])
        np.testing.assert_array_equal(pt3d_arc_lengths(xyz), arc)
        worst = dict.fromkeys(["area", "ri", "ri_end", "diam"], 0.0)
        for nseg in nsegs:
            _compare_section(sec, arc, diam, nseg, worst)
    finally:
        h.delete_section(sec=sec)


def test_pt3d_arc_lengths_matches_neuron(h):
    rng = np.random.default_rng(0)
    xyz = np.cumsum(rng.normal(scale=7.3, size=(50, 3)), axis=0) + 1234.567
    sec = h.Section(name="random_walk")
    try:
        for p in xyz:
            sec.pt3dadd(*p.tolist(), 1.0)
        arc = np.array([sec.arc3d(i) for i in range(sec.n3d())])
        np.testing.assert_array_equal(pt3d_arc_lengths(xyz), arc)
    finally:
        h.delete_section(sec=sec)


def test_segment_geometry_cylinder_closed_form():
    length, d, nseg = 90.0, 3.0, 3
    geom = segment_geometry(np.array([0.0, length]), np.array([d, d]), nseg, RA)
    half = 1e-2 * RA * (length / nseg / 2) / (math.pi * d * d / 4)  # MΩ
    np.testing.assert_allclose(geom.area, math.pi * d * length / nseg, rtol=1e-14)
    np.testing.assert_allclose(geom.ri, [half, 2 * half, 2 * half], rtol=1e-14)
    np.testing.assert_allclose(geom.ri_end, half, rtol=1e-14)
    np.testing.assert_allclose(geom.diam, d, rtol=1e-14)


def test_invalid_points_raise():
    good = np.array([0.0, 1.0])
    with pytest.raises(ValueError, match="at least two"):
        segment_geometry(np.array([0.0]), np.array([1.0]), 1, RA)
    with pytest.raises(ValueError, match="start at 0"):
        segment_geometry(np.array([0.0, 2.0, 1.0]), np.ones(3), 1, RA)
    with pytest.raises(ValueError, match="zero length"):
        segment_geometry(np.zeros(2), np.ones(2), 1, RA)
    with pytest.raises(ValueError, match="nseg"):
        segment_geometry(good, np.ones(2), 0, RA)
    with pytest.raises(ValueError, match=">= 0"):
        segment_geometry(good, np.array([1.0, -1.0]), 1, RA)
    with pytest.raises(ValueError, match="Zero diameter"):
        d_lambda_nseg(np.array([0.0, 1.0, 2.0]), np.array([1.0, 0.0, 1.0]), RA, 1.0)


def test_max_length_nseg():
    assert max_length_nseg(0.0, 10.0) == 1
    assert max_length_nseg(10.0, 10.0) == 1
    assert max_length_nseg(10.5, 10.0) == 2
    assert max_length_nseg(100.0, 10.0) == 10
    with pytest.raises(ValueError):
        max_length_nseg(10.0, 0.0)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(d_lambda=0.0), "d_lambda"),
        (dict(d_lambda=math.nan), "d_lambda"),
        (dict(frequency=0.0), "frequency"),
        (dict(ra=-1.0), "ra"),
        (dict(cm=-1.0), "cm"),
        (dict(cm=math.inf), "cm"),
        (dict(d_lambda=1e-320), "no finite number"),
    ],
)
def test_d_lambda_nseg_refuses_parameters_without_a_count(kwargs, words):
    arc, diam = np.array([0.0, 100.0]), np.ones(2)
    args = dict(ra=RA, cm=1.0, d_lambda=0.1, frequency=100.0) | kwargs
    with pytest.raises(ValueError, match=words):
        d_lambda_nseg(arc, diam, **args)


def test_max_length_nseg_refuses_an_infinite_count():
    with pytest.raises(ValueError, match="no finite number"):
        max_length_nseg(1e300, 1e-300)
