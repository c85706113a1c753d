"""Single precision: `Float32Warning`, warned once per process when a run is float32."""

import sys
import warnings

import jax.numpy as jnp

from .callers import user_frame
from .model import AbstractModel


class Float32Warning(UserWarning):
    """Warned (once per process) when `integrate` runs in single precision.

    JAX computes in float32 unless ``jax_enable_x64`` is set, and eqcable then simulates in
    float32. On the README example float32 voltages are within 3e-4 mV of float64 and
    gradients within 3e-5 (relative); over 100 ms of repetitive firing, within 5e-3 mV
    and 1e-4 (see "Precision" in the performance notes). NEURON parity (1e-11 mV) and the
    finite-difference gradient checks hold in float64. Enable it first thing in a program,
    before building any module:

    ```python
    import jax
    jax.config.update("jax_enable_x64", True)
    ```

    To silence it, ``warnings.simplefilter("ignore", eqcable.Float32Warning)``.
    """


# Once per process (see `warn_if_single_precision` for the registry). A user's own filter
# for this category (added later, so placed in front) takes precedence.
warnings.filterwarnings("once", category=Float32Warning)

_FLOAT32_MESSAGE = (
    "eqcable.integrate is simulating in {dtype} because jax_enable_x64 is off. In the "
    "measured examples (docs: Performance, Precision) float32 voltages agreed with float64 "
    "to 5e-3 mV and gradients to 1e-4 (relative); rounding grows with simulated time, and "
    "other models may do worse. For float64, call "
    "`jax.config.update('jax_enable_x64', True)` at the start of the program, before "
    "building any module."
)


def warn_if_single_precision(model: AbstractModel) -> None:
    """Warn a `Float32Warning` (once per process) if `model` computes in float32."""
    dtype = jnp.result_type(model.v)
    if jnp.finfo(dtype).bits >= 64:
        return
    # Attribute the warning to the user's `cell.integrate(...)`, also when traced.
    frame, _ = user_frame(sys._getframe(1))
    # One registry for every call site (this module's own, which `warnings` manages): with
    # the caller's registry, as `warnings.warn` uses, CPython's "once" would mean once per
    # calling module.
    warnings.warn_explicit(
        _FLOAT32_MESSAGE.format(dtype=dtype),
        Float32Warning,
        frame.f_code.co_filename,
        frame.f_lineno,
        module=frame.f_globals.get("__name__", "<string>"),
        registry=globals().setdefault("__warningregistry__", {}),
        module_globals=frame.f_globals,
    )
