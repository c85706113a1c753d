"""Clamps in the time step (`eqcable.experiments.clamps`): planned once per simulation.

Per step ``k`` (time ``t_k = k·dt``):

1. data clamps write their trace's value at the step's middle into ``v``, a channel
   state or a concentration that a mechanism integrates (`ClampPlan.before_step`);
2. `SEClamp`\\ s add their current ``(vc − v)/rs`` and its slope to the implicit system,
   as NEURON's electrode currents (`ClampPlan.electrode`); `IdealClamp`\\ s fix the new
   voltage of their compartments in it (`ClampPlan.hold`);
3. after the voltage step, data clamps write the trace's next value
   (`ClampPlan.after_voltage`), before synapses and channel states advance (NEURON's
   play before its state updates), and again after them (`ClampPlan.after_step`), so
   that a clamped quantity records its trace.

Commands are evaluated at ``t_k + dt/2``, as NEURON evaluates point processes.
"""

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from ..channels.ion_use import parse, species_table
from ..experiments.clamps import Clamp, DataClamp, IdealClamp, SEClamp
from ..solvers.stepping import axial_current
from .system import System


def concatenate(devices: Sequence):
    """One device whose arrays are those of `devices` (of one class) end to end."""
    return jax.tree.map(lambda *xs: jnp.concatenate(xs), *devices)


class ClampPlan(eqx.Module):
    """Every clamp of a model, by kind, on the tree's nodes (or, for channel states, the
    membrane order of `System`)."""

    se_nodes: Int[Array, " kse"]
    se: SEClamp | None
    ideal_nodes: Int[Array, " kid"]
    ideal: IdealClamp | None
    v_nodes: Int[Array, " kv"]
    v_values: Float[Array, "kv ntime"]
    #: Data clamps of channel states and of carried concentrations (``"cai"``): name,
    #: membrane entries, values.
    played: tuple[tuple[str, Int[Array, " ks"], Float[Array, "ks ntime"]], ...]

    def before_step(self, v, states, ions, k):
        """The data clamps' values at the middle of step `k` written into `v` (per node),
        the channel `states` and the carried `ions` (membrane order)."""
        if self.v_nodes.shape[0]:  # (static: a model without clamps adds no work)
            v = v.at[self.v_nodes].set(0.5 * (self.v_values[:, k] + self.v_values[:, k + 1]))
        return (v, *self.write(states, ions, lambda x: 0.5 * (x[:, k] + x[:, k + 1])))

    def write(self, states, ions, value):
        """`states` and `ions` with ``value(trace)`` written where each state data clamp
        plays (a channel state, or a concentration a mechanism integrates)."""
        if not self.played:
            return states, ions
        states, ions = dict(states), dict(ions)
        for name, at, values in self.played:
            for held in (states, ions):  # (at set-up, one of them may be empty)
                if name in held:
                    held[name] = held[name].at[at].set(value(values))
        return states, ions

    def electrode(self, v, t) -> tuple[Float[Array, " nnodes"], Float[Array, " nnodes"]]:
        """The `SEClamp` currents (nA, into the cell) at `v` and time `t` (ms), per node,
        and their slope ``−di/dv`` (µS)."""
        zero = jnp.zeros_like(v)
        if self.se is None:
            return zero, zero  # (XLA folds the additions of zeros away)
        vc, on = self.se.command(t)
        g = jnp.where(on, 1.0 / self.se.rs, 0.0)
        i = g * (vc - v[self.se_nodes])
        return zero.at[self.se_nodes].add(i), zero.at[self.se_nodes].add(g)

    def hold(self, t):
        """``(nodes, new voltage, on)`` of the `IdealClamp`\\ s at `t` (ms), for
        `eqcable.solvers.voltage_step`; ``None`` without ideal clamps."""
        if self.ideal is None:
            return None
        vc, on = self.ideal.command(t)
        return self.ideal_nodes, vc, on

    def after_voltage(self, v, states, ions, k):
        """`v`, `states` and `ions` with the data clamps' values at the end of step `k`,
        written before synapses and channel states advance (as NEURON's play before its
        state updates)."""
        if self.v_nodes.shape[0]:
            v = v.at[self.v_nodes].set(self.v_values[:, k + 1])
        return (v, *self.write(states, ions, lambda x: x[:, k + 1]))

    def after_step(self, states, ions, k):
        """`states` and `ions` with the state data clamps' values at the end of step `k`
        again, after the states advanced: what a recording of them shows."""
        return self.write(states, ions, lambda x: x[:, k + 1])

    def initial_voltage(self, v):
        """The initial voltage (per node) with the voltage data clamps' first values."""
        return v.at[self.v_nodes].set(self.v_values[:, 0])

    def initial_states(self, states, ions):
        """The initial channel states and carried ions with the data clamps' first
        values."""
        return self.write(states, ions, lambda x: x[:, 0])


def plan_clamps(clamps: tuple[Clamp, ...], system: System) -> ClampPlan:
    """The `ClampPlan` of a model's `clamps`, on the nodes of `system`."""
    se = [c for c in clamps if isinstance(c.device, SEClamp)]
    ideal = [c for c in clamps if isinstance(c.device, IdealClamp)]
    data = [c for c in clamps if isinstance(c.device, DataClamp)]
    v_data = [c for c in data if c.device.name == "v"]
    dtype = system.capacitance.dtype
    nodes = lambda cs: system.comp_to_node[  # noqa: E731
        jnp.concatenate([c.indices for c in cs]) if cs else jnp.zeros((0,), jnp.int32)
    ]
    ntime = max((c.device.values.shape[1] for c in data), default=1)
    played = tuple(
        (c.device.name, system.comp_membrane[c.indices], c.device.values)
        for c in data
        if c.device.name != "v"
    )
    return ClampPlan(
        se_nodes=nodes(se),
        se=concatenate([c.device for c in se]) if se else None,
        ideal_nodes=nodes(ideal),
        ideal=concatenate([c.device for c in ideal]) if ideal else None,
        v_nodes=nodes(v_data),
        v_values=jnp.concatenate([c.device.values for c in v_data])
        if v_data
        else jnp.zeros((0, ntime), dtype),
        played=played,
    )


def clamp_currents(
    plan: ClampPlan,
    system: System,
    v,
    v_new,
    delta,
    t,
    i_membrane,
    i_electrode,
):
    """The clamp current per node (nA, into the cell) after a step from `v` to `v_new`
    (mV) with unknown `delta` (``v + delta``: where the step linearised the currents):
    `SEClamp`\\ s give ``(vc − v_new)/rs``; `IdealClamp`\\ s the current that closes their
    node's row, ``i_membrane + axial current − i_electrode`` (the other electrode
    currents, linearised at ``v + delta``)."""
    out = jnp.zeros_like(v)
    if plan.se is not None:
        vc, on = plan.se.command(t)
        i = jnp.where(on, (vc - v_new[plan.se_nodes]) / plan.se.rs, 0.0)
        out = out.at[plan.se_nodes].add(i)
    if plan.ideal is not None:
        _, on = plan.ideal.command(t)
        nodes = plan.ideal_nodes
        axial = axial_current(system.g_axial, v + delta, system.tree)
        held = (i_membrane + axial - i_electrode)[nodes]
        out = out.at[nodes].add(jnp.where(on, held, 0.0))
    return out


def initial_currents(plan: ClampPlan, system: System, v0, i_ext0) -> dict[str, Array]:
    """The currents recorded at ``t = 0`` (nA, per node), as NEURON's ``finitialize``
    gives them: the clamp currents at `v0` (`SEClamp`: ``(vc(0) − v0)/rs``; `IdealClamp`:
    0) and the membrane current ``i_membrane`` that balances the electrode currents
    (`i_ext0`, the injected current of the first step, and the clamps') and the axial
    currents at `v0`."""
    i_clamp, _ = plan.electrode(v0, 0.0)
    axial = axial_current(system.g_axial, v0, system.tree)
    i_membrane = jnp.where(system.is_comp, i_ext0 + i_clamp - axial, 0.0)
    return {"i_membrane": i_membrane, "i_clamp": i_clamp}


def check_clamps(clamps: tuple[Clamp, ...], channels, masks, dt: float, nsteps: int) -> None:
    """Check the clamps of a model before a run of `nsteps` steps of `dt` (ms).

    **Raises:** `ValueError` for a data clamp built for another `dt`, with a number of
    values other than ``nsteps + 1``, or of a quantity that is neither ``"v"`` nor a
    channel state (of a channel inserted at every clamped compartment: `channels`, with
    their insertion `masks`); and for a compartment held by two clamps that fix its
    voltage (`IdealClamp`, or a `DataClamp` of ``"v"``).
    """
    owner = {f"{ch.name}_{s}": k for k, ch in enumerate(channels) for s in ch.state_names}
    table = species_table(channels)
    concentrations = {
        q for ch in channels for q in ch.ion_writes if parse(q, table, ch.name).kind in ("ci", "co")
    }
    state_names = (*owner, *sorted(concentrations))
    fixed: dict[int, int] = {}
    for k, c in enumerate(clamps):
        d = c.device
        what = f"Clamp {k} (in the order of the clamp calls, a {type(d).__name__})"
        if isinstance(d, DataClamp):
            if d.name != "v" and d.name not in state_names:
                raise ValueError(
                    f"{what} plays {d.name!r}, which is neither 'v', a channel state nor a "
                    f"concentration a mechanism integrates ({', '.join(state_names) or 'none'})."
                )
            if d.name in owner:
                where = np.asarray(c.indices)
                missing = where[~np.asarray(masks[owner[d.name]])[where]]
                if missing.size:
                    raise ValueError(
                        f"{what} plays {d.name!r} at compartment {int(missing[0])}, where "
                        f"{channels[owner[d.name]].name} is not inserted."
                    )
            if abs(d.dt - dt) > 1e-9 * dt:
                raise ValueError(
                    f"{what} was sampled at dt = {d.dt} ms, but this run has dt = {dt} ms."
                )
            n = d.values.shape[1]
            if n != nsteps + 1:
                raise ValueError(
                    f"{what} has {n} values; a data clamp needs one per time point, "
                    f"{nsteps + 1} (t = 0 to t_max). Was it built for another dt or t_max?"
                )
        if isinstance(d, IdealClamp) or (isinstance(d, DataClamp) and d.name == "v"):
            for comp in np.asarray(c.indices).tolist():
                if comp in fixed:
                    raise ValueError(
                        f"Compartment {comp} has its voltage fixed by two clamps (clamps "
                        f"{fixed[comp]} and {k}): remove one."
                    )
                fixed[comp] = k
