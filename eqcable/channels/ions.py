"""Ion species and the equations mechanisms use with them, as NEURON defines them.

- `Ion`: a species' valence and NEURON's default concentrations and reversal potential;
  `NEURON_IONS` holds ``na``, ``k`` and ``ca``.
- `nernst`: the reversal potential (mV) from the concentrations (mM), NEURON's
  ``nernst(ci, co, z)``.
- `ghk`: the Goldman–Hodgkin–Katz current for unit permeability, NEURON's
  ``ghk(v, ci, co, z)``: ``i (mA/cm²) = P (cm/s) · ghk(v, ci, co, z)``.

Both use NEURON's physical constants (`FARADAY`, `GAS_CONSTANT`, the 2019 SI values) and
its absolute temperature ``celsius + 273.15``, so that they equal NEURON's to round-off.
"""

import types
from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

#: Faraday's constant (C/mol), as NEURON (9) defines it.
FARADAY = 96485.33212331001
#: The molar gas constant (J/(K mol)), as NEURON (9) defines it.
GAS_CONSTANT = 8.31446261815324
#: 0 °C in K.
ZERO_CELSIUS = 273.15


class Ion(NamedTuple):
    """An ion species: its `valence` and NEURON's defaults, used where nothing sets them.

    - `valence`: the charge number ``z`` (e.g. 2 for Ca²⁺).
    - `ci`, `co`: internal and external concentration (mM).
    - `e`: reversal potential (mV).
    """

    valence: int
    ci: float
    co: float
    e: float


#: NEURON's built-in species and their defaults (``nai0_na_ion``, ``ena``, …). NEURON's
#: default ``eca`` (132.458 mV) is a constant, not the Nernst potential of the default
#: concentrations (127.6 mV at 6.3 °C).
NEURON_IONS = types.MappingProxyType(
    {
        "na": Ion(valence=1, ci=10.0, co=140.0, e=50.0),
        "k": Ion(valence=1, ci=54.4, co=2.5, e=-77.0),
        "ca": Ion(valence=2, ci=5e-5, co=2.0, e=132.4579341637009),
    }
)


def _thermal_voltage(celsius: Float[ArrayLike, "*#shape"]) -> Float[Array, "*shape"]:
    """``R T / F`` in mV."""
    return 1e3 * GAS_CONSTANT * (jnp.asarray(celsius) + ZERO_CELSIUS) / FARADAY


def nernst(
    ci: Float[ArrayLike, "*#shape"],
    co: Float[ArrayLike, "*#shape"],
    valence: int | float,
    celsius: Float[ArrayLike, "*#shape"],
) -> Float[Array, "*shape"]:
    """The Nernst potential ``(R T / z F) ln(co / ci)`` (mV), as NEURON's ``nernst``.

    **Arguments:** `ci`, `co` the internal and external concentrations (mM, > 0),
    `valence` the charge number ``z`` (non-zero), `celsius` the temperature (°C).

    **Raises:** `ValueError` for a zero `valence`.
    """
    if valence == 0:
        raise ValueError("nernst: the valence must be non-zero.")
    return _thermal_voltage(celsius) / valence * jnp.log(jnp.asarray(co) / jnp.asarray(ci))


def _efun(x):
    """``x / (exp(x) − 1)``, with NEURON's ``1 − x/2`` for ``|x| < 1e-4`` (the removable
    singularity at 0); the guard keeps the unused branch's gradient finite."""
    small = jnp.abs(x) < 1e-4
    safe = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0 - x / 2.0, safe / (jnp.exp(safe) - 1.0))


def ghk(
    v: Float[ArrayLike, "*#shape"],
    ci: Float[ArrayLike, "*#shape"],
    co: Float[ArrayLike, "*#shape"],
    valence: int | float,
    celsius: Float[ArrayLike, "*#shape"],
) -> Float[Array, "*shape"]:
    """The Goldman–Hodgkin–Katz current equation for a permeability of 1 cm/s, as
    NEURON's ``ghk``: a current density (mA/cm²) is ``P · ghk(v, ci, co, z)`` with the
    permeability ``P`` in cm/s. Outward positive, like every membrane current here.

    With ``w = z v F / (R T)``: ``1e-3 z F (ci·w/(1 − e^(−w)) − co·w/(e^w − 1))``, i.e.
    ``1e-3 z F w (ci − co e^(−w)) / (1 − e^(−w))``, continuous at ``v = 0``
    (``1e-3 z F (ci − co)``).

    **Arguments:** `v` the membrane voltage (mV), `ci`, `co` the internal and external
    concentrations (mM), `valence` the charge number ``z``, `celsius` the temperature
    (°C).
    """
    w = valence * jnp.asarray(v) / _thermal_voltage(celsius)
    inside = jnp.asarray(ci) * _efun(-w)
    outside = jnp.asarray(co) * _efun(w)
    return 1e-3 * valence * FARADAY * (inside - outside)
