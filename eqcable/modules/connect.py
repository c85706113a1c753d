"""Making connections: the work behind `Network.connect` and `Network.connect_matrix`.

Each function takes the network and returns a new one; `add` is where every connection
is made: parameters and states broadcast to one value per connection and appended to the
group of their synapse type.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..synapses.base import AbstractSynapse
from ..synapses.connections import Connections
from ..synapses.inputs import SpikeTrain
from .arrays import concatenate, float_dtype, is_concrete
from .selection import Index, View, resolve_index


def broadcast(value, n: int, what: str):
    """`value` as one value per connection (NumPy, or JAX when `value` is traced)."""
    xp = np if is_concrete(value) else jnp
    arr = xp.asarray(value, dtype=float_dtype())
    if arr.ndim == 0:
        return xp.full(n, arr)
    if arr.shape != (n,):
        raise ValueError(
            f"{what}: expected a scalar or {n} values (one per connection), got shape {arr.shape}."
        )
    return arr


def same_cells(net, other) -> bool:
    """Whether `other` has this network's cells and branches (it may be this network
    before some edits or connections, as when a selection is reused)."""
    return hasattr(other, "cell_nbranches") and (
        other.ncomp_per_branch,
        other.branch_parents,
        other.cell_nbranches,
    ) == (net.ncomp_per_branch, net.branch_parents, net.cell_nbranches)


def sites(net, source, what: str) -> np.ndarray:
    """Flat compartment indices of a `View` of this network."""
    if not isinstance(source, View):
        raise TypeError(
            f"{what} must be a selection of this network such as "
            f"net.cell(0).branch(0).comp(0), got {type(source).__name__}."
        )
    if not same_cells(net, source.module):
        raise ValueError(f"{what} is a selection of a different module, not this network.")
    if len(source.indices) == 0:
        raise ValueError(f"{what} selects no compartment.")
    return np.asarray(source.indices, dtype=np.int64)


def connect(net, pre, post, synapse: AbstractSynapse, delay):
    """What `Network.connect` does (see there)."""
    if not isinstance(synapse, AbstractSynapse):
        raise TypeError(f"connect() expects an AbstractSynapse, got {type(synapse).__name__}.")
    if synapse.event_driven and "threshold" not in synapse.param_names():
        raise TypeError(
            f"{synapse.name} is event-driven but has no `threshold` field (mV), which "
            "decides when its presynaptic compartment spikes."
        )
    if isinstance(pre, SpikeTrain) or (
        isinstance(pre, (list, tuple)) and pre and all(isinstance(p, SpikeTrain) for p in pre)
    ):
        trains = [pre] if isinstance(pre, SpikeTrain) else list(pre)
        first = len(net.inputs)
        net = eqx.tree_at(lambda m: m.inputs, net, net.inputs + tuple(trains))
        pre_idx = -1 - (first + np.arange(len(trains)))
    else:
        pre_idx = sites(net, pre, "pre")
    post_idx = sites(net, post, "post")
    if len(pre_idx) != len(post_idx) and 1 not in (len(pre_idx), len(post_idx)):
        raise ValueError(
            f"connect(): {len(pre_idx)} presynaptic and {len(post_idx)} postsynaptic "
            "sites do not pair up (give equal numbers, or one on either side)."
        )
    n = max(len(pre_idx), len(post_idx))
    pre_idx = np.broadcast_to(pre_idx, (n,))
    post_idx = np.broadcast_to(post_idx, (n,))
    return add(net, pre_idx, post_idx, synapse, delay)


def check_reciprocal(synapse: AbstractSynapse, pre_idx, post_idx, delays, old) -> None:
    """A reciprocal synapse (a gap junction) couples two distinct compartments both ways,
    at once; `old` is its existing connection group (or ``None``).

    **Raises:** `ValueError` for a spike-train source, a nonzero delay, a compartment
    coupled to itself, or a pair coupled twice (in either order).
    """
    what = f"{synapse.name} couples two compartments both ways, without delay"
    pre_idx, post_idx = np.asarray(pre_idx), np.asarray(post_idx)
    if np.any(pre_idx < 0):
        raise ValueError(f"{what}: a spike train cannot be one of them.")
    if np.any(np.asarray(delays) != 0):
        raise ValueError(f"{what}; got a delay of {np.asarray(delays).max()} ms.")
    if np.any(pre_idx == post_idx):
        raise ValueError(f"{what}: compartment {int(pre_idx[pre_idx == post_idx][0])} to itself.")
    pairs = [tuple(sorted(p)) for p in zip(pre_idx.tolist(), post_idx.tolist(), strict=True)]
    if old is not None:
        pairs = [
            tuple(sorted(p))
            for p in zip(np.asarray(old.pre).tolist(), np.asarray(old.post).tolist(), strict=True)
        ] + pairs
    seen = set()
    for a, b in pairs:
        if (a, b) in seen:
            raise ValueError(
                f"{what}: compartments {a} and {b} are coupled twice (a junction acts both "
                "ways, so give each pair once, e.g. the upper triangle of a matrix; for a "
                "stronger coupling raise its g)."
            )
        seen.add((a, b))


def add(net, pre_idx, post_idx, synapse: AbstractSynapse, delay):
    """`net` with connections from compartments `pre_idx` (or ``-1 - k`` for input
    spike train ``k``) to `post_idx` through `synapse`, with `delay` (ms)."""
    n = len(pre_idx)
    if not is_concrete(delay):
        raise TypeError(
            "Synaptic delays set the size of the delay buffers, so they must be numbers, "
            "not values traced by jit/grad/vmap."
        )
    delays = broadcast(delay, n, "delay")
    if not np.all(np.isfinite(delays)) or np.any(delays < 0):
        bad = delays[~(np.isfinite(delays) & (delays >= 0))][0]
        raise ValueError(f"Synaptic delays must be finite and >= 0 ms, got {bad}.")
    params = {}
    for p in synapse.param_names():
        value = getattr(synapse, p)
        synapse.check_param(p, value)
        params[p] = broadcast(value, n, f"{synapse.name}_{p}")
    init = synapse.init_states()
    states = {s: broadcast(init[s], n, f"{synapse.name}_{s}") for s in synapse.state_names}
    k = next((i for i, c in enumerate(net.connections) if c.synapse.name == synapse.name), None)
    if synapse.reciprocal:
        check_reciprocal(
            synapse, pre_idx, post_idx, delays, None if k is None else net.connections[k]
        )
    dtype = float_dtype()
    if k is not None:
        old = net.connections[k]
        if type(old.synapse) is not type(synapse) or jax.tree.structure(
            old.synapse
        ) != jax.tree.structure(synapse):
            raise TypeError(
                f"A different synapse named {synapse.name!r} (another class or other "
                "options) is already connected."
            )
        params = {p: concatenate([getattr(old.synapse, p), v]) for p, v in params.items()}
        states = {s: concatenate([old.states[s], v]) for s, v in states.items()}
        pre_idx = np.concatenate([np.asarray(old.pre), pre_idx])
        post_idx = np.concatenate([np.asarray(old.post), post_idx])
        delays = np.concatenate([np.asarray(old.delay), delays])
    syn = eqx.tree_at(
        lambda s: [getattr(s, p) for p in params],
        synapse,
        [jnp.asarray(v, dtype=dtype) for v in params.values()],
        is_leaf=lambda x: x is None,
    )
    group = Connections(
        synapse=syn,
        pre=jnp.asarray(pre_idx, dtype=jnp.int32),
        post=jnp.asarray(post_idx, dtype=jnp.int32),
        states={s: jnp.asarray(v, dtype=dtype) for s, v in states.items()},
        delay=tuple(float(d) for d in delays),
    )
    groups = list(net.connections)
    if k is None:
        groups.append(group)
    else:
        groups[k] = group
    return eqx.tree_at(lambda m: m.connections, net, tuple(groups))


def cell_sites(net, cells: Index, site: tuple[int, int]) -> np.ndarray:
    cells = resolve_index(cells, net.ncells, "cell")
    branch, comp = site
    return np.asarray(
        [net.cell(int(c)).branch(branch).comp(comp).indices[0] for c in cells],
        dtype=np.int64,
    )


def npairs(net, pre_cells: Index, post_cells: Index) -> tuple[int, int]:
    # The shape of a (pre, post) connection matrix between two cell selections.
    return (
        len(resolve_index(pre_cells, net.ncells, "cell")),
        len(resolve_index(post_cells, net.ncells, "cell")),
    )


def connect_matrix(
    net, matrix, synapse, pre_cells, post_cells, delay, pre_site, post_site, autapses
):
    """What `Network.connect_matrix` does (see there)."""
    pre = resolve_index(pre_cells, net.ncells, "cell")
    post = resolve_index(post_cells, net.ncells, "cell")
    matrix = np.asarray(matrix)
    if matrix.shape != (len(pre), len(post)):
        raise ValueError(
            f"Connectivity matrix has shape {matrix.shape}; expected "
            f"({len(pre)}, {len(post)}) for the selected pre and post cells."
        )
    if not np.all(np.isfinite(matrix.astype(float))):
        raise ValueError("Connectivity matrix must be finite.")
    i, j = np.nonzero(matrix)
    if not autapses:
        keep = pre[i] != post[j]
        i, j = i[keep], j[keep]
    if len(i) == 0:
        return net
    pre_sites = cell_sites(net, pre, pre_site)[i]
    post_sites = cell_sites(net, post, post_site)[j]
    return add(net, pre_sites, post_sites, synapse, delay)
