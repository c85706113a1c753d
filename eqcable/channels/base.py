"""The interface every membrane channel implements."""

import abc
import dataclasses
from typing import ClassVar

import equinox as eqx
from jaxtyping import Array, ArrayLike, Float

from .parameter import Bounds, check_in_bounds, field_info


class AbstractMechanism(eqx.Module):
    """What channels and synapses share: parameters are dataclass fields, and names of
    parameters and states are prefixed with the class name.

    Fields declared with `eqcable.parameter` carry a unit and a valid range; concrete
    values are checked against them when a mechanism is built (and again wherever a
    value is set), with a `ValueError` naming the parameter, the value and the range.
    """

    state_names: eqx.AbstractClassVar[tuple[str, ...]]
    #: Ion quantities the mechanism reads, per compartment (e.g. ``("ena", "cai")``:
    #: reversal potentials in mV, concentrations in mM). The time loop passes them in the
    #: ``states`` dict of `current` and `step`, under these names, read-only.
    ion_reads: ClassVar[tuple[str, ...]] = ()
    #: Ion currents the mechanism writes (e.g. ``("ina",)``): its whole `current`
    #: (mA/cm², outward positive) is carried by that ion. The time loop sums them per
    #: ion, for mechanisms that integrate concentrations.
    ion_writes: ClassVar[tuple[str, ...]] = ()
    #: Units of states that have one (e.g. ``{"A": "µS"}``); others are dimensionless
    #: (``"1"``). Used to label recordings.
    state_units: ClassVar[dict[str, str]] = {}

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """Names of the mechanism's parameters: its dataclass fields, except static ones
        (options such as `TanhRateSynapse.jaxley_linearisation`)."""
        return tuple(f.name for f in dataclasses.fields(cls) if not f.metadata.get("static"))

    @classmethod
    def param_info(cls, name: str) -> tuple[str, Bounds]:
        """The unit and valid range of parameter `name` (see `eqcable.parameter`)."""
        return field_info(cls, name)

    def check_param(self, name: str, value, label: str | None = None) -> None:
        """Check a concrete `value` of parameter `name` against its declared range.

        **Raises:** `ValueError` naming `label` (default ``"<Name>_<name>"``), the value,
        the range and the unit; `TypeError` for a value that is not a real number.
        """
        unit, bounds = self.param_info(name)
        check_in_bounds(label or f"{self.name}_{name}", value, bounds, unit)

    def __check_init__(self):
        for p in self.param_names():
            self.check_param(p, getattr(self, p))

    @property
    def name(self) -> str:
        """The prefix of this mechanism's parameters and states: its class name."""
        return type(self).__name__


class AbstractChannel(AbstractMechanism):
    """A membrane mechanism: parameters, gating states, and the current they carry.

    A channel's dataclass fields are its parameters (floats, with NEURON's units: S/cm²
    for conductances, mV for reversal potentials). Inside a cell every parameter becomes
    an array with one value per compartment, addressed as ``"<Name>_<field>"`` (e.g.
    ``"HH_gNa"``); states likewise (``"HH_m"``). ``Name`` is the class name.

    Subclass it and implement three methods; for example a potassium channel:

    !!! example

        ```python
        class Kdr(ec.AbstractChannel):
            gK: float = 0.036   # S/cm²
            eK: float = -77.0   # mV
            state_names = ("n",)

            def steady_state(self, v, celsius):
                a, b = alpha_n(v), beta_n(v)
                return {"n": a / (a + b)}

            def step(self, states, v, dt, celsius):
                a, b = alpha_n(v), beta_n(v)
                return {"n": ec.exponential_euler(states["n"], a / (a + b), 1 / (a + b), dt)}

            def current(self, states, v):
                return self.gK * states["n"] ** 4 * (v - self.eK)
        ```
    """

    @abc.abstractmethod
    def steady_state(self, v: Float[Array, "*c"], celsius: ArrayLike) -> dict[str, Array]:
        """Steady-state value of every gating state at voltage `v` (mV), °C `celsius`."""

    @abc.abstractmethod
    def step(
        self, states: dict[str, Array], v: Float[Array, "*c"], dt: float, celsius: ArrayLike
    ) -> dict[str, Array]:
        """Advance the states by `dt` (ms) at the (new) voltage `v` (mV)."""

    @abc.abstractmethod
    def current(self, states: dict[str, Array], v: Float[Array, "*c"]) -> Float[Array, "*c"]:
        """Outward membrane current density (mA/cm²) at voltage `v` (mV)."""
