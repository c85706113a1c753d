"""eqcable vs Jaxley on one GPU, side by side, float64 (and one float32 row): the cases of
the GPU issue's table (one CA1 cell, 1,024 CA1 cells under `vmap`, in float64 and
float32, a 1,000-cell network, a 1,000-compartment cable), then the largest network one
GPU holds: ``ring`` networks of 10,000 to 300,000 cells (4-compartment HH cells, each
driving the next 10 by `IonotropicSynapse`s), forward and gradient, until one fails.

Each case runs in its own process with a time limit and prints one JSON line, appended to
``$OUT/results.jsonl`` (``/tmp`` without ``$OUT``), so a hang or an out-of-memory loses one
row only. ``CASE_S`` sets the limit per case (s; ``RING_S`` for the ``ring`` networks,
default 300: building 100,000 cells takes ~40 s), ``BUDGET_S`` the whole run's. A ring
that fails (out of memory, or its limit) ends the search for the largest network.

A GPU machine has its own JAX (with CUDA); install eqcable from this checkout and Jaxley
from wheels carried along (``pip download jaxley --no-deps -d wheels`` here, then
``pip install --no-index --find-links wheels jaxley`` there), then:

    python benchmarks/gpu.py                      # all cases
    python benchmarks/gpu.py --small              # tiny sizes, to test the script on a CPU
    python benchmarks/gpu.py case cable 1000 eqlevel [f32]   # one case

Who: ``eqlevel`` (eqcable, `LevelParallelSolve`, the GPU default), ``eqpallas``
(`PallasSolve`: the tree solve as one kernel per solve), ``eqfused``
(`PallasSolve(steps_per_launch=k, lanes=w)`: whole steps fused, networks included,
``k`` = ``STEPS_PER_LAUNCH`` (default 40), ``w`` = ``LANES`` (default: from the model,
32-256; set it to tune the block width on the GPU)), ``eqseq``
(`SequentialSolve`), ``jaxley``. Compare ``vmax`` and ``v_head`` across rows: every
eqcable variant must give the same trace.
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MORPH = os.path.join(HERE, "..", "tests", "data", "morphologies")
DT = 0.025


def case(kind, size, who, prec="f64"):
    import jax

    jax.config.update("jax_enable_x64", prec == "f64")
    import equinox as eqx
    import jax.numpy as jnp
    import numpy as np

    def timed(f, repeats):
        out = jax.block_until_ready(f())
        ts = []
        for _ in range(repeats):
            t = time.perf_counter()
            out = jax.block_until_ready(f())
            ts.append(time.perf_counter() - t)
        return out, float(np.median(ts))

    def measure(row, fwd, grad, arg, repeats):
        """Compile and time `fwd` and `grad` at `arg` into `row`; the forward's output."""
        v, row["compile_fwd_s"] = first(lambda: fwd(arg))
        _, row["fwd_ms"] = timed(lambda: fwd(arg), repeats)
        _, row["compile_grad_s"] = first(lambda: grad(arg))
        _, row["grad_ms"] = timed(lambda: grad(arg), repeats)
        row["compile_fwd_s"] = round(row["compile_fwd_s"], 2)
        row["compile_grad_s"] = round(row["compile_grad_s"], 2)
        row["vmax"] = float(jnp.max(v))
        return v

    def first(f):
        t = time.perf_counter()
        out = jax.block_until_ready(f())
        return out, time.perf_counter() - t

    size = int(size)
    t_build = time.perf_counter()
    if who.startswith("eq"):
        import eqcable as ec

        solvers = dict(
            eqlevel=ec.LevelParallelSolve(),
            eqpallas=ec.PallasSolve(),
            eqfused=ec.PallasSolve(
                steps_per_launch=int(os.environ.get("STEPS_PER_LAUNCH", 40)),
                lanes=int(os.environ["LANES"]) if os.environ.get("LANES") else None,
            ),
            eqseq=ec.SequentialSolve(),
        )
        solver = solvers[who]
        if kind == "cable":
            t_max = 200 * DT
            comp = ec.Compartment(radius=1.0, length=10.0, axial_resistivity=5000.0, v=-65.0)
            m = ec.Cell([ec.Branch(comp, ncomp=size)], parents=[-1]).insert(ec.HH())
            m = m.comp(0).stimulate(ec.step_current(0.0, t_max, 0.5, DT, t_max))
            m = m.comp(0).record("v")
        elif kind in ("ca1", "batch", "l5pc"):
            t_max = 20.0
            name, nc = ("l5pc_with_axon.swc", 2) if kind == "l5pc" else ("ca1_n120.swc", 4)
            m = ec.read_swc(os.path.join(MORPH, name), nc).insert(ec.HH())
            soma = m.group("soma").indices[0]
            m = m.comp(soma).stimulate(ec.step_current(1.0, 5.0, 1.0, DT, t_max))
            m = m.comp(soma).record("v")
        elif kind == "net":
            t_max = 20.0
            rng = np.random.default_rng(1)
            mat = rng.random((size, size)) < (10.0 / size)
            np.fill_diagonal(mat, False)
            comp = ec.Compartment(radius=1.0, length=10.0, axial_resistivity=5000.0, v=-65.0)
            cell = ec.Cell([ec.Branch(comp, ncomp=4)], parents=[-1]).insert(ec.HH())
            m = ec.Network([cell] * size).connect_matrix(mat, ec.IonotropicSynapse(gS=0.01))
            nstim = max(1, size // 10)
            m = m.cell(range(nstim)).comp(0).stimulate(ec.step_current(1.0, 5.0, 0.5, DT, t_max))
            m = m.cell("all").comp(0).record("v")
        elif kind == "ring":  # cell i drives cells i+1..i+10: no dense matrix at any size
            t_max = 20.0
            comp = ec.Compartment(radius=1.0, length=10.0, axial_resistivity=5000.0, v=-65.0)
            cell = ec.Cell([ec.Branch(comp, ncomp=4)], parents=[-1]).insert(ec.HH())
            m = ec.Network([cell] * size)
            cells = np.arange(size)
            for k in range(1, 11):
                post = m.cell((cells + k) % size).comp(0)
                m = m.connect(m.cell(cells).comp(0), post, ec.IonotropicSynapse(gS=0.01))
            nstim = max(1, size // 10)
            m = m.cell(range(nstim)).comp(0).stimulate(ec.step_current(1.0, 5.0, 0.5, DT, t_max))
            m = m.cell(range(0, size, max(1, size // 100))).comp(0).record("v")
        m = m.make_trainable("HH_gNa")
        p = m.params()
        sim = lambda p: m.integrate(p, t_max=t_max, dt=DT, solver=solver)  # noqa: E731
        ncomp = int(m.ncomp) if hasattr(m, "ncomp") else -1
        jit = lambda f: eqx.filter_jit(f, compiler_options=ec.compiler_options())  # noqa: E731
        gradf = lambda f: eqx.filter_grad(f)  # noqa: E731
    else:
        import warnings

        import jaxley as jx
        from jaxley.channels import HH

        warnings.simplefilter("ignore")
        if kind == "cable":
            t_max = 200 * DT
            m = jx.Cell([jx.Branch(jx.Compartment(), ncomp=size)], parents=[-1])
            m.set("radius", 1.0)
            m.set("length", 10.0)
            m.set("axial_resistivity", 5000.0)
            m.insert(HH())
            m.set("v", -65.0)
            m.init_states()
            m.branch(0).comp(0).stimulate(
                jx.step_current(0.0, t_max, 0.5, DT, t_max), verbose=False
            )
            m.branch(0).comp(0).record("v", verbose=False)
        elif kind in ("ca1", "batch", "l5pc"):
            t_max = 20.0
            name, nc = ("l5pc_with_axon.swc", 2) if kind == "l5pc" else ("ca1_n120.swc", 4)
            m = jx.read_swc(os.path.join(MORPH, name), ncomp=nc)
            m.insert(HH())
            m.set("v", -65.0)
            m.init_states()
            m.branch(0).comp(0).stimulate(jx.step_current(1.0, 5.0, 1.0, DT, t_max), verbose=False)
            m.branch(0).comp(0).record("v", verbose=False)
        elif kind == "net":
            from jaxley.connect import connectivity_matrix_connect
            from jaxley.synapses import IonotropicSynapse

            t_max = 20.0
            rng = np.random.default_rng(1)
            mat = rng.random((size, size)) < (10.0 / size)
            np.fill_diagonal(mat, False)
            cell = jx.Cell([jx.Branch(jx.Compartment(), ncomp=4)], parents=[-1])
            m = jx.Network([cell] * size)
            m.set("radius", 1.0)
            m.set("length", 10.0)
            m.set("axial_resistivity", 5000.0)
            m.insert(HH())
            m.set("v", -65.0)
            connectivity_matrix_connect(m.cell("all"), m.cell("all"), IonotropicSynapse(), mat)
            m.set("IonotropicSynapse_gS", 0.01)
            m.init_states()
            nstim = max(1, size // 10)
            cur = jx.step_current(1.0, 5.0, 0.5, DT, t_max)
            m.cell(list(range(nstim))).branch(0).comp(0).stimulate(cur, verbose=False)
            m.cell("all").branch(0).comp(0).record("v", verbose=False)
        m.make_trainable("HH_gNa", verbose=False)
        p = m.get_parameters()
        sim = lambda p: jx.integrate(m, params=p, delta_t=DT, t_max=t_max)  # noqa: E731
        ncomp = len(m.nodes)
        jit = jax.jit
        gradf = lambda f: jax.grad(f)  # noqa: E731
    build = time.perf_counter() - t_build

    row = dict(
        kind=kind,
        size=size,
        who=who,
        prec=prec,
        ncomp=ncomp,
        build_s=round(build, 3),
        device=jax.devices()[0].device_kind,
        jax=jax.__version__,
    )
    if kind == "batch":
        # size parameter sets, one cell each, vmapped: the many-simulations use of a GPU.
        scale = jnp.linspace(0.8, 1.2, size)

        def scaled(p, s):
            return jax.tree.map(lambda x: x * s, p)

        fwd = jit(jax.vmap(lambda s: sim(scaled(p, s))))
        grad = jit(jax.vmap(lambda s: gradf(lambda q: jnp.mean(sim(q) ** 2))(scaled(p, s))))
        v = measure(row, fwd, grad, scale, 3)
    else:
        fwd = jit(sim)
        grad = jit(gradf(lambda q: jnp.mean(sim(q) ** 2)))
        v = measure(row, fwd, grad, p, 5)
        row["v_head"] = [float(x) for x in np.asarray(v).reshape(-1)[100:103]]
    row["fwd_ms"] = round(row["fwd_ms"] * 1e3, 3)
    row["grad_ms"] = round(row["grad_ms"] * 1e3, 3)
    row["grad_over_fwd"] = round(row["grad_ms"] / row["fwd_ms"], 2)
    print(json.dumps(row), flush=True)


def driver(small):
    out = os.environ.get("OUT", "/tmp")
    if small:
        who = ("eqseq", "eqlevel", "eqpallas", "eqfused", "jaxley")
        plan = [("cable", 100, w) for w in who]
        plan += [("ca1", 0, w) for w in who]
        plan += [("batch", 4, w) for w in who]
        plan += [("net", 10, w) for w in who]
        largest = [("ring", 20, "eqlevel"), ("ring", 40, "eqlevel")]
        limit = 300
    else:
        # The sequential solve launches GPU work per node: it runs last, on the small case.
        who = ("eqfused", "eqpallas", "eqlevel", "jaxley")
        plan = [("batch", 1024, w) for w in who]
        plan += [("ca1", 0, w) for w in who]
        plan += [("net", 1000, w) for w in who]
        plan += [("batch", 1024, w, "f32") for w in who]
        plan += [("cable", 1000, w) for w in who]
        plan += [("ca1", 0, "eqseq")]
        largest = [("ring", n, "eqlevel") for n in (10_000, 30_000, 100_000, 300_000)]
        limit = int(os.environ.get("CASE_S", "75"))
    t0 = time.time()
    budget = float(os.environ.get("BUDGET_S", "1e9"))
    failed_ring = False
    for item in plan + largest:
        if time.time() - t0 > budget:
            print("budget spent; skipping", item, flush=True)
            continue
        if item[0] == "ring" and failed_ring:  # a smaller ring failed: the GPU holds no larger
            continue
        args = [sys.executable, __file__, "case", *map(str, item)]
        timeout = int(os.environ.get("RING_S", "300")) if item[0] == "ring" else limit
        try:
            r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
            line = (r.stdout.strip().splitlines() or [""])[-1]
            if r.returncode != 0 or not line.startswith("{"):
                err = (r.stderr.strip().splitlines() or ["?"])[-3:]
                line = json.dumps(dict(case=item, error=" | ".join(err)[:600]))
        except subprocess.TimeoutExpired:
            line = json.dumps(dict(case=item, error=f"timeout {timeout}s"))
        failed_ring |= item[0] == "ring" and '"error"' in line
        print(line, flush=True)
        with open(os.path.join(out, "results.jsonl"), "a") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "case":
        case(*sys.argv[2:])
    else:
        driver("--small" in sys.argv)
