"""Writing a channel: the AbstractChannel interface, several channels in one compartment."""

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike

import eqcable as ec
from eqcable.channels.hh import _rates


class Na_T(ec.AbstractChannel):
    """HH's sodium current as its own channel (a name with an underscore, on purpose)."""

    gNa: ArrayLike = 0.12  # S/cm²
    eNa: ArrayLike = 50.0  # mV
    state_names: ClassVar = ("m", "h")

    def steady_state(self, v, celsius):
        m_inf, _, h_inf, _, _, _ = _rates(v, celsius)
        return {"m": m_inf, "h": h_inf}

    def step(self, states, v, dt, celsius):
        m_inf, m_tau, h_inf, h_tau, _, _ = _rates(v, celsius)
        return {
            "m": ec.exponential_euler(states["m"], m_inf, m_tau, dt),
            "h": ec.exponential_euler(states["h"], h_inf, h_tau, dt),
        }

    def current(self, states, v):
        return self.gNa * states["m"] ** 3 * states["h"] * (v - self.eNa)


class Kdr(ec.AbstractChannel):
    """HH's potassium current."""

    gK: ArrayLike = 0.036  # S/cm²
    eK: ArrayLike = -77.0  # mV
    state_names: ClassVar = ("n",)

    def steady_state(self, v, celsius):
        return {"n": _rates(v, celsius)[4]}

    def step(self, states, v, dt, celsius):
        _, _, _, _, n_inf, n_tau = _rates(v, celsius)
        return {"n": ec.exponential_euler(states["n"], n_inf, n_tau, dt)}

    def current(self, states, v):
        return self.gK * states["n"] ** 4 * (v - self.eK)


def _cell():
    comp = ec.Compartment(radius=3.0, length=10.0)
    cell = ec.Cell([ec.Branch(comp, ncomp=3), ec.Branch(comp, ncomp=2)], parents=[-1, 0])
    return cell.comp(0).stimulate(ec.step_current(1.0, 2.0, 0.2, 0.025, 10.0))


def test_user_channels_sum_to_hh():
    hh = _cell().insert(ec.HH()).set("celsius", 20.0).comp([0, 4]).record()
    split = (
        _cell()
        .insert(Na_T())
        .insert(Kdr())
        .insert(ec.Leak(gLeak=0.0003, eLeak=-54.3))
        .set("celsius", 20.0)
        .comp([0, 4])
        .record()
    )
    v_hh, v_split = hh.integrate(t_max=10.0), split.integrate(t_max=10.0)
    assert float(v_hh.max()) > 20.0
    np.testing.assert_allclose(v_split, v_hh, atol=1e-9)


def test_user_channel_names_and_records():
    cell = _cell().insert(Na_T()).insert(Kdr())
    assert "Na_T_gNa" in cell.quantity_names() and "Na_T_m" in cell.recordable_names()
    cell = cell.set("Na_T_gNa", 0.2).make_trainable("Kdr_gK")
    assert float(cell.get("Na_T_gNa")[0]) == 0.2
    rec = cell.comp(0).record("Na_T_h").comp(0).record("i_Kdr").integrate(t_max=2.0)
    assert rec.shape == (2, 81) and bool(jnp.all(jnp.isfinite(rec)))
