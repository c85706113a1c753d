"""Plots of morphologies (matplotlib, imported only when a plot is made)."""

from collections.abc import Sequence

import numpy as np
from jaxtyping import ArrayLike, Float

from .modules.base import AbstractModule
from .modules.swc_cell import SwcMap
from .morphology.geometry import pt3d_arc_lengths
from .morphology.import3d import type_name


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


def plot_morphology(
    cell: AbstractModule,
    swc_map: SwcMap,
    values: Float[ArrayLike, " ncomp"] | None = None,
    *,
    dims: Sequence[int] | str = (0, 1),
    ax=None,
    cmap: str = "viridis",
    linewidth_scale: float = 1.0,
):
    """Draw a cell read with `read_swc(..., return_map=True)`, one line per compartment.

    **Arguments:**

    - `cell`, `swc_map`: the cell and its [`eqcable.SwcMap`][].
    - `values`: one value per compartment to colour by (e.g. a voltage in mV, a recorded
      trace's time slice); by default compartments are coloured by group (SWC type).
    - `dims`: the two axes of the projection (``(0, 1)`` is x–y), or ``"3d"``.
    - `ax`: a matplotlib axes to draw into (a new figure otherwise).
    - `cmap`: colour map for `values`; `linewidth_scale`: line width per µm of diameter.

    **Returns:** the matplotlib axes.

    **Raises:** `ValueError` if `values` does not have one entry per compartment.
    """
    import matplotlib.pyplot as plt
    from matplotlib import colormaps, colors

    three_d = dims == "3d"
    if ax is None:
        fig = plt.figure()
        ax = fig.add_subplot(projection="3d" if three_d else None)
    if values is not None:
        values = np.asarray(values, dtype=float)
        if values.shape != (cell.ncomp,):
            raise ValueError(
                f"values needs one entry per compartment ({cell.ncomp}), got shape {values.shape}."
            )
        norm = colors.Normalize(vmin=np.nanmin(values), vmax=np.nanmax(values))
    type_colors = {}
    offsets = np.concatenate([[0], np.cumsum(cell.ncomp_per_branch)])
    for b, sec in enumerate(swc_map.sections):
        pieces = _compartment_pieces(sec.xyz, pt3d_arc_lengths(sec.xyz), cell.ncomp_per_branch[b])
        width = max(0.3, linewidth_scale * float(np.mean(sec.diam)))
        for j, piece in enumerate(pieces):
            if values is None:
                label = type_name(sec.type)
                color = type_colors.setdefault(label, f"C{len(type_colors)}")
            else:
                color = colormaps[cmap](norm(values[offsets[b] + j]))
            coords = piece.T if three_d else piece[:, list(dims)].T
            ax.plot(*coords, color=color, linewidth=width, solid_capstyle="round")
    if values is None:
        for label, color in type_colors.items():
            ax.plot([], [], color=color, label=label)
        ax.legend(frameon=False)
    else:
        plt.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7)
    if not three_d:
        ax.set_aspect("equal")
        ax.set_xlabel("xyz"[dims[0]] + " (µm)")
        ax.set_ylabel("xyz"[dims[1]] + " (µm)")
    return ax
