"""A single compartment: the building block of branches."""

from typing import ClassVar

import equinox as eqx
from jaxtyping import Array, ArrayLike, Bool, Float

from ..channels.base import AbstractChannel
from ..experiments.clamps import Clamp
from ..simulation.model import CellStructure, Recording, Stimulus
from ..synapses.connections import Connections
from ..synapses.inputs import SpikeTrain
from .assemble import from_scalars
from .base import AbstractModule
from .parameters import Trainable


class Compartment(AbstractModule):
    """One cylindrical compartment (a NEURON segment).

    **Arguments:**

    - `radius`: radius (µm), default 1.
    - `length`: length (µm), default 10.
    - `axial_resistivity`: cytoplasmic resistivity (Ω·cm), default 35.4 (NEURON's `Ra`).
    - `capacitance`: specific membrane capacitance (µF/cm²), default 1.
    - `v`: initial membrane potential (mV), default −65 (NEURON's ``v_init``).

    **Raises:** `ValueError` for a non-finite value or a non-positive radius, length,
    resistivity or capacitance.
    """

    ncomp_per_branch: tuple[int, ...] = eqx.field(static=True)
    branch_parents: tuple[int, ...] = eqx.field(static=True)
    branch_parent_x: tuple[float, ...] = eqx.field(static=True)
    branch_types: tuple[int, ...] = eqx.field(static=True)
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
    trainables: tuple[Trainable, ...]
    structure: CellStructure
    connections: ClassVar[tuple[Connections, ...]] = ()  # only networks have synapses
    inputs: ClassVar[tuple[SpikeTrain, ...]] = ()

    def __init__(
        self,
        radius: ArrayLike = 1.0,
        length: ArrayLike = 10.0,
        axial_resistivity: ArrayLike = 35.4,
        capacitance: ArrayLike = 1.0,
        v: ArrayLike = -65.0,
    ):
        fields = from_scalars(
            radius=radius,
            length=length,
            axial_resistivity=axial_resistivity,
            capacitance=capacitance,
            v=v,
        )
        (
            self.ncomp_per_branch,
            self.branch_parents,
            self.branch_parent_x,
            self.branch_types,
            self.radius,
            self.length,
            self.axial_resistivity,
            self.capacitance,
            self.v,
            self.area_scale,
            self.r_proximal_scale,
            self.r_distal_scale,
            self.celsius,
            self.channels,
            self.channel_masks,
            self.states,
            self.explicit_states,
            self.ions,
            self.stimuli,
            self.clamps,
            self.recordings,
            self.trainables,
            self.structure,
        ) = fields
