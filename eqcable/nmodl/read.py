"""`read_nmodl`: an NMODL file in, an eqcable mechanism class out."""

import functools
import hashlib
import linecache
import os
import types
from pathlib import Path

from .codegen import generate
from .description import NmodlError
from .parse import describe

#: Versions of the translation: part of the cache key and of generated module names.
TRANSLATOR_VERSION = "1"
LINEARISATIONS = ("exact", "neuron")


def read_nmodl(source: str | os.PathLike, *, linearisation: str = "exact") -> type:
    """An eqcable mechanism class from an NMODL file.

    A ``SUFFIX`` mechanism becomes a channel (`eqcable.AbstractChannel`: insert it into
    cells; a concentration mechanism that ``WRITE``s ``cai`` integrates it), a
    ``POINT_PROCESS`` with ``NET_RECEIVE`` an event-driven synapse
    (`eqcable.AbstractSynapse`: connect it in a `Network`; NET_RECEIVE's argument becomes
    its ``weight`` parameter, and it gains NetCon's ``threshold``). Its parameters are the
    file's PARAMETERs (trainable, with their units and ``<lo, hi>`` limits), its states
    the STATEs (recordable), its ion quantities those of ``USEION``. Each step follows
    NEURON's: BREAKPOINT's currents at the present voltage, the voltage step, then the
    SOLVEd blocks (``cnexp``, ``derivimplicit`` or ``euler``, as NEURON integrates them)
    at the new voltage (KINETIC schemes by ``sparse``); a synapse's NET_RECEIVE runs as
    its events arrive. See the docs page "NMODL import" for what is translated and how.

    The class's ``python_source`` is the generated Python (print it, save it, edit it);
    ``nmodl_source`` the file's text. Classes are cached by content: the same file gives
    the same class. The class's module is named after the content's hash, so a saved model
    names it unambiguously (pass the class to `eqcable.load`), and it is never mistaken for
    a catalogue class with the same SUFFIX.

    **Arguments:**

    - `source`: a path to a ``.mod`` file, or NMODL text.
    - `linearisation`: how BREAKPOINT's current enters the implicit voltage step.
      ``"exact"`` (eqcable's rule): with its exact derivative ``di/dv``. ``"neuron"``:
      NEURON's forward difference ``(i(v + 0.001) − i(v)) / 0.001``. They agree for
      currents linear in ``v`` (HH-style channels, to round-off) and differ, by up to
      ~1e-3 relative in the slope, for ``ghk`` currents or a Mg block; use ``"neuron"``
      to equal NEURON on those.

    **Returns:** the class (a subclass of `eqcable.AbstractChannel` or
    `eqcable.AbstractSynapse`).

    **Raises:** `eqcable.nmodl.NmodlError` (a `ValueError`) naming the file, line and
    construct for what read_nmodl does not translate (VERBATIM, WATCH, POINTER,
    net_send, arrays, COMPARTMENT, …) and with the parser's message and line for malformed text;
    `FileNotFoundError`; `ImportError` without NEURON >= 9
    (``pip install 'eqcable[nmodl]'``).
    """
    if linearisation not in LINEARISATIONS:
        raise ValueError(f"linearisation must be one of {LINEARISATIONS}, got {linearisation!r}.")
    if isinstance(source, os.PathLike) or isinstance(source, str) and "{" not in source:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"read_nmodl: no such file: {path}")
        text, name = path.read_text(), path.name
    elif isinstance(source, str):
        text, name = source, "<string>"
    else:
        raise TypeError(f"read_nmodl takes a path or NMODL text, got {type(source).__name__}.")
    try:
        return _build(text, linearisation)
    except NmodlError as e:  # name the file
        raise NmodlError(str(e).replace(_TEXT, name, 1)) from None


_TEXT = "<string>"


@functools.lru_cache(maxsize=256)
def _build(text: str, linearisation: str) -> type:
    """The class of NMODL `text`, once per content."""
    digest = hashlib.sha256(f"{TRANSLATOR_VERSION}\n{linearisation}\n{text}".encode()).hexdigest()
    mod = describe(text, _TEXT)
    name = mod.name
    source = generate(mod, linearisation=linearisation, digest=digest)
    module = types.ModuleType(f"nmodl_{mod.name}_{digest[:16]}")
    filename = f"<nmodl {name}.mod {digest[:16]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 (our own translation)
    cls = getattr(module, mod.name)
    type.__setattr__(cls, "python_source", source)
    type.__setattr__(cls, "nmodl_source", text)
    return cls
