"""The simulation and its gradient lower for a GPU (CUDA) on this CPU-only machine, so that
code a GPU cannot compile fails here, in CI, and not first on a GPU.

`jax.export` lowers for another platform without its backend. Equinox's runtime checks
(`eqx.error_if`, e.g. on non-finite parameters) run as host callbacks, which only the
backend that runs them can lower: the check is switched to NaN outputs for the export
(``EQX_ON_ERROR=nan``), in a fresh process.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

MOD = Path(__file__).parent / "mod"

SCRIPT = textwrap.dedent(
    """
    import jax
    jax.config.update("jax_enable_x64", True)
    from jax import export
    import eqcable as ec
    from pathlib import Path

    MOD = Path({mod!r})

    branch = ec.Branch(ec.Compartment(radius=1.0, length=20.0), ncomp=4)
    cell = ec.Cell([branch] * 5, parents=[-1, 0, 0, 1, 1]).insert(ec.HH())
    cell = cell.comp(0).clamp(ec.SEClamp(dur1=1.0, amp1=-40.0))
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 1.0, 0.2, 0.025, 2.0))
    cell = cell.comp([0, 9]).record("v", "i_membrane").make_trainable("HH_gNa")
    net = ec.Network([cell, cell]).cell(0).comp(5).record("v")
    net = net.connect(net.cell(0).comp(3), net.cell(1).comp(0), ec.Exp2Syn(weight=0.01))
    net = net.connect(net.cell(0).comp(7), net.cell(1).comp(2), ec.GapJunction())
    # Pallas kernels lower to Triton custom calls, which carry no compatibility
    # guarantee across jaxlib versions: allowed here, as the export is never stored.
    triton = export.DisabledSafetyCheck.custom_call("__gpu$xla.gpu.triton")
    for solver in (ec.LevelParallelSolve(), ec.PartitionedSolve(), ec.PallasSolve()):
        run = lambda p: net.integrate(p, t_max=2.0, solver=solver)
        params = net.params()
        batch = jax.tree.map(lambda x: jax.numpy.stack([x, x]), params)
        cases = ((run, params), (jax.grad(lambda p: run(p).sum()), params), (jax.vmap(run), batch))
        for f, args in cases:
            exported = export.export(jax.jit(f), platforms=["cuda"], disabled_checks=[triton])(args)
            assert exported.platforms == ("cuda",), exported.platforms
            kernels = exported.mlir_module().count("__gpu$xla.gpu.triton")
            # The tree solve is one kernel per solve (two per gradient step).
            assert (kernels > 0) == isinstance(solver, ec.PallasSolve), (solver, kernels)
    # Whole steps fused into one kernel: forward runs and batches are the kernel; the
    # gradient differentiates the time loop, with the tree solve as a kernel.
    fused = ec.PallasSolve(steps_per_launch=8)
    # Every channel of the catalogue but the concentration mechanism, and an NMODL import.
    plain = ec.Cell([branch] * 5, parents=[-1, 0, 0, 1, 1]).insert(ec.HH()).insert(ec.Leak())
    catalogue = (ec.Ih, ec.Ca_HVA, ec.Ca_LVAst, ec.Im, ec.K_Pst, ec.K_Tst, ec.NaTa_t)
    catalogue += (ec.NaTs2_t, ec.Nap_Et2, ec.SK_E2, ec.SKv3_1, ec.read_nmodl(MOD / "Km.mod"))
    for k, channel in enumerate(catalogue):
        plain = plain.branch(k % 5).insert(channel())
    plain = plain.comp(0).stimulate(ec.step_current(0.5, 1.0, 0.2, 0.025, 2.0))
    plain = plain.comp([0, 9]).record("v").comp(3).record("HH_m").make_trainable("HH_gNa")
    run = lambda p: plain.integrate(p, t_max=2.0, solver=fused)
    params = plain.params()
    batch = jax.tree.map(lambda x: jax.numpy.stack([x, x]), params)
    cases = (
        (run, params, "eqcable_fused_steps"),
        (jax.vmap(run), batch, "eqcable_fused_steps"),
        (jax.grad(lambda p: run(p).sum()), params, "eqcable_tree_solve_eliminated"),
    )
    # A network: event-driven and graded synapses with delays, spike trains, a gap junction.
    hh = ec.Cell([branch] * 5, parents=[-1, 0, 0, 1, 1]).insert(ec.HH())
    net = ec.Network([hh, hh, hh]).cell(0).comp(0).stimulate(
        ec.step_current(0.5, 1.0, 0.2, 0.025, 2.0)
    )
    net = net.connect(net.cell(0).comp(3), net.cell(1).comp(0), ec.Exp2Syn(), delay=0.5)
    net = net.connect(net.cell(1).comp(3), net.cell(2).comp(0), ec.IonotropicSynapse())
    net = net.connect(ec.SpikeTrain([0.5]), net.cell(2).comp(1), ec.Exp2Syn(), delay=0.25)
    net = net.connect(net.cell(0).comp(7), net.cell(2).comp(2), ec.GapJunction())
    net = net.cell([0, 1, 2]).comp(0).record("v").synapse("Exp2Syn").record("Exp2Syn_B")
    net = net.make_trainable("IonotropicSynapse_gS")
    wide = ec.PallasSolve(steps_per_launch=8, lanes=256)  # eight warps
    run_net = lambda p: net.integrate(p, t_max=2.0, solver=wide)
    p_net = net.params()
    b_net = jax.tree.map(lambda x: jax.numpy.stack([x, x]), p_net)
    cases += (
        (run_net, p_net, "eqcable_fused_steps"),
        (jax.vmap(run_net), b_net, "eqcable_fused_steps"),
    )
    for f, args, kernel in cases:
        exported = export.export(jax.jit(f), platforms=["cuda"], disabled_checks=[triton])(args)
        assert kernel in exported.mlir_module(), kernel
    print("ok")
    """
)


def test_simulation_and_gradient_lower_for_cuda():
    env = {**os.environ, "EQX_ON_ERROR": "nan", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(mod=str(MOD))],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert result.stdout.strip().endswith("ok")
