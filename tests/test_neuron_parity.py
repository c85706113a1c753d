"""Voltage traces equal NEURON's, run in the same test on the same model (float64).

NEURON's hh rate tables are off, gates start at steady state for v_init (finitialize),
IClamp timing is NEURON's; so any difference above round-off is a modelling bug.
"""

import numpy as np
import pytest
from helpers import eqcable_run, neuron_build, neuron_run, run_neuron_segments

import eqcable as ec

TOL = 1e-6  # mV, at every recorded site and time step


def _compare(cell, *, t_max, dt, record, iclamps, secondorder=0, solver=None):
    stepper = ec.CrankNicolson() if secondorder else ec.BackwardEuler()
    ours = eqcable_run(
        cell,
        t_max=t_max,
        dt=dt,
        record_comps=record,
        iclamps=iclamps,
        stepper=stepper,
        solver=solver,
    )
    ref = neuron_run(
        cell,
        t_max=t_max,
        dt=dt,
        record_comps=record,
        iclamps=iclamps,
        secondorder=secondorder,
    )
    assert ours.shape == ref.shape
    err = np.max(np.abs(ours - ref))
    print(f"max |ΔV| = {err:.3g} mV")
    assert err <= TOL, f"max |ΔV| = {err:.3g} mV"
    return ours


def test_single_hh_compartment():
    comp = ec.Compartment(radius=10.0, length=20.0)
    cell = ec.Cell([ec.Branch(comp, ncomp=1)], parents=[-1]).insert(ec.HH())
    v = _compare(cell, t_max=20.0, dt=0.025, record=[0], iclamps=[(0, 2.0, 5.0, 0.2)])
    assert v.max() > 20.0  # it spikes, so the comparison covers the full HH dynamics


@pytest.mark.parametrize("secondorder", [0, 1])
def test_branch_with_varying_radii(secondorder):
    radii = [1.0, 1.5, 0.7, 2.0, 1.2, 0.5, 0.9, 1.8]
    branch = ec.Branch([ec.Compartment(radius=r, length=15.0) for r in radii])
    cell = ec.Cell([branch], parents=[-1]).insert(ec.HH())
    v = _compare(
        cell,
        t_max=15.0,
        dt=0.025,
        record=[0, 3, 7],
        iclamps=[(0, 1.0, 3.0, 0.1)],
        secondorder=secondorder,
    )
    assert v.max() > 20.0


@pytest.mark.parametrize("solver", [ec.SequentialSolve(), ec.LevelParallelSolve()])
def test_three_branch_cell(solver):
    b0 = ec.Branch(ec.Compartment(radius=2.0, length=20.0, axial_resistivity=120.0), ncomp=4)
    b1 = ec.Branch(ec.Compartment(radius=0.8, length=12.0, axial_resistivity=120.0), ncomp=4)
    b2 = ec.Branch(ec.Compartment(radius=1.3, length=30.0, axial_resistivity=80.0), ncomp=4)
    cell = ec.Cell([b0, b1, b2], parents=[-1, 0, 0]).insert(ec.HH())
    v = _compare(
        cell,
        t_max=15.0,
        dt=0.025,
        record=[0, 3, 7, 11],
        iclamps=[(7, 1.0, 2.0, 0.3)],
        solver=solver,
    )
    assert v.max() > 20.0


@pytest.mark.parametrize("secondorder", [0, 1])
def test_unequal_ncomp_per_branch(secondorder):
    ncomps = [3, 5, 1, 2, 4]
    parents = [-1, 0, 0, 1, 1]
    branches = [
        ec.Branch(ec.Compartment(radius=0.6 + 0.3 * i, length=10.0 + 5 * i), ncomp=n)
        for i, n in enumerate(ncomps)
    ]
    cell = ec.Cell(branches, parents=parents).insert(ec.HH()).set("celsius", 16.3)
    offsets = np.cumsum([0] + ncomps)
    tips = [offsets[b + 1] - 1 for b in (2, 3, 4)]
    _compare(
        cell,
        t_max=12.0,
        dt=0.025,
        record=[0, *tips],
        iclamps=[(1, 0.5, 3.0, 0.4)],
        secondorder=secondorder,
    )


def test_unsorted_parents():
    # Branches need not be listed parents-first.
    branches = [ec.Branch(ec.Compartment(radius=1.0 + 0.2 * i), ncomp=2 + i) for i in range(4)]
    cell = ec.Cell(branches, parents=[2, 0, -1, 2]).insert(ec.HH())
    _compare(cell, t_max=10.0, dt=0.025, record=[0, 2, 5, 9], iclamps=[(5, 1.0, 2.0, 0.2)])


def test_passive_cable_matches_neuron():
    cable = ec.Branch(ec.Compartment(radius=0.5, length=20.0), ncomp=50)
    cell = ec.Cell([cable], parents=[-1]).insert(ec.Leak(gLeak=1e-4, eLeak=-65.0))
    _compare(cell, t_max=20.0, dt=0.025, record=[0, 25, 49], iclamps=[(0, 1.0, 15.0, 0.05)])


@pytest.mark.parametrize("secondorder", [0, 1])
def test_children_attached_anywhere_on_the_parent(secondorder):
    # As NEURON's child.connect(parent(x)): at the start (x = 0) of the root and of a
    # non-root branch, at interior positions (the compartment containing x, a boundary
    # going to the distal one), and at the end.
    ncomps = [5, 3, 4, 2, 3, 1]
    parents = [-1, 0, 0, 1, 0, 2]
    parent_x = [1.0, 0.0, 0.5, 0.0, 0.3, 1.0]
    branches = [
        ec.Branch(ec.Compartment(radius=0.5 + 0.25 * i, length=8.0 + 3 * i), ncomp=n)
        for i, n in enumerate(ncomps)
    ]
    cell = ec.Cell(branches, parents=parents, parent_x=parent_x).insert(ec.HH())
    offsets = np.cumsum([0] + ncomps)
    record = [0, 2, *[offsets[b + 1] - 1 for b in range(1, 6)]]
    v = _compare(
        cell,
        t_max=12.0,
        dt=0.025,
        record=record,
        iclamps=[(offsets[3], 1.0, 2.0, 0.3)],
        secondorder=secondorder,
    )
    assert v.max() > 20.0


def _random_points(rng, npt, start):
    steps = rng.normal(size=(npt - 1, 3)) * 6.0
    steps[rng.integers(0, npt - 1)] = 0.0  # a zero-length step, as real files have
    xyz = np.concatenate([start[None], start + np.cumsum(steps, axis=0)])
    radius = rng.uniform(0.3, 2.0, npt)
    return xyz, radius


@pytest.mark.parametrize("secondorder", [0, 1])
def test_branches_from_3d_points(secondorder):
    """Tapering, bending branches: NEURON sections built with pt3dadd from the same points."""
    from neuron import h

    rng = np.random.default_rng(3)
    ncomps, parents, parent_x = [3, 5, 2, 4], [-1, 0, 0, 1], [1.0, 1.0, 0.5, 0.0]
    points = [_random_points(rng, n, np.zeros(3)) for n in (4, 9, 3, 6)]
    branches = [
        ec.Branch.from_points(xyz, r, ncomp=n, axial_resistivity=150.0)
        for (xyz, r), n in zip(points, ncomps, strict=True)
    ]
    cell = ec.Cell(branches, parents=parents, parent_x=parent_x).insert(ec.HH())
    offsets = np.cumsum([0] + ncomps)
    record = [0, 2, offsets[2] - 1, offsets[3] - 1, offsets[4] - 1]
    dt, t_max = 0.025, 12.0
    ours = eqcable_run(
        cell,
        t_max=t_max,
        dt=dt,
        record_comps=record,
        iclamps=[(3, 1.0, 2.0, 0.4)],
        stepper=ec.CrankNicolson() if secondorder else ec.BackwardEuler(),
    )

    sections = []
    for b, ((xyz, r), n) in enumerate(zip(points, ncomps, strict=True)):
        sec = h.Section(name=f"pt3d{b}")
        for (x, y, z), rr in zip(xyz, r, strict=True):
            sec.pt3dadd(x, y, z, 2 * rr)
        sec.nseg, sec.Ra = n, 150.0
        sec.insert("hh")
        sections.append(sec)
    for b, (p, x) in enumerate(zip(parents, parent_x, strict=True)):
        if p >= 0:
            sections[b].connect(sections[p](x), 0)
    segs = [seg for sec in sections for seg in sec]
    areas = np.array([seg.area() for seg in segs])
    ours_area = 2 * np.pi * np.asarray(cell.radius * cell.length * cell.area_scale)
    np.testing.assert_allclose(ours_area, areas, rtol=1e-12)
    ref = run_neuron_segments(
        segs,
        t_max=t_max,
        dt=dt,
        record_comps=record,
        iclamps=[(3, 1.0, 2.0, 0.4)],
        secondorder=secondorder,
    )
    err = np.max(np.abs(ours - ref))
    print(f"max |ΔV| = {err:.3g} mV")
    assert err <= TOL
    assert ours.max() > 20.0


@pytest.mark.parametrize("solver", [None, ec.SequentialSolve()])
def test_per_compartment_channel_parameters_on_a_branched_cell(solver):
    # Channel parameters differ in every compartment, and a second channel sits on one
    # branch only: the simulation keeps them in its own compartment order (runs, branch
    # points, separators), so any mix-up of compartments would change the traces.
    ncomps, parents, parent_x = [5, 9, 3, 12, 4], [-1, 0, 0, 1, 3], [1.0, 1.0, 0.5, 0.3, 1.0]
    branches = [
        ec.Branch(ec.Compartment(radius=0.5 + 0.25 * i, length=12.0 + 3 * i), ncomp=n)
        for i, n in enumerate(ncomps)
    ]
    cell = ec.Cell(branches, parents=parents, parent_x=parent_x).insert(ec.HH())
    rng = np.random.default_rng(7)
    n = sum(ncomps)
    cell = cell.set("HH_gNa", rng.uniform(0.08, 0.16, n)).set("HH_gK", rng.uniform(0.02, 0.05, n))
    cell = cell.set("HH_eLeak", rng.uniform(-60.0, -50.0, n))
    cell = cell.branch(2).insert(ec.Leak(gLeak=2e-4, eLeak=-70.0))
    v = _compare(
        cell,
        t_max=12.0,
        dt=0.025,
        record=list(range(n)),
        iclamps=[(20, 1.0, 3.0, 0.3)],
        solver=solver,
    )
    assert v.max() > 20.0
    # The gates, recorded where they are stored out of order, equal NEURON's too.
    sites = [0, 7, 16, 29, 32]
    ours = cell.comp(20).stimulate(ec.step_current(1.0, 3.0, 0.3, dt=0.025, t_max=12.0))
    for c in sites:
        ours = ours.comp(c).record("HH_m", "HH_n")
    ours = np.asarray(ours.integrate(t_max=12.0, dt=0.025, solver=solver))
    ref = _neuron_gates(cell, sites, iclamp=(20, 1.0, 3.0, 0.3), t_max=12.0, dt=0.025)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-9)


def _neuron_gates(cell, sites, *, iclamp, t_max, dt):
    """NEURON's hh ``m`` and ``n`` at `sites`, rows ``m, n`` per site (tables off)."""
    from neuron import h

    sections, segments = neuron_build(cell)
    h.celsius, h.dt, h.secondorder, h.usetable_hh = float(np.asarray(cell.celsius)), dt, 0, 0
    stim = h.IClamp(segments[iclamp[0]])
    stim.delay, stim.dur, stim.amp = iclamp[1:]
    vecs = []
    for c in sites:
        vecs += [h.Vector().record(segments[c].hh._ref_m), h.Vector().record(segments[c].hh._ref_n)]
    h.finitialize(float(np.asarray(cell.v)[0]))
    for _ in range(round(t_max / dt)):
        h.fadvance()
    out = np.array([np.asarray(vec) for vec in vecs])
    del stim, vecs, segments, sections
    return out
