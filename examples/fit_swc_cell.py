"""Recover passive and HH parameters of a reconstructed neuron from voltage traces.

The CA1 pyramidal cell in `tutorials/data/ca1_n120.swc` gets an HH soma and passive
dendrites. Traces at the soma and two dendritic sites are generated with hidden values;
the fit starts 30% off and recovers them with `ec.fit` (optax Adam, cosine schedule),
prints recovered vs true values, and saves `fit_swc_cell.png`.

    python examples/fit_swc_cell.py [--steps 300]
"""

import argparse
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import matplotlib  # noqa: E402
import optax  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import eqcable as ec  # noqa: E402

HERE = Path(__file__).parent
DT, T_MAX = 0.025, 15.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()

    cell, swc_map = ec.read_swc(
        HERE.parent / "tutorials" / "data" / "ca1_n120.swc", ncomp=1, return_map=True
    )
    cell = cell.insert(ec.Leak(gLeak=1e-4, eLeak=-65.0)).group("soma").insert(ec.HH())
    soma = swc_map.compartment_of(1)
    sites = [soma, cell.ncomp // 3, cell.ncomp - 1]
    cell = cell.comp(soma).stimulate(ec.step_current(2.0, 10.0, 0.8, DT, T_MAX))
    cell = cell.comp(sites).record()
    names = ["HH_gNa", "HH_gK", "Leak_gLeak", "capacitance"]
    cell = cell.group("soma").make_trainable("HH_gNa").group("soma").make_trainable("HH_gK")
    cell = cell.make_trainable("Leak_gLeak").make_trainable("capacitance")

    true = ({"HH_gNa": 0.12}, {"HH_gK": 0.036}, {"Leak_gLeak": 1e-4}, {"capacitance": 1.0})
    true = tuple({k: jnp.asarray(v) for k, v in d.items()} for d in true)
    target = cell.integrate(true, t_max=T_MAX, dt=DT)

    transforms = tuple({n: ec.Exp()} for n in names)  # positive, fitted on a log scale

    def loss(u):
        v = cell.integrate(ec.constrain(transforms, u), t_max=T_MAX, dt=DT)
        return jnp.mean((v - target) ** 2)

    start = jax.tree.map(lambda x: 0.7 * x, true)
    schedule = optax.cosine_decay_schedule(0.05, args.steps)
    optimiser = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(schedule))
    result = ec.fit(loss, ec.unconstrain(transforms, start), optimiser, args.steps)
    fitted = ec.constrain(transforms, result.params)

    print(f"{'parameter':>12} {'true':>10} {'start':>10} {'fitted':>10} {'error':>8}")
    for n, t, s, f in zip(names, true, start, fitted, strict=True):
        t, s, f = float(t[n]), float(s[n]), float(f[n])
        print(f"{n:>12} {t:10.5g} {s:10.5g} {f:10.5g} {abs(f - t) / t:8.2%}")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax1.semilogy(result.history)
    ax1.set_xlabel("step")
    ax1.set_ylabel("loss (mV²)")
    v = cell.integrate(fitted, t_max=T_MAX, dt=DT)
    info = cell.recording_info(t_max=T_MAX, dt=DT)  # the time, and a label per row
    for k, label in enumerate(info.labels):
        ax2.plot(info.time, target[k], color=f"C{k}", label=label)
        ax2.plot(info.time, v[k], "--", color="k", linewidth=0.8)
    ax2.set_xlabel("time (ms)")
    ax2.set_ylabel(f"v ({info.units[0]})")
    ax2.legend(frameon=False)
    fig.tight_layout()
    fig.savefig("fit_swc_cell.png", dpi=120)
    print("saved fit_swc_cell.png")


if __name__ == "__main__":
    main()
