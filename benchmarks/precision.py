"""Float32 against float64 on the README's quick example: voltages and gradients.

The quick example (three 4-compartment HH branches, a 0.5 nA step for 2 ms, 10 ms of
0.025 ms steps, voltage recorded at two compartments), with the loss of the README,
``mean(v)``, differentiated w.r.t. every geometric and HH conductance parameter (each one
shared by all compartments). Each precision runs in its own process (``jax_enable_x64``
must be set before anything else); the table compares float32 with the float64 run:

    python benchmarks/precision.py

prints the maximum voltage difference and, for every parameter, the float64 gradient, the
float32 gradient and their relative difference.
"""

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


def run(precision: str) -> dict:
    """Simulate and differentiate the quick example in `precision`; plain Python results."""
    import jax

    jax.config.update("jax_enable_x64", precision == "float64")
    import warnings

    import equinox as eqx
    import numpy as np

    import eqcable as ec

    warnings.simplefilter("ignore", ec.Float32Warning)

    branch = ec.Branch(ec.Compartment(), ncomp=4)
    cell = ec.Cell([branch, branch, branch], parents=[-1, 0, 0])
    cell = cell.insert(ec.HH())
    cell = (
        cell.branch(1)
        .comp(3)
        .stimulate(ec.step_current(delay=1.0, duration=2.0, amplitude=0.5, dt=0.025, t_max=10.0))
    )
    cell = cell.branch(0).comp(0).record("v")
    cell = cell.branch(2).comp(3).record("v")
    for name in PARAMS:
        cell = cell.make_trainable(name)
    params = cell.params()
    v = cell.integrate(params, t_max=10.0, dt=0.025)
    grads = eqx.filter_grad(lambda p: cell.integrate(p, t_max=10.0).mean())(params)
    return {
        "dtype": str(v.dtype),
        "v": np.asarray(v, dtype=np.float64).tolist(),
        "grads": {name: float(g[name]) for name, g in zip(PARAMS, grads, strict=True)},
    }


def measure() -> dict:
    """Both precisions, each in a fresh process: ``{"float32": ..., "float64": ...}``."""
    out = {}
    for precision in ("float32", "float64"):
        result = subprocess.run(
            [sys.executable, __file__, "--run", precision],
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
    dv = np.max(np.abs(np.asarray(f32["v"]) - np.asarray(f64["v"])))
    lines = [
        f"max |V32 - V64| over both recorded traces: {dv:.2e} mV (peak {np.max(f64['v']):.1f} mV)",
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
    if len(sys.argv) == 3 and sys.argv[1] == "--run":
        print(json.dumps(run(sys.argv[2])))
    else:
        print(table(measure()))
