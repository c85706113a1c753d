"""Whole time steps fused into one Pallas kernel (`PallasSolve(steps_per_launch=k)`), run
here through Pallas' interpreter: traces equal the ordinary time loop within 1e-10 mV
(float64) for several channels on parts of a reconstruction, both steppers, launches that
do not divide the run, batches; networks with every synapse kind, delays, spike-train
inputs and gap junctions; derivatives equal; what cannot be fused is refused.
That the kernel lowers for a GPU is checked in `test_gpu_lowering.py`."""

from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import ArrayLike

import eqcable as ec
from eqcable.channels.parameter import parameter

MORPHOLOGIES = __import__("pathlib").Path(__file__).parent / "data" / "morphologies"
DT, T_MAX = 0.025, 5.0


class WarmLeak(ec.AbstractChannel):
    """A leak whose conductance relaxes to a temperature-dependent value (a channel that
    reads ``celsius`` in its current)."""

    g: ArrayLike = parameter(2e-4, "S/cm²", ge=0.0)
    e: ArrayLike = parameter(-60.0, "mV")
    state_names: ClassVar[tuple[str, ...]] = ("a",)
    reads_celsius: ClassVar[bool] = True

    def steady_state(self, v, celsius):
        return {"a": jnp.full_like(v, 0.5)}

    def step(self, states, v, dt, celsius):
        target = 1.0 / (1.0 + jnp.exp(-(v + 50.0) / 5.0))
        tau = 2.0 + 0.01 * celsius + 0.0 * v  # ms
        return {"a": ec.exponential_euler(states["a"], target, tau, dt)}

    def current(self, states, v):
        return self.g * states["a"] * (1.0 + 0.01 * states["celsius"]) * (v - self.e)


def _ca1():
    # A leak everywhere, HH on most branches, Ih on part of the cell, a calcium channel
    # reading its reversal potential, a channel reading celsius; 2 nA into the soma.
    cell = ec.read_swc(MORPHOLOGIES / "ca1_n120.swc", ncomp=2).insert(ec.Leak(gLeak=1e-4))
    cell = cell.branch([0, 1, 2, 4, 5, 6, 7, 8, 9]).insert(ec.HH())
    cell = cell.branch([0, 1, 2, 5]).insert(ec.Ih()).branch([0, 4]).insert(ec.Ca_HVA())
    cell = cell.branch(2).insert(WarmLeak()).set("celsius", 12.0)
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 3.0, 2.0, DT, T_MAX))
    cell = cell.comp([0, 7]).record("v").branch(0).comp(1).record("HH_m", "Ih_m")
    return cell.branch(2).comp(0).record("WarmLeak_a").make_trainable("HH_gNa")


@pytest.mark.parametrize("stepper", [ec.BackwardEuler(), ec.CrankNicolson()])
@pytest.mark.parametrize("steps_per_launch", [1, 7])
def test_fused_steps_equal_the_time_loop(stepper, steps_per_launch):
    cell = _ca1()
    want = cell.integrate(t_max=T_MAX, solver=ec.SequentialSolve(), stepper=stepper)
    fused = ec.PallasSolve(steps_per_launch=steps_per_launch)
    got = cell.integrate(t_max=T_MAX, solver=fused, stepper=stepper)
    assert float(jnp.max(want[0])) > 0.0  # the soma spikes
    np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)


def test_fused_steps_derivatives_and_batches():
    cell = _ca1()
    params = cell.params()
    fused = ec.PallasSolve(steps_per_launch=16)

    def loss(p, solver):
        return jnp.mean(cell.integrate(p, t_max=T_MAX, solver=solver)[:2] ** 2)

    want = jax.grad(loss)(params, ec.SequentialSolve())[0]["HH_gNa"]
    np.testing.assert_allclose(jax.grad(loss)(params, fused)[0]["HH_gNa"], want, rtol=1e-9)
    tangent = jax.tree.map(jnp.ones_like, params)
    jvps = [
        jax.jvp(lambda p, s=s: cell.integrate(p, t_max=T_MAX, solver=s), (params,), (tangent,))
        for s in (ec.SequentialSolve(), fused)
    ]
    np.testing.assert_allclose(jvps[1][0], jvps[0][0], atol=1e-10, rtol=0)
    np.testing.assert_allclose(jvps[1][1], jvps[0][1], rtol=1e-9, atol=1e-9)

    def run(g, solver):
        p = [dict(params[0])]
        p[0]["HH_gNa"] = jnp.full_like(params[0]["HH_gNa"], g)
        return cell.integrate(p, t_max=T_MAX, solver=solver)

    gnas = jnp.array([0.08, 0.12, 0.16])
    batched = jax.jit(jax.vmap(lambda g: run(g, fused)))(gnas)
    np.testing.assert_allclose(batched[1], run(0.12, ec.SequentialSolve()), atol=1e-10, rtol=0)
    np.testing.assert_allclose(batched[2], run(0.16, ec.SequentialSolve()), atol=1e-10, rtol=0)


def _network():
    # Cells of two shapes; event-driven (Exp2Syn) and graded (IonotropicSynapse,
    # TanhRateSynapse) connections, without and with delays, several onto one compartment;
    # spike trains into both kinds; a gap junction; recorded voltages and synapse states.
    small = ec.Cell([ec.Branch(ec.Compartment(radius=1.0, length=20.0), ncomp=3)] * 3, [-1, 0, 0])
    large = ec.Cell(
        [ec.Branch(ec.Compartment(radius=2.0, length=30.0), ncomp=4)] * 4, [-1, 0, 0, 1]
    )
    net = ec.Network([small, large, small, large, small]).insert(ec.HH())
    net = net.cell(0).comp(0).stimulate(ec.step_current(0.5, 3.0, 1.0, DT, T_MAX))
    exp2, ion = ec.Exp2Syn(weight=0.05), ec.IonotropicSynapse(gS=0.01)
    for pre, post, syn, delay in [
        (0, 1, exp2, 0.0),
        (0, 2, exp2, 0.5),
        (1, 2, exp2, 0.25),
        (0, 3, ion, 0.0),
        (2, 3, ion, 0.25),
        (1, 3, ion, 0.0),
        (3, 4, ec.TanhRateSynapse(gS=0.01, x_offset=-40.0), 0.5),
    ]:
        net = net.connect(net.cell(pre).comp(4), net.cell(post).comp(0), syn, delay=delay)
    net = net.connect(ec.SpikeTrain([0.5, 1.0, 2.0]), net.cell(4).comp(1), exp2, delay=0.25)
    net = net.connect(ec.SpikeTrain([1.5]), net.cell(4).comp(0), ion)
    net = net.connect(net.cell(1).comp(7), net.cell(3).comp(5), ec.GapJunction(g=1e-3))
    for i in range(5):
        net = net.cell(i).comp(0).record("v")
    net = net.synapse("Exp2Syn").record("Exp2Syn_A", "Exp2Syn_B")
    net = net.synapse("IonotropicSynapse").record("IonotropicSynapse_s")
    # Two more stimuli, one onto the same compartment; a voltage recorded after the rest.
    net = net.cell(0).comp(0).stimulate(ec.step_current(1.0, 1.0, 0.3, DT, T_MAX))
    net = net.cell(2).comp(3).stimulate(ec.step_current(2.0, 1.0, 0.2, DT, T_MAX))
    return net.cell(4).comp(2).record("v")


@pytest.mark.parametrize(
    ("stepper", "lanes"), [(ec.BackwardEuler(), None), (ec.CrankNicolson(), 32)]
)
def test_fused_networks_equal_the_time_loop(stepper, lanes):
    net = _network()  # 59 compartments: blocks of 64 lanes by default
    want = net.integrate(t_max=T_MAX, solver=ec.SequentialSolve(), stepper=stepper)
    fused = ec.PallasSolve(steps_per_launch=9, lanes=lanes)
    got = net.integrate(t_max=T_MAX, solver=fused, stepper=stepper)
    assert float(jnp.max(want[:5])) > 0.0  # spikes, which the synapses pass on
    assert float(jnp.min(want[5:12])) < float(jnp.max(want[5:12]))  # Exp2Syn states move
    np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)
    np.testing.assert_array_less(0.0, jnp.max(jnp.abs(want[1:5] - want[1:5, :1])))


def test_fused_networks_derivatives_and_batches():
    net = _network().make_trainable("IonotropicSynapse_gS").make_trainable("Exp2Syn_tau2")
    params = net.params()
    fused = ec.PallasSolve(steps_per_launch=16)

    def loss(p, solver):
        return jnp.mean(net.integrate(p, t_max=T_MAX, solver=solver)[:5] ** 2)

    want = jax.grad(loss)(params, ec.SequentialSolve())
    got = jax.grad(loss)(params, fused)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-14)

    def run(gs, solver):
        p = [dict(x) for x in params]
        p[0]["IonotropicSynapse_gS"] = jnp.full_like(params[0]["IonotropicSynapse_gS"], gs)
        return net.integrate(p, t_max=T_MAX, solver=solver)

    values = jnp.array([0.0, 0.01, 0.05])
    batched = jax.jit(jax.vmap(lambda g: run(g, fused)))(values)
    for k in (0, 2):
        want = run(values[k], ec.SequentialSolve())
        np.testing.assert_allclose(batched[k], want, atol=1e-10, rtol=0)


def test_what_cannot_be_fused_is_refused():
    fused = ec.PallasSolve(steps_per_launch=4)
    cell = ec.Cell([ec.Branch(ec.Compartment(), ncomp=3)] * 2, parents=[-1, 0]).insert(ec.HH())
    cell = cell.comp(0).record("v")
    one = ec.Compartment().insert(ec.HH()).record("v")  # no tree edges: fine
    np.testing.assert_allclose(
        one.integrate(t_max=1.0, solver=fused),
        one.integrate(t_max=1.0, solver=ec.SequentialSolve()),
        atol=1e-10,
        rtol=0,
    )
    np.testing.assert_allclose(  # no stimulus: fine
        cell.integrate(t_max=1.0, solver=fused),
        cell.integrate(t_max=1.0, solver=ec.SequentialSolve()),
        atol=1e-10,
        rtol=0,
    )
    net = ec.Network([cell, cell])
    net = net.connect(net.cell(0).comp(0), net.cell(1).comp(0), ec.Exp2Syn())
    cases = {
        "1 clamp": cell.comp(1).clamp(ec.SEClamp(dur1=1.0, amp1=-40.0)),
        "recordings of i_membrane": cell.comp(1).record("i_membrane"),
        "concentrations integrated by mechanisms \\(cai\\)": cell.insert(ec.Ca_HVA()).insert(
            ec.CaDynamics_E2()
        ),
        "recordings of i_Exp2Syn": net.synapse("Exp2Syn").record("i_Exp2Syn"),
    }
    for message, model in cases.items():
        with pytest.raises(ValueError, match=message):
            model.integrate(t_max=1.0, solver=fused)
    with pytest.raises(ValueError, match="steps_per_launch must be None or an int >= 1"):
        ec.PallasSolve(steps_per_launch=0)
    for lanes in (48, 16, 2048, True):
        with pytest.raises(ValueError, match="lanes must be None or a power of two"):
            ec.PallasSolve(steps_per_launch=4, lanes=lanes)
    with pytest.raises(TypeError, match="interpret"):  # (jaxtyping may check it first)
        ec.PallasSolve(interpret="yes")
