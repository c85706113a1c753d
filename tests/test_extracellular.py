"""Extracellular potentials (`eqcable.experiments.extracellular`): point and line sources
equal LFPykit's on a real cell's compartments, the line source is exact in every regime
(50-digit reference), gradients equal finite differences, and `SwcMap.compartment_segments`
places the compartments along the sections."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import MORPHOLOGIES

import eqcable as ec
from eqcable.experiments.extracellular import (
    extracellular_potential,
    line_source_matrix,
    linear_probe,
    point_source_matrix,
)
from eqcable.morphology.geometry import compartment_boundaries, pt3d_arc_lengths

# float64 throughout: conftest enables jax_enable_x64.
SIGMA = 0.3


def _read(name, ncomp):
    return ec.read_swc(MORPHOLOGIES / f"{name}.swc", ncomp=ncomp, return_map=True)


@pytest.fixture(scope="module")
def ca1():
    cell, swc_map = _read("ca1_n120", 3)
    starts, ends = swc_map.compartment_segments()
    return cell, swc_map, starts, ends, np.asarray(cell.radius)


def _axis_distance(starts, ends, electrodes):
    """(nelec, nseg) distance of each electrode from each segment's axis (NumPy)."""
    unit = (ends - starts) / np.linalg.norm(ends - starts, axis=1)[:, None]
    rel = electrodes[:, None, :] - starts[None]
    return np.linalg.norm(np.cross(unit[None], rel), axis=-1)


def _electrodes(starts, ends, radius):
    """A probe through the soma (several electrodes inside it), plus electrodes within a
    dendrite's radius: beside it, on its axis past its end, on its axis before its start."""
    soma = 0.5 * (starts[0] + ends[0])
    probe = np.asarray(linear_probe(16, 7.0, tuple(soma - [3.0, 4.0, 50.0]), (0.1, 0.2, 1.0)))
    k = int(np.argmax(np.where(np.arange(len(radius)) > 2, radius, 0.0)))
    unit = (ends[k] - starts[k]) / np.linalg.norm(ends[k] - starts[k])
    perp = np.cross(unit, [1.0, 0.0, 0.0])
    perp /= np.linalg.norm(perp)
    length = np.linalg.norm(ends[k] - starts[k])
    near = [
        0.5 * (starts[k] + ends[k]) + 0.5 * radius[k] * perp,
        ends[k] + 0.3 * radius[k] * unit,
        starts[k] - 2.0 * length * unit,
    ]
    return np.vstack([probe, near])


@pytest.mark.parametrize("kind", ["line", "point"])
def test_matches_lfpykit(ca1, kind):
    lfpykit = pytest.importorskip("lfpykit")
    _, _, starts, ends, radius = ca1
    electrodes = _electrodes(starts, ends, radius)
    geometry = lfpykit.CellGeometry(
        x=np.c_[starts[:, 0], ends[:, 0]],
        y=np.c_[starts[:, 1], ends[:, 1]],
        z=np.c_[starts[:, 2], ends[:, 2]],
        d=2.0 * radius,
    )
    model = lfpykit.LineSourcePotential if kind == "line" else lfpykit.PointSourcePotential
    x, y, z = electrodes.T
    expected = model(geometry, x=x, y=y, z=z, sigma=SIGMA).get_transformation_matrix()
    if kind == "line":
        got = line_source_matrix(starts, ends, electrodes, SIGMA, radius)
        clamped = _axis_distance(starts, ends, electrodes) < radius
    else:
        mid = 0.5 * (starts + ends)
        got = point_source_matrix(mid, electrodes, SIGMA, radius)
        clamped = np.linalg.norm(electrodes[:, None] - mid[None], axis=-1) < radius
    assert clamped.sum() >= 5  # r_limit is exercised, at several electrodes
    assert clamped[-3:].any(axis=1).all()
    error = np.abs(np.asarray(got) - expected) / np.abs(expected)
    assert error.max() < 1e-9, error.max()
    # the potential of currents: M @ I, per time step
    currents = np.random.default_rng(0).normal(size=(len(starts), 4))
    phi = extracellular_potential(currents, got)
    np.testing.assert_allclose(phi, expected @ currents, rtol=1e-8, atol=1e-12)


def test_line_source_is_exact_everywhere():
    """Before, beside and beyond the segment, near the axis and far away (where the textbook
    asinh difference loses every digit), against the integral in 50-digit arithmetic."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    start, end = np.array([[1.0, -2.0, 3.0]]), np.array([[4.0, 2.0, 3.0]])  # L = 5
    u, perp = np.array([0.6, 0.8, 0.0]), np.array([0.0, 0.0, 1.0])
    along = (-7.0, -1e-3, 0.0, 2.5, 5.0, 5.1, 12.0, 3e4)
    cases = [(x, rho) for x in along for rho in (0.5, 40.0)]
    cases += [(-2e5, 1e-2), (1e6, 3.0), (2.5, 1e5)]
    electrodes = np.array([start[0] + x * u + rho * perp for x, rho in cases])
    got = np.asarray(line_source_matrix(start, end, electrodes, SIGMA))[:, 0]
    for (l_, rho), value, e in zip(cases, got, electrodes, strict=True):
        rel = [
            mpmath.mpf(float(a)) - mpmath.mpf(float(b)) for a, b in zip(e, start[0], strict=True)
        ]
        d = [
            mpmath.mpf(float(a)) - mpmath.mpf(float(b))
            for a, b in zip(end[0], start[0], strict=True)
        ]
        length = mpmath.sqrt(sum(x * x for x in d))
        l = sum(a * b for a, b in zip(rel, d, strict=True)) / length  # noqa: E741
        r = mpmath.sqrt(sum(x * x for x in rel) - l * l)
        exact = (mpmath.asinh(l / r) - mpmath.asinh((l - length) / r)) / (
            4 * mpmath.pi * SIGMA * length
        )
        assert abs(value - float(exact)) <= 1e-13 * float(exact), (l_, rho, value, exact)


def test_short_and_zero_length_segments():
    start = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [5.0, 5.0, 5.0]])
    end = start + np.array([[0.0, 0.0, 0.0], [1e-7, 0.0, 0.0], [0.0, 0.0, 10.0]])
    electrodes = np.array([[0.0, 3.0, 4.0], [1.0, 1.0, 1.2], [5.0, 5.0, 20.0], [0.0, 0.0, 0.5]])
    radius = np.array([1.0, 0.5, 2.0])
    line = np.asarray(line_source_matrix(start, end, electrodes, SIGMA, radius))
    point = np.asarray(point_source_matrix(0.5 * (start + end), electrodes, SIGMA, radius))
    np.testing.assert_array_equal(line[:, 0], point[:, 0])  # zero length: the point source
    np.testing.assert_allclose(line[:, 1], point[:, 1], rtol=1e-6)  # 0.1 nm: nearly
    assert line[3, 0] == 1.0 / (4 * np.pi * SIGMA * 1.0)  # within r_limit of the point

    # Gradients are finite everywhere: zero length, inside r_limit, on the axis beyond the
    # end without r_limit, and with respect to every input.
    def total(s, e, el, sigma, r_limit):
        return jnp.sum(line_source_matrix(s, e, el, sigma, r_limit))

    grads = jax.grad(total, argnums=(0, 1, 2, 3, 4))(start, end, electrodes, SIGMA, radius)
    grads += jax.grad(total, argnums=(0, 1, 2, 3))(start, end, electrodes, SIGMA, None)
    assert all(np.all(np.isfinite(g)) for g in grads)


def _central_differences(f, x, step):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        dx = np.zeros_like(x)
        dx[index] = step
        grad[index] = (f(x + dx) - f(x - dx)) / (2 * step)
    return grad


@pytest.mark.parametrize("kind", ["line", "point"])
def test_gradient_with_respect_to_an_electrode(ca1, kind):
    _, _, starts, ends, radius = ca1
    soma = 0.5 * (starts[0] + ends[0])
    # one electrode inside the soma's r_limit, one 25 µm away; none at a kink of the limit
    electrodes = soma + np.array([[3.0, 2.0, 1.0], [-20.0, 12.0, 9.0]])
    distance = (
        _axis_distance(starts, ends, electrodes)
        if kind == "line"
        else np.linalg.norm(electrodes[:, None] - 0.5 * (starts + ends)[None], axis=-1)
    )
    assert np.min(np.abs(distance - radius)) > 1e-2
    currents = np.random.default_rng(1).normal(size=len(starts))

    @jax.jit
    def phi(electrode):
        if kind == "line":
            matrix = line_source_matrix(starts, ends, electrode[None], SIGMA, radius)
        else:
            matrix = point_source_matrix(0.5 * (starts + ends), electrode[None], SIGMA, radius)
        return extracellular_potential(currents, matrix)[0]

    for electrode in electrodes:
        grad = np.asarray(jax.grad(phi)(electrode))
        fd = _central_differences(lambda x: float(phi(x)), electrode, 1e-3)
        assert np.max(np.abs(grad - fd)) <= 1e-6 * np.max(np.abs(grad)), (grad, fd)


def test_gradient_with_respect_to_segments_and_sigma():
    rng = np.random.default_rng(2)
    starts = rng.uniform(-20, 20, size=(6, 3))
    ends = starts + rng.uniform(-10, 10, size=(6, 3))
    electrodes = rng.uniform(-30, 30, size=(4, 3))
    radius = np.full(6, 0.7)
    weights = rng.normal(size=(4, 6))

    @jax.jit
    def f(s, e, sigma):
        return jnp.sum(weights * line_source_matrix(s, e, electrodes, sigma, radius))

    grads = jax.jit(jax.grad(f, argnums=(0, 1, 2)))(starts, ends, SIGMA)
    for k, x in enumerate((starts, ends)):
        fd = _central_differences(
            lambda y, k=k: float(
                f(*[y if j == k else v for j, v in enumerate((starts, ends))], SIGMA)
            ),
            x,
            1e-4,
        )
        np.testing.assert_allclose(grads[k], fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())
    np.testing.assert_allclose(grads[2], -f(starts, ends, SIGMA) / SIGMA, rtol=1e-12)


def test_jit_and_vmap_skip_value_checks():
    starts, ends = np.zeros((2, 3)), np.array([[0.0, 0.0, 10.0], [10.0, 0.0, 0.0]])
    electrodes = np.asarray(linear_probe(5, 20.0, (5.0, 5.0, -40.0)))
    eager = line_source_matrix(starts, ends, electrodes, SIGMA, 1.0)
    jitted = jax.jit(line_source_matrix)(starts, ends, electrodes, SIGMA, 1.0)
    np.testing.assert_allclose(jitted, eager, rtol=1e-14)
    per_electrode = jax.vmap(lambda e: line_source_matrix(starts, ends, e[None], SIGMA, 1.0)[0])
    np.testing.assert_allclose(per_electrode(electrodes), eager, rtol=1e-14)


def test_linear_probe():
    probe = np.asarray(linear_probe(4, 25.0, (1.0, 2.0, 3.0), (0.0, 3.0, 4.0)))
    expected = np.array([1.0, 2.0, 3.0]) + np.arange(4)[:, None] * 25.0 * np.array([0, 0.6, 0.8])
    np.testing.assert_allclose(probe, expected, rtol=1e-15, atol=1e-13)
    np.testing.assert_array_equal(linear_probe(1, 10.0), np.zeros((1, 3)))


def _lengths_along_sections(cell, swc_map, starts, ends):
    """Each compartment's length measured along its section: from its start through the
    3-D points inside it to its end. Checks on the way that the compartments of a section
    meet end to start and run from its first to its last 3-D point."""
    out = np.empty(cell.ncomp)
    offsets = np.concatenate([[0], np.cumsum(cell.ncomp_per_branch)])
    for b, section in enumerate(swc_map.sections):
        n, first = cell.ncomp_per_branch[b], offsets[b]
        points = section.xyz.astype(np.float32).astype(np.float64)  # NEURON's x3d
        np.testing.assert_array_equal(starts[first], points[0])
        np.testing.assert_allclose(ends[first + n - 1], points[-1], rtol=0, atol=1e-9)
        np.testing.assert_array_equal(ends[first : first + n - 1], starts[first + 1 : first + n])
        arc = pt3d_arc_lengths(section.xyz)
        for j in range(n):
            inside = points[(arc > arc[-1] * j / n) & (arc < arc[-1] * (j + 1) / n)]
            path = np.vstack([starts[first + j], inside, ends[first + j]])
            out[first + j] = np.sum(np.linalg.norm(np.diff(path, axis=0), axis=1))
    return out


def test_compartment_segments():
    """A real cell whose coordinates single precision holds exactly: measured along the
    section, every compartment is `cell.length` long (to 1e-9); as a straight segment, no
    longer."""
    cell, swc_map = _read("allen_485574832", ec.MaxLength(10.0))
    starts, ends = swc_map.compartment_segments()
    assert starts.shape == ends.shape == (cell.ncomp, 3)
    np.testing.assert_array_equal(swc_map.compartment_segments(cell)[1], ends)
    length = np.asarray(cell.length)
    along = _lengths_along_sections(cell, swc_map, starts, ends)
    np.testing.assert_allclose(along, length, rtol=1e-9)
    chord = np.linalg.norm(ends - starts, axis=1)
    assert np.all(chord <= length * (1 + 1e-9))


def test_compartment_segments_in_single_precision_steps(ca1):
    """Coordinates single precision does not hold: NEURON's arc lengths come from
    single-precision differences (`pt3d_arc_lengths`), so the lengths along the sections
    agree to float32's 6e-8."""
    cell, swc_map, starts, ends, _ = ca1
    length = np.asarray(cell.length)
    along = _lengths_along_sections(cell, swc_map, starts, ends)
    np.testing.assert_allclose(along, length, rtol=1e-7)
    assert np.max(np.abs(along / length - 1)) > 1e-9  # (so the tolerance is needed)


def test_errors(ca1):
    cell, swc_map, starts, ends, radius = ca1
    el = np.zeros((2, 3))
    # (in the tests, the jaxtyping+beartype hook may catch a shape first, as a TypeError
    # naming the parameter)
    with pytest.raises((ValueError, TypeError), match="electrodes"):
        line_source_matrix(starts, ends, np.zeros(3))
    with pytest.raises((ValueError, TypeError), match="ends"):
        line_source_matrix(starts, ends[:-1], el)
    with pytest.raises((ValueError, TypeError), match="midpoints"):
        point_source_matrix(starts[:, :2], el)
    with pytest.raises((ValueError, TypeError), match="r_limit"):
        line_source_matrix(starts, ends, el, SIGMA, radius[:-1])
    with pytest.raises(ValueError, match="r_limit"):
        point_source_matrix(starts, el, SIGMA, -1.0)
    for sigma in (0.0, -0.3, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="sigma"):
            line_source_matrix(starts, ends, el, sigma)
    with pytest.raises((ValueError, TypeError), match="sigma"):
        point_source_matrix(starts, el, np.ones(3))
    bad = el.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="electrodes.*row 1"):
        point_source_matrix(starts, bad)
    bad = starts.copy()
    bad[5, 0] = np.inf
    with pytest.raises(ValueError, match="starts.*row 5"):
        line_source_matrix(bad, ends, el)
    with pytest.raises(TypeError, match="electrodes"):
        point_source_matrix(starts, np.array([["a", "b", "c"]]))
    matrix = point_source_matrix(starts, el)
    with pytest.raises((ValueError, TypeError), match="i_membrane|matrix"):
        extracellular_potential(np.zeros((len(starts) - 1, 3)), matrix)
    with pytest.raises(TypeError, match="`n`|'n'"):
        linear_probe(2.5, 10.0)
    with pytest.raises(ValueError, match="`n`"):
        linear_probe(0, 10.0)
    with pytest.raises(ValueError, match="spacing"):
        linear_probe(3, -10.0)
    with pytest.raises(ValueError, match="direction"):
        linear_probe(3, 10.0, direction=(0.0, 0.0, 0.0))
    with pytest.raises((ValueError, TypeError), match="start"):
        linear_probe(3, 10.0, start=(0.0, 0.0))
    with pytest.raises(ValueError, match="compartments"):
        swc_map._replace(ncomp_per_section=()).compartment_segments()
    with pytest.raises(ValueError, match="ncomp"):
        compartment_boundaries(np.zeros((2, 3)), 0)
