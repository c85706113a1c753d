"""Parameter sweeps and batches of fits spread over all available devices, on one host or
several (JAX's multi-controller runtime, `jax.distributed`)."""

from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ..simulation.compiler import filter_jit


def sharded_vmap(fn: Callable, devices: Sequence[jax.Device] | None = None) -> Callable:
    """`eqx.filter_vmap(fn)`, jitted, with the batch split evenly over `devices`.

    The returned function takes a pytree whose array leaves share a leading batch axis
    (e.g. a batch of parameter sets), pads the batch to a multiple of the number of
    devices (repeating its last entry), places equal slices on each device, runs them in
    parallel, and returns the results for the original batch, equal to the unsharded
    ones.

    **Several hosts.** Start every process with `jax.distributed.initialize()` (JAX's
    multi-controller runtime: on SLURM it reads the job's variables; elsewhere pass the
    coordinator's address, the number of processes and each one's id; on CPUs also set
    ``jax.config.update("jax_cpu_collectives_implementation", "gloo")`` first), then run
    the same script on every process with the same batch: `jax.devices()` lists the
    devices of all processes, each computes its share, and every process receives the
    whole result (as NumPy arrays). See "Several hosts" in the fitting docs.

    **Arguments:**

    - `fn`: a function of one batch element (e.g. ``lambda p: cell.integrate(p, t_max=...)``).
    - `devices`: the devices to use; all of `jax.devices()` by default.

    **Returns:** the batched function.
    """
    devices = list(jax.devices() if devices is None else devices)
    mesh = Mesh(np.array(devices), axis_names=("batch",))
    sharding = NamedSharding(mesh, PartitionSpec("batch"))
    batched = filter_jit(eqx.filter_vmap(fn))
    several = any(d.process_index != jax.process_index() for d in devices)

    def run(batch):
        leaves = [x for x in jax.tree.leaves(batch) if eqx.is_array(x)]
        if not leaves:
            raise ValueError("sharded_vmap: the batch has no arrays.")
        size = leaves[0].shape[0]
        if any(x.ndim == 0 or x.shape[0] != size for x in leaves):
            raise ValueError("sharded_vmap: every array in the batch needs the same leading axis.")
        pad = -size % len(devices)

        def place(x):
            if not eqx.is_array(x):
                return x
            x = jnp.concatenate([x, jnp.repeat(x[-1:], pad, axis=0)]) if pad else x
            if not several:
                return jax.device_put(x, sharding)
            # Every process holds the whole batch; each gives its devices their slices.
            host = np.asarray(x)
            return jax.make_array_from_callback(host.shape, sharding, lambda i: host[i])

        out = batched(jax.tree.map(place, batch))
        if several:  # gather every process's share, so each returns the whole result
            gather = lambda y: multihost_utils.process_allgather(y, tiled=True)  # noqa: E731
            out = jax.tree.map(lambda y: gather(y) if eqx.is_array(y) else y, out)
        return jax.tree.map(lambda y: y[:size] if eqx.is_array(y) else y, out)

    return run
