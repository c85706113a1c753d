"""Reading model files written by earlier versions whose arrays were laid out otherwise.

Before the ion layer (2026-12), `HH` held its own reversal potentials ``eNa`` and ``eK``
and models held no ion quantities. Such a file is read with `HH` in that older shape and
then converted: ``ena`` and ``ek`` take the saved values, everything else as saved.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ..channels.hh import HH
from ..channels.ion_use import parse, species_table
from ..modules.base import AbstractModule
from ..simulation.ions import ion_parameter_names


class HHWithReversals(eqx.Module):
    """`HH`'s arrays as files before the ion layer hold them (field order matters)."""

    gNa: Float[Array, " ncomp"]
    gK: Float[Array, " ncomp"]
    gLeak: Float[Array, " ncomp"]
    eNa: Float[Array, " ncomp"]
    eK: Float[Array, " ncomp"]
    eLeak: Float[Array, " ncomp"]


def hh_before_ion_layer(skeleton: AbstractModule) -> AbstractModule:
    """`skeleton` shaped as a file before the ion layer: `HH` with its reversal
    potentials, and no ion quantities."""

    def old(ch):
        if type(ch) is not HH:
            return ch
        zeros = jnp.zeros_like(ch.gNa)
        return HHWithReversals(zeros, zeros, zeros, zeros, zeros, zeros)

    channels = tuple(old(ch) for ch in skeleton.channels)
    return eqx.tree_at(lambda m: (m.channels, m.ions), skeleton, (channels, {}))


def hh_after_ion_layer(module: AbstractModule) -> AbstractModule:
    """`module`, read by `hh_before_ion_layer`'s skeleton, in today's shape."""
    channels, reversals = [], {}
    for ch in module.channels:
        if isinstance(ch, HHWithReversals):
            reversals = {"ena": ch.eNa, "ek": ch.eK}
            hh = jax.tree.map(jnp.zeros_like, HH())
            hh = eqx.tree_at(
                lambda h: (h.gNa, h.gK, h.gLeak, h.eLeak), hh, (ch.gNa, ch.gK, ch.gLeak, ch.eLeak)
            )
            ch = hh
        channels.append(ch)
    table = species_table(channels)
    n = module.v.shape[0]
    ions = {}
    for name in ion_parameter_names(channels):
        q = parse(name, table, "a model file")
        ions[name] = jnp.full((n,), getattr(table[q.species], q.kind), module.v.dtype)
    ions.update(reversals)
    return eqx.tree_at(lambda m: (m.channels, m.ions), module, (tuple(channels), ions))
