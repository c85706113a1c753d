"""The interface every membrane channel implements."""

import abc
import dataclasses
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .ion_use import ion_use, parse, species_table
from .ions import Ion
from .parameter import Bounds, check_in_bounds, field_info


class AbstractMechanism(eqx.Module):
    """What channels and synapses share: parameters are dataclass fields, and names of
    parameters and states are prefixed with the class name.

    Fields declared with `eqcable.parameter` carry a unit and a valid range; concrete
    values are checked against them when a mechanism is built (and again wherever a
    value is set), with a `ValueError` naming the parameter, the value and the range.
    """

    state_names: eqx.AbstractClassVar[tuple[str, ...]]
    #: Ion quantities the mechanism reads, per compartment, by NEURON's names (e.g.
    #: ``("ena",)``, ``("cai",)``, ``("ica",)``: reversal potentials in mV, concentrations
    #: in mM, a species' total current in mA/cm²; see `eqcable.channels.ion_use`). They
    #: arrive in the ``states`` dict of `current` and `step` (and in the `ions` argument of
    #: `steady_state`), under these names, read-only.
    ion_reads: ClassVar[tuple[str, ...]] = ()
    #: Ion quantities the mechanism writes: the ion currents it carries (e.g. ``("ina",)``:
    #: its whole `current`, or with several, the split `ion_currents` gives), summed per
    #: species; or the concentrations it integrates (e.g. ``("cai",)``: `step` returns
    #: their new values, under these names, besides its own states).
    ion_writes: ClassVar[tuple[str, ...]] = ()
    #: Ion species beyond NEURON's ``na``, ``k`` and ``ca`` that the mechanism uses, by name
    #: (e.g. ``{"x": ec.Ion(valence=1, ci=1.0, co=1.0, e=0.0)}``).
    ion_species: ClassVar[dict[str, Ion]] = {}
    #: Units of states that have one (e.g. ``{"A": "µS"}``); others are dimensionless
    #: (``"1"``). Used to label recordings.
    state_units: ClassVar[dict[str, str]] = {}
    #: Whether `current` needs the temperature: it then receives ``celsius`` (°C) in its
    #: ``states`` (NMODL files whose BREAKPOINT reads it, e.g. through ``ghk``).
    reads_celsius: ClassVar[bool] = False

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
        ion_use(self, species_table([self]))
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

    Subclass it and implement three methods; for example a potassium channel, which reads
    the potassium reversal potential ``ek`` and carries the potassium current ``ik``:

    !!! example

        ```python
        class Kdr(ec.AbstractChannel):
            gK: float = 0.036   # S/cm²
            state_names = ("n",)
            ion_reads = ("ek",)
            ion_writes = ("ik",)

            def steady_state(self, v, celsius, ions):
                a, b = alpha_n(v), beta_n(v)
                return {"n": a / (a + b)}

            def step(self, states, v, dt, celsius):
                a, b = alpha_n(v), beta_n(v)
                return {"n": ec.exponential_euler(states["n"], a / (a + b), 1 / (a + b), dt)}

            def current(self, states, v):
                return self.gK * states["n"] ** 4 * (v - states["ek"])
        ```

    **Ions.** A channel that reads ion quantities (`ion_reads`) gets them in the
    ``states`` of `current` and `step`, and as a third argument ``ions`` of
    `steady_state` (with the initial values of the concentrations it writes); one that
    reads and writes none has ``steady_state(v, celsius)``. A channel that
    writes one ion current carries all its `current` in it; one that writes several
    implements `ion_currents`. A concentration mechanism (``ion_writes = ("cai",)``)
    returns the concentration's new value from `step`; its `current` is usually zero.
    In a step, concentration mechanisms advance first (in the order they were inserted),
    then the other channels' states, which read the new concentrations: NEURON's order
    when the concentration mechanism's NMODL file is registered first.
    """

    @abc.abstractmethod
    def steady_state(self, v: Float[Array, "*c"], celsius: ArrayLike) -> dict[str, Array]:
        """Steady-state value of every gating state at voltage `v` (mV), °C `celsius`
        (and, for a channel with `ion_reads`, the ion quantities ``ions`` it reads, by
        name, as a third argument): where a simulation starts them, as NEURON's
        ``INITIAL`` block."""

    @abc.abstractmethod
    def step(
        self, states: dict[str, Array], v: Float[Array, "*c"], dt: float, celsius: ArrayLike
    ) -> dict[str, Array]:
        """Advance the states by `dt` (ms) at the (new) voltage `v` (mV)."""

    @abc.abstractmethod
    def current(self, states: dict[str, Array], v: Float[Array, "*c"]) -> Float[Array, "*c"]:
        """Outward membrane current density (mA/cm²) at voltage `v` (mV)."""

    def linearise(
        self, states: dict[str, Array], v: Float[Array, "*c"]
    ) -> tuple[Float[Array, "*c"], Float[Array, "*c"]]:
        """The current (mA/cm²) and its slope ``di/dv`` (S/cm²) at `v`, for the implicit
        voltage step.

        By default the exact derivative, by autodiff. A channel may replace it (channels
        imported with ``read_nmodl(..., linearisation="neuron")`` use NEURON's forward
        difference).
        """
        return jax.jvp(lambda x: self.current(states, x), (v,), (jnp.ones_like(v),))

    def ion_currents(
        self, states: dict[str, Array], v: Float[Array, "*c"]
    ) -> dict[str, Float[Array, "*c"]]:
        """The ion currents (mA/cm², outward positive) the channel writes, by name.

        By default its whole `current`, carried by the one current in `ion_writes`. A
        channel that writes several (HH: ``ina`` and ``ik``) overrides this.

        **Raises:** `TypeError` if the channel writes several currents and does not
        override it.
        """
        table = species_table([self])
        written = [q for q in self.ion_writes if parse(q, table, self.name).kind == "i"]
        if len(written) > 1:
            raise TypeError(
                f"{self.name} writes the ion currents {written}: implement ion_currents() to "
                "say how its current divides among them."
            )
        return {q: self.current(states, v) for q in written}
