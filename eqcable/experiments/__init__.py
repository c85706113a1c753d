"""Experiment interfaces: voltage and data clamps, extracellular potentials, spike outputs.

Small objects the time step composes (clamps), and array functions on recordings
(extracellular potentials, spike times), independent of the modules users hold.
"""

from .clamps import (
    AbstractVoltageClamp as AbstractVoltageClamp,
    DataClamp as DataClamp,
    IdealClamp as IdealClamp,
    SEClamp as SEClamp,
)
from .spikes import (
    Spikes as Spikes,
    soft_spike_count as soft_spike_count,
    spike_times as spike_times,
)
