"""Shared test helpers: a NEURON model built from an eqcable module, finite differences."""

import contextlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

import eqcable as ec
from eqcable.simulation.ions import ion_parameter_names

MORPHOLOGIES = Path(__file__).parent / "data" / "morphologies"
"""The SWC files the tests read (copies kept in the repository)."""


def swc_files(*, exclude=()) -> list[str]:
    """The names of the SWC files in `MORPHOLOGIES`, less `exclude`; fails when there are
    none, so that a test parametrised over them can never pass by running nothing."""
    names = sorted(p.name for p in MORPHOLOGIES.glob("*.swc") if p.name not in exclude)
    if not names:
        raise FileNotFoundError(f"no SWC files in {MORPHOLOGIES}")
    return names


def neuron_run(
    module: ec.AbstractModule,
    *,
    t_max: float,
    dt: float,
    record_comps,
    iclamps=(),
    secondorder: int = 0,
):
    """Build the same model in NEURON (`neuron_build`), run it with ``fadvance`` and
    return v traces (mV). ``iclamps`` is a sequence of ``(comp, delay, dur, amp)``.
    Returns an array ``(len(record_comps), nsteps + 1)``.
    """
    sections, segments = neuron_build(module)
    out = run_neuron_segments(
        segments,
        t_max=t_max,
        dt=dt,
        record_comps=record_comps,
        iclamps=iclamps,
        v_init=float(np.asarray(module.v)[0]),
        secondorder=secondorder,
        celsius=float(np.asarray(module.celsius)),
    )
    del segments, sections
    return out


MOD_FILES = Path(__file__).parent / "mod"


def compile_mod_files(build: Path) -> Path:
    """Compile the catalogue's NMODL files (`tests/mod`) with NEURON's ``nrnivmodl`` in the
    folder `build`; returns the library to load with ``h.nrn_load_dll``.

    **Raises:** `RuntimeError` with nrnivmodl's output if it fails (it needs a C compiler,
    e.g. gcc or clang).
    """
    nrnivmodl = shutil.which("nrnivmodl") or str(Path(sys.executable).parent / "nrnivmodl")
    for f in MOD_FILES.glob("*.mod"):
        shutil.copy(f, build)
    result = subprocess.run([nrnivmodl, "."], cwd=build, capture_output=True, text=True)
    library = next(build.glob("*/libnrnmech.so"), None) or next(build.glob("*/*.dylib"), None)
    if result.returncode != 0 or library is None:
        raise RuntimeError(
            "nrnivmodl could not compile tests/mod (it needs a C compiler, e.g. gcc or "
            f"clang):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return library


def neuron_import3d(path):
    """Load an SWC file into NEURON with Import3d: ``{section name: section}``."""
    from neuron import h

    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(str(path))
    h.Import3d_GUI(reader, False).instantiate(None)
    return {sec.name(): sec for sec in h.allsec()}


def clear_neuron():
    """Delete every section NEURON holds."""
    from neuron import h

    for sec in list(h.allsec()):
        h.delete_section(sec=sec)


def neuron_build(module: ec.AbstractModule):
    """The same model in NEURON: returns ``(sections, segments)``, one segment per
    compartment in flat order.

    Every branch becomes a section with ``nseg = ncomp`` (NEURON needs equal compartment
    lengths and one axial resistivity per section), every compartment's radius and
    capacitance become its segment's ``diam`` and ``cm``; channels become ``hh``/``pas``,
    or the catalogue's mechanism of the same name (`tests/mod`, loaded by the
    ``bbp_mechanisms`` fixture), with the same parameters, and the ion quantities are
    set per segment. Root branches (several in a network) are separate trees.
    """
    from neuron import h

    offsets = np.concatenate([[0], np.cumsum(module.ncomp_per_branch)])
    radius, length = np.asarray(module.radius), np.asarray(module.length)
    ra, cm = np.asarray(module.axial_resistivity), np.asarray(module.capacitance)
    v = np.asarray(module.v)
    assert np.all(v == v[0]), "NEURON's finitialize takes one v_init"
    sections, segments = [], []
    for b, n in enumerate(module.ncomp_per_branch):
        comps = np.arange(offsets[b], offsets[b + 1])
        assert np.allclose(length[comps], length[comps[0]]), "NEURON: equal segment lengths"
        assert np.all(ra[comps] == ra[comps[0]]), "NEURON: one Ra per section"
        sec = h.Section(name=f"branch{b}")
        sec.nseg = int(n)
        sec.L = float(length[comps].sum())
        sec.Ra = float(ra[comps[0]])
        inserted = []
        for k, ch in enumerate(module.channels):
            mask = np.asarray(module.channel_masks[k])[comps]
            if not mask.any():
                continue
            assert mask.all(), "NEURON helper inserts channels per section"
            sec.insert({"HH": "hh", "Leak": "pas"}.get(ch.name, ch.name))
            inserted.append(ch)
        # The ion quantities of the species the section's mechanisms use.
        ions = [q for q in ion_parameter_names(inserted) if q in module.ions]
        for j, seg in enumerate(sec):
            c = comps[j]
            seg.diam = float(2 * radius[c])
            seg.cm = float(cm[c])
            for q in ions:
                setattr(seg, q, float(np.asarray(module.ions[q])[c]))
            for k, ch in enumerate(module.channels):
                if not np.asarray(module.channel_masks[k])[c]:
                    continue
                p = {name: float(np.asarray(getattr(ch, name))[c]) for name in ch.param_names()}
                if ch.name == "HH":
                    seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl = p["gNa"], p["gK"], p["gLeak"]
                    seg.hh.el = p["eLeak"]
                elif ch.name == "Leak":
                    seg.pas.g, seg.pas.e = p["gLeak"], p["eLeak"]
                else:  # the catalogue: NEURON's names (tests/mod)
                    for name, value in p.items():
                        mech = getattr(seg, ch.name)
                        if hasattr(mech, name):
                            setattr(mech, name, value)
                        else:  # a GLOBAL (or a PARAMETER not RANGE): one for all
                            setattr(h, f"{name}_{ch.name}", value)
            segments.append(seg)
        sections.append(sec)
    for b, (p, x) in enumerate(zip(module.branch_parents, module.branch_parent_x, strict=True)):
        if p >= 0:
            sections[b].connect(sections[p](x), 0)
    # Written concentrations start at NEURON's global initial values (`cinit`): the
    # model's, which must then be one value.
    for ch in module.channels:
        for q in ch.ion_writes:
            if q in module.ions:
                values = np.unique(np.asarray(module.ions[q]))
                assert values.size == 1, f"NEURON starts {q} at one value"
                setattr(h, f"{q}0_{q[:-1]}_ion", float(values[0]))  # e.g. cai0_ca_ion

    return sections, segments


def run_neuron_segments(
    segments, *, t_max, dt, record_comps, iclamps=(), v_init=-65.0, secondorder=0, celsius=6.3
):
    """Run NEURON (already built) with IClamps ``(comp, delay, dur, amp)`` on `segments`
    and return v at `record_comps` (or, for an entry ``(comp, name)``, NEURON's `name`
    there), ``(nrec, nsteps + 1)``; hh rate tables off."""
    from neuron import h

    h.celsius, h.dt, h.secondorder = celsius, dt, secondorder
    h.usetable_hh = 0  # NEURON's rate tables approximate the hh formulas
    clamps = []
    for comp, delay, dur, amp in iclamps:
        stim = h.IClamp(segments[comp])
        stim.delay, stim.dur, stim.amp = delay, dur, amp
        clamps.append(stim)
    # An int records v there; a pair (comp, name) records NEURON's `name` (e.g. "cai").
    sites = [(c, "v") if isinstance(c, (int, np.integer)) else c for c in record_comps]
    vecs = [h.Vector().record(getattr(segments[c], f"_ref_{name}")) for c, name in sites]
    h.finitialize(v_init)
    for _ in range(int(round(t_max / dt))):
        h.fadvance()
    out = np.array([np.asarray(vec) for vec in vecs])
    del clamps, vecs
    return out


def eqcable_run(module, *, t_max, dt, record_comps, iclamps=(), stepper=None, solver=None):
    """Run `module` in eqcable with the same stimuli/recordings as `neuron_run`."""
    for comp, delay, dur, amp in iclamps:
        module = module.comp(comp).stimulate(ec.step_current(delay, dur, amp, dt=dt, t_max=t_max))
    for c in record_comps:
        module = module.comp(c).record("v")
    return np.asarray(module.integrate(t_max=t_max, dt=dt, stepper=stepper, solver=solver))


def assert_gradient_matches_finite_differences(params, name, loss, rtol=1e-5):
    """The gradient of `loss(params)` w.r.t. ``params[0][name]`` equals central
    differences with relative steps of 1e-6 (`params` is a tuple of one-entry dicts, as
    `module.params()` returns; only its first entry is perturbed)."""
    import equinox as eqx
    import jax.numpy as jnp

    grad = np.asarray(eqx.filter_grad(loss)(params)[0][name])
    x0 = np.asarray(params[0][name], dtype=float)
    fd = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        eps = 1e-6 * abs(x0[i])
        xp, xm = x0.copy(), x0.copy()
        xp[i] += eps
        xm[i] -= eps
        plus = ({name: jnp.asarray(xp)}, *params[1:])
        minus = ({name: jnp.asarray(xm)}, *params[1:])
        fd[i] = (loss(plus) - loss(minus)) / (2 * eps)
    np.testing.assert_allclose(grad, fd, rtol=rtol)
    assert np.all(np.abs(fd) > 0)  # the parameter does influence the loss


@contextlib.contextmanager
def neurons_difference_quotient():
    """Within it, eqcable takes each membrane current's derivative in v as NEURON and
    Jaxley do, a difference quotient over 0.001 mV, instead of exactly (they differ only
    for currents not linear in v, e.g. `pospischil.CaT`'s). JAX's caches are cleared on
    entry and exit, so that simulations are traced with it, and without it after."""
    import jax

    from eqcable.simulation import step

    exact = step.membrane_currents

    def quotient(membrane, states, ions, v):
        i, _, written = exact(membrane, states, ions, v)
        return i, (exact(membrane, states, ions, v + 1e-3)[0] - i) / 1e-3, written

    jax.clear_caches()
    step.membrane_currents = quotient
    try:
        yield
    finally:
        step.membrane_currents = exact
        jax.clear_caches()
