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


X_ION = ec.Ion(valence=2, ci=1.0, co=10.0, e=0.0)


class XLeak(ec.AbstractChannel):
    """A leak carrying a user-defined divalent species ``x``."""

    gX: ArrayLike = 1e-4  # S/cm²
    state_names: ClassVar = ()
    ion_reads: ClassVar = ("ex",)
    ion_writes: ClassVar = ("ix",)
    ion_species: ClassVar = {"x": X_ION}

    def steady_state(self, v, celsius, ions):
        return {}

    def step(self, states, v, dt, celsius):
        return {}

    def current(self, states, v):
        return self.gX * (v - states["ex"])


class XPool(ec.AbstractChannel):
    """Integrates ``xi`` from the ``x`` current (a shell 0.1 µm deep, no decay)."""

    gDummy: ArrayLike = 0.0  # S/cm²
    state_names: ClassVar = ()
    ion_reads: ClassVar = ("ix",)
    ion_writes: ClassVar = ("xi",)
    ion_species: ClassVar = {"x": X_ION}

    def steady_state(self, v, celsius, ions):
        return {}

    def step(self, states, v, dt, celsius):
        flux = -1e4 * states["ix"] / (2 * ec.channels.ions.FARADAY * 0.1)  # mM/ms
        return {"xi": states["xi"] + dt * flux}

    def current(self, states, v):
        return self.gDummy * v


def test_a_user_defined_species_follows_nernst_with_its_valence():
    cell = _cell().insert(XLeak()).branch(0).comp(0).insert(XPool())
    assert cell.get("xo")[0] == 10.0 and cell.get("ex")[0] == 0.0
    cell = cell.comp(2).set("ex", 5.0).set("celsius", 20.0)
    cell = cell.comp(0).record("xi", "ex", "ix").comp(2).record("ex")
    xi, ex, ix, ex_fixed = np.asarray(cell.integrate(t_max=T_MAX, dt=DT))
    assert np.ptp(xi) > 1e-3  # the pool fills (x flows in below ex)
    np.testing.assert_allclose(ex, ec.nernst(xi, 10.0, 2, 20.0), rtol=1e-13)
    # A step's current is taken at the voltage and reversal potential of its start: the
    # values recorded one step earlier (at time 0, those of time 0).
    v = np.asarray(_trace_v(cell))
    np.testing.assert_allclose(ix[1:], 1e-4 * (v[:-1] - ex[:-1]), rtol=1e-10)
    np.testing.assert_allclose(ix[0], 1e-4 * (v[0] - ex[0]), rtol=1e-12)
    assert np.all(ex_fixed == 5.0)  # no concentration mechanism there: the value set


def _trace_v(cell):
    return cell.comp(0).record("v").integrate(t_max=T_MAX, dt=DT)[-1]


def test_a_species_defined_twice_differently_is_refused():
    class OtherX(XLeak):
        ion_species: ClassVar = {"x": ec.Ion(valence=1, ci=1.0, co=10.0, e=0.0)}

    with pytest.raises(ValueError, match="declares the ion species 'x'"):
        _cell().insert(XLeak()).insert(OtherX())
