import shutil
import subprocess
import sys
from pathlib import Path

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


MOD_FILES = Path(__file__).parent / "mod"


@pytest.fixture(scope="session")
def bbp_mechanisms(tmp_path_factory):
    """The catalogue's NMODL files (`tests/mod`) compiled with NEURON's ``nrnivmodl`` into
    a temporary folder and loaded into NEURON, once per test run."""
    from neuron import h

    if hasattr(h, "NaTs2_t"):  # loaded already (e.g. by another fixture instance)
        return
    nrnivmodl = shutil.which("nrnivmodl") or str(Path(sys.executable).parent / "nrnivmodl")
    build = tmp_path_factory.mktemp("mod")
    for f in MOD_FILES.glob("*.mod"):
        shutil.copy(f, build)
    result = subprocess.run([nrnivmodl, "."], cwd=build, capture_output=True, text=True)
    library = next(build.glob("*/libnrnmech.so"), None) or next(build.glob("*/*.dylib"), None)
    if result.returncode != 0 or library is None:
        pytest.fail(
            "nrnivmodl could not compile tests/mod (it needs a C compiler, e.g. gcc or "
            f"clang):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    h.nrn_load_dll(str(library))
