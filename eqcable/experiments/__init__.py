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
from .extracellular import (
    extracellular_potential as extracellular_potential,
    line_source_matrix as line_source_matrix,
    linear_probe as linear_probe,
    point_source_matrix as point_source_matrix,
)
from .spikes import (
    Spikes as Spikes,
    soft_spike_count as soft_spike_count,
    spike_times as spike_times,
)
