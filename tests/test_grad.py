"""Gradients through a whole simulation equal central finite differences (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import MORPHOLOGIES, assert_gradient_matches_finite_differences

import eqcable as ec

T_MAX, DT = 5.0, 0.025


def _cell():
    b0 = ec.Branch(ec.Compartment(radius=1.0, length=20.0), ncomp=3)
    b1 = ec.Branch(ec.Compartment(radius=0.6, length=15.0), ncomp=2)
    b2 = ec.Branch(ec.Compartment(radius=0.8, length=25.0), ncomp=3)
    cell = ec.Cell([b0, b1, b2], parents=[-1, 0, 0]).insert(ec.HH())
    cell = cell.comp(4).stimulate(ec.step_current(0.5, 2.0, 0.05, dt=DT, t_max=T_MAX))
    return cell.comp(0).record("v").comp(7).record("v").comp(2).record("HH_m")


NAMES = [
    ("radius", False),
    ("length", False),
    ("axial_resistivity", False),
    ("capacitance", False),
    ("HH_gNa", False),
    ("HH_gK", False),
    ("HH_gLeak", False),
    ("radius", True),
]


@pytest.mark.parametrize("name,per_branch", NAMES)
@pytest.mark.parametrize("stepper", [ec.BackwardEuler(), ec.CrankNicolson()])
def test_gradient_equals_finite_differences(name, per_branch, stepper):
    cell = _cell()
    if per_branch:  # one trainable per compartment of branch 1
        cell = cell.branch(1).make_trainable(name, shared=False)
    else:
        cell = cell.branch(0).make_trainable(name)  # one value shared by branch 0
    params = cell.params()

    def loss(p):
        v = cell.integrate(p, t_max=T_MAX, dt=DT, stepper=stepper)
        return jnp.mean((v[:2] + 60.0) ** 2) + jnp.mean(v[2])

    assert_gradient_matches_finite_differences(params, name, loss)


def test_forward_mode_equals_reverse_mode():
    cell = _cell().make_trainable("HH_gNa").make_trainable("radius", shared=False)
    params = cell.params()
    f = lambda p: jnp.sum(cell.integrate(p, t_max=T_MAX, dt=DT))  # noqa: E731
    rev = jax.grad(f)(params)
    tangent = jax.tree.map(jnp.ones_like, params)
    _, fwd = jax.jvp(f, (params,), (tangent,))
    np.testing.assert_allclose(fwd, sum(jnp.sum(x) for x in jax.tree.leaves(rev)), rtol=1e-9)


@pytest.mark.parametrize("name", ["radius", "length", "axial_resistivity"])
def test_gradient_of_a_cell_built_from_3d_points(name):
    rng = np.random.default_rng(0)
    xyz = np.cumsum(rng.normal(size=(6, 3)) * 5.0, axis=0)
    trunk = ec.Branch.from_points(xyz, rng.uniform(0.5, 1.5, 6), ncomp=3)
    tip = ec.Branch.from_points(
        xyz[-1] + np.cumsum(rng.normal(size=(4, 3)), axis=0), rng.uniform(0.3, 0.8, 4), ncomp=2
    )
    cell = ec.Cell([trunk, tip, tip], parents=[-1, 0, 0]).insert(ec.HH())
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 2.0, 0.1, dt=DT, t_max=T_MAX))
    cell = cell.comp([0, 6]).record().branch(0).make_trainable(name, shared=False)

    def loss(p):
        return jnp.mean((cell.integrate(p, t_max=T_MAX, dt=DT) + 60.0) ** 2)

    assert_gradient_matches_finite_differences(cell.params(), name, loss)


@pytest.mark.parametrize("name", ["radius", "length"])
def test_gradient_of_an_swc_cell(name):

    path = MORPHOLOGIES / "somatic_branchpoint.swc"
    cell = ec.read_swc(path, 3).insert(ec.HH())
    cell = cell.group("soma").comp(0).stimulate(ec.step_current(0.5, 2.0, 0.5, DT, T_MAX))
    tip = cell.ncomp - 1
    cell = cell.comp([0, tip]).record().group("basal").make_trainable(name, shared=False)

    def loss(p):
        return jnp.mean((cell.integrate(p, t_max=T_MAX, dt=DT) + 60.0) ** 2)

    assert_gradient_matches_finite_differences(cell.params(), name, loss)


@pytest.mark.parametrize("segment", [1, 7, 40, 500])
def test_checkpointed_gradients_equal_plain(segment):
    """Segmenting the time loop (bounded memory) changes neither values nor gradients."""
    cell = _cell().make_trainable("HH_gNa").make_trainable("radius", shared=False)
    params = cell.params()

    def loss(p, checkpoint_length):
        v = cell.integrate(p, t_max=T_MAX, dt=DT, checkpoint_length=checkpoint_length)
        return jnp.mean((v + 60.0) ** 2)

    plain_value, plain_grad = jax.value_and_grad(loss)(params, None)
    value, grad = jax.value_and_grad(loss)(params, segment)
    np.testing.assert_allclose(value, plain_value, rtol=1e-13)
    for g, pg in zip(jax.tree.leaves(grad), jax.tree.leaves(plain_grad), strict=True):
        np.testing.assert_allclose(g, pg, rtol=1e-10)


def test_auto_checkpointing_bounds_long_simulations():
    from eqcable.simulation import segment_length

    cell = ec.Cell([ec.Branch(ec.Compartment(), ncomp=1000)], parents=[-1])
    nnodes = cell.structure.node_to_comp.shape[0]
    assert segment_length("auto", 200, nnodes) is None  # short: no segments
    assert segment_length("auto", 20_000, nnodes) == 142  # ceil(sqrt(20,000))
    assert segment_length(None, 20_000, nnodes) is None
    with pytest.raises(ValueError, match="checkpoint_length"):
        segment_length(0, 10, nnodes)


def test_module_route_and_params_route_give_equal_gradients():
    # The module is the parameter: gradients over its filtered leaves equal those of the
    # `params()` view (a shared value's gradient is the sum over its selection).
    import equinox as eqx

    from eqcable.modules.quantities import follow

    cell = _cell().branch(1).make_trainable("HH_gNa").make_trainable("radius", shared=False)
    cell = cell.make_trainable("axial_resistivity")

    def loss(traces):
        return jnp.sum((traces[:2] + 65.0) ** 2) * 1e-3 + jnp.sum(traces[2])

    params = cell.params()
    by_params = jax.grad(lambda p: loss(cell.integrate(p, t_max=T_MAX, dt=DT)))(params)
    diff, static = eqx.partition(cell, cell.trainable_filter())
    by_module = eqx.filter_grad(
        lambda d: loss(eqx.combine(d, static).integrate(t_max=T_MAX, dt=DT))
    )(diff)
    whole = eqx.filter_grad(lambda c: loss(c.integrate(t_max=T_MAX, dt=DT)))(cell)
    assert follow(by_module, ("length",)) is None  # only declared arrays are differentiated
    for tr, g in zip(cell.trainables, by_params, strict=True):
        idx = np.asarray(tr.indices)
        for grads in (by_module, whole):
            values = np.asarray(follow(grads, tr.path))[idx]
            expected = values.sum() if tr.shared else values
            np.testing.assert_allclose(g[tr.name], expected, rtol=1e-12, atol=1e-300)
        assert np.all(np.asarray(g[tr.name]) != 0.0)
