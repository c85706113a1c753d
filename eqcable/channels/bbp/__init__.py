"""The Hay et al. (2011) / Blue Brain channel catalogue, named as its NMODL files.

Each class is named by its file's ``SUFFIX`` and its fields by the file's ``RANGE``
parameters, so ``cell.set("NaTs2_t_gNaTs2_tbar", 0.9)`` reads as ``gNaTs2_tbar_NaTs2_t =
0.9`` does in NEURON. Conductance densities in S/cm², the reversal potentials are the ion
quantities (``ena``, ``ek``, ``eca``; set them with ``cell.set("ek", -85.0)``), and rates
scale with the cell's ``celsius`` (°C; the published models run at 34 °C) as
``2.3^((celsius − 21)/10)`` where the channel has a temperature dependence.

- sodium: `NaTa_t`, `NaTs2_t` (transient), `Nap_Et2` (persistent);
- potassium: `K_Pst` (persistent), `K_Tst` (transient), `SKv3_1` (Kv3.1), `Im`
  (muscarinic);
- calcium: `Ca_HVA`, `Ca_LVAst` (high- and low-voltage activated), `SK_E2` (calcium
  activated potassium), `CaDynamics_E2` (intracellular calcium: influx and decay);
- `Ih`: the non-specific hyperpolarisation-activated cation current.
"""

from .calcium import (
    SK_E2 as SK_E2,
    Ca_HVA as Ca_HVA,
    Ca_LVAst as Ca_LVAst,
    CaDynamics_E2 as CaDynamics_E2,
)
from .ih import Ih as Ih
from .potassium import Im as Im, K_Pst as K_Pst, K_Tst as K_Tst, SKv3_1 as SKv3_1
from .sodium import Nap_Et2 as Nap_Et2, NaTa_t as NaTa_t, NaTs2_t as NaTs2_t
