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
from jaxtyping import Array, Bool, Float, Int

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
    hold: tuple[Int[Array, " k"], Float[Array, " k"], Bool[Array, " k"]] | None = None,
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
    - `hold`: optionally ``(nodes, v_new, active)``: distinct nodes whose new voltage is
      given (mV) where `active`, as by an ideal voltage clamp (`hold_nodes`).

    **Returns:** the voltages one step later (mV).
    """
    c = stepper.factor
    u = -g_axial
    d = (c / dt) * capacitance + g_membrane + axial_diag
    rhs = i_external - i_membrane - axial_current(g_axial, v, schedule)
    if hold is None:
        return v + c * tree_solve(solver, d, u, rhs, schedule)
    nodes, target, active = hold
    x = (target - v[nodes]) / c
    d, u, rhs = hold_nodes(d, u, rhs, schedule.parent, nodes, x, active)
    v_new = v + c * tree_solve(solver, d, u, rhs, schedule)
    return v_new.at[nodes].set(jnp.where(active, target, v_new[nodes]))


def hold_nodes(
    d: Float[Array, " nnodes"],
    u: Float[Array, " nnodes"],
    rhs: Float[Array, " nnodes"],
    parent: Int[Array, " nnodes"],
    nodes: Int[Array, " k"],
    x: Float[Array, " k"],
    active: Bool[Array, " k"] | None = None,
) -> tuple[Float[Array, " nnodes"], Float[Array, " nnodes"], Float[Array, " nnodes"]]:
    """The tree system ``(d, u, rhs)`` with the unknowns at `nodes` fixed to `x` (where
    `active`, default everywhere; `nodes` distinct): their
    rows become ``x_i = x``, and their couplings to the other nodes move to the right-hand
    side. The result is again a tree system (some edges cut), so any tree solver and its
    custom JVP apply; the other unknowns are those of the original system with `x` given.
    """
    active = jnp.ones(nodes.shape, bool) if active is None else active
    held = jnp.zeros(d.shape, bool).at[nodes].set(active)
    known = jnp.zeros_like(rhs).at[nodes].set(jnp.where(active, x, 0.0))
    root = parent < 0
    to = jnp.where(root, jnp.arange(parent.shape[0]), parent)
    cut = ~root & (held | held[to])  # edges between a held node and its parent
    # A free child of a held parent, and a free parent of a held child, see the held
    # value through their coupling: move it to their right-hand side.
    rhs = rhs - jnp.where(cut & ~held, u * known[to], 0.0)
    rhs = rhs.at[to].add(-jnp.where(cut & held & ~held[to], u * known, 0.0))
    d = jnp.where(held, 1.0, d)
    rhs = jnp.where(held, known, rhs)
    return d, jnp.where(cut, 0.0, u), rhs
