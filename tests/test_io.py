"""Saved models load back bit for bit; broken or mismatched files are refused clearly."""

import json
import sys
import zipfile
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import MORPHOLOGIES
from jaxtyping import ArrayLike

import eqcable as ec
from eqcable.simulation import Stimulus

MORPHOLOGY = MORPHOLOGIES / "somatic_branchpoint.swc"
MODELS = MORPHOLOGIES.parent / "models"


class Shunt(ec.AbstractChannel):
    """A user channel (passed to `load` with ``classes=[Shunt]``)."""

    gShunt: ArrayLike = 2e-4  # S/cm²
    state_names: ClassVar = ()

    def steady_state(self, v, celsius):
        return {}

    def step(self, states, v, dt, celsius):
        return {}

    def current(self, states, v):
        return self.gShunt * (v + 70.0)


def _model(ra: float = 35.4):
    cell = (
        ec.read_swc(MORPHOLOGY, 3, axial_resistivity=ra)
        .insert(ec.HH())
        .group("basal")
        .insert(Shunt())
    )
    cell = cell.set("celsius", 12.0).branch(1).set("radius", 0.7).set("v", -63.0).init_states()
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 2.0, 0.3, 0.025, 5.0))
    cell = cell.comp([0, 5]).record().comp(2).record("HH_m")
    return cell.make_trainable("HH_gNa").group("basal").make_trainable("radius", shared=False)


def _network(ra: float = 35.4):
    cell = ec.read_swc(MORPHOLOGY, 2, axial_resistivity=ra).insert(ec.HH())
    small = ec.Compartment(radius=1.0, axial_resistivity=ra)
    small = ec.Cell([ec.Branch(small, ncomp=3)], parents=[-1]).insert(ec.HH())
    net = ec.Network([cell, small, small])
    net = net.connect(net.cell(0).comp(0), net.cell(1).comp(2), ec.IonotropicSynapse(gS=0.01))
    net = net.connect(
        net.cell(1).comp(2),
        net.cell(2).comp(0),
        ec.Exp2Syn(weight=0.02, threshold=-20.0),
        delay=0.5,
    )
    net = net.connect(ec.SpikeTrain([1.0, 2.5], width=0.5), net.cell(0).comp(0), ec.Exp2Syn())
    syn = ec.TanhRateSynapse(gS=0.01, jaxley_linearisation=True)
    net = net.connect(net.cell(2).comp(0), net.cell(0).comp(1), syn)
    net = net.cell(0).comp(0).stimulate(ec.step_current(0.5, 2.0, 0.3, 0.025, 5.0))
    net = net.cell("all").comp(0).record().synapse("Exp2Syn").record("Exp2Syn_B")
    return net.make_trainable("IonotropicSynapse_gS", shared=False)


def _calcium_model(ra: float = 35.4):
    """Ion quantities set and trainable, a concentration mechanism, the catalogue."""
    cell = ec.read_swc(MORPHOLOGY, 2, axial_resistivity=ra).set("celsius", 34.0)
    for ch in (ec.NaTs2_t(gNaTs2_tbar=0.5), ec.SK_E2(gSK_E2bar=0.01), ec.Ca_HVA()):
        cell = cell.insert(ch)
    cell = cell.group("basal").insert(ec.CaDynamics_E2(gamma=0.01))
    cell = cell.set("ek", -85.0).branch(1).set("cai", 1e-4)
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 2.0, 0.3, 0.025, 5.0))
    cell = cell.comp([0, 5]).record("v", "cai", "eca")
    return cell.make_trainable("ena").group("basal").make_trainable("cao", shared=False)


@pytest.mark.parametrize("build", [_model, _network, _calcium_model])
def test_save_load_is_bit_identical(tmp_path, build):
    cell = build()
    ec.save(tmp_path / "model.eqc", cell)
    loaded = ec.load(tmp_path / "model.eqc", classes=[Shunt])
    assert type(loaded) is type(cell)
    assert jax.tree.structure(loaded) == jax.tree.structure(cell)
    for a, b in zip(jax.tree.leaves(loaded), jax.tree.leaves(cell), strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.integrate(t_max=5.0), cell.integrate(t_max=5.0))
    params = jax.tree.map(lambda x: x * 1.1, cell.params())
    np.testing.assert_array_equal(
        loaded.integrate(params, t_max=5.0), cell.integrate(params, t_max=5.0)
    )
    spec = json.loads(zipfile.ZipFile(tmp_path / "model.eqc").read("spec.json"))
    assert spec["eqcable_version"] == ec.__version__ and spec["units"]["radius"] == "um"


def test_corrupt_or_mismatched_files_are_refused(tmp_path):
    path = tmp_path / "model.eqc"
    ec.save(path, _model())
    members = {n: zipfile.ZipFile(path).read(n) for n in ("spec.json", "leaves.eqx")}

    def write(name, spec=None, leaves=None):
        with zipfile.ZipFile(tmp_path / name, "w") as z:
            z.writestr("spec.json", spec if spec is not None else members["spec.json"])
            z.writestr("leaves.eqx", leaves if leaves is not None else members["leaves.eqx"])
        return tmp_path / name

    flipped = bytearray(members["leaves.eqx"])
    flipped[len(flipped) // 2] ^= 0xFF
    with pytest.raises(ec.ModelFileError, match="checksum"):
        ec.load(write("flipped.eqc", leaves=bytes(flipped)), classes=[Shunt])
    spec = json.loads(members["spec.json"])
    with pytest.raises(ec.ModelFileError, match="format"):
        ec.load(write("future.eqc", spec=json.dumps({**spec, "format": 99})), classes=[Shunt])
    with pytest.raises(ec.ModelFileError, match="do not match the spec"):
        wrong = {**spec, "ncomp_per_branch": [n + 1 for n in spec["ncomp_per_branch"]]}
        ec.load(write("wrong.eqc", spec=json.dumps(wrong)), classes=[Shunt])
    (tmp_path / "truncated.eqc").write_bytes(path.read_bytes()[:100])
    with pytest.raises(ec.ModelFileError, match="not a readable"):
        ec.load(tmp_path / "truncated.eqc")
    (tmp_path / "text.eqc").write_text("not a model")
    with pytest.raises(ec.ModelFileError, match="not a readable"):
        ec.load(tmp_path / "text.eqc")
    with pytest.raises(FileNotFoundError):
        ec.load(tmp_path / "missing.eqc")


def test_a_failed_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / "model.eqc"
    cell = _model()
    ec.save(path, cell)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        ec.save(path, eqx.nn.Linear(2, 2, key=jax.random.key(0)))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.eqc"]  # no temporary left
    assert float(jnp.max(ec.load(path, classes=[Shunt]).radius)) == float(jnp.max(cell.radius))


def _network_file(tmp_path, rename):
    """A saved network whose spec names the classes that `rename` maps to."""
    path = tmp_path / "net.eqc"
    ec.save(path, _network())
    with zipfile.ZipFile(path) as z:
        spec, leaves = json.loads(z.read("spec.json")), z.read("leaves.eqx")
    for entry in spec["channels"] + spec["network"]["connections"]:
        entry["class"] = rename.get(entry["class"], entry["class"])
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("spec.json", json.dumps(spec))
        z.writestr("leaves.eqx", leaves)
    return path


def test_load_imports_nothing_the_file_names(tmp_path, monkeypatch):
    # A planted module, importable from sys.path, whose import would write a sentinel.
    sentinel = tmp_path / "sentinel"
    planted = tmp_path / "planted_eqcable_module.py"
    planted.write_text(
        f"open({str(sentinel)!r}, 'w').write('ran')\n"
        "import eqcable\n"
        "class Evil(eqcable.IonotropicSynapse):\n"
        "    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    name = "eqcable.synapses.ionotropic.IonotropicSynapse"
    path = _network_file(tmp_path, {name: "planted_eqcable_module.Evil"})
    with pytest.raises(ec.ModelFileError, match="planted_eqcable_module.Evil"):
        ec.load(path)
    assert not sentinel.exists()
    assert "planted_eqcable_module" not in sys.modules
    # Even a name inside eqcable's own package is looked up, never imported.
    path = _network_file(tmp_path, {name: "eqcable.not_a_module.IonotropicSynapse"})
    with pytest.raises(ec.ModelFileError, match="not_a_module"):
        ec.load(path)
    assert "eqcable.not_a_module" not in sys.modules


def test_user_classes_are_passed_explicitly(tmp_path):
    path = tmp_path / "model.eqc"
    ec.save(path, _model())
    with pytest.raises(ec.ModelFileError, match=r"test_io.Shunt.*classes=\[TheClass\]"):
        ec.load(path)
    with pytest.raises(TypeError, match="AbstractChannel"):
        ec.load(path, classes=[int])
    # Passed from another module (e.g. saved in a notebook): matched by its name.
    spec = json.loads(zipfile.ZipFile(path).read("spec.json"))
    assert [c["class"] for c in spec["channels"]] == ["eqcable.channels.hh.HH", "test_io.Shunt"]
    with zipfile.ZipFile(path) as z:
        leaves = z.read("leaves.eqx")
    spec["channels"][1]["class"] = "__main__.Shunt"
    with zipfile.ZipFile(tmp_path / "main.eqc", "w") as z:
        z.writestr("spec.json", json.dumps(spec))
        z.writestr("leaves.eqx", leaves)
    loaded = ec.load(tmp_path / "main.eqc", classes=[Shunt])
    assert type(loaded.channels[1]) is Shunt


def test_save_names_the_missing_folder(tmp_path):
    missing = tmp_path / "no" / "such" / "folder"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        ec.save(missing / "model.eqc", _model())
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        ec.save(tmp_path, _model())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("build", [_model, _network])
def test_files_saved_before_trainable_paths_still_load(build):
    # Written by eqcable 769e810 (before trainables saved their paths, stimuli their time
    # step, and states whether they were set explicitly; the default axial resistivity
    # was 100 Ω·cm) from this file's `_model` and `_network`: every saved value loads as
    # it was, and the model runs as the same model built today.
    name = {"_model": "format1_cell.eqc", "_network": "format1_network.eqc"}[build.__name__]
    loaded = ec.load(MODELS / name, classes=[Shunt])
    cell = build(ra=100.0)
    # Their stimuli are bare arrays; their states all explicit (the values saved).
    assert all(st.dt is None for st in loaded.stimuli)
    assert all(bool(np.all(x)) for x in loaded.explicit_states.values())
    a, b = _as_explicit(loaded), _as_explicit(cell)
    assert jax.tree.structure(a) == jax.tree.structure(b)
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-15, atol=0)
    assert [t.path for t in loaded.trainables] == [t.path for t in cell.trainables]
    params = jax.tree.map(lambda x: x * 1.1, cell.params())
    np.testing.assert_allclose(
        loaded.integrate(params, t_max=5.0), cell.integrate(params, t_max=5.0), atol=1e-12
    )


def _as_explicit(module):
    """`module` with every state explicit at its initial value, stimuli without dt."""
    explicit = {n: jnp.ones_like(x) for n, x in module.explicit_states.items()}
    stimuli = tuple(Stimulus(st.indices, st.current) for st in module.stimuli)
    return eqx.tree_at(
        lambda m: (m.states, m.explicit_states, m.stimuli),
        module,
        (module.initial_states(), explicit, stimuli),
    )


def test_files_saved_before_the_ion_layer_load_with_hh_reversals_as_ions():
    # Written by eqcable 6350909 (HH held eNa and eK), with the trace it gave then
    # (before_ions_cell_v.npy): HH(eNa=55, eK=-80) on a three-branch cell, eK = -85 and a
    # Leak on branch 2, "HH_eNa" trainable (shared) and "HH_eK" on branch 1.
    loaded = ec.load(MODELS / "before_ions_cell.eqc")
    then = np.load(MODELS / "before_ions_cell_v.npy")
    np.testing.assert_allclose(loaded.integrate(t_max=5.0), then, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(loaded.get("ena"), np.full(9, 55.0))
    np.testing.assert_array_equal(loaded.get("ek"), [-80.0] * 6 + [-85.0] * 3)
    assert loaded.get("nai")[0] == ec.NEURON_IONS["na"].ci
    assert [(t.name, t.path) for t in loaded.trainables] == [
        ("ena", ("ions", "ena")),
        ("ek", ("ions", "ek")),
    ]
    b = ec.Branch(ec.Compartment(radius=1.0, length=20.0), ncomp=3)
    cell = ec.Cell([b, b, b], parents=[-1, 0, 0]).insert(ec.HH()).set("ena", 55.0)
    cell = cell.set("ek", -80.0).branch(2).set("ek", -85.0).insert(ec.Leak(gLeak=2e-4))
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 2.0, 0.3, 0.025, 5.0)).comp(8).record()
    cell = cell.make_trainable("ena").branch(1).make_trainable("ek", shared=False)
    np.testing.assert_array_equal(loaded.integrate(t_max=5.0), cell.integrate(t_max=5.0))
    params = jax.tree.map(lambda x: x + 1.0, cell.params())
    np.testing.assert_array_equal(
        loaded.integrate(params, t_max=5.0), cell.integrate(params, t_max=5.0)
    )
