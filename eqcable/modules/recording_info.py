"""What the rows and columns of `integrate`'s result are: `RecordingInfo`.

`integrate` returns a bare array (so that it composes with `jit`, `grad` and `vmap`);
``module.recording_info(t_max, dt)`` describes it: the time of every column, and the
quantity, unit, site and a readable label of every row.
"""

import dataclasses

import numpy as np

from ..simulation.recording import recording_unit, synapse_group
from ..stimuli import check_time


@dataclasses.dataclass(frozen=True)
class RecordingInfo:
    """The labels of a result of `integrate`, of shape ``(nrows, ntime)``.

    - `time`: the time (ms) of each column, ``0, dt, ..., t_max``.
    - `names`: the recorded quantity of each row (``"v"``, ``"HH_m"``, ``"i_HH"``,
      ``"i_Exp2Syn"``).
    - `units`: its unit: ``"mV"`` for voltages, ``"mA/cm²"`` for channel current
      densities, ``"nA"`` for synaptic currents, ``"1"`` for dimensionless states.
    - `sites`: the compartment (flat index) or, for synapse quantities, the connection
      of each row.
    - `labels`: a readable label per row, e.g. ``"v, branch 1, comp 2"`` (in a network
      ``"v, cell 0, branch 1, comp 2"``; ``"i_Exp2Syn, connection 3"``).
    """

    time: np.ndarray
    names: tuple[str, ...]
    units: tuple[str, ...]
    sites: np.ndarray
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.names)

    def rows(self, name: str) -> np.ndarray:
        """The indices of the rows that record `name`.

        **Raises:** `ValueError` if nothing records `name`.
        """
        rows = np.flatnonzero([n == name for n in self.names])
        if rows.size == 0:
            raise ValueError(f"{name!r} is not recorded; recorded: {sorted(set(self.names))}.")
        return rows


def _compartment_labels(module) -> list[str]:
    """``"branch b, comp j"`` (with ``"cell c, "`` in front in a network) per compartment."""
    cell_nbranches = getattr(module, "cell_nbranches", None)  # only networks have cells
    first_branch = np.cumsum([0, *(cell_nbranches or ())])
    labels = []
    for b, n in enumerate(module.ncomp_per_branch):
        if cell_nbranches is None:
            where = f"branch {b}"
        else:
            c = int(np.searchsorted(first_branch, b, side="right")) - 1
            where = f"cell {c}, branch {b - first_branch[c]}"
        labels += [f"{where}, comp {j}" for j in range(n)]
    return labels


def recording_info(module, t_max: float, dt: float = 0.025) -> RecordingInfo:
    """The `RecordingInfo` of ``module.integrate(t_max=t_max, dt=dt)``.

    **Raises:** `ValueError` for a bad `dt`/`t_max` (as `integrate`).
    """
    nsteps = check_time(dt, t_max)
    synapses = module.synapses
    comp_labels = None
    names, units, sites, labels = [], [], [], []
    for rec in module.recordings:
        idx = np.asarray(rec.indices)
        unit = recording_unit(rec.name, module.channels, synapses)
        per_connection = synapse_group(rec.name, synapses) is not None
        if not per_connection and comp_labels is None:
            comp_labels = _compartment_labels(module)
        for i in idx:
            where = f"connection {i}" if per_connection else comp_labels[i]
            names.append(rec.name)
            units.append(unit)
            sites.append(int(i))
            labels.append(f"{rec.name}, {where}")
    return RecordingInfo(
        time=np.arange(nsteps + 1) * dt,
        names=tuple(names),
        units=tuple(units),
        sites=np.asarray(sites, dtype=int),
        labels=tuple(labels),
    )
