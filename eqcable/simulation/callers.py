"""The user's call: where eqcable's warnings point."""

from types import FrameType

#: Packages whose frames stand between the user's call and a warning: eqcable's own, the
#: wrappers of equinox (bound methods, filter_jit) and of jaxtyping's run-time checks, and
#: JAX's tracing machinery (for warnings given while a simulation is traced).
LIBRARIES = ("eqcable", "equinox", "jaxtyping", "beartype", "jax")


def user_frame(frame: FrameType) -> tuple[FrameType, int]:
    """The first frame at or above `frame` outside `LIBRARIES` (the user's call, also when
    traced under jit), and the `stacklevel` that points `warnings.warn`, called in
    `frame`'s function, at it."""
    level = 1
    while frame.f_back is not None and _is_library(frame):
        frame, level = frame.f_back, level + 1
    return frame, level


def _is_library(frame: FrameType) -> bool:
    return frame.f_globals.get("__name__", "").partition(".")[0] in LIBRARIES
