"""eqcable vs Jaxley on a network of small HH cells with ionotropic synapses (CPU,
float64), in one run.

100 cells (one branch of 4 compartments, HH), ~1,000 `IonotropicSynapse`s from a random
connectivity matrix (p = 0.1, no autapses; compartment 0 to compartment 0, as Jaxley's
`connectivity_matrix_connect`), 10 cells driven by a 0.5 nA step, v recorded at every
cell, 20 ms at dt = 0.025 ms. Measured: build time, forward, `grad` of the mean squared
voltage w.r.t. every synaptic conductance (one per synapse), and compile times; then the
forward time of 1,000 such cells (p = 0.01, ~10,000 synapses). Prints eqcable/Jaxley ratios
and the largest difference between the two simulators' traces.

    pip install -e ".[bench]" && python benchmarks/network.py [--repeats 5] [--no-jaxley]
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
from cable import first_call, median_time  # noqa: E402  (benchmarks/cable.py)

import eqcable as ec  # noqa: E402

# eqcable compiles with its CPU options (`ec.compiler_options`) when called directly; a
# jit of one's own passes them.
jit = functools.partial(eqx.filter_jit, compiler_options=ec.compiler_options())

DT, T_MAX, NCOMP, GS = 0.025, 20.0, 4, 0.01


def connectivity(ncells, p, seed=0):
    rng = np.random.default_rng(seed)
    matrix = rng.random((ncells, ncells)) < p
    np.fill_diagonal(matrix, False)
    return matrix


def build_eqcable(ncells, matrix, trainable=True):
    t0 = time.perf_counter()
    comp = ec.Compartment(radius=1.0, length=10.0, axial_resistivity=5000.0, v=-65.0)
    cell = ec.Cell([ec.Branch(comp, ncomp=NCOMP)], parents=[-1]).insert(ec.HH())
    net = ec.Network([cell] * ncells)
    net = net.connect_matrix(matrix, ec.IonotropicSynapse(gS=GS))
    net = net.cell(range(10)).comp(0).stimulate(ec.step_current(1.0, 5.0, 0.5, DT, T_MAX))
    net = net.cell("all").comp(0).record("v")
    if trainable:
        net = net.make_trainable("IonotropicSynapse_gS", shared=False)
    return net, time.perf_counter() - t0


def build_jaxley(ncells, matrix, trainable=True):
    import jaxley as jx
    from jaxley.channels import HH
    from jaxley.connect import connectivity_matrix_connect
    from jaxley.synapses import IonotropicSynapse

    t0 = time.perf_counter()
    cell = jx.Cell([jx.Branch(jx.Compartment(), ncomp=NCOMP)], parents=[-1])
    net = jx.Network([cell] * ncells)
    net.set("radius", 1.0)
    net.set("length", 10.0)
    net.set("axial_resistivity", 5000.0)
    net.insert(HH())
    net.set("v", -65.0)
    connectivity_matrix_connect(net.cell("all"), net.cell("all"), IonotropicSynapse(), matrix)
    net.set("IonotropicSynapse_gS", GS)
    net.init_states()
    current = jx.step_current(1.0, 5.0, 0.5, DT, T_MAX)
    net.cell(list(range(10))).branch(0).comp(0).stimulate(current, verbose=False)
    net.cell("all").branch(0).comp(0).record("v", verbose=False)
    if trainable:
        net.select(edges="all").make_trainable("IonotropicSynapse_gS", verbose=False)
    return net, time.perf_counter() - t0


def measure(name, ncells, matrix, repeats, solver=None, grad=True):
    if name == "jaxley":
        import jaxley as jx

        net, build = build_jaxley(ncells, matrix, grad)
        params = net.get_parameters() if grad else []

        def simulate(p):
            return jx.integrate(net, params=p, delta_t=DT, t_max=T_MAX)

        fwd = jax.jit(simulate)
        grad_fn = jax.jit(jax.grad(lambda p: jnp.mean(simulate(p) ** 2)))
    else:
        net, build = build_eqcable(ncells, matrix, grad)
        params = net.params() if grad else None

        def simulate(p):
            return net.integrate(p, t_max=T_MAX, dt=DT, solver=solver)

        fwd = jit(simulate)
        grad_fn = jit(eqx.filter_grad(lambda p: jnp.mean(simulate(p) ** 2)))
    c_fwd, v = first_call(lambda: fwd(params))
    out = dict(build=build, compile_fwd=c_fwd, v=np.asarray(v))
    out["fwd"] = median_time(lambda: fwd(params), repeats)
    if grad:
        c_grad, g = first_call(lambda: grad_fn(params))
        out["compile_grad"] = c_grad
        out["grad"] = median_time(lambda: grad_fn(params), repeats)
        leaves = jax.tree.leaves(g)
        out["ngrad"] = sum(np.size(x) for x in leaves)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-jaxley", action="store_true")
    parser.add_argument("--big", type=int, default=1000, help="cells in the forward-only run")
    args = parser.parse_args()
    print(f"jax {jax.__version__}, {jax.devices()[0].device_kind}, float64, {T_MAX} ms at {DT} ms")
    matrix = connectivity(100, 0.1)
    print(f"100 cells x {NCOMP} compartments, {int(matrix.sum())} IonotropicSynapses")
    who = {  # "eqcable": the default solver (PartitionedSolve on CPU)
        "eqcable": dict(solver=None),
        "eqcable-seq": dict(solver=ec.SequentialSolve()),
        "eqcable-level": dict(solver=ec.LevelParallelSolve()),
    }
    rows = {k: measure("eqcable", 100, matrix, args.repeats, **kw) for k, kw in who.items()}
    if not args.no_jaxley:
        rows["jaxley"] = measure("jaxley", 100, matrix, args.repeats)
    print(
        f"{'who':>14} {'build s':>8} {'fwd ms':>8} {'grad ms':>8} {'grad/fwd':>8} "
        f"{'cfwd s':>7} {'cgrad s':>7} {'#grads':>6}"
    )
    for k, r in rows.items():
        print(
            f"{k:>14} {r['build']:8.2f} {r['fwd'] * 1e3:8.1f} {r['grad'] * 1e3:8.1f} "
            f"{r['grad'] / r['fwd']:8.2f} {r['compile_fwd']:7.2f} {r['compile_grad']:7.2f} "
            f"{r['ngrad']:>6}"
        )
    if "jaxley" in rows:
        j = rows["jaxley"]
        for k in who:
            e = rows[k]
            print(
                f"{k + '/jaxley':>14} {e['build'] / j['build']:8.3f} {e['fwd'] / j['fwd']:8.2f} "
                f"{e['grad'] / j['grad']:8.2f} {'':>8} {e['compile_fwd'] / j['compile_fwd']:7.2f} "
                f"{e['compile_grad'] / j['compile_grad']:7.2f}   traces differ by max "
                f"{np.max(np.abs(e['v'] - j['v'])):.2g} mV"
            )

    big = connectivity(args.big, 0.01, seed=1)
    print(f"\n{args.big} cells, {int(big.sum())} IonotropicSynapses, forward only")
    rows = {
        k: measure("eqcable", args.big, big, args.repeats, grad=False, **kw)
        for k, kw in who.items()
    }
    if not args.no_jaxley:
        rows["jaxley"] = measure("jaxley", args.big, big, args.repeats, grad=False)
    for k, r in rows.items():
        print(
            f"{k:>14} build {r['build']:7.2f} s  fwd {r['fwd'] * 1e3:8.1f} ms  "
            f"compile {r['compile_fwd']:6.2f} s"
        )
    if "jaxley" in rows:
        for k in who:
            print(
                f"{k + '/jaxley':>14} fwd {rows[k]['fwd'] / rows['jaxley']['fwd']:.2f}  "
                f"traces differ by max {np.max(np.abs(rows[k]['v'] - rows['jaxley']['v'])):.2g} mV"
            )


if __name__ == "__main__":
    main()
