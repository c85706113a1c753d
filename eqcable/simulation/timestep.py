"""Large time steps: the fastest time constant of a model's mechanisms, and
`TimeStepWarning` when ``dt`` is too large for it.

The time constant is estimated generically, from each channel's own `step`, so users'
channels need no extra method: at voltages `V_GRID` (each compartment held at the same
voltage, every state at its steady state there), the slope of one probe step of
`PROBE_DT` with respect to each state, ``s = d step(x)/dx``, is ``exp(−h/τ)`` for an
exponential-Euler gate (``1 − h/τ`` for forward Euler, ``1/(1 + h/τ)`` for backward
Euler: each ``τ`` to ``O(h/τ)``), so ``τ = −h/log(s)``. A state whose update does not
depend on its old value (``s ≤ 0``, an instantaneous state) or does not decay
(``s ≥ 1``) has no time constant and is left out. Channels that read ion quantities
(`AbstractChannel.ion_reads`) get their species' defaults (NEURON's ``cai = 5e-5`` mM,
``ena = 50`` mV, …; zero currents).
"""

import math
import sys
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ..channels.base import AbstractChannel
from ..solvers.stepping import AbstractStepper
from .callers import user_frame
from .ions import default_ion_reads
from .model import AbstractModel
from .state import steady_states

#: Membrane voltages (mV) at which the states' time constants are probed.
V_GRID = np.linspace(-100.0, 60.0, 41)
#: The probe step (ms).
PROBE_DT = 1e-3
#: `check_time_step` warns when ``dt > MAX_DT_OVER_TAU · τ``: chosen by measurement (see
#: `TimeStepWarning`).
MAX_DT_OVER_TAU = 2.0


class TimeStepWarning(UserWarning):
    """Warned when `dt` is too large for the fastest state of the model's mechanisms.

    Nothing diverges or raises an error when `dt` is too large: the voltage step is
    implicit and the gates' exponential-Euler step is stable at any `dt`, so the answer
    is silently wrong instead. eqcable warns when ``dt > 2τ``, where ``τ`` is the fastest
    time constant of any channel state over −100 to +60 mV, at the model's temperature
    (see `fastest_time_constant`). For HH that is ``m`` at −100 mV: 0.036 ms at 6.3 °C,
    0.0079 ms at 20 °C, 0.0012 ms at 37 °C.

    Measured on HH (one compartment, and a 10-compartment cable; 5 ms current steps of
    20, 100 and 400 µA/cm²; 6.3, 20 and 37 °C) against dt = 0.001 ms, the worst error of
    a spike's peak voltage and of its time:

    | dt/τ | backward Euler | Crank–Nicolson |
    |---|---|---|
    | ≤ 2 (no warning) | 1.6 mV, 0.075 ms | 0.93 mV, 0.006 ms |
    | 2–5 | 3.2 mV, 0.25 ms | 2.8 mV, 0.03 ms |
    | 5–10 | 6.2 mV, 0.3 ms; spikes lost | 20 mV; voltages beyond E_Na |
    | 10–25 | 28 mV; spikes lost | 50 mV; spikes lost or added |
    | > 25 | 12–380 mV; spikes lost or added | 8–660 mV; oscillation |

    NEURON's everyday setting, HH at 6.3 °C with dt = 0.025 ms (dt/τ = 0.7), does not
    warn (0.93 mV, backward Euler). HH at 37 °C with dt = 0.025 ms (dt/τ = 20) does: its
    spike peak was 6.4 mV (backward Euler) and 3.3 mV (Crank–Nicolson) off, and at
    0.05 ms spikes were lost. Near threshold no `dt` is safe: a spike that a stimulus
    only just elicits may move or vanish with any change of `dt`.

    To silence it, ``warnings.simplefilter("ignore", eqcable.TimeStepWarning)``.
    """


# What to expect above MAX_DT_OVER_TAU, from the measurements above: (upper dt/τ, text).
_EXPECTED: dict[str, tuple[tuple[float, str], ...]] = {
    "BackwardEuler": (
        (5.0, "spike peaks up to 3.2 mV and spike times up to 0.25 ms off"),
        (10.0, "spike peaks up to 6.2 mV and spike times up to 0.3 ms off, and lost spikes"),
        (25.0, "spike peaks up to 28 mV off, lost spikes, voltages beyond E_Na"),
        (math.inf, "errors of 12 to 380 mV, spikes lost or added"),
    ),
    "CrankNicolson": (
        (5.0, "spike peaks up to 2.8 mV and spike times up to 0.03 ms off"),
        (10.0, "errors up to 20 mV, with voltages beyond E_Na"),
        (25.0, "errors up to 50 mV, spikes lost or added"),
        (math.inf, "errors of 8 to 660 mV: oscillations, spikes lost or added"),
    ),
}


def _channel_taus_impl(
    channel: AbstractChannel, nrows: int, celsius: Float[ArrayLike, ""]
) -> tuple[Float[Array, " nstates"], Float[Array, " nstates"]]:
    """Each state's fastest time constant (ms) over `V_GRID` and the `nrows` rows
    (compartments) of `channel`'s parameters, and the voltage (mV) where it is fastest."""
    dtype = jnp.result_type(celsius)
    names = channel.state_names
    # One-hot tangents: row j perturbs state j only, so output j's tangent is d x_j'/d x_j.
    basis = jnp.eye(len(names), dtype=dtype)[:, :, None] * jnp.ones(nrows, dtype)

    def diagonal(vv):
        v = jnp.full((nrows,), vv, dtype)
        ions = {q: jnp.full((nrows,), x, dtype) for q, x in default_ion_reads(channel).items()}
        ss = steady_states(channel, v, celsius, ions)
        x0 = {n: jnp.broadcast_to(jnp.asarray(ss[n], dtype), (nrows,)) for n in names}

        def update(x):
            new = channel.step({**x, **ions}, v, PROBE_DT, celsius)
            return jnp.stack([jnp.broadcast_to(new[n], (nrows,)) for n in names])

        def slopes(tangent):
            return jax.jvp(update, (x0,), (dict(zip(names, tangent, strict=True)),))[1]

        return jnp.diagonal(jax.vmap(slopes)(basis))  # (nrows, nstates)

    v_grid = jnp.asarray(V_GRID, dtype)
    s = jax.vmap(diagonal)(v_grid)  # (nv, nrows, nstates)
    relaxes = (s > 0) & (s < 1)  # False for NaN too
    tau = jnp.where(relaxes, -PROBE_DT / jnp.log(jnp.where(relaxes, s, 0.5)), jnp.inf)
    tau_v = jnp.min(tau, axis=1)  # (nv, nstates)
    return jnp.min(tau_v, axis=0), v_grid[jnp.argmin(tau_v, axis=0)]


# Compiled once per channel class and number of distinct parameter sets (see `_distinct`).
_channel_taus = eqx.filter_jit(_channel_taus_impl)


def _distinct(channel: AbstractChannel, mask) -> tuple[AbstractChannel, int] | None:
    """`channel` restricted to one compartment per distinct set of its parameter values
    among those where `mask` inserts it, and their number, padded to a power of two by
    repetition (a uniform channel on any cell is one row); ``None`` if it is nowhere."""
    where = np.flatnonzero(np.asarray(mask))
    if where.size == 0:
        return None
    ncomp = np.shape(mask)[0]
    arrays, rest = eqx.partition(channel, eqx.is_array)
    leaves, treedef = jax.tree.flatten(arrays)
    leaves = [np.asarray(x) for x in leaves]
    per_comp = [x.ndim > 0 and x.shape[0] == ncomp for x in leaves]
    rows = [x[where].reshape(where.size, -1) for x, p in zip(leaves, per_comp, strict=True) if p]
    rows = [r for r in rows if np.any(r != r[:1])]  # uniform parameters: nothing to sort
    if rows:
        _, first = np.unique(np.concatenate(rows, axis=1), axis=0, return_index=True)
        keep = where[np.sort(first)]
    else:
        keep = where[:1]
    size = 1 << (keep.size - 1).bit_length()
    keep = np.concatenate([keep, np.full(size - keep.size, keep[0])])
    leaves = [x[keep] if p else x for x, p in zip(leaves, per_comp, strict=True)]
    return eqx.combine(jax.tree.unflatten(treedef, leaves), rest), size


def _fastest_state(model: AbstractModel) -> tuple[float, str, str, float]:
    """``(τ, channel name, state name, voltage)`` of the fastest state; ``τ = inf`` and
    empty names if no inserted channel has a state with a time constant."""
    best = (math.inf, "", "", math.nan)
    celsius = np.asarray(model.celsius)
    for channel, mask in zip(model.channels, model.channel_masks, strict=True):
        if not channel.state_names:
            continue
        distinct = _distinct(channel, mask)
        if distinct is None:
            continue
        # Compiled ahead of time and run at once, so the values are concrete even when
        # `integrate` is traced inside someone's jit or vmap (a plain call would join
        # their trace; under `jax.ensure_compile_time_eval` it ran op by op, 1.6-2.3 s
        # per new size instead of 0.2-0.3 s). Lowering and compiling are cached by JAX.
        compiled = _channel_taus.lower(*distinct, celsius).compile()
        taus, volts = (np.asarray(a) for a in compiled(*distinct, celsius))
        k = int(np.argmin(taus))
        if taus[k] < best[0]:
            best = (float(taus[k]), channel.name, channel.state_names[k], float(volts[k]))
    return best


def fastest_time_constant(model: AbstractModel) -> float:
    """The fastest time constant (ms) of any state of `model`'s channels.

    The minimum over membrane voltages from −100 to +60 mV (`V_GRID`), at the model's
    temperature, over the compartments where each channel is inserted; estimated from the
    channels' own `step` (see `eqcable.simulation.timestep`), so it works for any
    `AbstractChannel`. For `HH` it is ``m``'s at −100 mV: 0.036 ms at 6.3 °C.

    **Arguments:** `model`, with concrete (not traced) values.

    **Returns:** τ in ms; ``inf`` if no inserted channel has a state (e.g. `Leak` only).
    """
    return _fastest_state(model)[0]


def _is_traced(*trees) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(trees))


def _round_down(x: float) -> float:
    """The largest of 1, 2, 2.5, 5 and 10 times a power of ten that is at most `x`."""
    scale = 10.0 ** math.floor(math.log10(x))
    return max(m * scale for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * scale <= x * (1 + 1e-12))


def check_time_step(model: AbstractModel, dt: float, stepper: AbstractStepper | None) -> None:
    """Warn a `TimeStepWarning` if `dt` exceeds twice the fastest time constant of
    `model`'s channel states (see `fastest_time_constant`).

    **Arguments:**

    - `model`: the model; nothing is checked if its channels or temperature are traced.
    - `dt`: the time step (ms).
    - `stepper`: `BackwardEuler()` or `CrankNicolson()` (``None``: backward Euler); it
      selects the measured accuracy that the message quotes.
    """
    if _is_traced(model.channels, model.channel_masks, model.celsius):
        return
    tau, channel, state, volt = _fastest_state(model)
    if not dt > MAX_DT_OVER_TAU * tau:
        return
    name = "BackwardEuler" if stepper is None else type(stepper).__name__
    ratio = dt / tau
    expected = next((text for upper, text in _EXPECTED.get(name, ()) if ratio <= upper), None)
    if expected is None:
        accuracy = f"eqcable has no measurements for {name}."
    else:
        accuracy = (
            f"In eqcable's HH measurements at such dt/τ (docs: Performance, Time step), "
            f"{name} gave {expected}."
        )
    largest = MAX_DT_OVER_TAU * tau
    celsius = float(np.asarray(model.celsius))
    message = (
        f"dt = {dt:g} ms is {ratio:.3g} times the fastest time constant of this model's "
        f"channels, τ = {tau:.3g} ms ({channel} state {state!r} at {volt:g} mV, "
        f"{celsius:g} °C). {accuracy} With dt <= 2τ = {largest:.3g} ms (e.g. dt = "
        f"{_round_down(largest):g}) spike peaks were within 1.6 mV. To silence it: "
        "warnings.simplefilter('ignore', eqcable.TimeStepWarning)."
    )
    warnings.warn(message, TimeStepWarning, stacklevel=user_frame(sys._getframe())[1])
