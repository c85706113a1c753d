"""eqcable vs Jaxley on a single-branch HH cable (CPU, float64), in one run.

For ncomp in 10, 100, 1,000, 10,000: 200 steps of 0.025 ms, a 0.5 nA step into
compartment 0, v recorded there. Times (medians over repeats, after compilation):
forward, `grad` of the mean squared recorded voltage w.r.t. the shared HH sodium
conductance, and the compile times of both. Prints eqcable/Jaxley ratios.

    pip install -e ".[bench]" && python benchmarks/cable.py [--sizes 10 100 1000 10000]
"""

import argparse
import functools
import time

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

DT, NSTEPS, AMP = 0.025, 200, 0.5
T_MAX = DT * NSTEPS


def median_time(f, repeats):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(f())
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def first_call(f):
    t = time.perf_counter()
    out = jax.block_until_ready(f())
    return time.perf_counter() - t, out


def measure(fwd, grad, params, build, repeats):
    """Compile and median times of a jitted forward and gradient function."""
    c_fwd, v = first_call(lambda: fwd(params))
    c_grad, _ = first_call(lambda: grad(params))
    return dict(
        build=build,
        fwd=median_time(lambda: fwd(params), repeats),
        grad=median_time(lambda: grad(params), repeats),
        compile_fwd=c_fwd,
        compile_grad=c_grad,
        v=np.asarray(v[0]),
    )


def bench_eqcable(ncomp, repeats):
    t0 = time.perf_counter()
    comp = ec.Compartment(radius=1.0, length=10.0, axial_resistivity=5000.0, v=-65.0)
    cell = ec.Cell([ec.Branch(comp, ncomp=ncomp)], parents=[-1]).insert(ec.HH())
    cell = cell.comp(0).stimulate(ec.step_current(0.0, T_MAX, AMP, DT, T_MAX))
    cell = cell.comp(0).record("v").make_trainable("HH_gNa")
    build = time.perf_counter() - t0
    params = cell.params()
    fwd = jit(lambda p: cell.integrate(p, t_max=T_MAX, dt=DT))
    grad = jit(eqx.filter_grad(lambda p: jnp.mean(cell.integrate(p, t_max=T_MAX, dt=DT) ** 2)))
    return measure(fwd, grad, params, build, repeats)


def bench_jaxley(ncomp, repeats):
    import jaxley as jx
    from jaxley.channels import HH

    t0 = time.perf_counter()
    branch = jx.Branch(jx.Compartment(), ncomp=ncomp)
    branch.set("radius", 1.0)
    branch.set("length", 10.0)
    branch.set("axial_resistivity", 5000.0)
    branch.insert(HH())
    branch.set("v", -65.0)
    branch.init_states()
    branch.comp(0).stimulate(
        jx.step_current(i_delay=0.0, i_dur=T_MAX, i_amp=AMP, delta_t=DT, t_max=T_MAX)
    )
    branch.comp(0).record("v", verbose=False)
    branch.make_trainable("HH_gNa", verbose=False)
    build = time.perf_counter() - t0
    params = branch.get_parameters()

    def simulate(p):
        return jx.integrate(branch, params=p, delta_t=DT, t_max=T_MAX)

    fwd = jax.jit(simulate)
    grad = jax.jit(jax.grad(lambda p: jnp.mean(simulate(p) ** 2)))
    return measure(fwd, grad, params, build, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 10000])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-jaxley", action="store_true")
    args = parser.parse_args()
    print(
        f"jax {jax.__version__}, device {jax.devices()[0].device_kind}, float64, "
        f"{NSTEPS} steps of {DT} ms; times in ms (medians of {args.repeats}), compile in s"
    )
    header = (
        f"{'ncomp':>6} {'who':>8} {'fwd':>9} {'grad':>9} {'bwd/fwd':>8} "
        f"{'cfwd':>6} {'cgrad':>6} {'build':>7}"
    )
    print(header)
    for n in args.sizes:
        rows = {"eqcable": bench_eqcable(n, args.repeats)}
        if not args.no_jaxley:
            rows["jaxley"] = bench_jaxley(n, args.repeats)
        for who, r in rows.items():
            print(
                f"{n:>6} {who:>8} {r['fwd'] * 1e3:9.2f} {r['grad'] * 1e3:9.2f} "
                f"{r['grad'] / r['fwd']:8.2f} {r['compile_fwd']:6.2f} "
                f"{r['compile_grad']:6.2f} {r['build']:7.3f}"
            )
        if "jaxley" in rows:
            e, j = rows["eqcable"], rows["jaxley"]
            dv = np.max(np.abs(e["v"] - j["v"]))
            print(
                f"{n:>6} {'ratio':>8} {e['fwd'] / j['fwd']:9.2f} {e['grad'] / j['grad']:9.2f} "
                f"{'':>8} {e['compile_fwd'] / j['compile_fwd']:6.2f} "
                f"{e['compile_grad'] / j['compile_grad']:6.2f} {e['build'] / j['build']:7.3f}"
                f"   (eqcable/Jaxley; traces differ by max {dv:.2g} mV)"
            )


if __name__ == "__main__":
    main()
