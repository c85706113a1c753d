"""Networks spread over devices (`integrate_sharded`): the plan's bookkeeping, one device
in this process, and four forced CPU devices in a process of their own
(`sharded_worker.py`), where sharded traces and gradients equal the unsharded ones."""

import os
import subprocess
import sys
from pathlib import Path

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pytest

import eqcable as ec
from eqcable.simulation.partition import Group, balanced_partition, plan_shards

WORKER = Path(__file__).with_name("sharded_worker.py")


def run_worker(case: str, ndevices: int = 4) -> str:
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={ndevices}"}
    env["JAX_PLATFORMS"] = "cpu"
    result = subprocess.run(
        [sys.executable, str(WORKER), case], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"ok {case}"), result.stdout
    return last


@pytest.mark.parametrize("case", ["traces", "grads", "errors"])
def test_four_devices_equal_one(case):
    worst = float(run_worker(case).split()[-1])
    assert worst <= (1e-9 if case == "grads" else 1e-10)


def test_balanced_partition():
    parts = balanced_partition([10, 3, 7, 2, 8, 1], 3)
    loads = [sum([10, 3, 7, 2, 8, 1][c] for c in p) for p in parts]
    assert sorted(np.concatenate(parts).tolist()) == list(range(6))
    assert max(loads) - min(loads) <= 2, loads  # 10 | 8+2+1 | 7+3 : 10, 11, 10
    assert all(np.all(np.diff(p) > 0) for p in parts)
    with pytest.raises(ValueError, match="at most 6 devices"):
        balanced_partition([1] * 6, 7)
    with pytest.raises(ValueError, match="positive int"):
        balanced_partition([1] * 6, 0)


def test_plan_exports_only_what_other_devices_read():
    # Four one-compartment cells, two per device; connections 0 -> 1 (within device 0),
    # 2 -> 0 (device 1 to device 0) and 3 -> 2 (within device 1).
    group = Group(
        pre=np.array([0, 2, 3]),
        post=np.array([1, 0, 2]),
        steps=np.zeros(3, np.int64),
        reciprocal=False,
        name="Syn",
    )
    plan, rows = plan_shards(
        [1] * 4,
        [-1] * 4,
        [1.0] * 4,
        [1] * 4,
        (np.array([0, 1]), np.array([2, 3])),
        [group],
        [],
        [],
        [
            (np.array([0, 3]), None),
            (np.array([2, 1, 0]), 0),
        ],
    )
    export = np.asarray(plan.export)
    assert export.shape == (2, 1)  # device 1 exports compartment 2; device 0 nothing
    node = np.asarray(plan.structure["comp_to_node"])
    assert export[1, 0] == node[1, 0]  # compartment 2 is device 1's local compartment 0
    source, used = np.asarray(plan.source[0]), np.asarray(plan.conn_used[0])
    conn = np.asarray(plan.conn[0])
    assert conn[0][used[0]].tolist() == [0, 1] and conn[1][used[1]].tolist() == [2]
    # device 0: connection 0 reads its own voltage (after the 2 x 1 exports), connection
    # 1 device 1's export; device 1: connection 2 its own voltage of compartment 3
    assert source[0, 0] == 2 + node[0, 0] and source[0, 1] == 1
    assert source[1, 0] == 2 + node[1, 1]
    # output rows (device d starts at d * width): compartments 0 (device 0) and 3 (device
    # 1), then connections 2 (device 1, after its one row of recording 0), 1 and 0
    width = sum(x.shape[1] for x in plan.recording_index)
    assert rows.tolist() == [0, width, width + 1, 1, 2]


def _small_network():
    comp = ec.Compartment(radius=1.0)
    cells = [
        ec.Cell([ec.Branch(comp, ncomp=n)] * b, parents=[-1] + [0] * (b - 1)).insert(ec.HH())
        for b, n in [(2, 2), (1, 3), (3, 1)]
    ]
    net = ec.Network(cells).fully_connect("all", "all", ec.IonotropicSynapse(gS=0.02))
    net = net.cell(0).comp(0).stimulate(ec.step_current(0.5, 3.0, 0.5, 0.025, 6.0))
    net = net.cell("all").comp(0).record("v", "HH_h")
    return net.synapse("IonotropicSynapse", [1, 4]).record("i_IonotropicSynapse")


def test_one_device_equals_integrate():
    net = _small_network()
    ref = net.integrate(t_max=6.0)
    out = ec.integrate_sharded(net, t_max=6.0)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-10)
    assert float(jnp.max(ref[:3])) > 0  # cell 0 spikes
    assert [p.tolist() for p in ec.partition_cells(net, 1)] == [[0, 1, 2]]


def test_refusals_in_process():
    net = _small_network()
    with pytest.raises(ValueError, match="use at most 3 devices"):
        ec.partition_cells(net, 4)
    with pytest.raises(ValueError, match="SequentialSolve"):
        ec.integrate_sharded(net, t_max=6.0, solver=ec.PallasSolve(steps_per_launch=4))
    with pytest.raises(TypeError, match="integrate_sharded"):
        ec.integrate_sharded("a network", t_max=6.0)
    with pytest.raises(ValueError, match="exactly once"):
        ec.integrate_sharded(net, t_max=6.0, partition=[[0, 1]])
    with pytest.raises(ValueError, match="at least one device"):
        ec.integrate_sharded(net, t_max=6.0, devices=[])
    with pytest.raises(ValueError, match="index arrays"):  # the whole network traced
        eqx.filter_jit(lambda n: ec.integrate_sharded(n, t_max=6.0))(net)


def test_a_single_cell_on_one_device():
    branch = ec.Branch(ec.Compartment(radius=1.0), ncomp=3)
    cell = ec.Cell([branch, branch], parents=[-1, 0]).insert(ec.HH())
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 3.0, 0.5, 0.025, 6.0)).comp([0, 5]).record()
    np.testing.assert_allclose(
        ec.integrate_sharded(cell, t_max=6.0), cell.integrate(t_max=6.0), rtol=0, atol=1e-10
    )
