"""Fuzzing the SWC reader: random bytes and damaged copies of valid files either load or
raise a `MorphologyError`; never another exception, a NumPy warning, a non-finite or
non-positive compartment, or a hang.

Each example goes through `read_swc_samples` and the cell builder `read_swc` (with the
default ncomp and with `DLambda()` in float64, and with the default ncomp in float32).
Hypothesis runs derandomized, without a database, so the test is the same on every run.
"""

import math
import warnings

import jax
import numpy as np
import pytest
from helpers import MORPHOLOGIES
from hypothesis import HealthCheck, given, settings, strategies as st

import eqcable as ec
from eqcable.morphology.swc import (
    LikelyNanometresWarning,
    MorphologyError,
    UnusualMorphologyWarning,
    read_swc_samples,
)

BASES = [
    "minimal.swc",
    "3_types.swc",
    "3_types_single_point_soma.swc",
    "somatic_branchpoint.swc",
    "non_somatic_branchpoint.swc",
    "soma_both_ends.swc",
    "interrupted_soma.swc",
    "variable_radiuses_within_branch.swc",
    "zero_length_two_point_section.swc",
    "one_point_section.swc",
    "root_not_soma.swc",
]
LINES = {name: (MORPHOLOGIES / name).read_text().splitlines() for name in BASES}
FIELDS = (
    ["0", "-0", "1", "-1", "2", "3", "4", "5", "42", "-2", "0.5", "1.5", "1e-3"]
    + ["nan", "inf", "-inf", "1e308", "-1e308", "1e39", "3.4e38", "-3.4e38", "1e-320"]
    + ["1e-45", "1e-300", "9007199254740993", "1e20", "abc", "", "1_0", "\u0663", "0x10"]
    + ["#", "1e", "--1", "+2", ".5", "5."]
)
# Coordinates and radii at the edges of single and double precision.
EXTREMES = ["0", "-0", "1e-45", "1e-40", "1e-320", "3.4e38", "-3.4e38", "3.5e38", "1e39"]
EXTREMES += ["1e300", "-1e300", "1e5", "1e7", "1e-7", "30.0000001", "1.0000001"]
KINDS = ["drop", "dup", "swap", "field", "parent", "line", "cut", "geometry", "same_xyz"]
SETTINGS = settings(
    max_examples=150,
    deadline=5000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _field(draw):
    if draw(st.booleans()):
        return draw(st.sampled_from(FIELDS))
    if draw(st.booleans()):
        return str(draw(st.integers(-3, 30)))
    return repr(draw(st.floats(allow_nan=True, allow_infinity=True)))


@st.composite
def damaged_files(draw) -> str:
    """A small valid file with one to four random mutations of its lines and fields."""
    lines = list(LINES[draw(st.sampled_from(BASES))])
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(KINDS))
        if not lines:
            lines.append(" ".join(_field(draw) for _ in range(7)))
            continue
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        fields = lines[i].split()
        if kind == "drop":
            del lines[i]
        elif kind == "dup":
            lines.insert(j, lines[i])
        elif kind == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "field" and fields:
            fields[draw(st.integers(0, len(fields) - 1))] = _field(draw)
            lines[i] = " ".join(fields)
        elif kind == "geometry" and len(fields) == 7:
            fields[draw(st.integers(2, 5))] = draw(st.sampled_from(EXTREMES))
            lines[i] = " ".join(fields)
        elif kind == "same_xyz" and len(fields) == 7 and len(lines[j].split()) == 7:
            fields[2:5] = lines[j].split()[2:5]  # a zero-length step, or section
            lines[i] = " ".join(fields)
        elif kind == "parent" and len(fields) == 7:
            other = lines[j].split()
            choices = ["-1", other[0] if other else "1", _field(draw)]
            fields[6] = draw(st.sampled_from(choices))
            lines[i] = " ".join(fields)
        elif kind == "line":
            lines.insert(j, " ".join(_field(draw) for _ in range(draw(st.integers(0, 8)))))
        elif kind == "cut" and fields:
            lines[i] = " ".join(fields[: draw(st.integers(0, len(fields)))])
    return "\n".join(lines) + "\n"


def _loads_or_refuses(path):
    """Each reader either returns or raises a MorphologyError; loaded cells are finite."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy overflow or invalid-value warning fails
        warnings.simplefilter("ignore", UnusualMorphologyWarning)
        warnings.simplefilter("ignore", LikelyNanometresWarning)
        try:
            read_swc_samples(path)
        except MorphologyError:
            pass
        for ncomp, x64 in ((1, True), (ec.DLambda(), True), (1, False)):
            try:
                with jax.enable_x64(x64):
                    cell, swc_map = ec.read_swc(path, ncomp, return_map=True)
            except MorphologyError as error:
                assert str(path) in str(error)
                continue
            for field in ("radius", "length", "area_scale", "r_proximal_scale", "r_distal_scale"):
                values = np.asarray(getattr(cell, field))
                assert np.all(np.isfinite(values)) and np.all(values > 0), field
            assert set(swc_map.sample_compartment.values()) <= set(range(cell.ncomp))
            assert all(math.isfinite(x) for s in swc_map.sections for x in s.xyz.flat)


@pytest.fixture(scope="module")
def swc_path(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "fuzzed.swc"


@SETTINGS
@given(text=damaged_files())
def test_damaged_files_load_or_raise_morphology_errors(swc_path, text):
    swc_path.write_text(text, encoding="utf-8")
    _loads_or_refuses(swc_path)


@settings(SETTINGS, max_examples=50)
@given(data=st.binary(max_size=400))
def test_random_bytes_load_or_raise_morphology_errors(swc_path, data):
    swc_path.write_bytes(data)
    _loads_or_refuses(swc_path)
