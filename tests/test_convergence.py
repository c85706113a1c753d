"""Convergence order in dt: backward Euler is first order, Crank–Nicolson second order.

A passive branched cell (linear, so Crank–Nicolson's second order is not spoiled by the
staggered gate update), driven by a current that is constant after t = 0; the reference is
the same scheme at a much smaller dt.
"""

import numpy as np
import pytest

import eqcable as ec

T_MAX = 2.0


def _cell():
    branch = ec.Branch(ec.Compartment(radius=0.5, length=50.0), ncomp=4)
    cell = ec.Cell([branch, branch, branch], parents=[-1, 0, 0])
    return cell.insert(ec.Leak(gLeak=1e-3, eLeak=-65.0)).comp([0, 7, 11]).record()


def _error(stepper, dt, reference):
    cell = _cell().comp(5).stimulate(np.full(int(round(T_MAX / dt)) + 1, 0.02))
    v = np.asarray(cell.integrate(t_max=T_MAX, dt=dt, stepper=stepper))
    return np.max(np.abs(v[:, -1] - reference))


@pytest.mark.parametrize("stepper,order", [(ec.BackwardEuler(), 1), (ec.CrankNicolson(), 2)])
def test_convergence_order(stepper, order):
    fine = 0.1 / 256
    cell = _cell().comp(5).stimulate(np.full(int(round(T_MAX / fine)) + 1, 0.02))
    reference = np.asarray(cell.integrate(t_max=T_MAX, dt=fine, stepper=stepper))[:, -1]
    errors = [_error(stepper, dt, reference) for dt in (0.1, 0.05, 0.025)]
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert errors[-1] > 0
    np.testing.assert_allclose(rates, order, atol=0.15)
