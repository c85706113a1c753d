"""`Connections`: all connections of one synapse type, as a network stores them."""

import equinox as eqx
from jaxtyping import Array, Float, Int

from .base import AbstractSynapse


class Connections(eqx.Module):
    """All connections of one synapse type.

    **Fields:**

    - `synapse`: the synapse, each parameter an array with one value per connection.
    - `pre`: presynaptic compartment of each connection (flat network index), or
      ``-1 - k`` for the network's input spike train ``k``.
    - `post`: postsynaptic compartment of each connection.
    - `states`: the synapse states, one value per connection.
    - `delay`: delay of each connection (ms); static, as it sets buffer sizes.
    """

    synapse: AbstractSynapse
    pre: Int[Array, " nconn"]
    post: Int[Array, " nconn"]
    states: dict[str, Float[Array, " nconn"]]
    delay: tuple[float, ...] = eqx.field(static=True)

    @property
    def size(self) -> int:
        """Number of connections."""
        return len(self.delay)
