"""The fitting loop recovers hidden parameters; interrupted fits resume bit for bit."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import eqcable as ec

T_MAX = 5.0


def _problem():
    branch = ec.Branch(ec.Compartment(radius=3.0, length=15.0), ncomp=2)
    cell = ec.Cell([branch, branch], parents=[-1, 0]).insert(ec.HH())
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 4.0, 0.4, 0.025, T_MAX))
    cell = cell.comp([0, 3]).record().make_trainable("HH_gNa").make_trainable("HH_gK")
    transforms = ({"HH_gNa": ec.Softplus()}, {"HH_gK": ec.Softplus()})
    true = ({"HH_gNa": jnp.asarray(0.15)}, {"HH_gK": jnp.asarray(0.04)})
    target = cell.integrate(true, t_max=T_MAX)

    def loss(u, key=None):
        v = cell.integrate(ec.constrain(transforms, u), t_max=T_MAX)
        if key is not None:  # a stochastic loss: noisy target
            return jnp.mean((v - target - 0.01 * jax.random.normal(key, v.shape)) ** 2)
        return jnp.mean((v - target) ** 2)

    start = ({"HH_gNa": jnp.asarray(0.12)}, {"HH_gK": jnp.asarray(0.05)})
    return loss, ec.unconstrain(transforms, start), transforms, true


def test_fit_recovers_hidden_parameters():
    loss, u0, transforms, true = _problem()
    schedule = optax.cosine_decay_schedule(0.03, 200)
    optimiser = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(schedule))
    result = ec.fit(loss, u0, optimiser, 200, progress=False)
    fitted = ec.constrain(transforms, result.params)
    assert result.step == 200 and len(result.history) == 200
    assert result.history[-1] < 1e-3 * result.history[0]
    for f, t in zip(jax.tree.leaves(fitted), jax.tree.leaves(true), strict=True):
        np.testing.assert_allclose(f, t, rtol=1e-3)  # the issue asks for 1%


def test_interrupted_fit_resumes_bit_identically(tmp_path):
    loss, u0, _, _ = _problem()
    optimiser = optax.adam(0.02)
    key = jax.random.PRNGKey(7)
    full = ec.fit(loss, u0, optimiser, 30, key=key, progress=False)

    path = tmp_path / "fit.ckpt"

    def interrupt(step, value):
        if step == 17:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ec.fit(
            loss,
            u0,
            optimiser,
            30,
            key=key,
            checkpoint=path,
            every=10,
            callback=interrupt,
            progress=False,
        )
    resumed = ec.fit(loss, u0, optimiser, 30, key=key, checkpoint=path, every=10, progress=False)
    assert resumed.step == 30
    for a, b in zip(jax.tree.leaves(resumed.params), jax.tree.leaves(full.params), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(
        jax.tree.leaves(resumed.opt_state), jax.tree.leaves(full.opt_state), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(resumed.key, full.key)
    assert resumed.history == full.history


def test_bad_checkpoints_are_refused(tmp_path):
    loss, u0, _, _ = _problem()
    path = tmp_path / "fit.ckpt"
    ec.fit(loss, u0, optax.adam(0.01), 2, checkpoint=path, every=1, progress=False)
    with pytest.raises(ValueError, match="different fit"):
        ec.fit(loss, u0, optax.sgd(0.01, momentum=0.9), 4, checkpoint=path, progress=False)
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ValueError, match="not a readable"):
        ec.fit(loss, u0, optax.adam(0.01), 4, checkpoint=path, progress=False)


def test_a_checkpoint_into_a_missing_folder_is_refused_before_any_step(tmp_path):
    loss, u0, _, _ = _problem()
    steps = []
    missing = tmp_path / "runs" / "today"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        ec.fit(
            loss,
            u0,
            optax.adam(0.01),
            3,
            checkpoint=missing / "fit.ckpt",
            progress=False,
            callback=lambda step, value: steps.append(step),
        )
    assert steps == []
