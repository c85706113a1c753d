"""Morphology plots draw one line per compartment, coloured by group or value."""

import matplotlib
import numpy as np
import pytest
from helpers import MORPHOLOGIES

import eqcable as ec

matplotlib.use("Agg")
PATH = MORPHOLOGIES / "ca1_n120.swc"


def test_plot_by_group_and_by_value(tmp_path):
    import matplotlib.pyplot as plt

    cell, swc_map = ec.read_swc(PATH, 2, return_map=True)
    ax = ec.plot_morphology(cell, swc_map)
    groups = len(set(cell.branch_types))  # one legend handle per group
    assert len(ax.lines) == cell.ncomp + groups
    ax.figure.savefig(tmp_path / "groups.png")
    values = np.linspace(-70, 20, cell.ncomp)
    ax = ec.plot_morphology(cell, swc_map, values, dims="3d")
    ax.figure.savefig(tmp_path / "values.png")
    with pytest.raises(ValueError, match="one entry per compartment"):
        ec.plot_morphology(cell, swc_map, values[:-1])
    plt.close("all")
