"""Peer benchmark: Arbor 0.12 single-branch HH cable, forward only.

Same model as hh_cable.c (and eqcable's benchmarks/cable.py, up to its stimulus):
one unbranched cable of n CVs,
radius 1 um, 10 um per CV, Ra 5000 ohm cm, cm 1 uF/cm2, Arbor's built-in `hh`
(textbook parameters, 6.3 degC) everywhere, 0.5 nA step 0.5..3.5 ms into CV 0,
v_init -70 mV, fixed dt 0.025 ms, 200 steps = 5 ms, float64 (Arbor is double only).

cv_policy_fixed_per_branch(n) puts CV boundaries at 0, 1/n, ..., 1, i.e. n equal CVs
whose reference points are the CV midpoints (i+0.5)/n -- the same nodes as NEURON's
nseg=n; the face conductance between neighbours is the cable between midpoints, as in
NEURON. Probes sit at the midpoints of the first and last CV and sample every step.

Timed: sim.reset() + sim.run(5 ms, dt) (re-initialise and integrate), median of 5
after one warm-up run; model build is not timed (as for NEURON's script).

Usage: arborvenv/bin/python benchmarks/native/arbor_scaling.py [--threads T] [--dump DIR] N [N ...]
  --dump DIR writes DIR/arbor_n{N}.npy = (t, v_first, v_last) rows, one per step.
"""

import argparse
import json
import os
import time

import arbor as A
import numpy as np
from arbor import units as U

T_MAX, DT = 5.0, 0.025

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--dump", default=None)
ap.add_argument("--reps", type=int, default=5)
ap.add_argument("ns", type=int, nargs="+")
args = ap.parse_args()


def build_cell(n):
    L = 10.0 * n
    tree = A.segment_tree()
    tree.append(A.mnpos, A.mpoint(0, 0, 0, 1.0), A.mpoint(L, 0, 0, 1.0), tag=1)
    x0, x1 = 0.5 / n, 1.0 - 0.5 / n
    labels = A.label_dict({"first": f"(location 0 {x0!r})", "last": f"(location 0 {x1!r})"})
    decor = (
        A.decor()
        .set_property(
            Vm=-70 * U.mV,
            cm=0.01 * U.F / U.m2,
            rL=5000 * U.Ohm * U.cm,
            tempK=(6.3 + 273.15) * U.Kelvin,
        )
        .paint("(all)", A.density("hh"))
        .place('"first"', A.i_clamp(0.5 * U.ms, 3.0 * U.ms, 0.5 * U.nA))
    )
    return A.cable_cell(tree, decor, labels, discretization=A.cv_policy_fixed_per_branch(n))


class Recipe(A.recipe):
    def __init__(self, cell):
        A.recipe.__init__(self)
        self.cell = cell
        self.props = A.neuron_cable_properties()  # NEURON defaults: ena 50, ek -77, ...

    def num_cells(self):
        return 1

    def cell_kind(self, gid):
        return A.cell_kind.cable

    def cell_description(self, gid):
        return self.cell

    def probes(self, gid):
        return [
            A.cable_probe_membrane_voltage('"first"', "v0"),
            A.cable_probe_membrane_voltage('"last"', "v1"),
        ]

    def global_properties(self, kind):
        return self.props


ctx = A.context(threads=args.threads)
for n in args.ns:
    cell = build_cell(n)
    ncv = A.cv_data(cell).num_cv
    assert ncv == n, (ncv, n)
    rec = Recipe(cell)
    sim = A.simulation(rec, ctx)
    sched = A.regular_schedule(DT * U.ms)
    h0 = sim.sample((0, "v0"), sched)
    h1 = sim.sample((0, "v1"), sched)

    def run(sim=sim):
        sim.reset()
        sim.run(T_MAX * U.ms, DT * U.ms)

    run()
    ts = []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        run()
        ts.append(time.perf_counter() - t0)
    ts.sort()
    d0, _ = sim.samples(h0)[0]
    d1, _ = sim.samples(h1)[0]
    # keep the last run only (sim.reset() already drops earlier samples in 0.12; be safe)
    m = int(round(T_MAX / DT))
    d0, d1 = d0[-m:], d1[-m:]
    if args.dump:
        os.makedirs(args.dump, exist_ok=True)
        np.save(
            os.path.join(args.dump, f"arbor_n{n}.npy"), np.stack([d0[:, 0], d0[:, 1], d1[:, 1]], 1)
        )
    print(
        json.dumps(
            dict(
                sim=f"arbor-{A.__version__}",
                threads=args.threads,
                n=n,
                steps=m,
                fwd_s=ts[len(ts) // 2],
                ns_per_comp_step=ts[len(ts) // 2] / (n * m) * 1e9,
                nsamples=int(len(sim.samples(h0)[0][0])),
                t_first=float(d0[0, 0]),
                t_last=float(d0[-1, 0]),
                vmax0=float(d0[:, 1].max()),
                vmax_end=float(d1[:, 1].max()),
            )
        ),
        flush=True,
    )
    del sim, rec, cell
