"""Hay et al.'s L5b pyramidal cell (`eqcable.hay_l5pc`), 200 ms: eqcable vs NEURON (same
NMODL files, same nseg) and, with Pospischil et al.'s channels on the same compartments,
eqcable vs Jaxley; one run, CPU, float64.

The protocol of `tests/test_hay.py` (a 1 nA somatic step from 10 to 110 ms and an
EPSP-shaped current into the apical trunk, dt 0.025 ms), v recorded at the soma. The
gradient is of the mean squared somatic voltage w.r.t. three densities (soma NaTa_t,
apical SK_E2, basal leak; for the Pospischil rows Na, K and leak, shared). NEURON has
no gradient; its forward is ``finitialize`` plus 8,000 ``fadvance`` calls.

    pip install -e ".[test,bench]" && python benchmarks/hay.py [--repeats 3] [--no-jaxley]
"""

import argparse
import functools
import sys
import tempfile
import time
import warnings
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platform_name", "cpu")

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import eqcable as ec  # noqa: E402

# eqcable compiles with its CPU options (`ec.compiler_options`) when called directly; a
# jit of one's own passes them.
jit = functools.partial(eqx.filter_jit, compiler_options=ec.compiler_options())

TESTS = Path(__file__).parents[1] / "tests"
sys.path.insert(0, str(TESTS))
import test_hay as protocol  # noqa: E402  (the recipe's NEURON twin and the stimuli)

DT, T_MAX = protocol.DT, protocol.T_MAX
POSPISCHIL = {"Na": {"gNa": 0.05}, "K": {"gK": 0.005}, "Km": {"gKm": 7e-5}}


def median(f, repeats):
    """First call (compilation included) and median of `repeats` further calls (s)."""
    t = time.perf_counter()
    jax.block_until_ready(f())
    first = time.perf_counter() - t
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(f())
        times.append(time.perf_counter() - t)
    return first, float(np.median(times))


def with_protocol(cell, sites):
    cell = cell.comp(sites[0]).stimulate(ec.step_current(*protocol.STEP, DT, T_MAX))
    cell = cell.comp(sites[2]).stimulate(ec.epsp_current(*protocol.EPSP, DT, T_MAX))
    return cell.comp(sites[0]).record("v")


def bench_eqcable(model, trainables, repeats):
    for group, name in trainables:
        model = model.group(group).make_trainable(name)
    p = model.params()
    fwd = jit(lambda p: model.integrate(p, t_max=T_MAX, dt=DT))
    grad = jit(
        eqx.filter_grad(lambda p: jnp.mean((model.integrate(p, t_max=T_MAX, dt=DT) + 65) ** 2))
    )
    return median(lambda: fwd(p), repeats), median(lambda: grad(p), repeats)


def bench_neuron(cell, swc_map, sites, repeats):
    from helpers import compile_mod_files
    from neuron import h

    with tempfile.TemporaryDirectory() as build:
        h.nrn_load_dll(str(compile_mod_files(Path(build))))
    _, segments = protocol.neuron_hay(cell, swc_map)
    h.celsius, h.dt = 34.0, DT
    step = h.IClamp(segments[sites[0]])
    step.delay, step.dur, step.amp = protocol.STEP
    epsp = h.IClamp(segments[sites[2]])
    epsp.delay, epsp.dur = 0.0, 1e9
    played = h.Vector(np.asarray(ec.epsp_current(*protocol.EPSP, DT, T_MAX).values))
    played.play(epsp._ref_amp, DT)
    v = h.Vector().record(segments[sites[0]]._ref_v)

    def run():
        h.finitialize(-80.0)
        for _ in range(int(round(T_MAX / DT))):
            h.fadvance()
        return np.asarray(v)

    return median(run, repeats)


def pospischil_cell(cell):
    """The recipe's compartments with a leak and Pospischil's Na, K, Km everywhere."""
    out = ec.Cell(
        [ec.Branch(ec.Compartment(), n) for n in cell.ncomp_per_branch],
        cell.branch_parents,
        cell.branch_parent_x,
        cell.branch_types,
    )
    for name in ("radius", "length", "axial_resistivity", "capacitance"):
        out = out.set(name, np.asarray(getattr(cell, name)))
    out = out.set("v", -70.0).set("celsius", 36.0)
    out = out.insert(ec.Leak(gLeak=1e-4, eLeak=-70.0))
    for name, values in POSPISCHIL.items():
        out = out.insert(getattr(ec.pospischil, name)(**values))
    return out


def bench_jaxley(cell, sites, repeats):
    import jaxley as jx
    from jaxley.channels import pospischil

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        branches = {n: jx.Branch(jx.Compartment(), n) for n in set(cell.ncomp_per_branch)}
        jcell = jx.Cell([branches[n] for n in cell.ncomp_per_branch], list(cell.branch_parents))
        for name in ("radius", "length", "axial_resistivity", "capacitance"):
            jcell.set(name, np.asarray(getattr(cell, name)))
        jcell.set("v", -70.0)
        jcell.insert(pospischil.Leak())
        jcell.set("Leak_gLeak", 1e-4)
        jcell.set("Leak_eLeak", -70.0)
        for name, values in POSPISCHIL.items():
            jcell.insert(getattr(pospischil, name)())
            for key, x in values.items():
                jcell.set(f"{name}_{key}", x)
        jcell.init_states()
    comps = jcell.nodes.index.to_numpy()
    stim = jx.step_current(*protocol.STEP, DT, T_MAX)
    jcell.select(nodes=comps[sites[0]]).stimulate(stim, verbose=False)
    epsp = np.asarray(ec.epsp_current(*protocol.EPSP, DT, T_MAX).values)
    jcell.select(nodes=comps[sites[2]]).stimulate(epsp, verbose=False)
    jcell.select(nodes=comps[sites[0]]).record("v", verbose=False)
    for name in ("Na_gNa", "K_gK", "Leak_gLeak"):
        jcell.make_trainable(name, verbose=False)
    p = jcell.get_parameters()

    def simulate(p):
        return jx.integrate(jcell, params=p, delta_t=DT, t_max=T_MAX)

    fwd = jax.jit(simulate)
    grad = jax.jit(jax.grad(lambda p: jnp.mean((simulate(p) + 65) ** 2)))
    return median(lambda: fwd(p), repeats), median(lambda: grad(p), repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-jaxley", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ec.TimeStepWarning)
    cell, swc_map = ec.hay_l5pc(protocol.SWC, return_map=True)
    sites = protocol._sites(cell)
    print(f"Hay L5PC: {cell.ncomp} compartments, {cell.nbranches} branches, 200 ms")
    rows = {}
    rows["eqcable, Hay (bbp)"] = bench_eqcable(
        with_protocol(cell, sites), protocol.GRADIENT, args.repeats
    )
    rows["NEURON, Hay (bbp)"] = (bench_neuron(cell, swc_map, sites, args.repeats), None)
    simple = with_protocol(pospischil_cell(cell), sites)
    trainables = (("soma", "Na_gNa"), ("soma", "K_gK"), ("soma", "Leak_gLeak"))
    rows["eqcable, Pospischil"] = bench_eqcable(simple, trainables, args.repeats)
    if not args.no_jaxley:
        rows["Jaxley, Pospischil"] = bench_jaxley(cell, sites, args.repeats)
    print(
        f"{'':>22} {'fwd s':>8} {'grad s':>8} {'grad/fwd':>9} {'1st fwd s':>10} {'1st grad s':>11}"
    )
    for who, (fwd, grad) in rows.items():
        g = f"{grad[1]:8.2f} {grad[1] / fwd[1]:9.2f}" if grad else f"{'—':>8} {'—':>9}"
        first = f"{grad[0]:11.1f}" if grad else f"{'—':>11}"
        print(f"{who:>22} {fwd[1]:8.2f} {g} {fwd[0]:10.1f} {first}")
    ours, neuron = rows["eqcable, Hay (bbp)"][0][1], rows["NEURON, Hay (bbp)"][0][1]
    print(f"eqcable / NEURON forward: {ours / neuron:.2f}")
    if "Jaxley, Pospischil" in rows:
        a, b = rows["eqcable, Pospischil"], rows["Jaxley, Pospischil"]
        print(
            f"eqcable / Jaxley (Pospischil): forward {a[0][1] / b[0][1]:.2f}, "
            f"gradient {a[1][1] / b[1][1]:.2f}"
        )


if __name__ == "__main__":
    main()
