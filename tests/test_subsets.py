"""Channels inserted in few compartments are evaluated only there
(`eqcable.simulation.subsets`): the same traces and gradients as evaluating every channel
everywhere and masking, and the masked evaluation where the masks are traced."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import eqcable as ec
from eqcable.simulation import loop
from eqcable.simulation.subsets import channel_subsets

DT, T_MAX = 0.025, 15.0


def _cell():
    """HH in the soma only, calcium and SK in part of the dendrite, a leak everywhere."""
    soma = ec.Branch(ec.Compartment(radius=8.0, length=10.0, v=-70.0), ncomp=2)
    dend = ec.Branch(ec.Compartment(radius=1.0, length=30.0, v=-70.0), ncomp=5)
    cell = ec.Cell([soma, dend, dend], parents=[-1, 0, 0]).insert(ec.Leak(gLeak=1e-4))
    cell = cell.branch(0).insert(ec.HH())
    for ch in (ec.Ca_HVA(gCa_HVAbar=0.002), ec.SK_E2(gSK_E2bar=0.02), ec.CaDynamics_E2()):
        cell = cell.branch(1).comp([0, 1, 2]).insert(ch)
    cell = cell.comp(0).stimulate(ec.step_current(1.0, 10.0, 0.5, DT, T_MAX))
    cell = cell.comp(0).record("v").comp(3).record("v", "cai")
    return cell.branch(1).make_trainable("radius")


def _masked(module, params=None):
    """The simulation with every channel evaluated everywhere (no subsets)."""
    nsteps, scheme = loop.check_run(module, DT, T_MAX, None, None)
    applied = ec.modules.parameters.apply_params(module, params) if params else module
    return loop.simulate(applied, scheme, nsteps)


def test_channels_are_evaluated_on_their_compartments_only():
    cell = _cell()
    subsets = channel_subsets(cell)
    names = [ch.name for ch in cell.channels]
    assert subsets[names.index("Leak")] is None  # everywhere: masked
    assert len(subsets[names.index("HH")]) == 2 and len(subsets[names.index("SK_E2")]) == 3


def test_same_traces_and_gradients_as_the_masked_evaluation():
    cell = _cell()
    ours = cell.integrate(t_max=T_MAX, dt=DT)
    masked = _masked(cell)
    assert float(ours[0].max()) > 0.0 and float(ours[2].max()) > 2 * float(ours[2][0])
    np.testing.assert_allclose(ours, masked, rtol=1e-12, atol=1e-12)

    def loss(params, run):
        return jnp.mean(run(params)[1] ** 2)

    params = cell.params()
    grads = jax.grad(loss)(params, lambda p: cell.integrate(p, t_max=T_MAX, dt=DT))
    reference = jax.grad(loss)(params, lambda p: _masked(cell, p))
    np.testing.assert_allclose(grads[0]["radius"], reference[0]["radius"], rtol=1e-10)


def test_a_traced_module_is_evaluated_masked():
    cell = _cell()

    @eqx.filter_jit
    def run(module):
        assert channel_subsets(module) is None
        return module.integrate(t_max=T_MAX, dt=DT)

    np.testing.assert_allclose(run(cell), cell.integrate(t_max=T_MAX, dt=DT), rtol=1e-12)


def test_a_channel_inserted_nowhere_is_evaluated_nowhere():
    cell = _cell()
    k = [ch.name for ch in cell.channels].index("SK_E2")
    masks = list(cell.channel_masks)
    masks[k] = jnp.zeros_like(masks[k])
    cell = eqx.tree_at(lambda c: c.channel_masks, cell, tuple(masks))
    assert channel_subsets(cell)[k] == ()
    np.testing.assert_allclose(
        cell.integrate(t_max=T_MAX, dt=DT), _masked(cell), rtol=1e-12, atol=1e-12
    )
