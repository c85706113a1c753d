"""The strict SWC reader: every rule its own error with file, line and sample; harmless
variations accepted; round trips; NEURON's section split."""

import io
import pickle
import time
import warnings

import numpy as np
import pytest
from helpers import MORPHOLOGIES, swc_files

from eqcable.morphology.import3d import import3d_sections
from eqcable.morphology.sections import unbranched_sections
from eqcable.morphology.swc import (
    CycleError,
    DuplicateIdError,
    EmptyFileError,
    GeometryError,
    InvalidIdError,
    LikelyNanometresWarning,
    MalformedLineError,
    MissingParentError,
    MorphologyError,
    MultipleProblemsError,
    MultipleRootsError,
    NonNumericFieldError,
    NonPositiveRadiusError,
    NoSomaError,
    ParentAfterChildError,
    SwcSamples,
    UnknownTypeError,
    UnusualMorphologyWarning,
    read_swc_samples,
    write_swc,
)

BROKEN_ON_PURPOSE = {"multiple_roots.swc"}
VALID_FILES = swc_files(exclude=BROKEN_ON_PURPOSE)
ARRAY_FIELDS = ("ids", "types", "xyz", "radius", "parent_ids", "parent_index")

# Three valid samples on lines 2-4; the cases below append line 5 (and 6).
HEAD = "# a soma and a dendrite\n1 1 0 0 0 5 -1\n2 3 0 5 0 1 1\n3 3 0 10 0 1 2\n"


def _write(tmp_path, text, name="cell.swc"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def _assert_same_samples(a: SwcSamples, b: SwcSamples):
    for field in ARRAY_FIELDS:
        x, y = getattr(a, field), getattr(b, field)
        assert x.dtype == y.dtype, field
        np.testing.assert_array_equal(x, y, err_msg=field)


@pytest.mark.parametrize(
    "extra, error, sample_id",
    [
        ("4 3 0 15 0 1\n", MalformedLineError, 4),
        ("4 3 0 15 0 1 3 7\n", MalformedLineError, 4),
        ("4 3 0 abc 0 1 3\n", NonNumericFieldError, 4),
        ("4 3 0 nan 0 1 3\n", NonNumericFieldError, 4),
        ("4 3.5 0 15 0 1 3\n", NonNumericFieldError, 4),
        ("4 3 0 15 0 1 2.5\n", NonNumericFieldError, 4),
        ("x 3 0 15 0 1 3\n", NonNumericFieldError, None),
        ("-4 3 0 15 0 1 3\n", InvalidIdError, -4),
        ("4 3 0 15 0 1 9\n", MissingParentError, 4),
        ("4 3 0 15 0 1 -2\n", MissingParentError, 4),
        ("3 3 0 15 0 1 2\n", DuplicateIdError, 3),
        ("4 3 0 15 0 1 5\n5 3 0 20 0 1 3\n", ParentAfterChildError, 4),
        ("4 3 0 15 0 1 5\n5 3 0 20 0 1 4\n", CycleError, 4),
        ("4 3 0 15 0 1 4\n", CycleError, 4),
        ("4 3 0 15 0 1 -1\n", MultipleRootsError, 4),
        ("4 3 0 15 0 0 3\n", NonPositiveRadiusError, 4),
        ("4 3 0 15 0 -1e-3 3\n", NonPositiveRadiusError, 4),
        ("4 -3 0 15 0 1 3\n", UnknownTypeError, 4),
    ],
)
def test_each_rule_has_its_error(tmp_path, extra, error, sample_id):
    path = _write(tmp_path, HEAD + extra)
    with pytest.raises(error) as info:
        read_swc_samples(path)
    e = info.value
    assert type(e) is error
    assert isinstance(e, MorphologyError) and isinstance(e, ValueError)
    assert (e.path, e.line, e.sample_id) == (str(path), 5, sample_id)
    assert str(path) in str(e) and "line 5" in str(e)
    if sample_id is not None:
        assert f"sample {sample_id}" in str(e)


def test_a_cycle_is_a_parent_after_its_child(tmp_path):
    path = _write(tmp_path, HEAD + "4 3 0 15 0 1 6\n5 3 0 20 0 1 4\n6 3 0 25 0 1 5\n")
    with pytest.raises(ParentAfterChildError, match="cycle") as info:
        read_swc_samples(path)
    assert isinstance(info.value, CycleError)
    assert info.value.cycle_ids == [4, 6, 5]


def test_whole_file_problems(tmp_path):
    with pytest.raises(EmptyFileError) as info:
        read_swc_samples(_write(tmp_path, "# nothing but comments\n\n   \n"))
    assert info.value.line is None and info.value.sample_id is None
    assert "cell.swc" in str(info.value)

    no_soma = "1 3 0 0 0 1 -1\n2 3 0 5 0 1 1\n"
    assert read_swc_samples(no_soma).nsample == 2  # a lone dendrite is valid SWC
    with pytest.raises(NoSomaError, match="<string>"):
        read_swc_samples(no_soma, require_soma=True)


def test_all_problems_are_reported_together(tmp_path):
    text = HEAD + "4 3 0 15 0 0 3\n5 3 0 20 1\n6 -1 0 25 0 1 9\n"
    with pytest.raises(MultipleProblemsError) as info:
        read_swc_samples(_write(tmp_path, text))
    e = info.value
    kinds = [(type(p), p.line, p.sample_id) for p in e.problems]
    assert kinds == [
        (NonPositiveRadiusError, 5, 4),
        (MalformedLineError, 6, 5),
        (MissingParentError, 7, 6),
        (UnknownTypeError, 7, 6),
    ]
    message = str(e).splitlines()
    assert "4 problems" in message[0] and "cell.swc" in message[0]
    assert len(message) == 5
    for line, problem in zip(message[1:], e.problems, strict=True):
        assert f"line {problem.line}" in line and type(problem).__name__ in line


def test_an_unreadable_parent_is_reported_once(tmp_path):
    # Sample 5's parent is on a malformed line: only that line is reported.
    text = HEAD + "4 3 0 15 0 1 3 extra\n5 3 0 20 0 1 4\n"
    with pytest.raises(MalformedLineError) as info:
        read_swc_samples(_write(tmp_path, text))
    assert info.value.line == 5


def test_multiple_roots_file_names_both_faults():
    path = MORPHOLOGIES / "multiple_roots.swc"
    with pytest.raises(MultipleProblemsError) as info:
        read_swc_samples(path)
    problems = info.value.problems
    assert [(type(p), p.line, p.sample_id) for p in problems] == [
        (MultipleRootsError, 7, 3),
        (DuplicateIdError, 9, 3),
    ]
    assert problems[0].root_ids == [1, 3]
    assert problems[1].first_line == 7
    assert "MultipleRootsError" in str(info.value) and "DuplicateIdError" in str(info.value)

    # A forest may be allowed; a repeated id never is.
    with pytest.raises(DuplicateIdError) as info:
        read_swc_samples(path, allow_multiple_roots=True)
    assert (info.value.line, info.value.sample_id) == (9, 3)


def test_allow_multiple_roots_reads_a_forest():
    text = "1 1 0 0 0 1 -1\n2 1 1 0 0 1 1\n3 1 2 0 0 1 -1\n4 1 3 0 0 1 3\n"
    with pytest.raises(MultipleRootsError):
        read_swc_samples(text)
    samples = read_swc_samples(text, allow_multiple_roots=True)
    np.testing.assert_array_equal(samples.parent_index, [-1, 0, -1, 2])
    sections = unbranched_sections(samples)
    assert [(list(s.indices), s.parent) for s in sections] == [([0, 1], -1), ([2, 3], -1)]


def test_harmless_variations_are_accepted(tmp_path):
    plain = read_swc_samples(_write(tmp_path, HEAD + "4 3 0 10 0 1 3\n5 3 0 20 0 1 4\n"))
    variations = (
        "\ufeff# header\r\n"
        "\r\n"
        "1\t1\t0\t0\t0\t5\t-1   # root\r\n"
        "   # indented comment between samples\r\n"
        "2.0  3   0.0e0   5E0 0  1.0  1.0\r\n"
        "\r\n"
        "3 3 0 1.0e+1 0 1 2#no space before the comment\r\n"
        "4 3 0.000 10 -0 100e-2 3\r\n"  # same point as sample 3: a zero-length step
        "5 3 0 20 0 1 4\r\n"
        "# trailing comment"
    )
    varied = read_swc_samples(_write(tmp_path, variations, "varied.swc"))
    _assert_same_samples(plain, varied)
    np.testing.assert_array_equal(varied.line_numbers, [3, 5, 7, 8, 9])
    assert read_swc_samples(variations.replace("\r\n", "\r")).nsample == 5


def test_undefined_and_custom_types_are_accepted():
    text = "1 1 0 0 0 5 -1\n2 0 0 5 0 1 1\n3 5 0 10 0 1 2\n4 7 0 15 0 1 3\n5 12 0 20 0 1 4\n"
    np.testing.assert_array_equal(read_swc_samples(text).types, [1, 0, 5, 7, 12])


def test_min_radius_replaces_small_radii_on_request(tmp_path):
    path = _write(tmp_path, HEAD + "4 3 0 15 0 0 3\n5 3 0 20 0 0.2 4\n")
    with pytest.raises(NonPositiveRadiusError):
        read_swc_samples(path)
    samples = read_swc_samples(path, min_radius=0.5)
    np.testing.assert_array_equal(samples.radius, [5.0, 1.0, 1.0, 0.5, 0.5])
    with pytest.raises(ValueError, match="min_radius"):
        read_swc_samples(path, min_radius=0.0)


@pytest.mark.parametrize("name", VALID_FILES)
def test_real_and_edge_case_files_read(name):
    path = MORPHOLOGIES / name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        samples = read_swc_samples(path)
    data_lines = [line for line in path.read_text().splitlines() if line.split("#", 1)[0].strip()]
    assert samples.nsample == len(data_lines)
    assert samples.xyz.shape == (samples.nsample, 3)
    assert np.all(samples.parent_index < np.arange(samples.nsample))
    assert np.count_nonzero(samples.parent_index == -1) == 1
    assert np.all(samples.radius > 0)
    assert samples.source_name == str(path)


def test_interrupted_soma_is_valid():
    samples = read_swc_samples(MORPHOLOGIES / "interrupted_soma.swc")
    np.testing.assert_array_equal(samples.types, [1, 1, 3, 3, 1, 1])
    np.testing.assert_array_equal(samples.parent_index, [-1, 0, 1, 2, 0, 4])


@pytest.mark.parametrize("name", ["ca1_n120.swc", "allen_485574832.swc", "minimal.swc"])
def test_write_then_read_round_trips(tmp_path, name):
    samples = read_swc_samples(MORPHOLOGIES / name)
    out = tmp_path / "out.swc"
    write_swc(out, samples)
    again = read_swc_samples(out)
    _assert_same_samples(samples, again)
    buffer = io.StringIO()
    write_swc(buffer, samples, header="line one\nline two")
    assert buffer.getvalue().startswith("# line one\n# line two\n")
    _assert_same_samples(samples, read_swc_samples(buffer.getvalue()))


def test_awkward_floats_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    rows = np.zeros((50, 7))
    rows[:, 0] = np.arange(50) + 1
    rows[:, 1] = 3
    rows[:, 2:5] = rng.normal(size=(50, 3)) * 10.0 ** rng.integers(-8, 8, size=(50, 1))
    rows[:, 5] = rng.uniform(1e-9, 1e3, size=50)
    rows[:, 6] = np.arange(50)
    rows[0, 6] = -1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LikelyNanometresWarning)
        samples = read_swc_samples(rows)
        write_swc(tmp_path / "r.swc", samples)
        _assert_same_samples(samples, read_swc_samples(tmp_path / "r.swc"))


@pytest.mark.parametrize("name", ["ca1_n120.swc", "somatic_branchpoint.swc"])
def test_string_and_array_sources_equal_the_file(name):
    path = MORPHOLOGIES / name
    from_file = read_swc_samples(path)
    from_text = read_swc_samples(path.read_text())
    from_array = read_swc_samples(from_file.as_array())
    with open(path) as f:
        from_open_file = read_swc_samples(f)
    for other in (from_text, from_array, from_open_file):
        _assert_same_samples(from_file, other)
    np.testing.assert_array_equal(from_text.line_numbers, from_file.line_numbers)
    assert np.all(from_array.line_numbers == -1)
    assert (from_text.source_name, from_array.source_name) == ("<string>", "<array>")
    assert from_open_file.source_name == str(path)
    # A path given as a str reads the same.
    _assert_same_samples(from_file, read_swc_samples(str(path)))


def test_array_source_errors_name_the_row():
    rows = read_swc_samples(MORPHOLOGIES / "minimal.swc").as_array()
    rows[2, 5] = 0.0
    rows[4, 3] = np.inf
    with pytest.raises(MultipleProblemsError) as info:
        read_swc_samples(rows)
    first, second = info.value.problems
    assert (type(first), first.row, first.line, first.sample_id) == (
        NonPositiveRadiusError,
        2,
        None,
        3,
    )
    assert "<array>, row 2, sample 3" in str(first)
    assert (type(second), second.row, second.sample_id) == (NonNumericFieldError, 4, 5)
    with pytest.raises(MalformedLineError, match="shape"):
        read_swc_samples(rows[:, :6])


def test_nanometre_coordinates_get_a_hint():
    rows = read_swc_samples(MORPHOLOGIES / "ca1_n120.swc").as_array()
    rows[:, 2:6] *= 1000.0
    with pytest.warns(LikelyNanometresWarning, match="nanometres"):
        samples = read_swc_samples(rows)
    assert samples.nsample == len(rows)  # a hint, not an error


def test_errors_pickle_with_their_attributes():
    with pytest.raises(MultipleProblemsError) as info:
        read_swc_samples(MORPHOLOGIES / "multiple_roots.swc")
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)
    assert [type(p) for p in again.problems] == [MultipleRootsError, DuplicateIdError]
    assert again.problems[1].line == 9


def test_large_file_reads_quickly():
    path = MORPHOLOGIES / "l5pc_with_axon.swc"
    start = time.perf_counter()
    samples = read_swc_samples(path)
    elapsed = time.perf_counter() - start
    print(f"read {samples.nsample} samples of {path.name} in {elapsed:.3f} s")
    assert samples.nsample > 10_000


# ------------------------------------------------------------------------------------
# Unbranched sections


def _sections(name_or_text):
    source = MORPHOLOGIES / name_or_text if name_or_text.endswith(".swc") else name_or_text
    return [
        (s.indices.tolist(), s.parent, s.type)
        for s in unbranched_sections(read_swc_samples(source))
    ]


def test_sections_split_at_branches_and_type_changes():
    # Soma 0-1 (two soma samples); apical 2-3 from sample 1; apical 4-5 from sample 0;
    # basal 6-7 from sample 1, which is inside the soma section.
    assert _sections("minimal.swc") == [
        ([0, 1], -1, 1),
        ([1, 2, 3], 0, 4),
        ([0, 4, 5], 0, 4),
        ([1, 6, 7], 0, 3),
    ]
    # The same tree without a soma: the root's non-adjacent children grow from the root
    # section's first sample (NEURON's rule), the type changes still split.
    assert _sections("non_somatic_branchpoint.swc") == [
        ([0, 1], -1, 4),
        ([0, 2, 3], 0, 2),
        ([0, 4, 5], 0, 4),
        ([1, 6, 7], 0, 3),
    ]
    assert _sections("interrupted_soma.swc") == [
        ([0, 1], -1, 1),
        ([1, 2, 3], 0, 3),
        ([0, 4, 5], 0, 1),
    ]


def test_branch_points_and_children_on_later_rows():
    text = (
        "1 3 0 0 0 1 -1\n2 3 1 0 0 1 1\n3 3 2 0 0 1 2\n"  # rows 0-1-2, a branch at 2
        "4 3 3 1 0 1 3\n5 3 4 1 0 1 4\n"  # rows 3-4 from 2
        "6 3 3 -1 0 1 3\n"  # row 5 from 2
        "7 3 5 1 0 1 5\n"  # row 6, the only child of row 4, not on the next row: NEURON
    )  # starts a section there (its sections are runs of rows)
    assert _sections(text) == [
        ([0, 1, 2], -1, 3),
        ([2, 3, 4], 0, 3),
        ([2, 5], 0, 3),
        ([4, 6], 1, 3),
    ]


def test_sections_never_mix_types():
    # Import3d would put samples 0 and 1 in one section; they have different types.
    text = "1 3 0 0 0 1 -1\n2 4 1 0 0 1 1\n3 3 -1 0 0 1 1\n"
    assert _sections(text) == [([0], -1, 3), ([0, 1], 0, 4), ([0, 2], 0, 3)]


@pytest.mark.parametrize("name", VALID_FILES)
def test_sections_cover_the_tree(name):
    samples = read_swc_samples(MORPHOLOGIES / name)
    sections = unbranched_sections(samples)
    own = np.concatenate([s.indices[1:] if s.parent >= 0 else s.indices for s in sections])
    np.testing.assert_array_equal(own, np.arange(samples.nsample))
    for k, s in enumerate(sections):
        assert s.parent < k
        body = s.indices[1:] if s.parent >= 0 else s.indices
        assert np.all(samples.types[body] == s.type)
        np.testing.assert_array_equal(samples.parent_index[body[1:]], body[:-1])
        if s.parent >= 0:
            assert samples.parent_index[body[0]] == s.indices[0]
            assert s.indices[0] in sections[s.parent].indices


def test_sections_need_parents_before_children():
    samples = read_swc_samples(MORPHOLOGIES / "minimal.swc")
    shuffled = samples._replace(parent_index=samples.parent_index[::-1].copy())
    with pytest.raises(ValueError, match="before"):
        unbranched_sections(shuffled)


NEUROMORPHO_SOMA = (
    "1 1 0 0 0 5 -1\n2 1 0 -5 0 5 1\n3 1 0 5 0 5 1\n"
    "4 3 5 0 0 1 1\n5 3 10 0 0 1 4\n6 2 -5 0 0 1 1\n7 2 -10 0 0 1 6\n"
)
WIRE_DENDRITE = (
    "1 1 0 0 0 5 -1\n2 1 0 5 0 5 1\n"
    "3 3 0 10 0 1 2\n4 3 0 15 0 1 3\n5 3 0 20 0 1 4\n6 3 5 10 0 1 3\n"
)


def test_neuromorpho_three_point_soma_is_one_sample():
    assert _sections(NEUROMORPHO_SOMA) == [([0], -1, 1), ([0, 3, 4], 0, 3), ([0, 5, 6], 0, 2)]


def test_branch_off_a_wire_dendrite_grows_from_its_start():
    assert _sections(WIRE_DENDRITE) == [([0, 1], -1, 1), ([1, 2, 3, 4], 0, 3), ([2, 5], 1, 3)]


def _neuron_sections(path):
    from neuron import h

    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(str(path))
    sections = list(reader.sections)
    names = [s.hname() for s in sections]
    out = []
    for s in sections:
        parent = s.parentsec
        p = names.index(parent.hname()) if parent is not None else -1
        out.append((int(s.id), int(s.d.size()), p, int(s.type)))
    return out


@pytest.mark.parametrize("name", VALID_FILES + ["neuromorpho_soma", "wire_dendrite"])
def test_sections_equal_neuron_import3d(tmp_path, name):
    pytest.importorskip("neuron")
    if name == "neuromorpho_soma":
        path = _write(tmp_path, NEUROMORPHO_SOMA)
    elif name == "wire_dendrite":
        path = _write(tmp_path, WIRE_DENDRITE)
    else:
        path = MORPHOLOGIES / name
    ours = [
        (int(s.indices[0] if s.parent < 0 else s.indices[1]), len(s.indices), s.parent, s.type)
        for s in unbranched_sections(read_swc_samples(path))
    ]
    assert ours == _neuron_sections(path)


# ------------------------------------------------------------------------------------
# Fields Python's float reads but SWC does not; NEURON's Import3d layer


@pytest.mark.parametrize("field", ["1_0", "\u0663", "1\u00b75"])
def test_only_plain_ascii_numbers_are_numbers(field):
    with pytest.raises(NonNumericFieldError, match="not a number") as info:
        read_swc_samples(HEAD + f"4 3 0 {field} 0 1 3\n")
    assert (info.value.line, info.value.sample_id) == (5, 4)


def _import3d(text):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sections = import3d_sections(read_swc_samples(text))
    return sections, [str(w.message) for w in caught if w.category is UnusualMorphologyWarning]


@pytest.mark.parametrize(
    "text, line, sample_id, words",
    [
        # NEURON keeps a zero-length root (it reports L = 1e-9 µm) and a zero-length
        # section of three points; eqcable cannot build either.
        ("1 1 0 0 0 5 -1\n2 1 0 0 0 3 1\n3 3 0 9 0 1 2\n", 1, 1, "soma[0] (lines 1-2)"),
        ("1 1 0 0 0 5 -1\n2 1 9 0 0 5 1\n3 3 9 0 0 1 2\n4 3 9 0 0 2 3\n", 3, 3, "(lines 2-4) has"),
        # Beyond single precision, in which NEURON stores 3-D points.
        (HEAD + "4 3 0 1e39 0 1 3\n", 5, 4, "coordinate is beyond the single-precision"),
        (HEAD + "4 3 0 15 0 1e-46 3\n", 5, 4, "rounds to 0"),
        (HEAD + "4 3 0 15 0 1e300 3\n", 5, 4, "diameter 2e+300 µm is beyond"),
        ("1 3 -3e38 0 0 1 -1\n2 3 3e38 0 0 1 1\n", 1, 1, "longer than single precision"),
    ],
)
def test_geometry_neuron_cannot_hold_is_an_error(text, line, sample_id, words):
    with pytest.raises(GeometryError) as info:
        _import3d(text)
    e = info.value
    assert isinstance(e, MorphologyError)
    assert (e.path, e.line, e.sample_id) == ("<string>", line, sample_id)
    assert words in str(e)


def test_rules_beyond_neuron_nseg_limit_are_errors():
    import eqcable as ec

    text = "1 1 0 0 0 5 -1\n2 1 0 5 0 5 1\n3 3 0 4e4 0 1e-4 2\n"  # λ(100 Hz) = 4 µm
    with pytest.raises(GeometryError, match="32767") as info:
        ec.read_swc(text, ec.DLambda())
    assert (info.value.line, info.value.sample_id) == (3, 3)
    with pytest.raises(GeometryError, match="dend\\[0\\] 39995 compartments"):
        ec.read_swc(text, ec.MaxLength(1.0))
    assert ec.read_swc(text, 3).ncomp == 6  # an explicit count is the user's choice


def test_geometry_beyond_jax_single_precision_is_an_error_there():
    import jax

    import eqcable as ec

    text = "1 1 0 0 0 5 -1\n2 1 0 1.2 0 1e-45 1\n3 3 0 5 0 1 2\n"
    cell = ec.read_swc(text)  # in float64 the soma's tiny end is a huge resistance factor
    assert np.all(np.isfinite(cell.r_distal_scale)) and np.max(cell.r_distal_scale) > 1e40
    with jax.enable_x64(False), pytest.raises(GeometryError, match="float32") as info:
        ec.read_swc(text)
    assert (info.value.line, info.value.sample_id) == (2, 2)


def test_unusual_files_warn_once_per_kind():
    # Types other than 1-4: one warning listing them all, at the first.
    text = "1 1 0 0 0 5 -1\n2 0 0 5 0 1 1\n3 5 0 10 0 1 2\n4 42 0 15 0 1 3\n5 0 0 20 0 1 4\n"
    sections, messages = _import3d(text)
    names = ["soma[0]", "dend_0[0]", "dend_5[0]", "dend_42[0]", "dend_0[1]"]
    assert [s.name for s in sections] == names
    (message,) = messages
    assert message.startswith("<string>, line 2, sample 2: SWC types other than")
    assert "0 (dend_0, first on line 2), 5 (dend_5, first on line 3), 42 (dend_42" in message
    # Ids out of increasing order (NEURON 9.0.2's Import3d stops with an error on these).
    _, messages = _import3d("1 1 0 0 0 5 -1\n3 3 0 5 0 1 1\n2 3 0 -5 0 1 1\n")
    (message,) = messages
    assert message.startswith("<string>, line 3, sample 2: id 2 follows id 3")
    # From an array, the warning names the row.
    rows = read_swc_samples("0 3 0 0 0 1 -1\n1 3 0 5 0 1 0\n").as_array()
    with pytest.warns(UnusualMorphologyWarning) as record:
        import3d_sections(read_swc_samples(rows))
    assert sorted(str(w.message).split(":")[0] for w in record) == [
        "<array>, row 0, sample 0",
        "<array>, row 0, sample 0",
    ]


def test_import3d_needs_one_tree():
    samples = read_swc_samples(
        "1 1 0 0 0 1 -1\n2 1 1 0 0 1 1\n3 1 2 0 0 1 -1\n", allow_multiple_roots=True
    )
    with pytest.raises(MultipleRootsError, match="exactly one root"):
        import3d_sections(samples)
    with pytest.raises(ParentAfterChildError, match="<string>, line 2, sample 2"):
        unbranched_sections(samples._replace(parent_index=np.array([-1, 2, 0])))
