"""Several processes (JAX's multi-controller runtime, `jax.distributed`) on one machine:
a sweep spread by `sharded_vmap`, and a network spread by `integrate_sharded` (traces
and gradients), over two processes of two CPU devices each equal the one-process
result, on every process."""

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

WORKER = textwrap.dedent(
    """
    import sys
    import jax
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    process, port = int(sys.argv[1]), sys.argv[2]
    jax.distributed.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=process)
    import equinox as eqx, jax.numpy as jnp, numpy as np
    import eqcable as ec

    assert jax.process_count() == 2 and len(jax.devices()) == 4, jax.devices()
    assert len(jax.local_devices()) == 2
    branch = ec.Branch(ec.Compartment(radius=2.0), ncomp=3)
    cell = ec.Cell([branch, branch], parents=[-1, 0]).insert(ec.HH())
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 2.0, 0.3, 0.025, 4.0)).comp([0, 5]).record()
    cell = cell.make_trainable("HH_gNa")
    batch = ({"HH_gNa": jnp.linspace(0.05, 0.2, 7)},)      # 7 -> padded to 8 over 4 devices
    run = lambda p: cell.integrate(p, t_max=4.0)
    sharded = ec.sharded_vmap(run)(batch)
    plain = eqx.filter_vmap(run)(batch)                   # this process alone
    assert sharded.shape == (7, 2, 161), sharded.shape
    np.testing.assert_allclose(np.asarray(sharded), np.asarray(plain), rtol=0, atol=1e-12)
    grad = jax.grad(lambda p: jnp.mean(run(p)))
    grads = ec.sharded_vmap(grad)(batch)
    alone = eqx.filter_vmap(grad)(batch)
    np.testing.assert_allclose(grads[0]["HH_gNa"], alone[0]["HH_gNa"], rtol=1e-12)
    print("ok", process, float(np.abs(np.asarray(sharded) - np.asarray(plain)).max()))
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_two_processes(*command: str) -> list[str]:
    """Run `command` (followed by the process id and the coordinator's port) as two
    processes of two CPU devices each; return each one's last line of output."""
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    env["JAX_PLATFORMS"] = "cpu"
    port = str(free_port())
    workers = [
        subprocess.Popen(
            [sys.executable, *command, str(k), port],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    outputs = [w.communicate(timeout=600) for w in workers]
    for k, (w, (out, err)) in enumerate(zip(workers, outputs, strict=True)):
        assert w.returncode == 0, f"process {k}:\n{out}\n{err[-3000:]}"
    return [out.strip().splitlines()[-1] for out, _ in outputs]


def test_sweep_over_two_processes_equals_one_process():
    for k, last in enumerate(run_two_processes("-c", WORKER)):
        assert last.startswith(f"ok {k}"), last


@pytest.mark.parametrize("case", ["traces", "grads"])
def test_sharded_network_over_two_processes_equals_one_process(case):
    worker = str(Path(__file__).with_name("sharded_worker.py"))
    for last in run_two_processes(worker, case):
        assert last.startswith(f"ok {case}"), last
        assert float(last.split()[-1]) <= (1e-9 if case == "grads" else 1e-10)
