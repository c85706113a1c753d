"""A network's cells spread over devices: which device simulates which cells, and the
index arrays every device needs (NumPy, once per run, before tracing).

Every device runs the same program on arrays of the same shapes (SPMD). A device's
cells form one forest, padded to the largest device's size with *filler* compartments
(isolated, no mechanisms, never recorded) and padding nodes; the last compartment of
every device is a filler, the *sink*. Connections live on the device of their
postsynaptic compartment, padded with connections from and to the sink; recordings and
stimuli and clamps are split the same way and padded with rows that are dropped (or act
on the sink alone).
"""

from collections.abc import Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import numpy as np
from jaxtyping import Array, Bool, Int

from ..morphology.dhs import Schedule, build_schedule
from ..solvers.tree_solve import TreeSchedule
from .model import CellStructure


def balanced_partition(sizes: Sequence[int], ndevices: int) -> tuple[np.ndarray, ...]:
    """Cells of `sizes` compartments spread over `ndevices` devices, balancing the
    compartments per device: largest cell first, each to the device with the fewest
    compartments so far (the lowest index on ties). Each device's cells are in
    increasing order.

    **Raises:** `ValueError` for fewer cells than devices (each device needs one).
    """
    ncells = len(sizes)
    if isinstance(ndevices, bool) or not isinstance(ndevices, int | np.integer) or ndevices < 1:
        raise ValueError(f"The number of devices must be a positive int, got {ndevices!r}.")
    if ndevices > ncells:
        raise ValueError(
            f"Cannot spread {ncells} cell(s) over {ndevices} devices: every device needs at "
            f"least one cell; use at most {ncells} devices."
        )
    loads = np.zeros(ndevices, np.int64)
    parts: list[list[int]] = [[] for _ in range(ndevices)]
    for c in sorted(range(ncells), key=lambda c: (-sizes[c], c)):
        d = int(np.argmin(loads))
        parts[d].append(c)
        loads[d] += sizes[c]
    return tuple(np.array(sorted(p), np.int64) for p in parts)


def check_partition(partition, ncells: int, ndevices: int) -> tuple[np.ndarray, ...]:
    """`partition` (one sequence of cell indices per device) as arrays, checked.

    **Raises:** `ValueError` unless it has one non-empty entry per device and holds
    every cell of ``range(ncells)`` exactly once.
    """
    parts = [np.asarray(p) for p in partition]
    if len(parts) != ndevices:
        raise ValueError(f"partition has {len(parts)} entries, one per device is {ndevices}.")
    for d, p in enumerate(parts):
        if p.ndim != 1 or p.size == 0 or not np.issubdtype(p.dtype, np.integer):
            raise ValueError(f"partition entry {d} must be a non-empty sequence of cell indices.")
    every = np.concatenate(parts)
    counts = np.bincount(every[(every >= 0) & (every < ncells)], minlength=ncells)
    if np.any(every < 0) or np.any(every >= ncells) or np.any(counts != 1):
        raise ValueError(
            f"partition must hold every cell index 0..{ncells - 1} exactly once; it holds "
            f"{sorted(every.tolist())}."
        )
    return tuple(np.sort(p).astype(np.int64) for p in parts)


class Group(NamedTuple):
    """What the plan needs of one synapse group: presynaptic compartments (``-1 - k`` for
    spike-train input ``k``), postsynaptic compartments, delays in steps, whether the
    synapse is reciprocal (a gap junction), and its name."""

    pre: np.ndarray
    post: np.ndarray
    steps: np.ndarray
    reciprocal: bool
    name: str


class ShardPlan(eqx.Module):
    """The index arrays of every device, stacked (leading axis: the device).

    - `comps`: the network compartment each local compartment copies (fillers: 0);
      `filler`: whether it is a filler. `structure`: the arrays of the local forest,
      padded (`local_structure` makes them a `CellStructure`).
    - Per stimulus: `stimulus_rows` (its rows each device takes), `stimulus_used`,
      `stimulus_comps` (their local compartments; the sink for padding); per clamp
      likewise `clamp_rows`, `clamp_comps`.
    - Per recording: `recording_index`, the local compartment or connection of each row.
    - Per synapse group: `conn` (the network connection each local one copies),
      `conn_used`, `pre` (local presynaptic compartment where the presynaptic cell is on
      this device, ``-1 - k`` for input ``k``, else the sink), `post`, `source` (where
      its presynaptic voltage is in the vector of every device's exports followed by
      this device's own node voltages, `Exchange.voltages`), `delay` (steps), and the
      static `buffer_length` (longest delay + 1).
    - `export`: the local nodes whose voltage every device receives each step: those
      presynaptic to a compartment on another device.
    """

    comps: Int[Array, "ndev ncomp"]
    filler: Bool[Array, "ndev ncomp"]
    structure: dict[str, Int[Array, "ndev ..."] | Bool[Array, "ndev ..."]]
    stimulus_rows: tuple[Int[Array, "ndev _k"], ...]
    stimulus_used: tuple[Bool[Array, "ndev _k"], ...]
    stimulus_comps: tuple[Int[Array, "ndev _k"], ...]
    clamp_rows: tuple[Int[Array, "ndev _k"], ...]
    clamp_comps: tuple[Int[Array, "ndev _k"], ...]
    recording_index: tuple[Int[Array, "ndev _k"], ...]
    conn: tuple[Int[Array, "ndev _nconn"], ...]
    conn_used: tuple[Bool[Array, "ndev _nconn"], ...]
    pre: tuple[Int[Array, "ndev _nconn"], ...]
    post: tuple[Int[Array, "ndev _nconn"], ...]
    source: tuple[Int[Array, "ndev _nconn"], ...]
    delay: tuple[Int[Array, "ndev _nconn"], ...]
    export: Int[Array, "ndev nexport"]
    buffer_length: tuple[int, ...] = eqx.field(static=True)


def _pad(rows: list[np.ndarray], width: int, fill) -> np.ndarray:
    out = np.full((len(rows), width), fill, dtype=np.asarray(rows[0]).dtype)
    for d, r in enumerate(rows):
        out[d, : len(r)] = r
    return out


def local_structure(arrays: dict[str, Array]) -> CellStructure:
    """One device's `CellStructure` from its part of `ShardPlan.structure`."""
    tree = {
        k: v for k, v in arrays.items() if k not in ("comp_to_node", "node_to_comp", "parent_half")
    }
    return CellStructure(
        comp_to_node=arrays["comp_to_node"],
        node_to_comp=arrays["node_to_comp"],
        parent_half=arrays["parent_half"],
        tree=TreeSchedule(**tree),
    )


def _padded_structure(schedules: list[Schedule], sinks: list[int]) -> dict[str, np.ndarray]:
    """The devices' schedules padded to common shapes and stacked: padding nodes
    (roots, no compartment, no edge) appended, padding edges from the sink to itself
    (a root: no conductance), padding levels of dummy pairs."""
    n = max(len(s.parent) for s in schedules)
    nlevels = max(s.levels.shape[0] for s in schedules)
    width = max(s.levels.shape[1] for s in schedules)
    fields: dict[str, list[np.ndarray]] = {k: [] for k in ("c2n", "n2c", "half", "parent")}
    fields.update(children=[], parents=[], levels=[], order=[])
    for s in schedules:
        extra = n - len(s.parent)
        fields["c2n"].append(s.comp_to_node)
        fields["n2c"].append(np.concatenate([s.node_to_comp, np.full(extra, -1)]))
        fields["half"].append(np.concatenate([s.parent_half, np.full(extra, -1)]))
        fields["parent"].append(np.concatenate([s.parent, np.full(extra, -1)]))
        fields["order"].append(np.concatenate([s.order, np.arange(len(s.parent), n)]))
        levels = np.full((nlevels, width, 2), n, np.int64)
        own = s.levels
        levels[: own.shape[0], : own.shape[1]] = np.where(own >= len(s.parent), n, own)
        fields["levels"].append(levels)
        fields["children"].append(s.all_children)
        fields["parents"].append(s.all_parents)
    sink_nodes = [s.comp_to_node[k] for s, k in zip(schedules, sinks, strict=True)]
    nedges = max(len(c) for c in fields["children"])
    edges, edge_parents = (
        [
            np.concatenate([e, np.full(nedges - len(e), k)])
            for e, k in zip(ends, sink_nodes, strict=True)
        ]
        for ends in (fields["children"], fields["parents"])
    )
    ndev = len(schedules)
    stack = lambda key: np.stack(fields[key]).astype(np.int64)  # noqa: E731
    return dict(
        comp_to_node=stack("c2n"),
        node_to_comp=stack("n2c"),
        parent_half=stack("half"),
        parent=stack("parent"),
        all_children=np.stack(edges).astype(np.int64),
        all_parents=np.stack(edge_parents).astype(np.int64),
        levels=stack("levels"),
        order=stack("order"),
        # The partitioned solve's runs are not laid out per device (it is refused).
        run_last=np.zeros((ndev, 1, 1), bool),
        run_top=np.zeros((ndev, 1), np.int64),
        run_bottom=np.zeros((ndev, 1), np.int64),
        run_has_bottom=np.zeros((ndev, 1), bool),
        via_run=np.zeros((ndev, 0), np.int64),
        reduced_parent=np.zeros((ndev, 0), np.int64),
    )


def plan_shards(
    ncomp_per_branch: Sequence[int],
    branch_parents: Sequence[int],
    branch_parent_x: Sequence[float],
    cell_nbranches: Sequence[int],
    partition: tuple[np.ndarray, ...],
    groups: Sequence[Group],
    stimuli: Sequence[np.ndarray],
    clamps: Sequence[np.ndarray],
    recordings: Sequence[tuple[np.ndarray, int | None]],
) -> tuple[ShardPlan, np.ndarray]:
    """The `ShardPlan` of a network spread over devices as `partition` says, and the
    rows of the devices' stacked recordings that give the network's recordings in
    order.

    The network is given by its branches (compartments per branch, parent branch,
    attachment point) and the number of branches of each cell; `groups` are its synapse
    groups; `stimuli` and `clamps` the compartments of each stimulus and clamp;
    `recordings` the indices of each recording with the synapse group it reads
    (``None``: compartments).

    **Raises:** `ValueError` for a reciprocal connection (a gap junction) between cells
    on different devices.
    """
    nb = np.asarray(ncomp_per_branch, np.int64)
    comp_start = np.concatenate([[0], np.cumsum(nb)])
    branch_start = np.concatenate([[0], np.cumsum(cell_nbranches)]).astype(np.int64)
    owner = np.zeros(comp_start[-1], np.int64)  # device of every compartment
    local = np.zeros(comp_start[-1], np.int64)  # its index there
    branches, comps = [], []
    for d, cells in enumerate(partition):
        ncomp, parents, xs, mine = [], [], [], []
        for c in cells:
            b0, b1 = branch_start[c], branch_start[c + 1]
            offset = len(ncomp)
            for b in range(b0, b1):
                ncomp.append(int(nb[b]))
                p = int(branch_parents[b])
                parents.append(p - int(b0) + offset if p >= 0 else -1)
                xs.append(float(branch_parent_x[b]))
            mine.append(np.arange(comp_start[b0], comp_start[b1]))
        mine = np.concatenate(mine)
        owner[mine], local[mine] = d, np.arange(len(mine))
        branches.append((ncomp, parents, xs))
        comps.append(mine)
    size = max(len(c) for c in comps) + 1  # one filler at least: the sink
    sink = size - 1
    schedules = []
    for ncomp, parents, xs in branches:
        nfill = size - sum(ncomp)
        schedules.append(
            build_schedule(ncomp + [1] * nfill, parents + [-1] * nfill, xs + [1.0] * nfill)
        )
    ndev = len(partition)
    structure = _padded_structure(schedules, [sink] * ndev)

    # A device exports the voltage of each of its compartments that is presynaptic to a
    # compartment on another device, once; connections within a device read the
    # device's own voltages, which follow the exports in the vector they read.
    pre_all = np.concatenate([g.pre for g in groups] + [np.zeros(0, np.int64)])
    post_all = np.concatenate([g.post for g in groups] + [np.zeros(0, np.int64)])
    remote = (pre_all >= 0) & (owner[np.maximum(pre_all, 0)] != owner[post_all])
    exported = np.unique(pre_all[remote])
    exports = [exported[owner[exported] == d] for d in range(ndev)]
    nexport = max(1, max(len(e) for e in exports))
    slot = np.zeros(comp_start[-1], np.int64)
    for d, e in enumerate(exports):
        slot[e] = d * nexport + np.arange(len(e))
    node_of = np.zeros(comp_start[-1], np.int64)  # every compartment's node on its device
    for d, c in enumerate(comps):
        node_of[c] = schedules[d].comp_to_node[local[c]]
    export = _pad([node_of[e] for e in exports], nexport, 0)

    conn, used, pre, post, source, delay, conn_local = [], [], [], [], [], [], []
    for g in groups:
        home = owner[g.post]
        mine = [np.flatnonzero(home == d) for d in range(ndev)]
        width = max(len(m) for m in mine)
        where = np.zeros(len(g.post), np.int64)
        rows = [[], [], [], []]
        for d, m in enumerate(mine):
            where[m] = np.arange(len(m))
            p = g.pre[m]
            remote = (p >= 0) & (owner[np.maximum(p, 0)] != d)
            if g.reciprocal and np.any(remote):
                j = int(m[np.argmax(remote)])
                raise ValueError(
                    f"{g.name} connection {j} joins compartments on devices "
                    f"{int(owner[g.pre[j]])} and {d}: reciprocal synapses (gap junctions) "
                    "across devices are not supported; give both cells to one device "
                    "(partition=...)."
                )
            rows[0].append(np.where(p < 0, p, np.where(remote, sink, local[np.maximum(p, 0)])))
            rows[1].append(local[g.post[m]])
            own = ndev * nexport + node_of[np.maximum(p, 0)]  # after every device's exports
            rows[2].append(np.where(p < 0, 0, np.where(remote, slot[np.maximum(p, 0)], own)))
            rows[3].append(g.steps[m])
        conn.append(_pad(mine, width, 0))
        used.append(_pad([np.ones(len(m), bool) for m in mine], width, False))
        pre.append(_pad(rows[0], width, sink))
        post.append(_pad(rows[1], width, sink))
        source.append(_pad(rows[2], width, 0))
        delay.append(_pad(rows[3], width, 0))
        conn_local.append((home, where))

    def split(idx):  # rows of each device, whether used, their local compartments
        mine = [np.flatnonzero(owner[idx] == d) for d in range(ndev)]
        width = max(1, max(len(m) for m in mine))
        used = [np.ones(len(m), bool) for m in mine]
        at = [local[idx[m]] for m in mine]
        return _pad(mine, width, 0), _pad(used, width, False), _pad(at, width, sink)

    stim = [split(idx) for idx in stimuli]
    clamp = [split(idx) for idx in clamps]

    # Recording k takes rows offset_k .. offset_k + width_k of every device's output.
    index, placed, offset = [], [], 0
    for idx, group in recordings:
        home, where = (owner[idx], local[idx]) if group is None else conn_local[group]
        if group is not None:
            home, where = home[idx], where[idx]
        mine = [np.flatnonzero(home == d) for d in range(ndev)]
        width = max(1, max(len(m) for m in mine))
        index.append(_pad([where[m] for m in mine], width, 0))
        placed.append((mine, offset))
        offset += width
    # The stacked output row of each recorded site, in the network's order.
    rows = [np.zeros(0, np.int64)]
    for mine, start in placed:
        stacked = np.concatenate(
            [d * offset + start + np.arange(len(m)) for d, m in enumerate(mine)]
        )
        rows.append(stacked[np.argsort(np.concatenate(mine), kind="stable")])
    arrays = dict(
        comps=_pad(comps, size, 0),
        filler=_pad([np.zeros(len(c), bool) for c in comps], size, True),
        structure=structure,
        stimulus_rows=tuple(x[0] for x in stim),
        stimulus_used=tuple(x[1] for x in stim),
        stimulus_comps=tuple(x[2] for x in stim),
        clamp_rows=tuple(x[0] for x in clamp),
        clamp_comps=tuple(x[2] for x in clamp),
        recording_index=tuple(index),
        conn=tuple(conn),
        conn_used=tuple(used),
        pre=tuple(pre),
        post=tuple(post),
        source=tuple(source),
        delay=tuple(delay),
        export=export,
    )
    # device_put, not jnp.asarray: the latter compiles per new shape (JAX 0.10, CPU).
    plan = ShardPlan(
        **jax.tree.map(jax.device_put, arrays),
        buffer_length=tuple(int(g.steps.max(initial=0)) + 1 for g in groups),
    )
    return plan, np.concatenate(rows)
