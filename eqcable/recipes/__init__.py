"""Published models as one call: channels, densities and distance rules applied to a
morphology."""

from . import hay as hay
from .hay import (
    apical_distance as apical_distance,
    apical_path as apical_path,
    hay_l5pc as hay_l5pc,
)
