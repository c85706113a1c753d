"""A single compartment: the building block of branches."""

from jaxtyping import ArrayLike

from ._build import fields_from_scalars
from .base import AbstractModule


class Compartment(AbstractModule):
    """One cylindrical compartment (a NEURON segment).

    **Arguments:**

    - `radius`: radius (µm), default 1.
    - `length`: length (µm), default 10.
    - `axial_resistivity`: cytoplasmic resistivity (Ω·cm), default 100.
    - `capacitance`: specific membrane capacitance (µF/cm²), default 1.
    - `v`: initial membrane potential (mV), default −65 (NEURON's ``v_init``).

    **Raises:** `ValueError` for a non-finite value or a non-positive radius, length,
    resistivity or capacitance.
    """

    def __init__(
        self,
        radius: ArrayLike = 1.0,
        length: ArrayLike = 10.0,
        axial_resistivity: ArrayLike = 100.0,
        capacitance: ArrayLike = 1.0,
        v: ArrayLike = -65.0,
    ):
        fields = fields_from_scalars(
            radius=radius,
            length=length,
            axial_resistivity=axial_resistivity,
            capacitance=capacitance,
            v=v,
        )
        for name, value in fields.items():
            setattr(self, name, value)
