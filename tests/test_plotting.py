"""Plots: morphologies one line per compartment, coloured by group or value, from an SWC
map or from the branches alone; traces one axes per recorded quantity."""

import sys
import types

import matplotlib
import numpy as np
import pytest
from helpers import MORPHOLOGIES

import eqcable as ec

matplotlib.use("Agg")
PATH = MORPHOLOGIES / "ca1_n120.swc"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def three_branch_cell(ncomp=3):
    branch = ec.Branch(ec.Compartment(radius=1.0, length=10.0), ncomp)
    return ec.Cell([branch, branch, branch], parents=[-1, 0, 0])


def compartment_lines(ax, ncomp):
    """The lines that draw compartments (the legend's handles are empty lines, drawn last)."""
    lines = [line for line in ax.lines if len(line.get_xdata()) > 0]
    assert len(lines) == ncomp
    return lines


def test_plot_by_group_and_by_value(tmp_path):
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


def test_schematic_cell_by_group_and_by_value(tmp_path):
    cell = three_branch_cell()
    ax = ec.plot_morphology(cell)
    assert len(ax.lines) == cell.ncomp + 1  # one group: "untyped"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["untyped"]
    lines = compartment_lines(ax, cell.ncomp)
    # Each compartment is a 10 µm segment, each branch starts where its parent ends.
    for line in lines:
        (x0, x1), (y0, y1) = line.get_xdata(), line.get_ydata()
        assert np.hypot(x1 - x0, y1 - y0) == pytest.approx(10.0)
    root_end = (lines[2].get_xdata()[1], lines[2].get_ydata()[1])
    for first in (lines[3], lines[6]):
        assert (first.get_xdata()[0], first.get_ydata()[0]) == pytest.approx(root_end)
    # The two children point different ways.
    assert lines[5].get_xdata()[1] != pytest.approx(lines[8].get_xdata()[1])
    ax.figure.savefig(tmp_path / "groups.png")

    ax = ec.plot_morphology(cell, values=np.arange(cell.ncomp), linewidth_scale=2.0)
    lines = compartment_lines(ax, cell.ncomp)
    assert len(ax.lines) == cell.ncomp  # colour bar, no legend
    assert lines[0].get_color() != lines[-1].get_color()
    assert lines[0].get_linewidth() == pytest.approx(4.0)  # 2 per µm of diameter
    ax.figure.savefig(tmp_path / "values.png")


def test_schematic_attachment_points():
    branch = ec.Branch(ec.Compartment(length=10.0), 3)
    cell = ec.Cell([branch] * 3, parents=[-1, 0, 0], parent_x=[1.0, 0.0, 0.5])
    lines = compartment_lines(ec.plot_morphology(cell), cell.ncomp)
    starts = np.array([[line.get_xdata()[0], line.get_ydata()[0]] for line in lines])
    np.testing.assert_allclose(starts[3], starts[0])  # x = 0: the parent's start
    # 0 < x < 1: the centre of the parent's compartment holding x (the middle one here).
    np.testing.assert_allclose(np.linalg.norm(starts[6] - starts[0]), 15.0)


def test_schematic_swc_cell_without_map(tmp_path):
    cell = ec.read_swc(PATH, 1)
    ax = ec.plot_morphology(cell)
    assert len(ax.lines) == cell.ncomp + len(set(cell.branch_types))
    ax.figure.savefig(tmp_path / "swc.png")


def test_network_cells_side_by_side(tmp_path):
    compartment = ec.Compartment()
    cells = [three_branch_cell(2), compartment, ec.Branch(compartment, 4)]
    net = ec.Network(cells)
    ax = ec.plot_morphology(net)
    lines = compartment_lines(ax, net.ncomp)
    bounds = np.cumsum([0] + [c.ncomp for c in cells])
    ranges = [
        (
            min(line.get_xdata().min() for line in lines[a:b]),
            max(line.get_xdata().max() for line in lines[a:b]),
        )
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    for (_, right), (left, _) in zip(ranges[:-1], ranges[1:], strict=True):
        assert right < left
    assert [t.get_text() for t in ax.texts] == ["cell 0", "cell 1", "cell 2"]
    ax.figure.savefig(tmp_path / "network.png")


def test_compartment(tmp_path):
    compartment = ec.Compartment(radius=2.0, length=15.0)
    ax = ec.plot_morphology(compartment, values=np.array([-65.0]))
    (line,) = compartment_lines(ax, 1)
    assert np.ptp(line.get_ydata()) == pytest.approx(15.0)
    ax.figure.savefig(tmp_path / "compartment.png")


def test_morphology_errors():
    cell = three_branch_cell()
    with pytest.raises(ValueError, match=r"one entry per compartment \(9\), got shape \(8,\)"):
        ec.plot_morphology(cell, values=np.zeros(8))
    with pytest.raises(ValueError, match="needs an swc_map"):
        ec.plot_morphology(cell, dims="3d")
    with pytest.raises(ValueError, match="needs an swc_map"):
        ec.plot_morphology(cell, dims=(0, 2))
    _, swc_map = ec.read_swc(PATH, 1, return_map=True)
    with pytest.raises(ValueError, match="sections but the module has 3 branches"):
        ec.plot_morphology(cell, swc_map)


def recording_info(names, units, ntime=5):
    labels = tuple(f"{n}, comp {i}" for i, n in enumerate(names))
    return types.SimpleNamespace(
        time=np.linspace(0.0, 1.0, ntime), labels=labels, units=tuple(units), names=tuple(names)
    )


def test_plot_traces(tmp_path):
    info = recording_info(["v", "v", "HH_m", "i_HH", "v"], ["mV", "mV", "1", "mA/cm²", "mV"])
    traces = np.arange(5 * 5, dtype=float).reshape(5, 5)
    axes = ec.plot_traces(traces, info)
    assert len(axes) == 3
    assert [len(ax.lines) for ax in axes] == [3, 1, 1]
    assert [ax.get_ylabel() for ax in axes] == ["v (mV)", "HH_m (1)", "i_HH (mA/cm²)"]
    assert axes[-1].get_xlabel() == "time (ms)"
    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert legend == ["v, comp 0", "v, comp 1", "v, comp 4"]
    np.testing.assert_array_equal(axes[1].lines[0].get_ydata(), traces[2])
    np.testing.assert_array_equal(axes[1].lines[0].get_xdata(), info.time)
    axes[0].figure.savefig(tmp_path / "traces.png")

    axes = ec.plot_traces(traces, info, rows=[3, 0])
    assert [ax.get_ylabel() for ax in axes] == ["i_HH (mA/cm²)", "v (mV)"]


def test_plot_traces_legend_left_out_above_ten_rows():
    info = recording_info(["v"] * 11, ["mV"] * 11)
    (ax,) = ec.plot_traces(np.zeros((11, 5)), info)
    assert len(ax.lines) == 11
    assert ax.get_legend() is None


def test_plot_traces_errors():
    info = recording_info(["v", "v"], ["mV", "mV"], ntime=4)
    with pytest.raises(ValueError, match=r"shape \(2, 5\).*\(2, 4\)"):
        ec.plot_traces(np.zeros((2, 5)), info)
    with pytest.raises(ValueError, match="must pick some of the 2 rows"):
        ec.plot_traces(np.zeros((2, 4)), info, rows=[2])


def test_matplotlib_is_optional(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    message = (
        "plot_morphology needs matplotlib, which is an optional extra: "
        "pip install 'eqcable[plot]' (or pip install matplotlib)"
    )
    with pytest.raises(ImportError) as error:
        ec.plot_morphology(ec.Compartment())
    assert str(error.value) == message
    with pytest.raises(ImportError, match="^plot_traces needs matplotlib"):
        ec.plot_traces(np.zeros((1, 2)), recording_info(["v"], ["mV"], ntime=2))
