"""Voltage clamps and data clamps: what an experimenter's electrode does to compartments.

- `SEClamp`: NEURON's single-electrode voltage clamp, a command voltage behind a series
  resistance ``rs``, with three levels. Its current ``(vc − v)/rs`` enters the implicit
  voltage step linearised in ``v``, as NEURON's electrode currents do, so it equals
  NEURON's to round-off.
- `IdealClamp`: the same three-level command, held exactly (``rs → 0``): the clamped
  compartment's new voltage is the command, an exact row of the tree system
  (`eqcable.solvers.hold_nodes`), and the current the electrode needs to hold it is
  recordable.
- `DataClamp`: a quantity (``"v"``, a channel state or an integrated concentration) of
  some compartments played from a recorded trace, as NEURON's
  ``Vector.play(..., continuous=1)``: at the middle of each step the trace's linear
  interpolation is written into the quantity before anything reads it, and at the end of
  the step its next value. Differentiable w.r.t. the trace and everything else.

Timing: a command is evaluated at the middle of each step, ``t_k + dt/2``, where NEURON's
fixed step evaluates a point process, so a level starting at ``dur1`` acts from the first
step whose midpoint is past ``dur1``.

Attach them to a selection, `sel.clamp(...)`; record their current with
``sel.record("i_clamp")`` (nA, positive = into the cell, NEURON's ``SEClamp.i``).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

#: NEURON's lower bound for ``SEClamp.rs`` (MΩ).
MIN_SERIES_RESISTANCE = 1e-9


def as_float(x) -> Array:
    """`x` as an array of JAX's default float type (traced values stay traced)."""
    return jnp.asarray(x, dtype=jnp.result_type(float))


def check_concrete(what: str, **values) -> None:
    """Refuse non-finite concrete values of `values`, naming `what` and the field."""
    for name, x in values.items():
        if isinstance(x, jax.core.Tracer):
            continue
        if not np.all(np.isfinite(np.asarray(x))):
            raise ValueError(f"{what}.{name} must be finite, got {np.asarray(x)}.")


class AbstractVoltageClamp(eqx.Module):
    """A voltage clamp with NEURON's ``SEClamp`` protocol: the command is `amp1` (mV) for
    ``0 <= t < dur1``, `amp2` until ``dur1 + dur2``, `amp3` until ``dur1 + dur2 + dur3``
    (ms); after that the clamp is off (no current). Parameters may be arrays with one
    value per clamped compartment; the amplitudes are differentiable (the durations only
    set the timing)."""

    dur1: eqx.AbstractVar[Float[Array, "*k"]]
    amp1: eqx.AbstractVar[Float[Array, "*k"]]
    dur2: eqx.AbstractVar[Float[Array, "*k"]]
    amp2: eqx.AbstractVar[Float[Array, "*k"]]
    dur3: eqx.AbstractVar[Float[Array, "*k"]]
    amp3: eqx.AbstractVar[Float[Array, "*k"]]

    def command(self, t: Float[ArrayLike, ""]) -> tuple[Float[Array, "*k"], Bool[Array, "*k"]]:
        """NEURON's ``SEClamp.vstim``: the command voltage (mV) at time `t` (ms), and
        whether the clamp is on."""
        end2 = self.dur1 + self.dur2
        end3 = end2 + self.dur3
        vc = jnp.where(
            t < self.dur1,
            self.amp1,
            jnp.where(t < end2, self.amp2, jnp.where(t < end3, self.amp3, 0.0)),
        )
        return vc, t < end3


def protocol_field():
    """A protocol parameter: a float array, 0 by default."""
    return eqx.field(default=0.0, converter=as_float)


class IdealClamp(AbstractVoltageClamp):
    """An ideal voltage clamp (`AbstractVoltageClamp`'s protocol; mV, ms): while on, the
    clamped compartment's voltage at the end of each step *is* the command at the step's
    middle, the limit of `SEClamp` with ``rs → 0``, computed exactly.

    The recorded current (``"i_clamp"``, nA, positive into the cell) is what the electrode
    must inject to hold the voltage; it is 0 at ``t = 0``, before any step.

    With `CrankNicolson` too it holds the voltage at the *end* of each step. (NEURON's
    ``SEClamp`` with ``rs → 0`` under ``secondorder = 1`` holds the voltage in the middle
    of the step instead, so its end-of-step voltage oscillates about the command.)
    """

    dur1: Float[Array, "*k"] = protocol_field()
    amp1: Float[Array, "*k"] = protocol_field()
    dur2: Float[Array, "*k"] = protocol_field()
    amp2: Float[Array, "*k"] = protocol_field()
    dur3: Float[Array, "*k"] = protocol_field()
    amp3: Float[Array, "*k"] = protocol_field()

    def __check_init__(self):
        check_protocol(self)


class SEClamp(AbstractVoltageClamp):
    """NEURON's ``SEClamp``: `AbstractVoltageClamp`'s three-level command (mV, ms) behind
    a series resistance `rs` (MΩ, default 1 as NEURON's). Its current
    ``i = (vc − v)/rs`` (nA, positive into the cell) enters the implicit step as NEURON's
    electrode currents do; the recorded ``"i_clamp"`` is ``(vc − v)/rs`` at the voltage
    after each step (and at ``t = 0``), as NEURON records ``SEClamp.i``.
    """

    dur1: Float[Array, "*k"] = protocol_field()
    amp1: Float[Array, "*k"] = protocol_field()
    dur2: Float[Array, "*k"] = protocol_field()
    amp2: Float[Array, "*k"] = protocol_field()
    dur3: Float[Array, "*k"] = protocol_field()
    amp3: Float[Array, "*k"] = protocol_field()
    rs: Float[Array, "*k"] = eqx.field(default=1.0, converter=as_float)

    def __check_init__(self):
        check_protocol(self)
        check_concrete("SEClamp", rs=self.rs)
        if not isinstance(self.rs, jax.core.Tracer) and np.any(
            np.asarray(self.rs) < MIN_SERIES_RESISTANCE
        ):
            raise ValueError(
                f"SEClamp.rs must be at least {MIN_SERIES_RESISTANCE:g} MΩ (NEURON's bound), "
                f"got {np.asarray(self.rs)}; use IdealClamp for a clamp without resistance."
            )


def check_protocol(clamp: AbstractVoltageClamp) -> None:
    """Refuse non-finite amplitudes and durations, and negative durations."""
    name = type(clamp).__name__
    amps = {k: getattr(clamp, k) for k in ("amp1", "amp2", "amp3")}
    durs = {k: getattr(clamp, k) for k in ("dur1", "dur2", "dur3")}
    check_concrete(name, **amps, **durs)
    for k, x in durs.items():
        if not isinstance(x, jax.core.Tracer) and np.any(np.asarray(x) < 0):
            raise ValueError(f"{name}.{k} must be >= 0 (ms), got {np.asarray(x)}.")


class DataClamp(eqx.Module):
    """A quantity of the clamped compartments played from a recorded trace.

    **Arguments:**

    - `name`: ``"v"`` (mV), a channel state (``"HH_m"``) or a concentration that a
      mechanism integrates (``"cai"``, mM).
    - `values`: the trace at the time points ``0, dt, ..., t_max`` (``nsteps + 1``
      values): 1-D (the same for every clamped compartment) or one row per compartment.
    - `dt`: the time step (ms) it is sampled at; a run with another `dt` is refused.

    In step ``k`` the quantity is set to ``(values[k] + values[k+1])/2`` before the step
    reads it, and to ``values[k+1]`` after the voltage step, before synapses and channel
    states advance (and again after, so that it records its trace), as NEURON's
    ``Vector.play(ref, tvec, 1)`` does; at ``t = 0`` it starts at ``values[0]`` (channel
    states at a voltage-clamped compartment start at their steady state there).
    Everything else, the compartments' own currents included, follows the step, so the
    *unclamped* compartments equal NEURON's with the same trace played.
    """

    name: str = eqx.field(static=True)
    values: Float[Array, "*k ntime"] = eqx.field(converter=as_float)
    dt: float = eqx.field(static=True)

    def __check_init__(self):
        if not isinstance(self.name, str):
            raise TypeError(f"DataClamp name must be a str, got {type(self.name).__name__}.")
        if jnp.ndim(self.values) not in (1, 2) or jnp.shape(self.values)[-1] < 2:
            raise ValueError(
                "DataClamp values must be 1-D (ntime,) or 2-D (sites, ntime) with at least "
                f"two time points, got shape {jnp.shape(self.values)}."
            )
        check_concrete("DataClamp", values=self.values)
        if not np.isfinite(self.dt) or self.dt <= 0:
            raise ValueError(f"DataClamp dt must be positive (ms), got {self.dt}.")


class Clamp(eqx.Module):
    """A clamp on compartments `indices` (flat compartment order): an `SEClamp`,
    `IdealClamp` or `DataClamp` whose values have one entry (row) per compartment."""

    indices: Int[Array, " k"]
    device: AbstractVoltageClamp | DataClamp


def place(device: object, indices: np.ndarray) -> Clamp:
    """`device` on the compartments `indices`, its values broadcast to one per site.

    **Raises:** `TypeError` for another kind of object; `ValueError` for values whose
    shape fits neither one site nor every site.
    """
    if not isinstance(device, (AbstractVoltageClamp, DataClamp)):
        raise TypeError(
            f"clamp() takes an SEClamp, IdealClamp or DataClamp, got {type(device).__name__}."
        )
    k = len(indices)

    def broadcast(x, trailing=()):
        shape = (k, *trailing)
        try:
            return jnp.broadcast_to(x, shape)
        except ValueError:
            raise ValueError(
                f"{type(device).__name__}: a value of shape {jnp.shape(x)} does not fit "
                f"{k} clamped compartment(s) (expected a scalar or shape {shape})."
            ) from None

    if isinstance(device, DataClamp):
        ntime = device.values.shape[-1]
        device = eqx.tree_at(lambda d: d.values, device, broadcast(device.values, (ntime,)))
    else:
        device = jax.tree.map(broadcast, device)
    return Clamp(indices=jnp.asarray(indices), device=device)
