"""Write `hay_target.npy`, the "recording" tutorial 7 fits: NEURON (our NMODL files,
`tests/mod`) running Hay et al.'s L5PC on `l5pc_with_axon.swc` built by hand as in
`tests/test_hay.py`, with three densities changed from Hay et al.'s values (`TRUE`): the
soma's voltage (mV) every 0.025 ms from 0 to 50 ms, a 1 nA somatic step from 10 ms.

    pip install -e ".[test]" && python tutorials/data/make_hay_target.py
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[1] / "tests"))

from helpers import compile_mod_files  # noqa: E402
from neuron import h  # noqa: E402
from test_hay import SWC, neuron_hay  # noqa: E402

import eqcable as ec  # noqa: E402

DT, T_MAX = 0.025, 50.0
TRUE = {"gNaTa_tbar_NaTa_t": 1.6, "gSKv3_1bar_SKv3_1": 0.9}  # soma (S/cm²)
BASAL_G_PAS = 7e-5  # S/cm²


def main():
    with tempfile.TemporaryDirectory() as build:
        h.nrn_load_dll(str(compile_mod_files(Path(build))))
    cell, swc_map = ec.hay_l5pc(SWC, return_map=True)
    sections, segments = neuron_hay(cell, swc_map)
    for name, value in TRUE.items():
        setattr(sections["soma[0]"], name, value)
    for name, sec in sections.items():
        if name.startswith("dend"):
            sec.g_pas = BASAL_G_PAS
    h.celsius, h.dt = 34.0, DT
    stim = h.IClamp(segments[0])
    stim.delay, stim.dur, stim.amp = 10.0, 100.0, 1.0
    v = h.Vector().record(segments[0]._ref_v)
    h.finitialize(-80.0)
    for _ in range(int(round(T_MAX / DT))):
        h.fadvance()
    np.save(HERE / "hay_target.npy", np.asarray(v))


if __name__ == "__main__":
    main()
