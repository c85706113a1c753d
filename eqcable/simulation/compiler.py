"""XLA settings of eqcable's compiled runs: `compiler_options`, `filter_jit`.

XLA's CPU backend vectorises element-wise loops (the channels' gate updates, most of a
step's arithmetic) with 256-bit vectors unless told otherwise. Preferring 512-bit vectors
made every model measured faster on an AVX-512 CPU (`benchmarks/README.md`, "Vector
width"): forward runs 5–18% and gradients 3–14% faster (HH cables of 100–10,000
compartments, the CA1 and L5PC reconstructions), with the same results (bit for bit on
those). CPUs without 512-bit vectors use their widest, as before.

JAX takes compiler options at the outermost `jit` only (anywhere else they are an
error): `integrate`, `integrate_sharded`, `fit` and `sharded_vmap` compile with them when
called outside any transformation, and without them inside one (`jax.grad`, `jax.vmap`,
your own `jit`), where the outer computation is compiled with its own options. Pass
them there: ``eqx.filter_jit(loss, compiler_options=ec.compiler_options())``.
"""

import functools
import inspect

import equinox as eqx
import jax

try:  # JAX has no public test for "no transformation is tracing"
    from jax._src.core import trace_state_clean as _outside_transformations
except ImportError:  # pragma: no cover

    def _outside_transformations() -> bool:
        return False


#: XLA options of compiled runs on CPUs (`compiler_options`).
CPU_OPTIONS = {"xla_cpu_prefer_vector_width": 512}


def compiler_options(backend: str | None = None) -> dict:
    """The XLA options eqcable compiles its runs with on `backend` (``"cpu"``, ``"gpu"``,
    …; JAX's default backend by default): 512-bit vectors on CPUs, nothing elsewhere.
    Give them to your own jit around `integrate`:
    ``eqx.filter_jit(f, compiler_options=ec.compiler_options())``."""
    backend = jax.default_backend() if backend is None else backend
    return dict(CPU_OPTIONS) if backend == "cpu" else {}


def filter_jit(fn):
    """`eqx.filter_jit(fn)`, compiled with `compiler_options` of the default backend at
    the time of each call when called outside any JAX transformation."""
    plain = eqx.filter_jit(fn)
    if "compiler_options" not in inspect.signature(jax.jit).parameters:  # older JAX
        return plain
    on_cpu = eqx.filter_jit(fn, compiler_options=compiler_options("cpu"))

    @functools.wraps(fn)
    def call(*args, **kwargs):
        top_level_on_cpu = jax.default_backend() == "cpu" and _outside_transformations()
        return (on_cpu if top_level_on_cpu else plain)(*args, **kwargs)

    return call
