"""Plots of modules and traces (matplotlib, an optional extra, imported when a plot is made)."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from jaxtyping import ArrayLike, Float, Int, Real

from .modules.base import AbstractModule
from .modules.swc_cell import SwcMap
from .morphology.geometry import pt3d_arc_lengths
from .morphology.import3d import type_name

_MAX_LEGEND_ROWS = 10


def _pyplot(function: str):
    """`matplotlib.pyplot`, or an `ImportError` that says how to install it."""
    try:
        import matplotlib  # noqa: F401  (the package first: a missing one fails here)
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError(
            f"{function} needs matplotlib, which is an optional extra: "
            "pip install 'eqcable[plot]' (or pip install matplotlib)"
        ) from e
    return plt


# ---------------------------------------------------------------------------------------
# Geometry: one polyline per compartment, from the SWC map or from the branches alone


def _compartment_pieces(points, arc, ncomp):
    """Split a polyline into `ncomp` pieces of equal path length."""
    edges = np.linspace(0.0, arc[-1], ncomp + 1)
    pieces = []
    for j in range(ncomp):
        inside = (arc > edges[j]) & (arc < edges[j + 1])
        ends = [np.interp(edges[j], arc, points[:, k]) for k in range(3)]
        ende = [np.interp(edges[j + 1], arc, points[:, k]) for k in range(3)]
        pieces.append(np.vstack([ends, points[inside], ende]))
    return pieces


def _swc_pieces(module: AbstractModule, swc_map: SwcMap, linewidth_scale: float):
    """Each compartment's 3-D polyline (µm), line width and group, from the SWC map."""
    if len(swc_map.sections) != module.nbranches:
        raise ValueError(
            f"swc_map has {len(swc_map.sections)} sections but the module has "
            f"{module.nbranches} branches; pass the map read_swc returned with this cell."
        )
    pieces, widths, groups = [], [], []
    for b, sec in enumerate(swc_map.sections):
        ncomp = module.ncomp_per_branch[b]
        pieces += _compartment_pieces(sec.xyz, pt3d_arc_lengths(sec.xyz), ncomp)
        widths += [max(0.3, linewidth_scale * float(np.mean(sec.diam)))] * ncomp
        groups += [type_name(sec.type)] * ncomp
    return pieces, widths, groups


def _tree(parents: Sequence[int]) -> tuple[list[list[int]], list[int], np.ndarray]:
    """Each branch's children; all branches, every parent before its children (depth first
    from the roots); and the number of terminal branches below (or at) each branch."""
    children = [[] for _ in parents]
    for b, p in enumerate(parents):
        if p >= 0:
            children[p].append(b)
    order, stack = [], [b for b, p in enumerate(parents) if p < 0][::-1]
    while stack:
        order.append(stack.pop())
        stack.extend(reversed(children[order[-1]]))
    leaves = np.ones(len(parents))
    for b in reversed(order):
        if children[b]:
            leaves[b] = sum(leaves[c] for c in children[b])
    return children, order, leaves


def _attachment(edges: np.ndarray, x: float) -> np.ndarray:
    """Where a child attaches on a branch whose compartment boundaries are `edges`:
    the start (x = 0), the end (x = 1), or the centre of the compartment holding `x`."""
    if 0.0 < x < 1.0:
        k = min(int(x * (len(edges) - 1)), len(edges) - 2)
        return (edges[k] + edges[k + 1]) / 2
    return edges[0] if x <= 0.0 else edges[-1]


def _layout(
    ncomp_per_branch: Sequence[int],
    parents: Sequence[int],
    parent_x: Sequence[float],
    length: Float[np.ndarray, " ncomp"],
) -> Float[np.ndarray, "ncomp 2 2"]:
    """A 2-D schematic: the start and end point (µm) of every compartment.

    Each branch is a straight segment of its compartments' total length, starting where it
    attaches to its parent. Every root points up and owns a fan of directions that leaves
    a gap pointing back along it; a branch's fan is shared among its children in
    proportion to their numbers of terminal branches, and each child points to the middle
    of its share (so subtrees spread apart and a single child continues straight on).
    """
    offsets = np.concatenate([[0], np.cumsum(ncomp_per_branch)]).astype(int)
    children, order, leaves = _tree(parents)
    nb = len(parents)
    start, angle, fan = np.zeros((nb, 2)), np.full(nb, np.pi / 2), np.zeros(nb)
    segments = np.zeros((offsets[-1], 2, 2))
    for b in order:
        if parents[b] < 0:
            fan[b] = 2 * np.pi * leaves[b] / (leaves[b] + 1)
        direction = np.array([np.cos(angle[b]), np.sin(angle[b])])
        arc = np.concatenate([[0.0], np.cumsum(length[offsets[b] : offsets[b + 1]])])
        edges = start[b] + arc[:, None] * direction
        segments[offsets[b] : offsets[b + 1], 0] = edges[:-1]
        segments[offsets[b] : offsets[b + 1], 1] = edges[1:]
        low = angle[b] - fan[b] / 2
        for c in children[b]:
            fan[c] = fan[b] * leaves[c] / leaves[b]
            angle[c] = low + fan[c] / 2
            low += fan[c]
            start[c] = _attachment(edges, parent_x[c])
    return segments


def _side_by_side(
    segments: Float[np.ndarray, "ncomp 2 2"], bounds: Int[np.ndarray, " ncells_plus_one"]
) -> list[float]:
    """Shift each cell's segments (in place; cell i's are ``bounds[i]:bounds[i + 1]``) so
    the cells stand in a row, left to right, with a gap between them; returns each cell's
    centre on the x axis (µm)."""
    cells = [segments[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    extent = max(float(np.ptp(c.reshape(-1, 2), axis=0).max()) for c in cells)
    gap = max(0.2 * extent, 1.0)
    right, centres = 0.0, []
    for c in cells:
        x = c[..., 0]
        x += right - x.min()
        centres.append(float((x.min() + x.max()) / 2))
        right = float(x.max()) + gap
    return centres


def _group_name(swc_type: int) -> str:
    return "untyped" if swc_type == 0 else type_name(swc_type)


def _schematic_pieces(module: AbstractModule, linewidth_scale: float):
    """Each compartment's 2-D line (µm), line width and group, from the branches alone;
    also each cell's number of compartments and centre on the x axis."""
    segments = _layout(
        module.ncomp_per_branch,
        module.branch_parents,
        module.branch_parent_x,
        np.asarray(module.length, dtype=float),
    )
    cell_nbranches = getattr(module, "cell_nbranches", (module.nbranches,))
    first = np.cumsum([0, *cell_nbranches[:-1]])
    bounds = np.cumsum([0, *np.add.reduceat(module.ncomp_per_branch, first)])
    centres = _side_by_side(segments, bounds)
    widths = np.maximum(0.3, linewidth_scale * 2 * np.asarray(module.radius, dtype=float))
    names = [_group_name(t) for t in module.branch_types]
    groups = [str(g) for g in np.repeat(names, module.ncomp_per_branch)]
    return list(segments), list(widths), groups, centres


# ---------------------------------------------------------------------------------------
# Morphology


def _check_values(values, ncomp: int) -> np.ndarray | None:
    if values is None:
        return None
    values = np.asarray(values, dtype=float)
    if values.shape != (ncomp,):
        raise ValueError(
            f"values needs one entry per compartment ({ncomp}), got shape {values.shape}."
        )
    return values


def _draw(ax, pieces, widths, groups, values, cmap: str, dims) -> None:
    """One line per compartment, coloured by value (with a colour bar) or by group (with a
    legend: one empty line per group)."""
    from matplotlib import cm, colormaps, colors

    norm = None
    if values is not None:
        norm = colors.Normalize(vmin=np.nanmin(values), vmax=np.nanmax(values))
    group_colors: dict[str, str] = {}
    for i, (piece, width, group) in enumerate(zip(pieces, widths, groups, strict=True)):
        if norm is None:
            color = group_colors.setdefault(group, f"C{len(group_colors)}")
        else:
            color = colormaps[cmap](norm(values[i]))
        coords = piece.T if dims == "3d" else piece[:, list(dims)].T
        ax.plot(*coords, color=color, linewidth=width, solid_capstyle="round")
    if norm is None:
        for group, color in group_colors.items():
            ax.plot([], [], color=color, label=group)
        ax.legend(frameon=False)
    else:
        ax.figure.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7)


def plot_morphology(
    module: AbstractModule,
    swc_map: SwcMap | None = None,
    values: Real[ArrayLike, " ncomp"] | None = None,
    *,
    dims: Sequence[int] | str = (0, 1),
    ax=None,
    cmap: str = "viridis",
    linewidth_scale: float = 1.0,
    label_cells: bool = True,
):
    """Draw a module, one line per compartment.

    With `swc_map` (from `read_swc(..., return_map=True)`) the cell is drawn at its 3-D
    points, projected on `dims`. Without it any module (`Compartment`, `Branch`, `Cell`,
    `Network`) is drawn as a 2-D schematic from its branches alone: each branch is a
    straight line as long as its compartments (µm), starting where it attaches to its
    parent, its children fanned out around its direction; a network's cells stand side by
    side in a row.

    **Arguments:**

    - `module`: the module to draw.
    - `swc_map`: optionally, the cell's [`eqcable.SwcMap`][], to draw its real shape.
    - `values`: one value per compartment to colour by (e.g. a voltage in mV, a recorded
      trace's time slice); by default compartments are coloured by group (SWC type;
      ``"untyped"`` for hand-built branches).
    - `dims`: the two axes of the projection (``(0, 1)`` is x–y), or ``"3d"``; with a map
      only (the schematic is 2-D and takes the default ``(0, 1)``).
    - `ax`: a matplotlib axes to draw into (a new figure otherwise).
    - `cmap`: colour map for `values`.
    - `linewidth_scale`: line width (points) per µm of diameter (at least 0.3).
    - `label_cells`: label a network's cells ``"cell 0"``, ``"cell 1"``, ... (schematic).

    **Returns:** the matplotlib axes.

    **Raises:** `ValueError` if `values` does not have one entry per compartment, if
    `swc_map` does not match the module, or for `dims` other than ``(0, 1)`` without a
    map. `ImportError` if matplotlib is not installed.

    !!! example

        ```python
        cell = ec.Cell([branch] * 3, parents=[-1, 0, 0])
        ax = ec.plot_morphology(cell, values=cell.radius)
        ```
    """
    plt = _pyplot("plot_morphology")
    values = _check_values(values, module.ncomp)
    if swc_map is None and (isinstance(dims, str) or tuple(dims) != (0, 1)):
        raise ValueError(
            f"dims={dims!r} needs an swc_map (read_swc(path, ncomp, return_map=True)); "
            "without one the module is drawn as a 2-D schematic (dims=(0, 1))."
        )
    three_d = dims == "3d"
    if ax is None:
        ax = plt.figure().add_subplot(projection="3d" if three_d else None)
    if swc_map is not None:
        pieces, widths, groups = _swc_pieces(module, swc_map, linewidth_scale)
        _draw(ax, pieces, widths, groups, values, cmap, dims)
        if not three_d:
            ax.set_xlabel("xyz"[dims[0]] + " (µm)")
            ax.set_ylabel("xyz"[dims[1]] + " (µm)")
    else:
        pieces, widths, groups, centres = _schematic_pieces(module, linewidth_scale)
        _draw(ax, pieces, widths, groups, values, cmap, dims)
        if label_cells and len(centres) > 1:
            top = max(float(p[:, 1].max()) for p in pieces)
            for i, x in enumerate(centres):
                ax.annotate(f"cell {i}", (x, top), (0, 6), textcoords="offset points", ha="center")
        ax.set_xlabel("µm (schematic)")
        ax.set_ylabel("µm (schematic)")
    if not three_d:
        ax.set_aspect("equal", adjustable="datalim")
    return ax


# ---------------------------------------------------------------------------------------
# Traces


def _groups(names: Sequence[str], units: Sequence[str], rows: Sequence[int]) -> dict:
    """``{(name, unit): [row, ...]}`` in order of first appearance."""
    groups: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        groups.setdefault((names[r], units[r]), []).append(r)
    return groups


def plot_traces(
    traces: Float[ArrayLike, "nrec ntime"],
    info: Any,
    *,
    rows: Sequence[int] | None = None,
    axes: Sequence[Any] | None = None,
):
    """Plot recorded traces against time, one axes per recorded quantity and unit.

    The axes are stacked vertically and share the time axis; each holds one line per row
    of its quantity, with a legend of the rows' labels (left out above 10 lines).

    **Arguments:**

    - `traces`: what `module.integrate(...)` returns, one row per recording.
    - `info`: the recording info, `module.recording_info(t_max, dt)`: its `time` (ms, one
      per column), and per row its `labels` (``"v, comp 3"``), `units` (``"mV"``,
      ``"mA/cm²"``, ``"nA"``, ``"1"``) and `names` (the recorded quantity, ``"v"``,
      ``"HH_m"``, ``"i_HH"``).
    - `rows`: optionally, the rows to plot (indices into `traces`); all by default.
    - `axes`: optionally, axes to draw into, one per (name, unit) group in order of first
      appearance (a new figure otherwise).

    **Returns:** the list of matplotlib axes, one per group.

    **Raises:** `ValueError` if `traces` is not ``(len(info.labels), len(info.time))``, for
    a row out of range, or if `axes` has the wrong length. `ImportError` if matplotlib is
    not installed.

    !!! example

        ```python
        traces = cell.integrate(t_max=20.0, dt=0.025)
        ec.plot_traces(traces, cell.recording_info(20.0, 0.025))
        ```
    """
    plt = _pyplot("plot_traces")
    traces = np.asarray(traces)
    time = np.asarray(info.time)
    expected = (len(info.labels), len(time))
    if traces.shape != expected:
        raise ValueError(
            f"traces has shape {traces.shape}, but the recording info describes "
            f"{expected} (labels, time points); pass the info of the same run."
        )
    rows = list(range(expected[0])) if rows is None else [int(r) for r in rows]
    if not rows or not all(0 <= r < expected[0] for r in rows):
        raise ValueError(f"rows {rows} must pick some of the {expected[0]} rows of traces.")
    groups = _groups(info.names, info.units, rows)
    if axes is None:
        _, grid = plt.subplots(len(groups), 1, sharex=True, squeeze=False)
        axes = list(grid[:, 0])
    elif len(axes) != len(groups):
        raise ValueError(f"axes has {len(axes)} entries for {len(groups)} (name, unit) groups.")
    for ax, ((name, unit), members) in zip(axes, groups.items(), strict=True):
        for r in members:
            ax.plot(time, traces[r], label=info.labels[r])
        ax.set_ylabel(f"{name} ({unit})")
        if len(members) <= _MAX_LEGEND_ROWS:
            ax.legend(frameon=False, fontsize="small")
    axes[-1].set_xlabel("time (ms)")
    return list(axes)
