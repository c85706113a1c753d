"""One implicit voltage step of the cable equation, from linearised membrane currents.

All quantities are per node of the tree (compartments and branch points) in absolute
units: capacitance in nF, conductances in µS, currents in nA, voltage in mV, time in ms
(nF·mV/ms = µS·mV = nA).

As in NEURON's fixed step, the unknown is the voltage change ``Δ``:
``(c·C/dt + G + L) Δ = I_ext − I_mem(v) − L v``, then ``v ← v + c·Δ``, where ``L`` is the
axial-conductance (graph Laplacian) matrix, ``G = dI_mem/dv`` and ``c = 1`` for backward
Euler, ``c = 2`` for Crank–Nicolson (a backward-Euler half step, then extrapolation to the
full step, which is what NEURON's ``secondorder = 1`` does).

The axial current ``L v`` is summed edge by edge from voltage differences,
``g (v_i − v_j)``, as NEURON does, and not as ``diag(L) v − (off-diagonal) v``: with
``v ≈ −65 mV`` on both ends, the latter subtracts two currents of about ``65 g`` to get one
of ``g |v_i − v_j|``. In float32 the rounding of the two, and of their derivatives w.r.t.
the conductances, put gradients w.r.t. length, radius and axial resistivity about 1% off
(see "Precision" in the docs); in float64 both forms agree to round-off.
"""

import abc
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .tree_solve import AbstractTreeSolver, TreeSchedule, tree_solve


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


def axial_current(
    g_axial: Float[Array, " nnodes"], v: Float[Array, " nnodes"], schedule: TreeSchedule
) -> Float[Array, " nnodes"]:
    """``L v``: the current (nA) that leaves each node through its axial conductances.

    Summed from voltage differences, ``g_axial[i] (v[i] − v[parent[i]])`` per edge, which
    are exact in floating point for nearby voltages (no cancellation of ``g·v`` terms).
    One gather and one scatter: roots stand for their own parent, with no current.
    """
    parent = schedule.parent
    root = parent < 0
    to = jnp.where(root, jnp.arange(parent.shape[0]), parent)
    edge = jnp.where(root, 0.0, g_axial * (v - v[to]))  # from node i to its parent
    return edge.at[to].add(-edge)


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
    rhs = i_external - i_membrane - axial_current(g_axial, v, schedule)
    delta = tree_solve(solver, d, u, rhs, schedule)
    return v + c * delta
