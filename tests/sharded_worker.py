"""Checks of `integrate_sharded`, run in a process of its own with several (forced) CPU
devices by `test_sharded_network.py` and `test_distributed.py`: a heterogeneous network
spread over all devices equals the same network on one device, and so do gradients.

Usage: ``python sharded_worker.py CASE [PROCESS PORT]`` with CASE ``traces``, ``grads``
or ``errors``; with PROCESS and PORT, the process joins a two-process run
(`jax.distributed`, coordinator on 127.0.0.1:PORT). Prints ``ok CASE <largest
difference>`` on success.
"""

import sys

import jax

jax.config.update("jax_enable_x64", True)
if len(sys.argv) > 2:
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        f"127.0.0.1:{sys.argv[3]}", num_processes=2, process_id=int(sys.argv[2])
    )

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import eqcable as ec  # noqa: E402

T_MAX, DT = 20.0, 0.025


def cells():
    """Seven cells of different shapes and mechanisms (one with calcium as state)."""
    comp = ec.Compartment(radius=1.0)

    def cell(nbranches, ncomp, parent_x=None):
        branch = ec.Branch(comp, ncomp=ncomp)
        parents = [-1] + [0] * (nbranches - 1)
        return ec.Cell([branch] * nbranches, parents=parents, parent_x=parent_x).insert(ec.HH())

    calcium = cell(1, 4).insert(ec.Ca_HVA(gCa_HVAbar=1e-3)).insert(ec.CaDynamics_E2())
    return [
        cell(3, 2, parent_x=[1.0, 0.5, 1.0]),
        calcium,
        cell(1, 1),
        cell(5, 2),
        ec.Cell([ec.Branch(comp, ncomp=3)], parents=[-1]).insert(ec.Leak()),
        cell(3, 3),
        cell(2, 2),
    ]


def delayed_connections(net):
    """Delayed connections only (the shortest 0.25 ms = 10 steps): graded, event-driven,
    and from a spike-train input; cell 0 stimulated."""
    net = net.connect(
        net.cell(3).comp(0), net.cell([0, 6]).comp(1), ec.IonotropicSynapse(gS=0.01), delay=0.25
    )
    ring = np.roll(np.eye(7, dtype=bool), 1, axis=1) | np.eye(7, k=3, dtype=bool)
    net = net.connect_matrix(
        ring, ec.Exp2Syn(weight=0.05), delay=[0.5 + 0.025 * k for k in range(11)]
    )
    train = ec.SpikeTrain(jnp.asarray([1.0, 3.0, 7.5]))
    net = net.connect(train, net.cell([2, 5]).comp(0), ec.Exp2Syn(weight=0.1), delay=1.0)
    return net.cell(0).comp(0).stimulate(ec.step_current(1.0, 5.0, 0.5, DT, T_MAX))


def network():
    """Graded synapses (with and without delay), event-driven ones with delays, spike-train
    inputs, stimuli on two cells, and recordings of every kind."""
    net = ec.Network(cells())
    net = net.fully_connect([0, 1, 2], [3, 4, 5, 6], ec.IonotropicSynapse(gS=0.02))
    net = delayed_connections(net)
    net = net.cell(5).comp(0).stimulate(ec.step_current(2.0, 5.0, 0.6, DT, T_MAX))
    net = net.cell("all").comp(0).record("v", "i_membrane")
    net = net.cell([1, 3]).comp(1).record("HH_m", "i_HH")
    net = net.cell(1).comp(0).record("cai", "ica")
    net = net.synapse("Exp2Syn", [0, 3, 5, 12]).record("Exp2Syn_B", "i_Exp2Syn")
    return net.synapse("IonotropicSynapse").record("IonotropicSynapse_s")


def delayed_network():
    """`delayed_connections` alone: devices may exchange every 10 steps."""
    net = delayed_connections(ec.Network(cells())).cell("all").comp(0).record("v")
    return net.synapse("Exp2Syn", [0, 3, 12]).record("Exp2Syn_B", "i_Exp2Syn")


def largest(a, b) -> float:
    return float(jnp.max(jnp.abs(a - b)))


def traces() -> float:
    net = network()
    worst = 0.0
    for stepper, solver in [
        (ec.BackwardEuler(), None),
        (ec.CrankNicolson(), ec.LevelParallelSolve()),
    ]:
        ref = ec.integrate(net, t_max=T_MAX, stepper=stepper)
        out = ec.integrate_sharded(net, t_max=T_MAX, stepper=stepper, solver=solver)
        assert out.shape == ref.shape, (out.shape, ref.shape)
        worst = max(worst, largest(out, ref))
        assert float(jnp.max(ref[:7])) > 0.0, "no cell spiked: a weak test"
    # exchanges every 10 and every 7 steps (800 steps: the last block is padded)
    delayed = delayed_network()
    ref = ec.integrate(delayed, t_max=T_MAX)
    for every, segment in [(10, None), (7, 60)]:
        out = ec.integrate_sharded(
            delayed, t_max=T_MAX, exchange_every=every, checkpoint_length=segment
        )
        worst = max(worst, largest(out, ref))
    # clamps of every kind, on cells of different devices
    se = ec.SEClamp(dur1=5.0, amp1=-65.0, dur2=10.0, amp2=-20.0, rs=0.01)
    clamped = net.cell(4).comp(0).clamp(se)
    clamped = clamped.cell(2).comp(0).clamp(ec.IdealClamp(dur1=8.0, amp1=-70.0))
    trace = ec.DataClamp("HH_m", jnp.linspace(0.05, 0.3, 801), dt=DT)
    clamped = clamped.cell(6).comp(1).clamp(trace)
    clamped = clamped.cell([2, 4]).comp(0).record("i_clamp").cell(6).comp(1).record("HH_m")
    out = ec.integrate_sharded(clamped, t_max=T_MAX)
    worst = max(worst, largest(out, ec.integrate(clamped, t_max=T_MAX)))
    # cells without synapses (nothing to exchange)
    alone = (
        ec.Network(cells())
        .cell([0, 5])
        .comp(0)
        .stimulate(ec.step_current(1.0, 5.0, 0.5, DT, T_MAX))
    )
    alone = alone.cell("all").comp(0).record()
    worst = max(
        worst, largest(ec.integrate_sharded(alone, t_max=T_MAX), ec.integrate(alone, t_max=T_MAX))
    )
    # the tree solve as a Pallas kernel (its interpreter here), on a shorter run
    short = ec.Network(cells()[:4]).fully_connect([0, 1], [2, 3], ec.IonotropicSynapse(gS=0.02))
    short = short.cell(0).comp(0).stimulate(ec.step_current(1.0, 3.0, 0.5, DT, 5.0))
    short = short.cell("all").comp(0).record()
    out = ec.integrate_sharded(short, t_max=5.0, solver=ec.PallasSolve())
    worst = max(worst, largest(out, ec.integrate(short, t_max=5.0)))
    # another partition, and a run with checkpointed segments
    parts = [[6, 5], [4], [3, 0], [1, 2]]
    out = ec.integrate_sharded(net, t_max=T_MAX, partition=parts, checkpoint_length=37)
    worst = max(worst, largest(out, ec.integrate(net, t_max=T_MAX)))
    assert worst <= 1e-10, worst
    return worst


def grads() -> float:
    net = network().make_trainable("HH_gNa")
    net = net.synapse("IonotropicSynapse").make_trainable("IonotropicSynapse_gS", shared=False)
    net = net.synapse("Exp2Syn").make_trainable("Exp2Syn_tau2")
    net = net.cell(1).comp("all").make_trainable("radius", shared=False)
    params = net.params()

    def loss(p, run):
        return jnp.mean(run(net, p, t_max=T_MAX)[:7] ** 2)

    ref = jax.grad(loss)(params, ec.integrate)
    out = jax.grad(loss)(params, ec.integrate_sharded)
    worst = 0.0
    for a, b in zip(jax.tree.leaves(ref), jax.tree.leaves(out), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12 * float(jnp.max(jnp.abs(a))))
        worst = max(worst, largest(a, b) / float(jnp.max(jnp.abs(a))))
    assert all(float(jnp.max(jnp.abs(g))) > 0 for g in jax.tree.leaves(ref))
    # exchanging every 10 steps, gradients are unchanged too
    delayed = delayed_network().make_trainable("HH_gK")
    delayed = delayed.synapse("Exp2Syn").make_trainable("Exp2Syn_weight", shared=False)
    p = delayed.params()
    ref = jax.grad(lambda p: jnp.mean(ec.integrate(delayed, p, t_max=T_MAX)[:7] ** 2))(p)
    out = jax.grad(
        lambda p: jnp.mean(
            ec.integrate_sharded(delayed, p, t_max=T_MAX, exchange_every=10)[:7] ** 2
        )
    )(p)
    for a, b in zip(jax.tree.leaves(ref), jax.tree.leaves(out), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12 * float(jnp.max(jnp.abs(a))))
        worst = max(worst, largest(a, b) / float(jnp.max(jnp.abs(a))))
    # jit and vmap over a parameter compose with it
    batch = jax.tree.map(lambda x: jnp.stack([x, 1.1 * x]), params)
    many = eqx.filter_vmap(lambda p: ec.integrate_sharded(net, p, t_max=T_MAX))(batch)
    one = ec.integrate_sharded(net, jax.tree.map(lambda x: x[1], batch), t_max=T_MAX)
    assert largest(many[1], one) <= 1e-10
    return worst


def errors() -> float:
    net = network()
    ndev = len(jax.devices())

    def refused(match, **kw):
        try:
            ec.integrate_sharded(**{"network": net, "t_max": T_MAX, **kw})
        except (ValueError, TypeError) as e:
            assert match in str(e), str(e)
        else:
            raise AssertionError(f"not refused: {kw}")

    small = ec.Network(cells()[:2]).cell("all").comp(0).record()
    refused("use at most 2 devices", network=small)
    refused("exactly once", partition=[[0, 1], [1, 2], [3, 4], [5, 6]])
    refused("one per device", partition=[[0, 1, 2, 3, 4, 5, 6]])
    refused("PartitionedSolve", solver=ec.PartitionedSolve())
    refused("shorter than the exchange interval", exchange_every=2)  # graded, no delay
    refused(
        "IonotropicSynapse connection 0 has a delay of 0.25 ms",
        network=delayed_network(),
        exchange_every=11,
    )
    refused("positive int", exchange_every=0)
    # a gap junction within one device works; across devices it is refused
    gap = net.connect(net.cell(2).comp(0), net.cell(4).comp(1), ec.GapJunction(g=1e-3))
    parts = [[2, 4], [0, 1], [3], [5, 6]][:ndev]
    if ndev == 4:
        out = ec.integrate_sharded(gap, t_max=T_MAX, partition=parts)
        worst = largest(out, ec.integrate(gap, t_max=T_MAX))
        assert worst <= 1e-10, worst
        refused("across devices", network=gap, partition=[[2], [4, 0, 1], [3], [5, 6]])
    return worst


if __name__ == "__main__":
    case = sys.argv[1]
    worst = {"traces": traces, "grads": grads, "errors": errors}[case]()
    print("ok", case, worst)
