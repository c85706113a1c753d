"""`read_nmodl`: NEURON's own NMODL files and the catalogue's (`tests/mod`), imported,
equal NEURON running the same files (float64) and the hand-written eqcable classes."""

import re
from pathlib import Path

import numpy as np
import pytest
from helpers import MOD_FILES, eqcable_run, neuron_run
from test_catalogue import CASES, _assert_equal, _compartment, _runs

import eqcable as ec

neuron = pytest.importorskip("neuron")
NEURON_MOD = Path(neuron.__file__).parent / ".data" / "share" / "modfile"


def _imported(channel, linearisation="exact"):
    """The class of `channel`'s NMODL file, imported, with the same parameters."""
    cls = ec.read_nmodl(MOD_FILES / f"{channel.name}.mod", linearisation=linearisation)
    return cls(**{p: getattr(channel, p) for p in channel.param_names()})


def test_neurons_hh_and_pas_equal_neuron_and_the_hand_written_classes():
    hh, pas = ec.read_nmodl(NEURON_MOD / "hh.mod"), ec.read_nmodl(NEURON_MOD / "passive.mod")
    assert issubclass(hh, ec.AbstractChannel) and hh.state_names == ("m", "h", "n")
    assert hh.ion_reads == ("ena", "ek") and hh.ion_writes == ("ina", "ik")
    b0 = ec.Branch(ec.Compartment(radius=2.0, length=20.0), ncomp=4)
    b1 = ec.Branch(ec.Compartment(radius=0.8, length=12.0), ncomp=3)
    traces = {}
    for label, channels in {
        "imported": [hh(gkbar=0.04), pas(g=1e-4, e=-65.0)],
        "hand-written": [ec.HH(gK=0.04), ec.Leak(gLeak=1e-4, eLeak=-65.0)],
    }.items():
        cell = ec.Cell([b0, b1], parents=[-1, 0])
        for ch in channels:
            cell = cell.insert(ch)
        run = dict(t_max=20.0, dt=0.025, record_comps=[0, 6], iclamps=[(0, 1.0, 2.0, 0.3)])
        traces[label] = eqcable_run(cell, **run)
        ref = neuron_run(cell, **run)
        err = np.max(np.abs(traces[label] - ref))
        print(f"{label}: max |ΔV| vs NEURON = {err:.3g} mV")
        assert err <= 1e-6
    assert traces["imported"].max() > 20.0  # spikes
    np.testing.assert_allclose(traces["imported"], traces["hand-written"], atol=1e-9)


@pytest.mark.parametrize("name", CASES)
def test_catalogue_files_imported_equal_neuron_and_the_catalogue(name, bbp_mechanisms):
    # CaT's current is not linear in v: NEURON's slope rule is what equals NEURON there.
    rule = "neuron" if name == "CaT" else "exact"
    channels = CASES[name]
    cell = _compartment(*(_imported(ch, rule) for ch in channels))
    sites = [(0, "v")] + ([(0, "cai")] if any("cai" in ch.ion_writes for ch in channels) else [])
    ours, ref = _runs(cell, sites)
    _assert_equal(ours, ref, sites)
    hand_written, _ = _runs(_compartment(*channels), sites)
    tol = 1e-4 if name == "CaT" else 1e-9  # the hand-written CaT has the exact slope
    np.testing.assert_allclose(ours, hand_written, atol=tol)


@pytest.mark.parametrize("file", ["expsyn.mod", "exp2syn.mod"])
def test_neurons_synapses_equal_neuron_in_a_network(file):
    from helpers import neuron_build, run_neuron_segments
    from neuron import h
    from test_network import DT, hh_cell, upward_crossings

    cls = ec.read_nmodl(NEURON_MOD / file)
    assert issubclass(cls, ec.AbstractSynapse) and cls.event_driven
    params = {"tau": 2.0} if file == "expsyn.mod" else {"tau1": 0.5, "tau2": 3.0}
    t_max = 30.0
    net = ec.Network([hh_cell(), hh_cell(radius=1.2)])
    net = net.connect(
        net.cell(0).comp(3), net.cell(1).comp(0), cls(weight=0.02, threshold=-20.0, **params),
        delay=1.0,
    )  # fmt: skip
    net = net.connect(ec.SpikeTrain([3.0, 11.3]), net.cell(1).comp(2), cls(weight=0.01, **params))
    record = [int(net.cell_compartments(c)[k]) for c in range(2) for k in (0, 3)]
    for c in record:
        net = net.comp(c).record("v")
    net = net.cell(0).comp(0).stimulate(ec.step_current(2.0, 1.0, 0.4, DT, t_max))
    v = np.asarray(net.integrate(t_max=t_max, dt=DT))

    sections, segments = neuron_build(net)
    keep = []
    cells = [net.cell_compartments(c) for c in range(2)]
    for post, src, w, delay in [
        (cells[1][0], cells[0][3], 0.02, 1.0),
        (cells[1][2], None, 0.01, 0),
    ]:
        syn = getattr(h, cls.__name__)(segments[post])
        for k, x in params.items():
            setattr(syn, k, x)
        if src is None:
            nc = h.NetCon(None, syn)
            keep.append(h.FInitializeHandler(lambda nc=nc: [nc.event(t) for t in (3.0, 11.3)]))
        else:
            nc = h.NetCon(segments[src]._ref_v, syn, sec=segments[src].sec)
            nc.threshold, nc.delay = -20.0, delay
        nc.weight[0] = w
        keep += [syn, nc]
    ref = run_neuron_segments(
        segments, t_max=t_max, dt=DT, record_comps=record, iclamps=[(0, 2.0, 1.0, 0.4)]
    )
    del keep, sections, segments
    err = np.max(np.abs(v - ref))
    print(f"{file}: max |ΔV| = {err:.3g} mV")
    assert len(upward_crossings(v[2])) >= 1  # the synapse makes cell 1 spike
    assert err <= 1e-6


def _cell(*names, rule="exact", **ions):
    return _compartment(
        *(ec.read_nmodl(MOD_FILES / f"{n}.mod", linearisation=rule)() for n in names), **ions
    )


# Files that exercise what the catalogue does not: derivimplicit, euler, a nonlinear
# equation, else-if, GLOBALs, unit factors, a ghk current (`tests/mod/README.md`).
METHOD_CASES = {
    "derivimplicit": (["KdrImplicit", "NaEuler"], [(0, "v")]),
    "nonlinear derivimplicit, ghk": (["CaGHK", "CaPump"], [(0, "v"), (0, "cai")]),
    "KINETIC": (["NaEuler", "KMarkov", "CaGHK", "CaBuffer"], [(0, "v"), (0, "cai")]),
}


@pytest.mark.parametrize("case", METHOD_CASES)
def test_methods_equal_neuron(case, bbp_mechanisms):
    names, sites = METHOD_CASES[case]
    cell = _cell(*names, rule="neuron")
    ours, ref = _runs(cell, sites)
    _assert_equal(ours, ref, sites)
    assert np.ptp(ours[0]) > 10.0  # it acts


@pytest.mark.parametrize(
    "name", ["hh_gnabar", "KdrImplicit_gbar", "Exp2Syn_weight", "Exp2Syn_tau1"]
)
def test_gradients_through_imported_mechanisms_equal_finite_differences(name):
    import jax.numpy as jnp
    from helpers import assert_gradient_matches_finite_differences
    from test_network import DT

    hh, exp2syn = ec.read_nmodl(NEURON_MOD / "hh.mod"), ec.read_nmodl(NEURON_MOD / "exp2syn.mod")
    kdr = ec.read_nmodl(MOD_FILES / "KdrImplicit.mod")
    markov = ec.read_nmodl(MOD_FILES / "KMarkov.mod")
    comp = ec.Compartment(radius=1.0, length=10.0, axial_resistivity=5000.0, v=-65.0)
    cell = ec.Cell([ec.Branch(comp, ncomp=3)], parents=[-1]).insert(hh()).insert(kdr(gbar=0.01))
    cell = cell.insert(markov(gbar=0.01))
    net = ec.Network([cell, cell])
    syn = exp2syn(weight=0.01, tau1=0.5, tau2=3.0, threshold=-20.0)
    net = net.connect(net.cell(0).comp(2), net.cell(1).comp(0), syn, delay=1.0)
    net = net.cell(0).comp(0).stimulate(ec.step_current(1.0, 1.0, 0.5, DT, 12.0))
    net = net.cell("all").comp(1).record("v").make_trainable(name, shared=True)

    def loss(params):
        v = net.integrate(params, t_max=12.0, dt=DT)
        return jnp.mean((v + 65.0) ** 2)

    assert_gradient_matches_finite_differences(net.params(), name, loss)


PROBE = """NEURON {{ SUFFIX probe {neuron} }}
PARAMETER {{ g = 0.001 (S/cm2) }}
STATE {{ m }}
ASSIGNED {{ v (mV) }}
BREAKPOINT {{
    SOLVE states METHOD {method}
}}
DERIVATIVE states {{
    {body}
}}
{extra}
"""
# (what the file holds, the line and the words the error names)
UNSUPPORTED = {
    "VERBATIM": (dict(extra="PROCEDURE f() {\nVERBATIM\n  return 0;\nENDVERBATIM\n}"), 12),
    "COMPARTMENT": (dict(extra="KINETIC kin {\n  COMPARTMENT 2 {m}\n  ~ m << (1)\n}"), 12),
    "FUNCTION_TABLE": (dict(extra="FUNCTION_TABLE tab(x)"), 11),
    "POINTER": (dict(neuron="POINTER p"), 1),
    "t is not available": (dict(body="m' = -m*t"), 9),
    "METHOD runge": (dict(method="runge"), 6),
    "q is not declared": (dict(body="m' = -m*q"), 9),
    "array variables": (dict(extra="ASSIGNED { a[3] }"), 11),
    "foo() is not defined": (dict(body="m' = -m*foo(1)"), 9),
}
SYNAPSE = """NEURON {{ POINT_PROCESS P NONSPECIFIC_CURRENT i }}
ASSIGNED {{ i (nA) v (mV) }}
BREAKPOINT {{ i = 0.001*v }}
{net_receive}
"""


@pytest.mark.parametrize("construct", UNSUPPORTED)
def test_unsupported_constructs_are_named_with_file_and_line(construct, tmp_path):
    fields, line = UNSUPPORTED[construct]
    text = PROBE.format(
        **{"neuron": "", "method": "cnexp", "body": "m' = -m", "extra": "", **fields}
    )
    path = tmp_path / "probe.mod"
    path.write_text(text)
    with pytest.raises(ec.NmodlError, match=rf"^probe\.mod, line {line}: .*{re.escape(construct)}"):
        ec.read_nmodl(path)


@pytest.mark.parametrize(
    ("net_receive", "words"),
    [
        ("", "has no NET_RECEIVE block"),
        ("NET_RECEIVE(w) {\n  net_send(1, 1)\n}", "line 5: net_send()"),
        ("NET_RECEIVE(w) {\n  WATCH (v > 1) 2\n}", "line 5: WATCH"),
        ("NET_RECEIVE(w, x) {\n  i = w\n}", "exactly one argument"),
    ],
)
def test_unsupported_synapses_are_refused(net_receive, words):
    with pytest.raises(ec.NmodlError, match=re.escape(words)):
        ec.read_nmodl(SYNAPSE.format(net_receive=net_receive))


def test_a_malformed_file_gives_the_parsers_error_with_its_line(tmp_path):
    path = tmp_path / "broken.mod"
    path.write_text("NEURON { SUFFIX broken }\nPARAMETER {\n  a = 1\n  b = }\n")
    with pytest.raises(ec.NmodlError, match=r"broken\.mod: the NMODL parser .*Location : 4"):
        ec.read_nmodl(path)
    with pytest.raises(FileNotFoundError, match="no_such.mod"):
        ec.read_nmodl(tmp_path / "no_such.mod")
    with pytest.raises(ValueError, match="linearisation"):
        ec.read_nmodl(MOD_FILES / "K.mod", linearisation="secant")


def test_classes_are_cached_by_content_readable_and_distinct_from_the_catalogue(tmp_path):
    path = MOD_FILES / "CaDynamics_E2.mod"
    cls = ec.read_nmodl(path)
    assert ec.read_nmodl(path) is cls and ec.read_nmodl(path.read_text()) is cls
    assert ec.read_nmodl(path, linearisation="neuron") is not cls
    # The generated source is a module one can save, import and use.
    assert "class CaDynamics_E2(AbstractChannel)" in cls.python_source
    assert cls.nmodl_source == path.read_text()
    namespace = {}
    exec(compile(cls.python_source, "saved.py", "exec"), namespace)
    again = namespace["CaDynamics_E2"]
    assert again.ion_writes == ("cai",) and again().decay == 80.0
    # Same SUFFIX as the catalogue's class, never the same class.
    assert cls.__name__ == ec.CaDynamics_E2.__name__ and cls is not ec.CaDynamics_E2
    assert not cls.__module__.startswith("eqcable")


def test_imported_models_save_and_load_with_the_class_passed(tmp_path):
    hh = ec.read_nmodl(NEURON_MOD / "hh.mod")
    exp2syn = ec.read_nmodl(NEURON_MOD / "exp2syn.mod")
    cell = ec.Cell([ec.Branch(ec.Compartment(), ncomp=2)], parents=[-1]).insert(hh(gnabar=0.2))
    net = ec.Network([cell, cell])
    net = net.connect(net.cell(0).comp(1), net.cell(1).comp(0), exp2syn(weight=0.02, tau2=4.0))
    net = net.cell(0).comp(0).stimulate(ec.step_current(1.0, 1.0, 0.5, 0.025, 10.0))
    net = net.cell("all").comp(0).record("v")
    ec.save(tmp_path / "net.eqc", net)
    with pytest.raises(ec.ModelFileError, match="hh"):
        ec.load(tmp_path / "net.eqc")
    loaded = ec.load(tmp_path / "net.eqc", classes=[hh, exp2syn])
    np.testing.assert_array_equal(loaded.integrate(t_max=10.0), net.integrate(t_max=10.0))


def test_the_slope_rule_is_all_that_separates_a_ghk_current_from_neuron(bbp_mechanisms):
    sites = [(0, "v"), (0, "cai")]
    exact, ref = _runs(_cell("CaGHK", "CaPump", rule="exact"), sites)
    err = np.max(np.abs(exact[0] - ref[0]))
    print(f"exact di/dv: max |ΔV| = {err:.3g} mV")  # 7.1e-6 mV when written
    assert 1e-8 < err < 1e-4
    neuron_rule, _ = _runs(_cell("CaGHK", "CaPump", rule="neuron"), sites)
    _assert_equal(neuron_rule, ref, sites)


def test_two_events_in_one_step_are_refused_for_imported_synapses():
    from test_network import hh_cell

    exp2syn = ec.read_nmodl(NEURON_MOD / "exp2syn.mod")
    net = ec.Network([hh_cell()])
    net = net.connect(ec.SpikeTrain([1.0, 1.01]), net.cell(0).comp(0), exp2syn())
    net = net.cell(0).comp(0).record("v")
    with pytest.raises(ValueError, match=r"Exp2Syn takes at most 1 event.*t = 1 ms"):
        net.integrate(t_max=5.0, dt=0.025)
    net.integrate(t_max=5.0, dt=0.005)  # one per step: fine


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (PROBE.format(neuron="USEION ca READ ica WRITE cai", method="cnexp", body="m' = -m",
                      extra="INITIAL { cai = 1e-4 }"), "INITIAL sets the concentration cai"),
        (SYNAPSE.format(net_receive="NET_RECEIVE(w) { i = w*celsius }"), "reads celsius"),
        (SYNAPSE.format(net_receive="NET_RECEIVE(w) { }\nINITIAL { i = v }"), "INITIAL reads v"),
    ],
)  # fmt: skip
def test_what_eqcable_does_not_supply_is_refused(text, words):
    with pytest.raises(ec.NmodlError, match=words):
        ec.read_nmodl(text)
