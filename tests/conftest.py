from pathlib import Path

import jax
import pytest

# Accuracy is asserted throughout the suite (NEURON parity to 1e-6 mV, finite-difference
# gradients to 1e-5), so the tests run in float64.
jax.config.update("jax_enable_x64", True)

_MAPS = Path("/proc/self/maps")
_MAX_MAP_COUNT = Path("/proc/sys/vm/max_map_count")


@pytest.fixture(autouse=True)
def _release_compiled_programs():
    """Drop JAX's compiled programs once the process holds half the memory mappings Linux
    allows.

    XLA-CPU maps about three pages (code, constants, data) per compiled kernel and keeps
    them while the executable stays in JAX's caches; a simulation is one executable of
    40-80 kernels. The suite compiles over a thousand distinct programs in one process,
    and past ``vm.max_map_count`` (65,530 by default) the next compilation segfaults
    inside XLA. Clearing the caches unmaps them; later tests recompile what they need.
    """
    yield
    if not (_MAPS.exists() and _MAX_MAP_COUNT.exists()):
        return
    limit = int(_MAX_MAP_COUNT.read_text())
    with _MAPS.open() as maps:
        count = sum(1 for _ in maps)
    if count > limit // 2:
        jax.clear_caches()
