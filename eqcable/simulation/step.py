"""One time step, in NEURON's fixed-step order.

1. the presynaptic signals of this step (spike detection, delays) — `presynaptic`;
2. synapse states advance, and every mechanism gives its current and the derivative of
   the current with respect to the voltage, at the present voltage — `membrane_currents`;
3. the implicit voltage step solves the tree system (the custom-JVP tree solve) for the
   new voltage — `eqcable.solvers.voltage_step`, with the clamps
   (`eqcable.simulation.clamping`);
4. synapses that integrate after the voltage step (`AbstractSynapse.advance`, NEURON's
   point-process order), then concentrations, then channel states advance at the new
   voltage — `advance_synapses`, `advance_channels`.

Ion quantities (`eqcable.simulation.ions`): reversal potentials are taken from the
concentrations at the start of the step, ion currents at the voltage of the start of the
step, as in NEURON.
"""

from typing import NamedTuple

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float

from ..channels.base import AbstractChannel
from ..solvers.stepping import AbstractStepper, voltage_step
from ..solvers.tree_solve import AbstractTreeSolver
from ..synapses.wiring import advance_synapses, synaptic_currents
from .clamping import ClampPlan, clamp_currents
from .ions import IonPlan, ion_values
from .state import mechanism_states
from .subsets import Placement
from .system import System


class Membrane(NamedTuple):
    """The channels of a model, on its compartments: `channels` (parameters per
    compartment), `masks` (where each channel is inserted), the temperature `celsius`
    (°C), the behaviour of the ion quantities (`ions`) and, per channel, the compartments
    it is evaluated on only (`where`, see `eqcable.simulation.subsets`; ``None`` or
    empty: everywhere, masked)."""

    channels: tuple[AbstractChannel, ...]
    masks: tuple[Bool[Array, " ncomp"], ...]
    celsius: Float[Array, ""]
    ions: IonPlan
    where: tuple[np.ndarray | None, ...] = ()

    def placements(self) -> tuple[Placement, ...]:
        """Where each channel is evaluated."""
        where = self.where or (None,) * len(self.channels)
        return tuple(Placement(m, w) for m, w in zip(self.masks, where, strict=True))


class Scheme(eqx.Module):
    """How a step is taken: time step `dt` (ms), voltage `stepper`, tree `solver`."""

    dt: float = eqx.field(static=True)
    stepper: AbstractStepper
    solver: AbstractTreeSolver


def presynaptic(wirings, spiking, buffers, pulses_k, counts_k, v, k):
    """This step's presynaptic signal of every synapse group, after its delay, with the
    new spike-detection flags and delay buffers."""
    sigs, new_spiking, new_buffers = [], [], []
    for w, above, buffer in zip(wirings, spiking, buffers, strict=True):
        sig, above = w.signal(v, above, pulses_k, counts_k)
        buffer, sig = w.delayed(buffer, sig, k)
        sigs.append(sig)
        new_spiking.append(above)
        new_buffers.append(buffer)
    return tuple(sigs), tuple(new_spiking), tuple(new_buffers)


def membrane_currents(membrane: Membrane, states, ions, v):
    """The channels' outward current density (mA/cm²) at `v` and its derivative
    ``di/dv`` (S/cm²), per compartment, and the species currents the loop carries
    (mA/cm², `IonPlan.currents`) by name. `ions` holds every ion quantity's value."""
    i_mem = jnp.zeros_like(v)
    g_mem = jnp.zeros_like(v)
    carried = membrane.ions.currents
    written: dict[str, Array] = {q: jnp.zeros_like(v) for q in carried}
    n = v.shape[0]
    for ch, place in zip(membrane.channels, membrane.placements(), strict=True):
        st = place.take(mechanism_states(ch, states, ions), n)
        if ch.reads_celsius:
            st = {**st, "celsius": membrane.celsius}
        ch, vv = place.take(ch, n), place.take(v, n)
        # Linearise the channel current around v: i(v) and di/dv (by default exact).
        i, g = ch.linearise(st, vv)
        i_mem, g_mem = place.add(i_mem, i), place.add(g_mem, g)
        if any(q in carried for q in ch.ion_writes):
            for q, x in ch.ion_currents(st, vv).items():
                if q in carried:
                    written[q] = place.add(written[q], x)
    return i_mem, g_mem, written


def advance_channels(
    membrane: Membrane, states, ions, v, dt: float
) -> tuple[dict[str, Array], dict[str, Array]]:
    """Every channel's states one step later, at the new voltage `v` (mV), and the ion
    quantities `ions` with the written concentrations one step later. Concentration
    mechanisms go first; the other channels read the new concentrations."""
    new_states, ions = dict(states), dict(ions)
    written = set(membrane.ions.written)
    first = [k for k, ch in enumerate(membrane.channels) if written & set(ch.ion_writes)]
    rest = [k for k in range(len(membrane.channels)) if k not in first]
    places, size = membrane.placements(), v.shape[0]
    for k in first + rest:
        ch, place = membrane.channels[k], places[k]
        st = place.take(mechanism_states(ch, states, ions), size)
        out = place.take(ch, size).step(st, place.take(v, size), dt, membrane.celsius)
        for n, x in out.items():
            if n in ch.state_names:
                name = f"{ch.name}_{n}"
                new_states[name] = place.update(states[name], x)
            elif n in ch.ion_writes and n in written:
                ions[n] = place.update(ions[n], x)
            else:
                raise ValueError(
                    f"{ch.name}.step returned {n!r}, which is neither one of its states "
                    f"{ch.state_names} nor a concentration it writes {ch.ion_writes}."
                )
    return new_states, ions


def membrane_step(
    system: System,
    membrane: Membrane,
    wirings,
    scheme: Scheme,
    v,
    states,
    ions,
    syn,
    sigs,
    i_ext,
    clamps: ClampPlan,
    k,
):
    """Step `k` of the membrane given this step's presynaptic signals `sigs` and the
    injected current per node `i_ext` (nA): clamps, synapses, channels, voltage, channel
    states.

    `ions` are the ion quantities the loop carries (`IonPlan`).

    **Returns:** the new ``(v, states, ions, syn)``, and the step's currents per node
    (nA): ``"i_membrane"`` (the membrane current, NEURON's ``i_membrane_``: capacitive,
    channel and synaptic, outward positive) and ``"i_clamp"`` (`clamp_currents`).
    """
    v, states, ions = clamps.before_step(v, states, ions, k)
    syn, i_syn, g_syn = synaptic_currents(wirings, syn, sigs, v, scheme.dt)
    # Channels are evaluated on the compartments only, in membrane order (`System`):
    # evaluated on every node, the padding and branch-point nodes made L5PC's gradient
    # 1.3x slower (24% more nodes than compartments); unsorted, the moves between
    # compartments and nodes read memory out of order (`benchmarks/README.md`).
    values = ion_values(membrane.ions, ions, membrane.celsius)
    i_mem, g_mem, currents = membrane_currents(membrane, states, values, v[system.membrane_node])
    g_node = jnp.where(system.is_comp, system.to_absolute * g_mem[system.node_membrane], 0.0)
    i_node = jnp.where(system.is_comp, system.to_absolute * i_mem[system.node_membrane], 0.0)
    t = (k + 0.5) * scheme.dt  # where NEURON evaluates point processes
    i_se, g_se = clamps.electrode(v, t)
    g_m, i_m = g_node + g_syn, i_node + i_syn
    v_new = voltage_step(
        v,
        system.capacitance,
        g_m + g_se,
        i_m,
        i_ext + i_se,
        system.g_axial,
        system.axial_diag,
        scheme.dt,
        scheme.stepper,
        scheme.solver,
        system.tree,
        hold=clamps.hold(t),
    )
    c = scheme.stepper.factor
    delta = (v_new - v) / c  # the currents were linearised at v + delta
    # NEURON's fast i_membrane_: the membrane rows of the system at the solution.
    i_membrane = ((c / scheme.dt) * system.capacitance + g_m) * delta + i_m
    i_membrane = jnp.where(system.is_comp, i_membrane, 0.0)
    i_electrode = i_ext + i_se - g_se * delta
    i_clamp = clamp_currents(clamps, system, v, v_new, delta, t, i_membrane, i_electrode)
    v, states, written = clamps.after_voltage(v_new, states, {q: values[q] for q in ions}, k)
    syn = advance_synapses(wirings, syn, v, scheme.dt)
    values = {**values, **written, **currents}
    states, values = advance_channels(membrane, states, values, v[system.membrane_node], scheme.dt)
    states, ions = clamps.after_step(states, {q: values[q] for q in ions}, k)
    return (v, states, ions, syn), {"i_membrane": i_membrane, "i_clamp": i_clamp}
