"""One implicit voltage step of the cable equation, from linearised membrane currents.

All quantities are per node of the tree (compartments and branch points) in absolute
units: capacitance in nF, conductances in µS, currents in nA, voltage in mV, time in ms
(nF·mV/ms = µS·mV = nA).

As in NEURON's fixed step, the unknown is the voltage change ``Δ``:
``(c·C/dt + G + L) Δ = I_ext − I_mem(v) − L v``, then ``v ← v + c·Δ``, where ``L`` is the
axial-conductance (graph Laplacian) matrix, ``G = dI_mem/dv`` and ``c = 1`` for backward
Euler, ``c = 2`` for Crank–Nicolson (a backward-Euler half step, then extrapolation to the
full step, which is what NEURON's ``secondorder = 1`` does).
"""

import abc
from typing import ClassVar

import equinox as eqx
from jaxtyping import Array, Float

from .tree_solve import AbstractTreeSolver, TreeSchedule, tree_matvec, tree_solve


class AbstractStepper(eqx.Module):
    """A time-stepping rule for the voltage equation."""

    factor: eqx.AbstractClassVar[float]

    @property
    @abc.abstractmethod
    def neuron_secondorder(self) -> int:
        """The value of NEURON's ``secondorder`` that gives the same scheme."""


class BackwardEuler(AbstractStepper):
    """Backward (implicit) Euler, first order. NEURON's default (``secondorder = 0``)."""

    factor: ClassVar[float] = 1.0

    @property
    def neuron_secondorder(self) -> int:
        return 0


class CrankNicolson(AbstractStepper):
    """Crank–Nicolson, second order in ``dt`` for the voltage. NEURON's ``secondorder = 1``."""

    factor: ClassVar[float] = 2.0

    @property
    def neuron_secondorder(self) -> int:
        return 1


def axial_diagonal(
    g_axial: Float[Array, " nnodes"], schedule: TreeSchedule
) -> Float[Array, " nnodes"]:
    """Diagonal of the axial-conductance matrix: the sum of each node's axial conductances.

    ``g_axial[i]`` (µS) couples node ``i`` to its parent (0 at roots).
    """
    c, p = schedule.all_children, schedule.all_parents
    return g_axial.at[p].add(g_axial[c])


def voltage_step(
    v: Float[Array, " nnodes"],
    capacitance: Float[Array, " nnodes"],
    g_membrane: Float[Array, " nnodes"],
    i_membrane: Float[Array, " nnodes"],
    i_external: Float[Array, " nnodes"],
    g_axial: Float[Array, " nnodes"],
    axial_diag: Float[Array, " nnodes"],
    dt: float,
    stepper: AbstractStepper,
    solver: AbstractTreeSolver,
    schedule: TreeSchedule,
) -> Float[Array, " nnodes"]:
    """Advance the node voltages by one step.

    **Arguments:**

    - `v`: voltages (mV).
    - `capacitance`: membrane capacitance of each node (nF); 0 at branch points.
    - `g_membrane`: ``dI_mem/dv`` (µS).
    - `i_membrane`: outward membrane current at ``v`` (nA).
    - `i_external`: injected (inward-positive) current (nA).
    - `g_axial`: axial conductance from each node to its parent (µS).
    - `axial_diag`: `axial_diagonal(g_axial, schedule)`.
    - `dt`: time step (ms).
    - `stepper`, `solver`, `schedule`: the scheme, the tree solver and the tree.

    **Returns:** the voltages one step later (mV).
    """
    c = stepper.factor
    u = -g_axial
    d = (c / dt) * capacitance + g_membrane + axial_diag
    rhs = i_external - i_membrane - tree_matvec(axial_diag, u, v, schedule)
    delta = tree_solve(solver, d, u, rhs, schedule)
    return v + c * delta
