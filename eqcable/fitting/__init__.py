"""Fitting helpers: bounded-parameter transforms, a fitting loop, sweeps across devices."""

from .loop import FitResult as FitResult, fit as fit
from .sweeps import sharded_vmap as sharded_vmap
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
