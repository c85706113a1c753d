"""Train the synaptic conductances of a small network to produce a target output.

Five HH cells: spike trains (Poisson, fixed key) drive cells 0 and 1 through `Exp2Syn`
synapses; five `IonotropicSynapse`s (0→2, 1→2, 0→3, 2→4, 3→4, the last two with a 1 ms
delay) carry activity on. The target is the voltage of cells 2, 3 and 4 with hidden
conductances; the fit starts from one shared guess and recovers each conductance with
`ec.fit` (optax Adam, conductances on a log scale), prints recovered vs true values, and
saves `train_network.png`.

    python examples/train_network.py [--steps 200]
"""

import argparse
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import eqcable as ec  # noqa: E402

HERE = Path(__file__).parent
DT = 0.025
EDGES = [(0, 2, 0.0), (1, 2, 0.0), (0, 3, 0.0), (2, 4, 1.0), (3, 4, 1.0)]  # pre, post, delay
TRUE_GS = np.array([0.010, 0.025, 0.012, 0.02, 0.008])  # µS


def build(t_max: float):
    """The network, with the five ionotropic conductances trainable (one each)."""
    comp = ec.Compartment(radius=1.0, length=10.0, axial_resistivity=5000.0, v=-65.0)
    cell = ec.Cell([ec.Branch(comp, ncomp=4)], parents=[-1]).insert(ec.HH())
    net = ec.Network([cell] * 5)
    keys = jax.random.split(jax.random.PRNGKey(0), 2)
    for c, key in enumerate(keys):
        train = ec.poisson_spike_train(150.0, t_max, key)
        net = net.connect(train, net.cell(c).comp(0), ec.Exp2Syn(weight=0.03, tau2=3.0))
    for pre, post, delay in EDGES:
        syn = ec.IonotropicSynapse(gS=0.015)
        net = net.connect(net.cell(pre).comp(3), net.cell(post).comp(0), syn, delay=delay)
    # Start the synapses at their steady state for a resting presynaptic cell (-65 mV)
    # rather than at Jaxley's default s = 0.2.
    net = net.set("IonotropicSynapse_s", 1.0 / (1.0 + np.exp((-35.0 + 65.0) / 10.0)))
    net = net.cell([2, 3, 4]).comp(3).record("v")
    return net.make_trainable("IonotropicSynapse_gS", shared=False)


def train(steps: int, t_max: float, progress: bool = True):
    """Fit the conductances; returns ``(net, true, fitted, result, target)``."""
    net = build(t_max)
    true = ({"IonotropicSynapse_gS": jnp.asarray(TRUE_GS)},)
    target = net.integrate(true, t_max=t_max, dt=DT)
    transforms = ({"IonotropicSynapse_gS": ec.Exp()},)  # positive, on a log scale

    def loss(u):
        v = net.integrate(ec.constrain(transforms, u), t_max=t_max, dt=DT)
        return jnp.mean((v - target) ** 2)

    optimiser = optax.chain(
        optax.clip_by_global_norm(1.0), optax.adam(optax.cosine_decay_schedule(0.05, steps))
    )
    start = ec.unconstrain(transforms, net.params())  # every conductance at 0.015 µS
    result = ec.fit(loss, start, optimiser, steps, progress=progress)
    fitted = ec.constrain(transforms, result.params)
    return net, true, fitted, result, target


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--t-max", type=float, default=50.0, help="ms")
    args = parser.parse_args()
    net, true, fitted, result, target = train(args.steps, args.t_max)

    g_true = np.asarray(true[0]["IonotropicSynapse_gS"])
    g_fit = np.asarray(fitted[0]["IonotropicSynapse_gS"])
    print(f"{'synapse':>10} {'true µS':>9} {'start µS':>9} {'fitted µS':>10} {'error':>8}")
    for (pre, post, _), t, f in zip(EDGES, g_true, g_fit, strict=True):
        print(f"{f'{pre} -> {post}':>10} {t:9.4f} {0.015:9.4f} {f:10.5f} {abs(f - t) / t:8.2%}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax1.semilogy(result.history)
    ax1.set(xlabel="step", ylabel="loss (mV²)")
    v = net.integrate(fitted, t_max=args.t_max, dt=DT)
    info = net.recording_info(t_max=args.t_max, dt=DT)  # the time, and a label per row
    for k, label in enumerate(info.labels):
        ax2.plot(info.time, target[k] + 40 * k, color=f"C{k}", label=f"{label}: target")
        ax2.plot(info.time, v[k] + 40 * k, "--", color="k", linewidth=0.8)
    ax2.set(xlabel="time (ms)", ylabel=f"v ({info.units[0]}, offset per cell)")
    ax2.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    fig.savefig(HERE / "train_network.png", dpi=120)
    print(f"saved {HERE / 'train_network.png'}")


if __name__ == "__main__":
    main()
