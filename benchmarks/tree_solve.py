"""The tree solve alone: `SequentialSolve`, `PartitionedSolve` and `LevelParallelSolve`.

Solves ``A x = b`` (float64) on the node trees of a 1,000- and a 10,000-compartment cable
and of the two SWC cells of `swc.py` (CA1 at 4 compartments per section, L5PC at 2), in
the run layout with the block chosen automatically and with the blocks given. Each case
runs 20 solves in one compiled loop (so that dispatch does not count); median µs per
solve over repeats, and the sequential depth of each solver (nodes for the sequential
sweeps, levels for the level-parallel one, ``2 W + separators`` for the partitioned one).
Run by hand:

    python benchmarks/tree_solve.py [--repeats 50] [--blocks 4 8 16 32 64]
"""

import argparse
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import eqcable as ec  # noqa: E402
from eqcable.simulation import CellStructure  # noqa: E402

MORPHOLOGIES = Path(__file__).parents[1] / "tests" / "data" / "morphologies"
SOLVES = 20


def median_us(f, args, repeats: int) -> float:
    jax.block_until_ready(f(*args))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(f(*args))
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e6 / SOLVES


def trees():
    """(name, ncomp per branch, parents, parent_x) of each tree."""
    yield "cable 1,000", (1000,), (-1,), None
    yield "cable 10,000", (10000,), (-1,), None
    for name, ncomp in (("ca1_n120.swc", 4), ("l5pc_with_axon.swc", 2)):
        cell = ec.read_swc(MORPHOLOGIES / name, ncomp)
        spec = cell.ncomp_per_branch, cell.branch_parents, cell.branch_parent_x
        yield f"{name} ({cell.ncomp} comps)", *spec


def repeated(solver, tree):
    """`SOLVES` solves in one compiled loop, each depending on the last."""

    def run(d, u, b):
        def one(x, _):
            return ec.tree_solve(solver, d + 1e-12 * x[0], u, b, tree), None

        return jax.lax.scan(one, b, None, length=SOLVES)[0]

    return jax.jit(run)


def main(repeats: int, blocks: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    print("| tree | block (W x R + S) | nodes | solver | sequential depth | µs per solve |")
    print("|---|---|---:|---|---:|---:|")
    for name, *spec in trees():
        seen = set()  # blocks past the longest run give the same layout: measured once
        for block in (None, *blocks):
            tree = CellStructure.build(*spec, block=block).tree
            width, nruns = tree.run_last.shape
            nsep = tree.reduced_parent.shape[0]
            if block is not None and (width, nruns, nsep) in seen:
                continue
            seen.add((width, nruns, nsep))
            n = tree.parent.shape[0]
            u = jnp.where(tree.parent >= 0, -rng.uniform(0.1, 1.0, n), 0.0)
            d = jnp.asarray(rng.uniform(3.0, 5.0, n))
            b = jnp.asarray(rng.normal(size=n))
            cases = [("PartitionedSolve", ec.PartitionedSolve(), 2 * width + nsep)]
            if block is None:
                cases += [
                    ("SequentialSolve", ec.SequentialSolve(), n),
                    ("LevelParallelSolve", ec.LevelParallelSolve(), tree.levels.shape[0]),
                ]
            ref = np.asarray(ec.tree_solve(ec.SequentialSolve(), d, u, b, tree))
            label = f"{'auto ' if block is None else ''}{width} x {nruns} + {nsep}"
            for solver_name, solver, depth in cases:
                x = jax.jit(lambda d, u, b, s=solver, t=tree: ec.tree_solve(s, d, u, b, t))(d, u, b)
                assert float(jnp.max(jnp.abs(x - ref))) < 1e-10, (name, solver_name)
                t = median_us(repeated(solver, tree), (d, u, b), repeats)
                print(f"| {name} | {label} | {n} | {solver_name} | {depth} | {t:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--blocks", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    args = parser.parse_args()
    main(args.repeats, tuple(args.blocks))
