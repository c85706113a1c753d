"""`MemoryMapWarning`: a warning before compiled programs exhaust Linux's memory mappings.

Every distinct simulation (another cell shape, `t_max`, `dt`, recording, solver) is
compiled once and kept in JAX's caches. XLA-CPU maps about three memory pages per compiled
kernel (code, constants, data), 100-450 mappings per simulation and 400-850 per gradient,
and keeps them while the program is cached. Past the kernel's ``vm.max_map_count`` (65,530
by default) the next compilation crashes the process with a segmentation fault, losing the
session. The check runs while a simulation is traced, that is, once per compilation.
"""

import sys
import warnings
from pathlib import Path

from .callers import user_frame

#: Warn once the process holds this fraction of the mappings Linux allows.
WARN_FRACTION = 0.75

_MAPS = Path("/proc/self/maps")
_MAX_MAP_COUNT = Path("/proc/sys/vm/max_map_count")


class MemoryMapWarning(RuntimeWarning):
    """Warned when a simulation is compiled while the process holds more than three
    quarters of the memory mappings Linux allows (``vm.max_map_count``).

    Each compiled simulation keeps 100-850 mappings while it stays in JAX's caches; at the
    limit the next compilation crashes the process. Free them with ``jax.clear_caches()``
    (later calls recompile what they need), avoid recompiling (keep `t_max`, `dt` and the
    model's structure fixed across a sweep), or raise the limit
    (``sudo sysctl -w vm.max_map_count=262144``).
    """


def mapping_usage() -> tuple[int, int] | None:
    """``(mappings held by this process, vm.max_map_count)``, or ``None`` where the system
    does not say (not Linux)."""
    try:
        limit = int(_MAX_MAP_COUNT.read_text())
        with _MAPS.open() as maps:
            count = sum(1 for _ in maps)
    except (OSError, ValueError):
        return None
    return count, limit


def warn_if_near_mapping_limit() -> None:
    """Warn a `MemoryMapWarning` if this process holds more than `WARN_FRACTION` of the
    mappings Linux allows. Call it where a simulation is traced (once per compilation)."""
    usage = mapping_usage()
    if usage is None or usage[0] <= WARN_FRACTION * usage[1]:
        return
    count, limit = usage
    _, level = user_frame(sys._getframe(1))
    warnings.warn(
        f"This process holds {count:,} of the {limit:,} memory mappings Linux allows "
        "(vm.max_map_count), most of them JAX's compiled programs; at the limit the next "
        "compilation crashes the process. Call `jax.clear_caches()` to free them (later "
        "calls recompile what they need), keep t_max, dt and the model's structure fixed to "
        "avoid recompiling, or raise the limit (`sudo sysctl -w vm.max_map_count=262144`).",
        MemoryMapWarning,
        stacklevel=level + 1,
    )
