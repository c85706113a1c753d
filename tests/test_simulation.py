"""The time loop's own interfaces: ion quantities between mechanisms, and recordings."""

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import ArrayLike

import eqcable as ec

DT, T_MAX = 0.025, 3.0


class CaLeak(ec.AbstractChannel):
    """A leak that carries calcium: its current is written as ``ica``."""

    gCa: ArrayLike = 1e-4  # S/cm²
    eCa: ArrayLike = 120.0  # mV
    state_names: ClassVar = ()
    ion_writes: ClassVar = ("ica",)

    def steady_state(self, v, celsius):
        return {}

    def step(self, states, v, dt, celsius):
        return {}

    def current(self, states, v):
        return self.gCa * (v - self.eCa)


class CaSensor(ec.AbstractChannel):
    """Carries no current; its state copies the calcium current it reads."""

    gDummy: ArrayLike = 0.0  # S/cm²
    state_names: ClassVar = ("seen",)
    ion_reads: ClassVar = ("ica",)

    def steady_state(self, v, celsius, ions):
        return {"seen": jnp.zeros_like(v)}

    def step(self, states, v, dt, celsius):
        return {"seen": states["ica"] + 0.0 * v}

    def current(self, states, v):
        return self.gDummy * v


def _cell():
    cell = ec.Cell([ec.Branch(ec.Compartment(), ncomp=4)], parents=[-1]).insert(ec.HH())
    return cell.comp(0).stimulate(ec.step_current(0.5, 1.0, 0.2, DT, T_MAX))


def test_mechanisms_read_the_ion_currents_others_write():
    cell = _cell().insert(CaLeak()).insert(CaSensor())
    cell = cell.comp(1).record("i_CaLeak").comp(1).record("CaSensor_seen")
    i_ca, seen = np.asarray(cell.integrate(t_max=T_MAX, dt=DT))
    # The state update of step k reads the ion current of step k's current phase, which
    # is taken at the voltage at the step's start: the current recorded one step earlier.
    np.testing.assert_allclose(seen[1:], i_ca[:-1], rtol=1e-13, atol=0.0)
    assert np.ptp(seen[1:]) > 1e-6  # the stimulus moves it


def test_an_ion_current_nobody_carries_is_zero():
    # As in NEURON: a species' current is the sum of what the mechanisms carrying it write.
    cell = _cell().insert(CaSensor()).comp(1).record("CaSensor_seen")
    seen = np.asarray(cell.integrate(t_max=T_MAX, dt=DT))
    assert np.all(seen == 0.0)


def test_unknown_ion_quantities_are_refused_when_the_mechanism_is_built():
    class Odd(CaSensor):
        ion_reads: ClassVar = ("ixyz",)

    with pytest.raises(ValueError, match="Odd names the ion quantity 'ixyz', which belongs"):
        Odd()

    class WritesReversal(CaSensor):
        ion_writes: ClassVar = ("eca",)

    with pytest.raises(ValueError, match="WritesReversal writes 'eca': a reversal potential"):
        WritesReversal()


def test_recordings_come_back_in_the_order_they_were_made():
    cell = _cell()
    calls = [(2, "v"), (1, "HH_m"), (0, "v"), (3, "i_HH"), (0, "i_HH"), (1, "v")]
    together = cell
    for comp, name in calls:
        together = together.comp(comp).record(name)
    rows = np.asarray(together.integrate(t_max=T_MAX, dt=DT))
    for row, (comp, name) in zip(rows, calls, strict=True):
        alone = cell.comp(comp).record(name).integrate(t_max=T_MAX, dt=DT)
        np.testing.assert_array_equal(row, np.asarray(alone)[0])
