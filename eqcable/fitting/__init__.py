"""Fitting helpers: transforms between physical and unconstrained parameters."""

from .transforms import (
    AbstractTransform as AbstractTransform,
    Affine as Affine,
    Chain as Chain,
    Exp as Exp,
    Identity as Identity,
    Sigmoid as Sigmoid,
    Softplus as Softplus,
    constrain as constrain,
    unconstrain as unconstrain,
)
