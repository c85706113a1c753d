"""Ion species and the Nernst and GHK equations equal NEURON's (float64)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

import eqcable as ec

CELSIUS = [6.3, 20.0, 34.0, 37.0]
# (ci, co, valence): NEURON's default na, k, ca, an anion, a made-up divalent anion.
CASES = [(10.0, 140.0, 1), (54.4, 2.5, 1), (5e-5, 2.0, 2), (4.0, 110.0, -1), (1e-3, 3.0, -2)]


def test_constants_and_defaults_equal_neuron():
    from neuron import h

    assert ec.channels.ions.FARADAY == h.FARADAY
    assert ec.channels.ions.GAS_CONSTANT == h.R
    h.ion_register("ca", 2)
    sec = h.Section(name="ions")
    for mech in ("na_ion", "k_ion", "ca_ion"):
        sec.insert(mech)
    for name, ion in ec.NEURON_IONS.items():
        assert ion.ci == getattr(h, f"{name}i0_{name}_ion")
        assert ion.co == getattr(h, f"{name}o0_{name}_ion")
        assert ion.e == getattr(sec(0.5), f"e{name}")
        assert ion.valence == {"na": 1, "k": 1, "ca": 2}[name]
    with pytest.raises(TypeError):
        ec.NEURON_IONS["cl"] = ec.Ion(-1, 4.0, 110.0, -80.0)  # read-only


@pytest.mark.parametrize("celsius", CELSIUS)
def test_nernst_equals_neuron(celsius):
    from neuron import h

    h.celsius = celsius
    for ci, co, z in CASES:
        ours = float(ec.nernst(jnp.float64(ci), co, z, celsius))
        np.testing.assert_allclose(ours, h.nernst(ci, co, z), rtol=1e-13)
    # Vectorised over compartments, temperature as an array.
    ci = jnp.asarray([c[0] for c in CASES[:3]])
    co = jnp.asarray([c[1] for c in CASES[:3]])
    got = ec.nernst(ci, co, 1, jnp.float64(celsius))
    want = [h.nernst(a, b, 1) for a, b in zip(ci.tolist(), co.tolist(), strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-13)
    with pytest.raises(ValueError, match="valence must be non-zero"):
        ec.nernst(1.0, 2.0, 0, celsius)


@pytest.mark.parametrize("celsius", CELSIUS)
def test_ghk_equals_neuron_across_zero(celsius):
    from neuron import h

    h.celsius = celsius
    # Voltages through the removable singularity at 0 mV, both sides of NEURON's
    # small-argument branch (|w| < 1e-4, i.e. |v| below ~1e-3 mV), and far out.
    near = np.concatenate([[0.0], np.geomspace(1e-12, 1e-1, 23)])
    v = np.concatenate([np.linspace(-120.0, 80.0, 81), near, -near])
    for ci, co, z in CASES:
        ours = ec.ghk(jnp.asarray(v), ci, co, z, celsius)
        want = np.array([h.ghk(x, ci, co, z) for x in v])
        np.testing.assert_allclose(ours, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_ghk_gradients_are_finite_and_exact_near_zero():
    # Derivatives w.r.t. v and both concentrations, also at and around v = 0.
    for v0 in (-65.0, -1e-6, 0.0, 1e-6, 30.0):
        check_grads(
            lambda v, ci, co: ec.ghk(v, ci, co, 2, 34.0),
            (jnp.float64(v0), jnp.float64(1e-4), jnp.float64(2.0)),
            order=2,
            modes=("fwd", "rev"),
            eps=1e-4,
        )
    dv = jax.grad(lambda v: ec.ghk(v, 5e-5, 2.0, 2, 34.0))(jnp.float64(0.0))
    assert jnp.isfinite(dv)
    # Nernst: d/dci = -(RT/zF)/ci.
    de = jax.grad(lambda ci: ec.nernst(ci, 2.0, 2, 34.0))(jnp.float64(1e-4))
    rt_f = 1e3 * ec.channels.ions.GAS_CONSTANT * (34.0 + 273.15) / ec.channels.ions.FARADAY
    np.testing.assert_allclose(de, -rt_f / 2 / 1e-4, rtol=1e-13)
