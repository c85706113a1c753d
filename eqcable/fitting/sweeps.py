"""Parameter sweeps and batches of fits spread over all available devices."""

from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def sharded_vmap(fn: Callable, devices: Sequence[jax.Device] | None = None) -> Callable:
    """`eqx.filter_vmap(fn)`, jitted, with the batch split evenly over `devices`.

    The returned function takes a pytree whose array leaves share a leading batch axis
    (e.g. a batch of parameter sets), pads the batch to a multiple of the number of
    devices (repeating its last entry), places equal slices on each device, runs them in
    parallel, and returns the results for the original batch, equal to the unsharded
    ones.

    On several hosts, call `jax.distributed.initialize()` on every host first: then
    `jax.devices()` lists the devices of all hosts and the batch is spread over all of them.

    **Arguments:**

    - `fn`: a function of one batch element (e.g. ``lambda p: cell.integrate(p, t_max=...)``).
    - `devices`: the devices to use; all of `jax.devices()` by default.

    **Returns:** the batched function.
    """
    devices = list(jax.devices() if devices is None else devices)
    mesh = Mesh(np.array(devices), axis_names=("batch",))
    sharding = NamedSharding(mesh, PartitionSpec("batch"))
    batched = eqx.filter_jit(eqx.filter_vmap(fn))

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
            return jax.device_put(x, sharding)

        out = batched(jax.tree.map(place, batch))
        return jax.tree.map(lambda y: y[:size] if eqx.is_array(y) else y, out)

    return run
