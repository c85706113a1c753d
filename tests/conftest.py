import jax
import pytest
from helpers import compile_mod_files

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


@pytest.fixture(scope="session")
def bbp_mechanisms(tmp_path_factory):
    """The catalogue's NMODL files (`tests/mod`) compiled with NEURON's ``nrnivmodl`` into
    a temporary folder and loaded into NEURON, once per test run."""
    from neuron import h

    if hasattr(h, "NaTs2_t"):  # loaded already (e.g. by another fixture instance)
        return
    build = tmp_path_factory.mktemp("mod")
    try:
        library = compile_mod_files(build)
    except RuntimeError as error:
        pytest.fail(str(error))
    h.nrn_load_dll(str(library))
