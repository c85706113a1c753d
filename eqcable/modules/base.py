"""`AbstractModule`: what every module users hold can do.

`Compartment`, `Branch`, `Cell` and `Network` are final subclasses that hold the fields
and differ in how they are built; every method here is implemented once, for all of them.
Every edit (`set`, `insert`, `stimulate`, `record`, `make_trainable`, `init_states`) returns
a new module (via `eqx.tree_at`), so edits also work inside `jax.jit`. Quantity names are
resolved by `eqcable.modules.quantities`, trainables by `eqcable.modules.parameters`.
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ..channels.base import AbstractChannel
from ..simulation.ions import initial_ion_values
from ..simulation.model import AbstractModel
from ..simulation.recording import recordable_names
from ..simulation.state import initial_channel_states
from ..stimuli import Current
from . import edits, parameters
from .arrays import take
from .quantities import follow, quantity_names, resolve
from .recording_info import RecordingInfo, recording_info
from .run import integrate
from .selection import Index, View


@eqx.filter_jit  # once per channel set and size, rather than op by op
def _initial_states(channels, masks, states, explicit, v, celsius, ions):
    values = initial_ion_values(channels, masks, ions, celsius)
    return initial_channel_states(channels, states, explicit, v, celsius, values)


class AbstractModule(AbstractModel):
    """A neuron model: compartments on a tree, channels, stimuli, recordings (and, in a
    `Network`, synapses).

    Per-compartment arrays are in *flat compartment order*: branch 0's compartments,
    then branch 1's, and so on. The tree is described by the static fields
    `ncomp_per_branch`, `branch_parents`, `branch_parent_x` and `branch_types` (see
    `Cell`), the physics by float arrays (see [`eqcable.simulation.AbstractModel`][]).
    """

    ncomp_per_branch: eqx.AbstractVar[tuple[int, ...]]
    branch_parents: eqx.AbstractVar[tuple[int, ...]]
    branch_parent_x: eqx.AbstractVar[tuple[float, ...]]
    branch_types: eqx.AbstractVar[tuple[int, ...]]
    trainables: eqx.AbstractVar[tuple[parameters.Trainable, ...]]

    # ------------------------------------------------------------------ sizes, names
    @property
    def ncomp(self) -> int:
        """Total number of compartments."""
        return sum(self.ncomp_per_branch)

    @property
    def nbranches(self) -> int:
        """Number of branches."""
        return len(self.ncomp_per_branch)

    def quantity_names(self) -> tuple[str, ...]:
        """All names usable in `set` and `make_trainable`."""
        return quantity_names(self)

    def recording_info(self, t_max: float, dt: float = 0.025) -> RecordingInfo:
        """What the rows and columns of ``self.integrate(t_max=t_max, dt=dt)`` are: the
        time axis (ms), and each row's quantity, unit, site and label. See
        `RecordingInfo`; for example:

        ```python
        traces = cell.integrate(t_max=10.0)
        info = cell.recording_info(t_max=10.0)
        plt.plot(info.time, traces[info.rows("v")].T)  # ms, mV
        ```
        """
        return recording_info(self, t_max, dt)

    def recordable_names(self) -> tuple[str, ...]:
        """Names usable in `record`: ``v``, channel states, ``i_<Channel>`` currents, and
        in a network synapse states and ``i_<Synapse>`` currents."""
        return recordable_names(self.channels, self.connections)

    def get(self, name: str) -> Float[Array, " n"]:
        """The array of quantity `name`: one value per compartment (per connection for
        synapse quantities; ``celsius`` is a scalar). For a channel state, its initial
        value: the steady state at the initial ``v`` unless set explicitly (see
        `initial_states`)."""
        q = resolve(self, name)
        if name in self.states:
            return self.initial_states()[name]
        return follow(self, q.path)

    def initial_states(self) -> dict[str, Float[Array, " ncomp"]]:
        """The value every channel state starts a simulation with, per compartment.

        As NEURON's ``finitialize(v)``: a state starts at its steady state at the initial
        voltage ``v`` (and ``celsius``), wherever it was not set explicitly with `set` (or
        made trainable). So ``cell.set("v", -75.0)`` alone starts the gates at −75 mV.
        """
        if not self.states:
            return {}
        return _initial_states(
            self.channels,
            self.channel_masks,
            self.states,
            self.explicit_states,
            self.v,
            self.celsius,
            self.ions,
        )

    @property
    def synapses(self) -> tuple:
        """The synapse of each connection group (one group per synapse type), in order;
        empty for a single cell."""
        return tuple(c.synapse for c in self.connections)

    def path_distance(self, reference: int = 0) -> np.ndarray:
        """Distance along the cell (µm) from compartment `reference`'s centre to every
        compartment's centre, through the tree (NEURON's ``h.distance`` between
        segment centres).

        Computed from the present lengths with NumPy: a morphology measure for defining
        parameters as functions of position (e.g. ``g0 * exp(-d / lam)``), not itself
        differentiated.

        **Raises:** `ValueError` if `reference` is not a compartment index.
        """
        return edits.path_distance(self, reference)

    # ------------------------------------------------------------------ selections
    def branch(self, index: Index):
        """Select branches: an int, a sequence of ints, a slice or ``"all"``.

        **Returns:** a selection whose edit methods return the updated whole module.
        """
        return View.of_branches(self, index)

    def group(self, name: str | int):
        """Select the branches of an SWC type: ``"soma"``, ``"axon"``, ``"basal"`` (or
        ``"dend"``), ``"apical"`` (or ``"apic"``), or a type id (``5`` for a custom type).

        **Raises:** `ValueError` for an unknown name, or if no branch has that type.
        """
        ids = {"soma": 1, "axon": 2, "basal": 3, "dend": 3, "apical": 4, "apic": 4}
        if isinstance(name, str):
            if name not in ids:
                raise ValueError(f"Unknown group {name!r}; use one of {sorted(ids)} or a type id.")
            type_id = ids[name]
        else:
            type_id = int(name)
        branches = [b for b, t in enumerate(self.branch_types) if t == type_id]
        if not branches:
            present = sorted(set(self.branch_types))
            raise ValueError(f"No branch has type {name!r} (type ids present: {present}).")
        return View.of_branches(self, branches)

    def comp(self, index: Index):
        """Select compartments by flat index (int, sequence, slice or ``"all"``)."""
        return View.of_comps(self, index)

    # ------------------------------------------------------------------ edits
    def set(self, name: str, value: ArrayLike, *, _where: np.ndarray | None = None):
        """Set a quantity everywhere (or on a selection) and return the new module.

        **Arguments:**

        - `name`: ``radius`` (µm), ``length`` (µm), ``axial_resistivity`` (Ω·cm),
          ``capacitance`` (µF/cm²), ``v`` (mV, the initial voltage), ``celsius`` (°C,
          whole module only), a channel parameter ``"<Channel>_<param>"`` or a channel
          state ``"<Channel>_<state>"`` (in a network also synapse parameters and states).
        - `value`: a scalar, or one value per selected compartment.

        **Raises:** `ValueError` for an unknown name, a non-finite value, or a
        non-positive geometric quantity.
        """
        return edits.set_value(self, name, value, _where)

    def insert(self, channel: AbstractChannel, *, _where: np.ndarray | None = None):
        """Insert a channel everywhere (or on a selection) with its parameter values.

        Its states start at their steady state at the initial voltage (see
        `initial_states`). Inserting a channel that is already present sets its parameters
        on the selection to `channel`'s values.

        **Raises:** `TypeError` if `channel` is not an `AbstractChannel`.
        """
        return edits.insert_channel(self, channel, _where)

    def init_states(self):
        """Forget explicitly set channel states: every state starts at its steady state
        at the initial ``v``, as NEURON's ``finitialize`` sets it.

        That is already what happens to states never set explicitly (see
        `initial_states`), so ``cell.set("v", -75.0)`` needs no call to this.
        """
        explicit = {n: jnp.zeros_like(x) for n, x in self.explicit_states.items()}
        return eqx.tree_at(lambda m: m.explicit_states, self, explicit)

    def stimulate(
        self, current: "Current | Float[ArrayLike, ' ntime']", *, _where: np.ndarray | None = None
    ):
        """Inject a current (nA) into every selected compartment.

        `current` is a `Current` from `step_current` (which remembers its ``dt``), or an
        array: 1-D (the same for every selected compartment) or 2-D with one row per
        selected compartment, of ``nsteps`` values (one per step) or ``nsteps + 1`` (one
        per time point) for the run it is used in (see `eqcable.stimuli`).

        On a module of more than one compartment, call it on a selection
        (``cell.branch(0).comp(0).stimulate(...)``).

        **Raises:** `ValueError` for a non-finite current, a shape that does not fit the
        selection, or a call on a whole multi-compartment module.
        """
        return edits.add_stimulus(self, current, _where)

    def clamp(self, device, *, _where: np.ndarray | None = None):
        """Clamp every selected compartment with `device`: an `SEClamp` (NEURON's
        single-electrode voltage clamp, with series resistance), an `IdealClamp` (the
        voltage held exactly) or a `DataClamp` (``v``, a channel state or an integrated
        concentration played from a recorded trace); see `eqcable.experiments.clamps`.
        Its parameters are scalars or one value (row) per selected compartment. Record
        the clamp current with ``sel.record("i_clamp")`` (nA, positive into the cell).

        On a module of more than one compartment, call it on a selection
        (``cell.branch(0).comp(0).clamp(ec.SEClamp(dur1=10.0, amp1=-20.0))``).

        **Raises:** `TypeError` for another kind of object; `ValueError` for values that
        fit neither one nor every selected compartment, or a call on a whole
        multi-compartment module. Runs check the rest (`dt`, trace lengths, names).
        """
        return edits.add_clamp(self, device, _where)

    def record(self, *names: str, _where: np.ndarray | None = None):
        """Record each of `names` (default ``"v"``) at every selected site: one output
        row per name and site, names first (``sel.record("v", "HH_m")`` gives the
        voltages of the selection, then its ``m`` gates).

        A name is ``v`` (mV), a channel state (``"HH_m"``, dimensionless), a channel's
        current density ``"i_<Channel>"`` (mA/cm², outward positive), the total membrane
        current ``"i_membrane"`` (nA, outward positive, NEURON's ``i_membrane_``) or the
        clamp current ``"i_clamp"`` (nA, into the cell; see `clamp`); in a network also a
        synapse state or a synapse current ``"i_<Synapse>"`` (nA, outward positive) at
        connections (see `Network.synapse`). `recording_info` labels the rows.

        On a module of more than one compartment, call it on a selection
        (``cell.branch(0).comp(0).record("v")``, or ``cell.comp("all").record("v")``).

        **Raises:** `ValueError` for an unknown name, or a call on a whole module of more
        than one site.
        """
        return edits.add_recordings(self, names, _where)

    # ------------------------------------------------------------------ parameters
    def make_trainable(self, name: str, *, shared: bool = True, _where: np.ndarray | None = None):
        """Declare a parameter trainable on the whole module (or a selection).

        **Arguments:**

        - `name`: any name accepted by `set` except ``celsius``.
        - `shared`: if ``True`` (default) one value is shared by all selected
          compartments; if ``False`` every selected compartment gets its own value.

        The values appear, in order, in `params()`. The name is resolved now, once, into
        the path of its array in the module.

        **Raises:** `ValueError` for an unknown name, an empty selection, a quantity with
        no gradient, or when `shared=True` but the selection holds different values.
        """
        where = np.arange(edits.extent(self, name)) if _where is None else _where
        module = self
        if name in self.states:  # a trained initial state is an explicit one
            module = self.set(name, take(self.get(name), where), _where=where)
        tr = parameters.declare(module, name, shared, where)
        return eqx.tree_at(lambda m: m.trainables, module, module.trainables + (tr,))

    def params(self) -> tuple[dict[str, Float[Array, "..."]], ...]:
        """The trainable values: one ``{name: value}`` dict per `make_trainable` call.

        A shared parameter's value is a scalar; a per-compartment one has one entry per
        selected compartment. Pass (an updated copy of) this to `integrate`. It is a view:
        the module itself is the parameter too (see `trainable_filter`).
        """
        return parameters.params(self)

    def check_params(self, params) -> None:
        """Check that `params` has the structure and shapes of `params()` (cheap, no copies).

        **Raises:** `ValueError` naming the mismatch, or a non-finite concrete value.
        """
        parameters.check_params(self, params)

    def apply_params(self, params):
        """Write trainable values (as returned by `params()`) into the module."""
        return parameters.apply_params(self, params)

    def trainable_filter(self):
        """A filter spec for `eqx.partition`: ``True`` at the arrays that `make_trainable`
        declared, ``False`` elsewhere (the whole array of each). For example:

        ```python
        diff, static = eqx.partition(cell, cell.trainable_filter())
        grads = eqx.filter_grad(lambda d: loss(eqx.combine(d, static)))(diff)
        ```
        """
        return parameters.trainable_filter(self)

    def delete_recordings(self):
        """Remove all recordings."""
        return eqx.tree_at(lambda m: m.recordings, self, ())

    def delete_stimuli(self):
        """Remove all stimuli."""
        return eqx.tree_at(lambda m: m.stimuli, self, ())

    def delete_clamps(self):
        """Remove all clamps."""
        return eqx.tree_at(lambda m: m.clamps, self, ())

    def delete_trainables(self):
        """Make every parameter non-trainable again."""
        return eqx.tree_at(lambda m: m.trainables, self, ())

    # ------------------------------------------------------------------ simulation
    def integrate(
        self,
        params=None,
        *,
        t_max: float,
        dt: float = 0.025,
        solver=None,
        stepper=None,
        checkpoint_length: int | str | None = "auto",
    ):
        """Simulate and return the recordings. See [`eqcable.integrate`][]."""
        return integrate(
            self,
            params,
            t_max=t_max,
            dt=dt,
            solver=solver,
            stepper=stepper,
            checkpoint_length=checkpoint_length,
        )
