"""Bad input gets a clear error that names the offending item."""

import jax.numpy as jnp
import numpy as np
import pytest

import eqcable as ec


def _branch(n=2):
    return ec.Branch(ec.Compartment(), ncomp=n)


def _cell():
    return ec.Cell([_branch(), _branch(), _branch()], parents=[-1, 0, 0]).insert(ec.HH())


@pytest.mark.parametrize(
    "parents,match",
    [
        ([-1, 0], "3 branches"),
        ([-1, 0, 5], r"parents\[2\] = 5"),
        ([-1, 2, 1], "cycle"),
        ([-1, -1, 0], "exactly one root"),
        ([0, 1, 2], "exactly one root|own parent"),
        ([-1, 1, 0], r"parents\[1\] = 1"),
        ([-1, 0, -2], r"parents\[2\] = -2"),
    ],
)
def test_parents_must_be_a_tree(parents, match):
    with pytest.raises(ValueError, match=match):
        ec.Cell([_branch(), _branch(), _branch()], parents=parents)


@pytest.mark.parametrize("x", [-0.1, 1.5, float("nan")])
def test_attachment_position_must_be_in_unit_interval(x):
    with pytest.raises(ValueError, match=r"parent_x\[1\]"):
        ec.Cell([_branch(), _branch()], parents=[-1, 0], parent_x=[1.0, x])


def test_ncomp_must_be_positive():
    with pytest.raises(ValueError, match="ncomp"):
        ec.Branch(ec.Compartment(), ncomp=0)
    with pytest.raises(TypeError, match="ncomp"):
        ec.Branch(ec.Compartment(), ncomp=2.0)


@pytest.mark.parametrize("name", ["radius", "length", "axial_resistivity", "capacitance"])
@pytest.mark.parametrize("value", [0.0, -1.0, np.nan, np.inf])
def test_geometry_must_be_positive_and_finite(name, value):
    with pytest.raises(ValueError, match=name):
        ec.Compartment(**{name: value})
    with pytest.raises(ValueError, match=name):
        _cell().branch(1).set(name, value)


def test_nan_parameters_are_refused():
    cell = _cell()
    with pytest.raises(ValueError, match="HH_gNa"):
        cell.set("HH_gNa", jnp.nan)
    with pytest.raises(ValueError, match="v"):
        cell.set("v", np.array([np.nan] * cell.ncomp))
    with pytest.raises(ValueError, match="HH_gK"):
        cell.insert(ec.HH(gK=np.nan))
    cell = cell.make_trainable("HH_gNa").comp(0).record()
    with pytest.raises(ValueError, match="HH_gNa"):
        cell.integrate(({"HH_gNa": jnp.asarray(jnp.nan)},), t_max=1.0)


@pytest.mark.parametrize(
    "dt,t_max,match",
    [
        (0.0, 1.0, "dt"),
        (-0.1, 1.0, "dt"),
        (np.nan, 1.0, "dt"),
        (0.025, 0.01, "t_max"),
        (0.025, np.inf, "t_max"),
    ],
)
def test_bad_time_step(dt, t_max, match):
    cell = _cell().comp(0).record()
    with pytest.raises(ValueError, match=match):
        cell.integrate(t_max=t_max, dt=dt)
    with pytest.raises(ValueError, match=match):
        ec.step_current(1.0, 1.0, 0.1, dt=dt, t_max=t_max)


def test_unknown_names():
    cell = _cell()
    with pytest.raises(ValueError, match="'HH_foo'.*Recordable: v, .*HH_m"):
        cell.record("HH_foo")
    with pytest.raises(ValueError, match="'Leak_gLeak'"):
        cell.set("Leak_gLeak", 1e-4)  # Leak not inserted
    with pytest.raises(ValueError, match="'diameter'"):
        cell.make_trainable("diameter")


def test_indices_out_of_range():
    cell = _cell()
    with pytest.raises(ValueError, match="branch index 3 is out of range"):
        cell.branch(3)
    with pytest.raises(ValueError, match="Branch 1: compartment index 2 is out of range"):
        cell.branch(1).comp(2)
    with pytest.raises(ValueError, match="compartment index 6 is out of range"):
        cell.comp(6)


def test_nothing_recorded_and_mismatched_params():
    cell = _cell()
    with pytest.raises(ValueError, match="Nothing is recorded"):
        cell.integrate(t_max=1.0)
    cell = cell.comp(0).record().make_trainable("radius")
    with pytest.raises(ValueError, match="params do not match"):
        cell.integrate(({"length": jnp.asarray(1.0)},), t_max=1.0)
    with pytest.raises(ValueError, match="shape"):
        cell.integrate(({"radius": jnp.ones(3)},), t_max=1.0)


def test_shared_trainable_needs_equal_values():
    cell = _cell().branch(2).set("radius", 2.0)
    with pytest.raises(ValueError, match="different values"):
        cell.make_trainable("radius")
    assert cell.make_trainable("radius", shared=False).params()[0]["radius"].shape == (6,)


def test_wrong_types():
    with pytest.raises(TypeError, match="AbstractChannel"):
        _cell().insert("HH")
    with pytest.raises(TypeError, match="solver"):
        _cell().comp(0).record().integrate(t_max=1.0, solver="sequential")
    # (in the tests, the jaxtyping+beartype hook may catch it first, also as a TypeError)
    with pytest.raises(TypeError, match=r"not a Branch|Sequence\[eqcable.modules.branch.Branch\]"):
        ec.Cell([ec.Compartment()], parents=[-1])
