"""Reading real morphologies and simulating them: eqcable vs Jaxley, in one run.

For `ca1_n120.swc` (ncomp 4), `l5pc_with_axon.swc` and the Allen Cell Types
reconstruction `allen_485574832.swc` (ncomp 2): read + build time (median of repeats,
first call reported separately), then forward and gradient time of a 20 ms HH simulation
(dt 0.025 ms, 1 nA step at the soma, v recorded at the soma; gradient of the mean squared
voltage w.r.t. the shared HH sodium conductance), CPU, float64.

    pip install -e ".[bench]" && python benchmarks/swc.py [--no-jaxley]
"""

import argparse
import functools
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

MORPHOLOGIES = Path(__file__).parents[1] / "tests" / "data" / "morphologies"
FILES = {"ca1_n120": 4, "l5pc_with_axon": 2, "allen_485574832": 2}
DT, T_MAX = 0.025, 20.0


def timed(f, repeats):
    out, times = None, []
    for _ in range(repeats):
        t = time.perf_counter()
        out = jax.block_until_ready(f())
        times.append(time.perf_counter() - t)
    return out, times


def build_times(f, repeats):
    """Wall times of calls that build a model (no arrays to wait for)."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return times


def bench_eqcable(path, ncomp, repeats):
    build = build_times(lambda: ec.read_swc(path, ncomp), repeats)
    cell = ec.read_swc(path, ncomp).insert(ec.HH())
    soma = cell.group("soma").indices[0]
    cell = cell.comp(soma).stimulate(ec.step_current(1.0, 5.0, 1.0, DT, T_MAX))
    cell = cell.comp(soma).record().make_trainable("HH_gNa")
    p = cell.params()
    fwd = jit(lambda p: cell.integrate(p, t_max=T_MAX, dt=DT))
    grad = jit(eqx.filter_grad(lambda p: jnp.mean(cell.integrate(p, t_max=T_MAX) ** 2)))
    _, (c_fwd,) = timed(lambda: fwd(p), 1)
    _, (c_grad,) = timed(lambda: grad(p), 1)
    _, t_fwd = timed(lambda: fwd(p), repeats)
    _, t_grad = timed(lambda: grad(p), repeats)
    return cell.ncomp, build, np.median(t_fwd), np.median(t_grad), c_fwd, c_grad


def bench_jaxley(path, ncomp, repeats):
    import jaxley as jx
    from jaxley.channels import HH

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build = build_times(lambda: jx.read_swc(str(path), ncomp=ncomp), max(1, repeats // 3))
        cell = jx.read_swc(str(path), ncomp=ncomp)
    cell.insert(HH())
    cell.set("v", -65.0)
    cell.init_states()
    cell.branch(0).comp(0).stimulate(jx.step_current(1.0, 5.0, 1.0, DT, T_MAX))
    cell.branch(0).comp(0).record("v", verbose=False)
    cell.make_trainable("HH_gNa", verbose=False)
    p = cell.get_parameters()

    def simulate(p):
        return jx.integrate(cell, params=p, delta_t=DT, t_max=T_MAX)

    fwd = jax.jit(simulate)
    grad = jax.jit(jax.grad(lambda p: jnp.mean(simulate(p) ** 2)))
    _, (c_fwd,) = timed(lambda: fwd(p), 1)
    _, (c_grad,) = timed(lambda: grad(p), 1)
    _, t_fwd = timed(lambda: fwd(p), repeats)
    _, t_grad = timed(lambda: grad(p), repeats)
    return len(cell.nodes), build, np.median(t_fwd), np.median(t_grad), c_fwd, c_grad


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-jaxley", action="store_true")
    args = parser.parse_args()
    print(
        f"{'file':>16} {'who':>8} {'ncomp':>6} {'read 1st':>9} {'read med':>9} "
        f"{'fwd ms':>8} {'grad ms':>8} {'bwd/fwd':>8} {'cfwd s':>7} {'cgrad s':>7}"
    )
    for name, ncomp in FILES.items():
        path = MORPHOLOGIES / f"{name}.swc"
        runs = {"eqcable": bench_eqcable(path, ncomp, args.repeats)}
        if not args.no_jaxley:
            runs["jaxley"] = bench_jaxley(path, ncomp, args.repeats)
        for who, (n, build, fwd, grad, cf, cg) in runs.items():
            print(
                f"{name:>16} {who:>8} {n:>6} {build[0]:9.3f} {np.median(build):9.3f} "
                f"{fwd * 1e3:8.1f} {grad * 1e3:8.1f} {grad / fwd:8.2f} {cf:7.2f} {cg:7.2f}"
            )


if __name__ == "__main__":
    main()
