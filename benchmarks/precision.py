"""Float32 against float64 on the README's quick example: voltages and gradients.

The quick example (three 4-compartment HH branches, a 0.5 nA step for 2 ms into the
last compartment of branch 1, 10 ms of 0.025 ms steps, voltage recorded at two
compartments), with the loss of the README, ``mean(v)``, differentiated w.r.t. every
geometric and HH conductance parameter (each one shared by all compartments). Each
precision runs in its own process (``jax_enable_x64`` must be set before anything else);
the table compares float32 with the float64 run:

    python benchmarks/precision.py

prints the maximum voltage difference and, for every parameter, the float64 gradient, the
float32 gradient and their relative difference. Options change the example: a longer
run with repetitive firing, for instance,

    python benchmarks/precision.py --ncomp 40 --t-max 100 --duration 98

``--fused`` simulates with whole steps fused into one kernel
(`PallasSolve(steps_per_launch=40)`; on a CPU through Pallas' interpreter), the GPU
issue's float32 path; its gradients differentiate the time loop with the Pallas tree solve.
"""

import argparse
import json
import subprocess
import sys

PARAMS = (
    "radius",
    "length",
    "axial_resistivity",
    "capacitance",
    "HH_gNa",
    "HH_gK",
    "HH_gLeak",
)


def run(
    precision: str, ncomp: int, t_max: float, duration: float, ra: float, fused: bool = False
) -> dict:
    """Simulate and differentiate the example in `precision`; plain Python results."""
    import jax

    jax.config.update("jax_enable_x64", precision == "float64")
    import warnings

    import equinox as eqx
    import numpy as np

    import eqcable as ec

    warnings.simplefilter("ignore", ec.Float32Warning)

    branch = ec.Branch(ec.Compartment(axial_resistivity=ra), ncomp=ncomp)
    cell = ec.Cell([branch, branch, branch], parents=[-1, 0, 0])
    cell = cell.insert(ec.HH())
    stim = ec.step_current(delay=1.0, duration=duration, amplitude=0.5, dt=0.025, t_max=t_max)
    cell = cell.branch(1).comp(ncomp - 1).stimulate(stim)
    cell = cell.branch(0).comp(0).record("v")
    cell = cell.branch(2).comp(ncomp - 1).record("v")
    for name in PARAMS:
        cell = cell.make_trainable(name)
    params = cell.params()
    solver = ec.PallasSolve(steps_per_launch=40) if fused else None
    v = cell.integrate(params, t_max=t_max, dt=0.025, solver=solver)
    loss = lambda p: cell.integrate(p, t_max=t_max, solver=solver).mean()  # noqa: E731
    grads = eqx.filter_grad(loss)(params)
    return {
        "dtype": str(v.dtype),
        "v": np.asarray(v, dtype=np.float64).tolist(),
        "grads": {name: float(g[name]) for name, g in zip(PARAMS, grads, strict=True)},
    }


def measure(args) -> dict:
    """Both precisions, each in a fresh process: ``{"float32": ..., "float64": ...}``."""
    out = {}
    options = ["--ncomp", str(args.ncomp), "--t-max", str(args.t_max)]
    options += ["--duration", str(args.duration), "--axial-resistivity", str(args.ra)]
    options += ["--fused"] if args.fused else []
    for precision in ("float32", "float64"):
        result = subprocess.run(
            [sys.executable, __file__, "--run", precision, *options],
            capture_output=True,
            text=True,
            check=True,
        )
        out[precision] = json.loads(result.stdout.strip().splitlines()[-1])
        assert out[precision]["dtype"] == precision, out[precision]["dtype"]
    return out


def table(results: dict) -> str:
    import numpy as np

    f32, f64 = results["float32"], results["float64"]
    v64 = np.asarray(f64["v"])
    dv = np.max(np.abs(np.asarray(f32["v"]) - v64))
    spikes = int(np.sum((v64[0, 1:] >= 0.0) & (v64[0, :-1] < 0.0)))
    lines = [
        f"max |V32 - V64| over both recorded traces: {dv:.2e} mV "
        f"(peak {v64.max():.1f} mV, {spikes} spike(s) at the first recording)",
        "",
        "| gradient of mean(v) w.r.t. | float64 | float32 | relative error |",
        "|---|---:|---:|---:|",
    ]
    for name in PARAMS:
        g64, g32 = f64["grads"][name], f32["grads"][name]
        rel = abs(g32 - g64) / abs(g64)
        lines.append(f"| `{name}` | {g64:.6g} | {g32:.6g} | {rel:.1e} |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ncomp", type=int, default=4, help="compartments per branch (4)")
    parser.add_argument("--t-max", type=float, default=10.0, help="simulated time, ms (10)")
    parser.add_argument("--duration", type=float, default=2.0, help="current step, ms (2)")
    parser.add_argument(
        "--axial-resistivity",
        dest="ra",
        type=float,
        default=35.4,
        help="Ω·cm (35.4, the default; the measurements before issue 13 used 100)",
    )
    parser.add_argument("--fused", action="store_true", help="fused steps (see above)")
    parser.add_argument("--run", choices=("float32", "float64"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        result = run(args.run, args.ncomp, args.t_max, args.duration, args.ra, args.fused)
        print(json.dumps(result))
    else:
        print(table(measure(args)))
