"""From a model's geometry to the electrical system of its tree, once per simulation.

The tree's nodes are compartments and branch points (`CellStructure`). Everything here is
per node, in absolute units: capacitance in nF, conductances in µS, with
``to_absolute`` turning densities (mA/cm², S/cm²) into currents (nA) and conductances (µS).
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PyTree, Shaped

from ..solvers.stepping import axial_diagonal
from ..solvers.tree_solve import TreeSchedule
from .model import AbstractModel


class System(eqx.Module):
    """The electrical system of a model's tree (per node).

    - `capacitance`: membrane capacitance (nF); 0 at branch points, and 1 at the padding
      nodes of the run layout (no compartment, no edge), which keeps their row of the
      tree system ``1/dt · Δ = 0`` (their voltage never changes).
    - `to_absolute`: the factor from densities to absolute values (``1e-2 ×`` area in
      µm²): mA/cm² → nA and S/cm² → µS; 0 at branch points.
    - `g_axial`: axial conductance from each node to its parent (µS); 0 at roots.
    - `axial_diag`: the diagonal of the axial-conductance matrix (µS).
    - `node_comp`: the compartment each node reads its values from (branch points copy
      compartment 0); `is_comp`: whether a node is a compartment.
    - `comp_to_node`: the node of each compartment; `tree`: the tree schedule.
    - The time loop keeps the membrane (channel parameters, masks, states, ions) per
      compartment, in *membrane order*: sorted by node, so that moving values between
      membrane and nodes at every step reads memory in order. `membrane_comp`: the
      compartment of each membrane entry; `membrane_node`: its node (increasing);
      `comp_membrane`: the entry of each compartment; `node_membrane`: the entry each node
      reads (0 where there is no compartment).
    """

    capacitance: Float[Array, " nnodes"]
    to_absolute: Float[Array, " nnodes"]
    g_axial: Float[Array, " nnodes"]
    axial_diag: Float[Array, " nnodes"]
    node_comp: Int[Array, " nnodes"]
    is_comp: Bool[Array, " nnodes"]
    comp_to_node: Int[Array, " ncomp"]
    tree: TreeSchedule
    membrane_comp: Int[Array, " ncomp"]
    membrane_node: Int[Array, " ncomp"]
    comp_membrane: Int[Array, " ncomp"]
    node_membrane: Int[Array, " nnodes"]

    def nodes(self, x: Shaped[Array, " ncomp"]) -> Shaped[Array, " nnodes"]:
        """A per-compartment array as a per-node one (branch points copy compartment 0)."""
        return x[self.node_comp]

    def to_membrane(self, tree: PyTree) -> PyTree:
        """`tree` with every per-compartment array leaf (leading axis of size ``ncomp``)
        in membrane order; other leaves (scalars) as they are."""
        ncomp = self.comp_to_node.shape[0]

        def leaf(x):
            per_comp = eqx.is_array(x) and x.ndim > 0 and x.shape[0] == ncomp
            return x[self.membrane_comp] if per_comp else x

        return jax.tree.map(leaf, tree)


def electrical_system(model: AbstractModel) -> System:
    """The `System` of `model`: membrane areas and capacitances, and axial conductances.

    The axial resistance between a node and its parent (MΩ) is the node's own proximal
    half (a compartment's; branch points have none) plus, within a branch, the distal
    half of the compartment before it. A child hanging from another branch's node adds
    nothing on the parent side, as in NEURON.
    """
    s = model.structure
    is_comp = s.node_to_comp >= 0
    n2c = jnp.where(is_comp, s.node_to_comp, 0)
    radius, length = model.radius[n2c], model.length[n2c]
    area = jnp.where(is_comp, 2.0 * math.pi * radius * length * model.area_scale[n2c], 0.0)
    half_r = 0.5e-2 * model.axial_resistivity * model.length / (math.pi * model.radius**2)
    own = jnp.where(is_comp, (half_r * model.r_proximal_scale)[n2c], 0.0)
    has_half = s.parent_half >= 0
    distal = half_r * model.r_distal_scale
    parent_side = jnp.where(has_half, distal[jnp.where(has_half, s.parent_half, 0)], 0.0)
    has_parent = s.tree.parent >= 0
    g_axial = jnp.where(has_parent, 1.0 / jnp.where(has_parent, own + parent_side, 1.0), 0.0)
    has_edge = jnp.zeros(is_comp.shape, bool).at[s.tree.all_children].set(True)
    padding = ~is_comp & ~has_edge.at[s.tree.all_parents].set(True)
    # Membrane order: the compartments in the order of their nodes.
    node_membrane = jnp.where(is_comp, jnp.cumsum(is_comp) - 1, 0)
    membrane_node = jnp.nonzero(is_comp, size=s.comp_to_node.shape[0])[0]
    return System(
        capacitance=jnp.where(padding, 1.0, 1e-5 * model.capacitance[n2c] * area),
        to_absolute=1e-2 * area,
        g_axial=g_axial,
        axial_diag=axial_diagonal(g_axial, s.tree),
        node_comp=n2c,
        is_comp=is_comp,
        comp_to_node=s.comp_to_node,
        tree=s.tree,
        membrane_comp=n2c[membrane_node],
        membrane_node=membrane_node,
        comp_membrane=node_membrane[s.comp_to_node],
        node_membrane=node_membrane,
    )
