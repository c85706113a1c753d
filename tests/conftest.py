import jax
import pytest

# Accuracy is asserted throughout the suite (NEURON parity to 1e-6 mV, finite-difference
# gradients to 1e-5), so the tests run in float64.
jax.config.update("jax_enable_x64", True)


@pytest.fixture(autouse=True)
def _release_compiled_programs():
    """Drop JAX's compiled programs once the process holds half the memory mappings Linux
    allows.

    XLA-CPU maps about three pages per compiled kernel and keeps them while the program is
    cached (`eqcable.MemoryMapWarning`); the suite compiles over a thousand distinct
    programs in one process, and past ``vm.max_map_count`` the next compilation segfaults.
    Later tests recompile what they need.
    """
    yield
    from eqcable.simulation import mapping_usage  # after jaxtyping's import hook

    usage = mapping_usage()
    if usage is not None and usage[0] > usage[1] // 2:
        jax.clear_caches()
