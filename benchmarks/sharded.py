"""A network spread over 1, 2 and 4 (forced) CPU devices with `integrate_sharded`, against
`integrate` on one device, in one run (float64).

The network of `benchmarks/network.py` (HH cells of one 4-compartment branch,
`IonotropicSynapse`s from a random matrix, p = 10 / ncells, 10 cells stimulated, v recorded
at every cell), 20 ms at dt = 0.025 ms. Each device count runs in a process of its own
(``--xla_force_host_platform_device_count``). Forced devices share this machine's cores,
so sharding shows its overhead here, not a speed-up. Printed per run: forward and gradient
medians, compile time, the compiled program's memory per device (arguments, outputs,
temporaries, from XLA's memory analysis), and the bytes each device sends and receives
per step (the all-gathered presynaptic voltages), and the largest difference from the
one-device traces. With ``--delay D --exchange-every M`` every synapse has a delay of
D ms and the devices exchange once every M steps (M <= D/dt).

    pip install -e ".[bench]" && python benchmarks/sharded.py [--cells 1000] [--repeats 5]
        [--no-grad] [--delay 0.25 --exchange-every 10]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

DT, T_MAX = 0.025, 20.0


def child(cells: int, repeats: int, grad: bool, delay: float, every: int) -> dict:
    import jax

    jax.config.update("jax_enable_x64", True)
    import equinox as eqx
    import jax.numpy as jnp
    from cable import first_call, median_time  # benchmarks/cable.py
    from network import build_eqcable, connectivity  # benchmarks/network.py

    import eqcable as ec

    ndev = len(jax.devices())
    net, _ = build_eqcable(cells, connectivity(cells, 10 / cells, seed=1))
    if delay:  # the same connections, delayed
        group = net.connections[0]
        delayed = type(group)(
            group.synapse, group.pre, group.post, group.states, (delay,) * group.size
        )
        net = eqx.tree_at(lambda n: n.connections, net, (delayed,))
    params = net.params()
    arrays, static = eqx.partition(net, eqx.is_inexact_array)

    def run(arrays, p):
        net = eqx.combine(arrays, static)
        if ndev == 1:
            return ec.integrate(net, p, t_max=T_MAX, dt=DT)
        return ec.integrate_sharded(net, p, t_max=T_MAX, dt=DT, exchange_every=every)

    # jax.jit, not eqx.filter_jit: its compiled program reports XLA's memory analysis
    fwd = jax.jit(run, compiler_options=ec.compiler_options())
    out = {"devices": ndev, "cells": cells}
    out["compile_fwd"], v = first_call(lambda: fwd(arrays, params))
    out["fwd"] = median_time(lambda: fwd(arrays, params), repeats)
    memory = fwd.lower(arrays, params).compile().memory_analysis()
    out["bytes"] = {
        k: int(getattr(memory, f"{k}_size_in_bytes"))
        for k in ("argument", "output", "temp", "generated_code")
    }
    if grad:
        grad_fn = jax.jit(
            jax.grad(lambda p, a: jnp.mean(run(a, p) ** 2)), compiler_options=ec.compiler_options()
        )
        out["compile_grad"], _ = first_call(lambda: grad_fn(params, arrays))
        out["grad"] = median_time(lambda: grad_fn(params, arrays), repeats)
        memory = grad_fn.lower(params, arrays).compile().memory_analysis()
        out["grad_temp_bytes"] = int(memory.temp_size_in_bytes)
    if ndev > 1:
        parts = ec.partition_cells(net, ndev)
        owner = np.zeros(cells, int)
        for d, p in enumerate(parts):
            owner[p] = d
        pre, post = (np.asarray(x) // 4 for x in (net.connections[0].pre, net.connections[0].post))
        exported = np.unique(pre[owner[pre] != owner[post]])  # presynaptic to another device
        per_device = np.bincount(owner[exported], minlength=ndev)
        width = int(per_device.max())  # exported voltages per device, padded
        out["sent_per_step"] = 8 * width  # in one all-gather every `every` steps
        out["received_per_step"] = 8 * width * ndev
        out["comps_per_device"] = [4 * len(p) for p in parts]
    np.save(f"/tmp/eqcable-sharded-{ndev}.npy", np.asarray(v))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-grad", action="store_true")
    parser.add_argument("--delay", type=float, default=0.0, help="synaptic delay (ms)")
    parser.add_argument("--exchange-every", type=int, default=1, help="steps between exchanges")
    parser.add_argument("--devices", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.devices:  # a child: one device count
        grad = not args.no_grad
        print(json.dumps(child(args.cells, args.repeats, grad, args.delay, args.exchange_every)))
        return
    here = os.path.dirname(os.path.abspath(__file__))
    rows = []
    for ndev in (1, 2, 4):
        env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={ndev}"}
        env["JAX_PLATFORMS"] = "cpu"
        command = [sys.executable, __file__, "--devices", str(ndev), "--cells", str(args.cells)]
        command += ["--repeats", str(args.repeats)] + (["--no-grad"] if args.no_grad else [])
        command += ["--delay", str(args.delay), "--exchange-every", str(args.exchange_every)]
        t0 = time.perf_counter()
        done = subprocess.run(command, env=env, cwd=here, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{ndev} device(s) failed:\n{done.stderr[-3000:]}")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        rows[-1]["wall"] = time.perf_counter() - t0
    ref = np.load("/tmp/eqcable-sharded-1.npy")
    cores = os.cpu_count()
    print(
        f"{args.cells} cells x 4 compartments, HH, IonotropicSynapses (delay {args.delay} ms), "
        f"{T_MAX} ms; exchange every {args.exchange_every} step(s); {cores} cores"
    )
    print(
        f"{'devices':>7} {'fwd ms':>8} {'grad ms':>8} {'fwd/1':>6} {'cfwd s':>7} "
        f"{'arg MB':>7} {'out MB':>7} {'temp MB':>8} {'grad temp MB':>12} "
        f"{'send B/step':>11} {'recv B/step':>11} {'max |dv| mV':>11}"
    )
    for r in rows:
        dv = np.max(np.abs(np.load(f"/tmp/eqcable-sharded-{r['devices']}.npy") - ref))
        b = r["bytes"]
        print(
            f"{r['devices']:>7} {r['fwd'] * 1e3:8.1f} {r.get('grad', float('nan')) * 1e3:8.1f} "
            f"{r['fwd'] / rows[0]['fwd']:6.2f} {r['compile_fwd']:7.2f} "
            f"{b['argument'] / 1e6:7.2f} {b['output'] / 1e6:7.2f} {b['temp'] / 1e6:8.2f} "
            f"{r.get('grad_temp_bytes', float('nan')) / 1e6:12.2f} "
            f"{r.get('sent_per_step', 0):>11} {r.get('received_per_step', 0):>11} {dv:11.2g}"
        )
    print(
        "Memory: XLA's analysis of the compiled program of one device (with several, the "
        "SPMD program each device runs); the network and the recordings are replicated."
    )


if __name__ == "__main__":
    main()
