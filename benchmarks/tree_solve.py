"""The tree solve alone: `SequentialSolve`, `LevelParallelSolve` and `PartitionedSolve`.

One solve ``A x = b`` (jit-compiled, float64) on the node trees of a 1,000- and a
10,000-compartment cable and of the two SWC cells of `swc.py` (CA1 at 4 compartments per
section, L5PC at 2), median µs over repeats, and the sequential depth of each solver (the
number of dependent steps: nodes for the sequential sweeps, levels for the level-parallel
one, ``2 · block + separators`` for the partitioned one). Run by hand:

    python benchmarks/tree_solve.py [--repeats 50]
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
from eqcable.solvers.partitioned import PartitionedSolve, partition_schedule  # noqa: E402

MORPHOLOGIES = Path(__file__).parents[1] / "tests" / "data" / "morphologies"


def median_us(f, args, repeats: int) -> float:
    jax.block_until_ready(f(*args))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        jax.block_until_ready(f(*args))
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e6


def trees():
    yield "cable 1,000", CellStructure.build([1000], [-1]).tree
    yield "cable 10,000", CellStructure.build([10000], [-1]).tree
    for name, ncomp in (("ca1_n120.swc", 4), ("l5pc_with_axon.swc", 2)):
        cell = ec.read_swc(MORPHOLOGIES / name, ncomp)
        yield f"{name} ({cell.ncomp} comps)", cell.structure.tree


def main(repeats: int, blocks: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    print("| tree | nodes | solver | sequential depth | µs per solve |")
    print("|---|---:|---|---:|---:|")
    for name, tree in trees():
        n = tree.parent.shape[0]
        u = jnp.where(tree.parent >= 0, -rng.uniform(0.1, 1.0, n), 0.0)
        d = jnp.asarray(rng.uniform(3.0, 5.0, n))
        b = jnp.asarray(rng.normal(size=n))
        ref = None
        cases = [
            ("SequentialSolve", ec.SequentialSolve(), tree, n),
            ("LevelParallelSolve", ec.LevelParallelSolve(), tree, tree.levels.shape[0]),
        ]
        for block in blocks:
            ps = partition_schedule(tree, block)
            depth = 2 * block + ps.separators.shape[0]
            cases.append((f"PartitionedSolve, block {block}", PartitionedSolve(), ps, depth))
        for label, solver, schedule, depth in cases:
            f = jax.jit(lambda d, u, b, s=solver, sch=schedule: ec.tree_solve(s, d, u, b, sch))
            x = f(d, u, b)
            ref = x if ref is None else ref
            assert float(jnp.max(jnp.abs(x - ref))) < 1e-10, label
            print(f"| {name} | {n} | {label} | {depth} | {median_us(f, (d, u, b), repeats):.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--blocks", type=int, nargs="+", default=[8, 32, 128])
    args = parser.parse_args()
    main(args.repeats, tuple(args.blocks))
