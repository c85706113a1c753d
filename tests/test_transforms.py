"""Bounded-parameter transforms round-trip, and gradients flow through them."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import MORPHOLOGIES, assert_gradient_matches_finite_differences

import eqcable as ec

TRANSFORMS = [
    (ec.Identity(), np.array([-3.0, 0.5, 7.0])),
    (ec.Affine(scale=0.01, shift=0.1), np.array([-3.0, 0.5, 7.0])),
    (ec.Exp(), np.array([1e-4, 0.12, 30.0])),
    (ec.Softplus(), np.array([1e-6, 0.12, 40.0])),
    (ec.Softplus(lower=-70.0), np.array([-69.9, -50.0, 10.0])),
    (ec.Sigmoid(0.1, 5.0), np.array([0.1001, 1.0, 4.999])),
    (ec.Chain(ec.Affine(2.0, 0.0), ec.Softplus()), np.array([1e-3, 0.5, 3.0])),
]


@pytest.mark.parametrize("transform,x", TRANSFORMS)
def test_round_trip(transform, x):
    u = transform.inverse(jnp.asarray(x))
    np.testing.assert_allclose(transform.forward(u), x, rtol=1e-12)
    u2 = jnp.linspace(-5, 5, 11)
    np.testing.assert_allclose(transform.inverse(transform.forward(u2)), u2, rtol=1e-9, atol=1e-9)


def test_out_of_range_and_bad_bounds():
    with pytest.raises(ValueError, match="Sigmoid"):
        ec.Sigmoid(0.1, 5.0).inverse(6.0)
    with pytest.raises(ValueError, match="Softplus"):
        ec.Softplus().inverse(-1.0)
    with pytest.raises(ValueError, match="lower < upper"):
        ec.Sigmoid(1.0, 1.0)
    with pytest.raises(ValueError, match="non-zero"):
        ec.Affine(0.0)


def test_gradients_through_transformed_parameters():
    branch = ec.Branch(ec.Compartment(radius=2.0, length=15.0), ncomp=3)
    cell = ec.Cell([branch, branch], parents=[-1, 0]).insert(ec.HH())
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 2.0, 0.2, 0.025, 4.0)).comp([0, 5]).record()
    cell = cell.make_trainable("HH_gNa").branch(1).make_trainable("radius", shared=False)
    transforms = ({"HH_gNa": ec.Softplus()}, {"radius": ec.Sigmoid(0.5, 4.0)})
    u0 = ec.unconstrain(transforms, cell.params())
    np.testing.assert_allclose(ec.constrain(transforms, u0)[1]["radius"], 2.0, rtol=1e-12)

    def loss(u):
        v = cell.integrate(ec.constrain(transforms, u), t_max=4.0)
        return jnp.mean((v + 60.0) ** 2)

    # The helper perturbs the first entry: check each by putting it first.
    assert_gradient_matches_finite_differences(u0, "HH_gNa", loss)
    swapped = (u0[1], u0[0])
    assert_gradient_matches_finite_differences(swapped, "radius", lambda p: loss((p[1], p[0])))
    assert jax.grad(loss)(u0)[0]["HH_gNa"].shape == ()


def test_parameters_defined_as_functions_of_position():
    """g(d) = g0 exp(-d / lam) along the cell, with g0 and lam the fitted quantities."""

    path = MORPHOLOGIES / "somatic_branchpoint.swc"
    cell = ec.read_swc(path, 3).insert(ec.HH())
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 2.0, 0.5, 0.025, 4.0))
    cell = cell.comp([0, cell.ncomp - 1]).record().make_trainable("HH_gNa", shared=False)
    distance = jnp.asarray(cell.path_distance(0))

    def loss(theta):
        g = theta["g0"] * jnp.exp(-distance / theta["lam"])
        v = cell.integrate(({"HH_gNa": g},), t_max=4.0)
        return jnp.mean((v + 60.0) ** 2)

    theta = {"g0": jnp.asarray(0.15), "lam": jnp.asarray(20.0)}
    grad = jax.grad(loss)(theta)
    for name in theta:
        eps = 1e-6 * float(theta[name])
        plus = {**theta, name: theta[name] + eps}
        minus = {**theta, name: theta[name] - eps}
        fd = (loss(plus) - loss(minus)) / (2 * eps)
        np.testing.assert_allclose(grad[name], fd, rtol=1e-5)
        assert abs(float(fd)) > 0
