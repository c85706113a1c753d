"""What the time loop reads from a model: `AbstractModel`, and the pieces it is made of.

The modules users hold (`Compartment`, `Branch`, `Cell`, `Network`) implement this
interface; the loop needs nothing else from them, and never imports them.
"""

from collections.abc import Sequence

import equinox as eqx
import jax
from jaxtyping import Array, Bool, Float, Int

from ..channels.base import AbstractChannel
from ..experiments.clamps import Clamp
from ..morphology.dhs import build_schedule
from ..solvers.tree_solve import TreeSchedule
from ..synapses.connections import Connections
from ..synapses.inputs import SpikeTrain


class Stimulus(eqx.Module):
    """Currents (nA) injected into compartments ``indices``, one row per compartment, one
    column per step (see `eqcable.stimuli`); `dt` (ms) is the time step the currents were
    sampled for, or ``None`` if they were given as a bare array."""

    indices: Int[Array, " k"]
    current: Float[Array, "k ntime"]
    dt: float | None = eqx.field(static=True, default=None)


class Recording(eqx.Module):
    """A quantity recorded at ``indices``: compartments, or connections for synapse
    quantities (see `eqcable.simulation.recording` for the names)."""

    name: str = eqx.field(static=True)
    indices: Int[Array, " k"]


class CellStructure(eqx.Module):
    """Integer arrays of the compartment tree (see `eqcable.morphology.dhs.Schedule`).

    The tree's nodes are the compartments, the branch points and the padding nodes of the
    run layout (`eqcable.morphology.layout`: no compartment, no edge);
    ``comp_to_node``/``node_to_comp`` map between them (``-1`` for the others), and
    ``parent_half[i]`` is the compartment whose distal half lies between node ``i`` and
    its parent (``-1`` if none).
    """

    comp_to_node: Int[Array, " ncomp"]
    node_to_comp: Int[Array, " nnodes"]
    parent_half: Int[Array, " nnodes"]
    tree: TreeSchedule

    @staticmethod
    def build(
        ncomp_per_branch: Sequence[int],
        parents: Sequence[int],
        parent_x: Sequence[float] | None = None,
        block: int | None = None,
    ) -> "CellStructure":
        """The structure of branches of ``ncomp_per_branch`` compartments hanging from
        `parents` at `parent_x` (see `eqcable.Cell`), its nodes in the run layout with
        runs of at most `block` nodes (chosen from the tree by default; see
        `eqcable.morphology.layout`)."""
        s = build_schedule(ncomp_per_branch, parents, parent_x, block)
        # device_put, not jnp.asarray: the latter compiles per new shape (JAX 0.10, CPU).
        return CellStructure(
            comp_to_node=jax.device_put(s.comp_to_node),
            node_to_comp=jax.device_put(s.node_to_comp),
            parent_half=jax.device_put(s.parent_half),
            tree=TreeSchedule(
                parent=jax.device_put(s.parent),
                all_children=jax.device_put(s.all_children),
                all_parents=jax.device_put(s.all_parents),
                levels=jax.device_put(s.levels),
                order=jax.device_put(s.order),
                run_last=jax.device_put(s.runs.run_last),
                run_top=jax.device_put(s.runs.run_top),
                run_bottom=jax.device_put(s.runs.run_bottom),
                run_has_bottom=jax.device_put(s.runs.run_has_bottom),
                via_run=jax.device_put(s.runs.via_run),
                reduced_parent=jax.device_put(s.runs.reduced_parent),
            ),
        )


class AbstractModel(eqx.Module):
    """A model the time loop can simulate: compartments on a tree, mechanisms, inputs and
    recordings. Per-compartment arrays are in flat compartment order (branch 0's
    compartments, then branch 1's, ...).

    Geometry: a compartment is a cylinder of `radius` and `length` whose membrane area and
    half axial resistances are multiplied by `area_scale`, `r_proximal_scale` and
    `r_distal_scale` (1 for cylinders).
    """

    radius: eqx.AbstractVar[Float[Array, " ncomp"]]  # µm
    length: eqx.AbstractVar[Float[Array, " ncomp"]]  # µm
    axial_resistivity: eqx.AbstractVar[Float[Array, " ncomp"]]  # Ω·cm
    capacitance: eqx.AbstractVar[Float[Array, " ncomp"]]  # µF/cm²
    v: eqx.AbstractVar[Float[Array, " ncomp"]]  # initial voltage, mV
    area_scale: eqx.AbstractVar[Float[Array, " ncomp"]]
    r_proximal_scale: eqx.AbstractVar[Float[Array, " ncomp"]]
    r_distal_scale: eqx.AbstractVar[Float[Array, " ncomp"]]
    celsius: eqx.AbstractVar[Float[Array, ""]]  # °C
    channels: eqx.AbstractVar[tuple[AbstractChannel, ...]]
    channel_masks: eqx.AbstractVar[tuple[Bool[Array, " ncomp"], ...]]
    states: eqx.AbstractVar[dict[str, Float[Array, " ncomp"]]]
    #: Per state: True where its initial value was set explicitly (`states` holds it);
    #: elsewhere it starts at its steady state at the initial voltage, as after NEURON's
    #: ``finitialize``.
    explicit_states: eqx.AbstractVar[dict[str, Bool[Array, " ncomp"]]]
    #: The reversal potential (mV) and the internal and external concentrations (mM) of
    #: every ion species the channels use, by NEURON's names (``"ena"``, ``"nai"``,
    #: ``"nao"``, …); see `eqcable.simulation.ions` for when each is used.
    ions: eqx.AbstractVar[dict[str, Float[Array, " ncomp"]]]
    stimuli: eqx.AbstractVar[tuple[Stimulus, ...]]
    #: Voltage and data clamps on compartments (`eqcable.experiments.clamps`).
    clamps: eqx.AbstractVar[tuple[Clamp, ...]]
    recordings: eqx.AbstractVar[tuple[Recording, ...]]
    structure: eqx.AbstractVar[CellStructure]
    connections: eqx.AbstractVar[tuple[Connections, ...]]
    inputs: eqx.AbstractVar[tuple[SpikeTrain, ...]]
