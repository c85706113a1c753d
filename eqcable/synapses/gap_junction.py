"""Gap junctions: ohmic electrical coupling between two compartments.

How they enter the step (and why): **semi-implicitly**, as NEURON's common "half-gap"
idiom (a point process on each side whose current ``g (v − v_partner)`` reads the
partner's voltage through a ``POINTER``) and as Arbor does. On each side, the current is
linearised in the compartment's own voltage (implicit, its slope ``g`` joins the tree
system's diagonal) and takes the partner's voltage from the start of the step (explicit).
So each cell stays a tree: the O(n) tree solve, its custom JVP and the choice of solver
are unchanged, a network with gap junctions costs one more gather and scatter per step,
and cells on different devices only need each other's voltages once per step. The price
is a stability bound on the explicit part, far above real junctions: the partner's
voltage enters with the factor ``g dt / C`` (conductance µS, step ms, capacitance of the
smaller compartment nF), which must stay well below 1 (0.0025 for 1 nS, 0.025 ms and a
10 pF compartment). A fully implicit junction would need a correction of the tree solve
per junction (a low-rank update) on every step.
"""

from typing import ClassVar

from jaxtyping import ArrayLike

from ..channels.parameter import parameter
from .base import AbstractSynapse


class GapJunction(AbstractSynapse):
    """An ohmic gap junction of conductance `g` (µS, default 1e-3 = 1 nS) between its
    "pre" and "post" compartments, symmetric: the current ``g (v_post − v_pre)`` (nA,
    outward positive) leaves the post compartment and the opposite one the pre
    compartment, each side implicit in its own voltage and explicit in the partner's
    (see `eqcable.synapses.gap_junction`). It equals NEURON's pair of half-gaps.

    Connect it with `Network.connect` (delay 0, compartments on both sides) or
    `Network.connect_gap_junctions` for many pairs; ``"GapJunction_g"`` is trainable per
    junction or shared, and ``"i_GapJunction"`` records the current leaving the post side.
    """

    g: ArrayLike = parameter(1e-3, "µS", ge=0.0)
    state_names: ClassVar[tuple[str, ...]] = ()
    reciprocal: ClassVar[bool] = True

    def init_states(self):
        return {}

    def step(self, states, pre, v_post, dt):
        return states

    def current(self, states, pre, v_post):
        return self.g * (v_post - pre)
