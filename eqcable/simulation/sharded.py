"""A network simulated with its cells spread over the devices of a mesh (`shard_map`).

Each device simulates its own cells (`Shard`, built from the network and the device's
part of a `ShardPlan` inside the mapped function), with the ordinary time loop
(`simulate`): its own tree solve, mechanisms and synapse states. Cells interact only
through synapses; every step, each device publishes the voltages of its compartments
presynaptic to another device's and receives everyone's (one `all_gather` per step,
`Exchange`), so
graded and event-driven synapses with any delays behave exactly as on one device.
Gradients flow through the collectives (reverse mode: their transposes). With only
delayed connections the devices may exchange once every few steps instead
(`eqcable.simulation.exchange`), as NEURON and Arbor exchange spikes once per minimum
delay.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.sharding import Mesh, PartitionSpec
from jaxtyping import Array, Bool, Float, Int

from ..channels.base import AbstractChannel
from ..experiments.clamps import Clamp
from ..synapses.connections import Connections
from ..synapses.inputs import SpikeTrain
from ..synapses.wiring import Exchange
from .loop import simulate
from .model import AbstractModel, CellStructure, Recording, Stimulus
from .partition import ShardPlan, local_structure
from .step import Scheme


class Shard(AbstractModel):
    """The cells one device simulates, as a model (see `eqcable.simulation.partition`)."""

    radius: Float[Array, " ncomp"]
    length: Float[Array, " ncomp"]
    axial_resistivity: Float[Array, " ncomp"]
    capacitance: Float[Array, " ncomp"]
    v: Float[Array, " ncomp"]
    area_scale: Float[Array, " ncomp"]
    r_proximal_scale: Float[Array, " ncomp"]
    r_distal_scale: Float[Array, " ncomp"]
    celsius: Float[Array, ""]
    channels: tuple[AbstractChannel, ...]
    channel_masks: tuple[Bool[Array, " ncomp"], ...]
    states: dict[str, Float[Array, " ncomp"]]
    explicit_states: dict[str, Bool[Array, " ncomp"]]
    ions: dict[str, Float[Array, " ncomp"]]
    stimuli: tuple[Stimulus, ...]
    clamps: tuple[Clamp, ...]
    recordings: tuple[Recording, ...]
    structure: CellStructure
    connections: tuple[Connections, ...]
    inputs: tuple[SpikeTrain, ...]


def _rows(x, size: int, take: Int[Array, " k"]):
    """`x[take]` if `x` is an array with a leading axis of `size`, else `x`."""
    if eqx.is_array(x) and x.ndim > 0 and x.shape[0] == size:
        return x[take]
    return x


def local_model(model: AbstractModel, plan: ShardPlan) -> Shard:
    """The cells of one device: `model`'s values taken where this device's part of the
    plan (`plan`, without the device axis) says."""
    ncomp = model.radius.shape[0]
    take = plan.comps

    def comps(tree):
        return jax.tree.map(lambda x: _rows(x, ncomp, take), tree)

    connections = []
    for k, group in enumerate(model.connections):
        conn = plan.conn[k]
        per_conn = lambda tree: jax.tree.map(lambda x: _rows(x, group.size, conn), tree)  # noqa: B023, E731
        connections.append(
            Connections(
                synapse=per_conn(group.synapse),
                pre=plan.pre[k],
                post=plan.post[k],
                states=per_conn(group.states),
                delay=(0.0,) * conn.shape[0],  # the plan's delays apply (`Exchange`)
            )
        )
    stimuli = tuple(
        Stimulus(
            indices=plan.stimulus_comps[k],
            current=jnp.where(plan.stimulus_used[k][:, None], st.current[plan.stimulus_rows[k]], 0),
            dt=st.dt,
        )
        for k, st in enumerate(model.stimuli)
    )
    return Shard(
        radius=model.radius[take],
        length=model.length[take],
        axial_resistivity=model.axial_resistivity[take],
        capacitance=model.capacitance[take],
        v=model.v[take],
        area_scale=model.area_scale[take],
        r_proximal_scale=model.r_proximal_scale[take],
        r_distal_scale=model.r_distal_scale[take],
        celsius=model.celsius,
        channels=comps(model.channels),
        channel_masks=tuple(m[take] & ~plan.filler for m in model.channel_masks),
        states=comps(dict(model.states)),
        explicit_states=comps(dict(model.explicit_states)),
        ions=comps(dict(model.ions)),
        stimuli=stimuli,
        clamps=tuple(
            Clamp(
                indices=plan.clamp_comps[k],
                device=jax.tree.map(
                    lambda x: _rows(x, c.indices.shape[0], plan.clamp_rows[k]),  # noqa: B023
                    c.device,
                ),
            )
            for k, c in enumerate(model.clamps)
        ),
        recordings=tuple(
            Recording(r.name, plan.recording_index[k]) for k, r in enumerate(model.recordings)
        ),
        structure=local_structure(plan.structure),
        connections=tuple(connections),
        inputs=model.inputs,
    )


def simulate_sharded(
    model: AbstractModel,
    scheme: Scheme,
    nsteps: int,
    segment: int | None,
    plan: ShardPlan,
    rows: Int[Array, " nrec"],
    mesh: Mesh,
    interval: int = 1,
) -> Float[Array, "nrec ntime"]:
    """`simulate` with the cells spread over the devices of `mesh` (one axis) as `plan`
    says; `rows` picks the network's recordings, in order, from the devices' stacked
    ones (`eqcable.simulation.partition.plan_shards`). The devices exchange presynaptic
    voltages every `interval` steps (`eqcable.simulation.exchange`; every delay must be
    at least that long, `check_interval`)."""
    (axis,) = mesh.axis_names
    dynamic, static = eqx.partition(model, eqx.is_array)
    plan_dynamic, plan_static = eqx.partition(plan, eqx.is_array)

    def run(dynamic, plan_dynamic):
        mine = jax.tree.map(lambda x: x[0], plan_dynamic)  # this device's part
        mine = eqx.combine(mine, plan_static)
        shard = local_model(eqx.combine(dynamic, static), mine)
        exchange = Exchange(
            axis, mine.export, mine.source, mine.delay, mine.buffer_length, interval
        )
        if not model.connections:  # cells without synapses: nothing to exchange
            exchange = None
        return simulate(shard, scheme, nsteps, segment, None, exchange)

    stacked = jax.shard_map(
        run,
        mesh=mesh,
        in_specs=(PartitionSpec(), PartitionSpec(axis)),
        out_specs=PartitionSpec(axis),
        check_vma=False,
    )(dynamic, plan_dynamic)
    return stacked[rows]
