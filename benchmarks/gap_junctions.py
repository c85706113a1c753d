"""The cost of gap junctions: the network of `network.py` with and without them (CPU,
float64), in one run.

100 cells (one branch of 4 compartments, HH) with ~1,000 `IonotropicSynapse`s (random, p =
0.1), 10 cells driven by a 0.5 nA step, v recorded at every cell, 20 ms at dt = 0.025 ms;
"with" adds 200 `GapJunction`s of 1 nS: a ring through the cells' compartment 3 and 100
random pairs between compartments 1 and 2 of different cells. Measured: forward, `grad` of
the mean squared voltage w.r.t. every synaptic and junction conductance, compile times;
then the forward time of 1,000 such cells (p = 0.01) with 2,000 junctions. Prints the
ratios with/without (medians).

    pip install -e ".[bench]" && python benchmarks/gap_junctions.py [--repeats 5]
"""

import argparse
import functools

import jax

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platform_name", "cpu")

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from cable import first_call, median_time  # noqa: E402  (benchmarks/cable.py)
from network import DT, NCOMP, T_MAX, build_eqcable, connectivity  # noqa: E402

import eqcable as ec  # noqa: E402

# eqcable compiles with its CPU options (`ec.compiler_options`) when called directly; a
# jit of one's own passes them.
jit = functools.partial(eqx.filter_jit, compiler_options=ec.compiler_options())


def with_gap_junctions(net, ncells, seed=0):
    """`net` with a ring of junctions (compartment 3) and `ncells` random ones (1 to 2)."""
    rng = np.random.default_rng(seed)
    comp = lambda cells, k: [int(net.cell_compartments(int(c))[k]) for c in cells]  # noqa: E731
    cells = np.arange(ncells)
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < ncells:  # distinct pairs of different cells
        x, y = (int(c) for c in rng.integers(0, ncells, 2))
        if x != y and (y, x) not in chosen:
            chosen.add((x, y))
    a, b = np.asarray(sorted(chosen)).T
    pre = comp(cells, 3) + comp(a, 1)
    post = comp(np.roll(cells, -1), 3) + comp(b, 2)
    net = net.connect(net.comp(pre), net.comp(post), ec.GapJunction(g=1e-3))
    return net.make_trainable("GapJunction_g", shared=False)


def measure(net, repeats, grad=True):
    params = net.params()

    def simulate(p):
        return net.integrate(p, t_max=T_MAX, dt=DT)

    fwd = jit(simulate)
    c_fwd, v = first_call(lambda: fwd(params))
    out = dict(compile_fwd=c_fwd, fwd=median_time(lambda: fwd(params), repeats), v=v)
    if grad:
        grad_fn = jit(eqx.filter_grad(lambda p: jnp.mean(simulate(p) ** 2)))
        out["compile_grad"], _ = first_call(lambda: grad_fn(params))
        out["grad"] = median_time(lambda: grad_fn(params), repeats)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--big", type=int, default=1000, help="cells in the forward-only run")
    args = parser.parse_args()
    print(f"jax {jax.__version__}, {jax.devices()[0].device_kind}, float64, {T_MAX} ms at {DT} ms")
    for ncells, p, grad in ((100, 0.1, True), (args.big, 0.01, False)):
        base, _ = build_eqcable(ncells, connectivity(ncells, p, seed=ncells))
        coupled = with_gap_junctions(base, ncells)
        njunctions = coupled.connections[-1].pre.shape[0]
        print(f"\n{ncells} cells x {NCOMP} compartments, {njunctions} gap junctions")
        rows = {
            "without": measure(base, args.repeats, grad),
            "with": measure(coupled, args.repeats, grad),
        }
        for k, r in rows.items():
            line = f"{k:>8}: fwd {r['fwd'] * 1e3:8.1f} ms (compile {r['compile_fwd']:5.2f} s)"
            if grad:
                line += f"  grad {r['grad'] * 1e3:8.1f} ms (compile {r['compile_grad']:5.2f} s)"
            print(line)
        ratio = f"with/without: fwd {rows['with']['fwd'] / rows['without']['fwd']:.2f}"
        if grad:
            ratio += f", grad {rows['with']['grad'] / rows['without']['grad']:.2f}"
        moved = float(jnp.max(jnp.abs(rows["with"]["v"] - rows["without"]["v"])))
        print(f"{ratio}; the junctions move the traces by up to {moved:.3g} mV")


if __name__ == "__main__":
    main()
