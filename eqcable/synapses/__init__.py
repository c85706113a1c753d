"""Synapses: the interface (`AbstractSynapse`), one file per model, and spike inputs."""

from .base import AbstractSynapse as AbstractSynapse
from .connections import Connections as Connections
from .exp2syn import Exp2Syn as Exp2Syn
from .gap_junction import GapJunction as GapJunction
from .inputs import SpikeTrain as SpikeTrain, poisson_spike_train as poisson_spike_train
from .ionotropic import IonotropicSynapse as IonotropicSynapse
from .tanh_rate import TanhRateSynapse as TanhRateSynapse
