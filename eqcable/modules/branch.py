"""An unbranched cable of compartments (a NEURON section)."""

import math
from collections.abc import Sequence
from typing import ClassVar

import equinox as eqx
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

from ..channels.base import AbstractChannel
from ..experiments.clamps import Clamp
from ..morphology.geometry import pt3d_arc_lengths, segment_geometry
from ..simulation.model import CellStructure, Recording, Stimulus
from ..synapses.connections import Connections
from ..synapses.inputs import SpikeTrain
from .arrays import check_value, to_device
from .assemble import from_parts
from .base import AbstractModule
from .compartment import Compartment
from .parameters import Trainable
from .quantities import POSITIVE


class Branch(AbstractModule):
    """An unbranched chain of compartments.

    **Arguments:**

    - `compartments`: one `Compartment` repeated `ncomp` times, or a sequence of
      compartments (then `ncomp` may be omitted).
    - `ncomp`: number of compartments (≥ 1) when `compartments` is a single compartment.

    Compartment 0 is the end that attaches to a parent branch (NEURON's ``x = 0``).

    **Raises:** `ValueError` if ``ncomp < 1`` or does not match the sequence's length;
    `TypeError` if the parts are not compartments.
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

    def __init__(self, compartments: Compartment | Sequence[Compartment], ncomp: int | None = None):
        if isinstance(compartments, Compartment):
            if ncomp is None:
                raise ValueError("Branch(compartment, ncomp): give the number of compartments.")
            if not isinstance(ncomp, int) or isinstance(ncomp, bool):
                raise TypeError(f"ncomp must be an int, got {ncomp!r}.")
            if ncomp < 1:
                raise ValueError(f"ncomp must be >= 1, got {ncomp}.")
            parts = [compartments] * ncomp
        else:
            parts = list(compartments)
            if ncomp is not None and ncomp != len(parts):
                raise ValueError(f"ncomp={ncomp} but {len(parts)} compartments were given.")
            if len(parts) == 0:
                raise ValueError("A branch needs at least one compartment.")
            for i, c in enumerate(parts):
                if not isinstance(c, Compartment):
                    raise TypeError(f"Branch part {i} is a {type(c).__name__}, not a Compartment.")
        fields = from_parts(parts, (len(parts),), (-1,))
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

    @classmethod
    def from_points(
        cls,
        xyz: Float[ArrayLike, "npt 3"],
        radius: Float[ArrayLike, " npt"],
        ncomp: int,
        *,
        axial_resistivity: float = 35.4,
        capacitance: float = 1.0,
        v: float = -65.0,
    ) -> "Branch":
        """A branch along 3-D points, with NEURON's geometry for a section built from them.

        The branch runs through the points in order (``xyz[0]`` is the end that attaches
        to a parent); its radius varies linearly between points. It is split into `ncomp`
        compartments of equal length along the path, and each compartment gets exactly the
        membrane area (frustum surfaces, slant included) and the axial resistances of its
        two halves (the integral of ``dx / (π r(x)²)``) that NEURON computes for the same
        section (``pt3dadd``; see `eqcable.morphology.geometry`). As in NEURON, points
        and diameters are stored in single precision first.

        The compartment's `radius` is its mean radius (NEURON's ``seg.diam / 2``) and its
        `length` the path length over ``ncomp``; the exact shape is kept as factors
        (`area_scale`, `r_proximal_scale`, `r_distal_scale`), so that changing `radius`
        or `length` later scales the true geometry.

        **Arguments:**

        - `xyz`: ``(npt, 3)`` coordinates (µm), ``npt >= 2``.
        - `radius`: ``(npt,)`` radius at each point (µm), ``>= 0``.
        - `ncomp`: number of compartments (``>= 1``).
        - `axial_resistivity` (Ω·cm), `capacitance` (µF/cm²), `v` (mV): as `Compartment`.

        **Raises:** `ValueError` for malformed points, a zero total length, ``ncomp < 1``,
        or a compartment whose mean radius is zero.
        """
        arrays = points_geometry(xyz, radius, ncomp)
        compartment = Compartment(axial_resistivity=axial_resistivity, capacitance=capacitance, v=v)
        return with_geometry(cls(compartment, len(arrays["radius"])), arrays)


def with_geometry(module: AbstractModule, arrays: dict[str, np.ndarray]):
    """`module` with the per-compartment arrays `arrays` (`radius`, `length` and shape
    factors, as from `points_geometry`) in place of its own."""
    names = tuple(arrays)
    for name in names:
        check_value(name, arrays[name], POSITIVE)
    dtype = module.radius.dtype
    values = tuple(to_device(np.asarray(arrays[n], dtype=dtype)) for n in names)
    return eqx.tree_at(lambda m: tuple(getattr(m, n) for n in names), module, values)


def points_geometry(
    xyz: Float[ArrayLike, "npt 3"], radius: Float[ArrayLike, " npt"], ncomp: int
) -> dict[str, np.ndarray]:
    """Per-compartment `radius`, `length` and shape factors of a branch along 3-D points
    (NumPy), as described in [`eqcable.Branch.from_points`][]."""
    xyz = np.asarray(xyz, dtype=np.float64)
    radius = np.asarray(radius, dtype=np.float64)
    if xyz.ndim != 2 or xyz.shape[1] != 3 or radius.shape != (len(xyz),):
        raise ValueError(
            f"from_points needs xyz of shape (npt, 3) and one radius per point; got "
            f"{xyz.shape} and {radius.shape}."
        )
    if not isinstance(ncomp, (int, np.integer)) or isinstance(ncomp, bool) or ncomp < 1:
        raise ValueError(f"ncomp must be an int >= 1, got {ncomp!r}.")
    ncomp = int(ncomp)
    diam = (2.0 * radius).astype(np.float32).astype(np.float64)  # as NEURON stores it
    arc = pt3d_arc_lengths(xyz)
    geom = segment_geometry(arc, diam, ncomp, 1.0)
    length = float(arc[-1]) / ncomp
    r = geom.diam / 2.0
    bad = np.flatnonzero(~(r > 0))
    if bad.size:
        raise ValueError(f"from_points: compartment {int(bad[0])} has a zero mean radius.")
    half_cylinder = 0.5e-2 * length / (math.pi * r**2)  # MΩ at 1 Ω·cm
    return dict(
        radius=r,
        length=np.full(ncomp, length),
        area_scale=geom.area / (2.0 * math.pi * r * length),
        r_proximal_scale=geom.r_proximal / half_cylinder,
        r_distal_scale=geom.r_distal / half_cylinder,
    )
