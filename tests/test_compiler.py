"""eqcable's XLA options (`ec.compiler_options`): 512-bit vectors on CPUs. Results are the
same with and without them (to rounding: bit for bit where measured), and `integrate`
works with them at the top level and without them inside transformations (where JAX
refuses options)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import eqcable as ec
from eqcable.simulation.compiler import filter_jit


def _cell():
    branch = ec.Branch(ec.Compartment(radius=1.0, length=10.0), ncomp=50)
    cell = ec.Cell([branch] * 3, parents=[-1, 0, 0]).insert(ec.HH())
    cell = cell.comp(0).stimulate(ec.step_current(0.5, 2.0, 0.5, 0.025, 5.0))
    return cell.comp([0, 120]).record("v").make_trainable("HH_gNa")


def test_options_by_backend():
    assert ec.compiler_options("cpu") == {"xla_cpu_prefer_vector_width": 512}
    assert ec.compiler_options("gpu") == {} and ec.compiler_options("tpu") == {}
    options = ec.compiler_options()
    options["changed"] = 1  # a copy: the defaults stay
    assert "changed" not in ec.compiler_options()


def test_same_results_with_and_without_the_options():
    cell = _cell()
    params = cell.params()
    run = lambda p: cell.integrate(p, t_max=5.0)  # noqa: E731
    loss = lambda p: jnp.mean(run(p) ** 2)  # noqa: E731
    direct = run(params)  # the top level: with the options
    assert float(jnp.max(direct[0])) > 0.0
    plain = eqx.filter_jit(run)(params)  # inside a jit without options
    mine = eqx.filter_jit(run, compiler_options=ec.compiler_options())(params)
    # (Within a jit of one's own the program differs a little: parameters are constants.)
    np.testing.assert_allclose(direct, plain, atol=1e-11, rtol=0)
    np.testing.assert_allclose(mine, plain, atol=1e-11, rtol=0)
    g_plain = eqx.filter_jit(eqx.filter_grad(loss))(params)
    g_mine = eqx.filter_jit(eqx.filter_grad(loss), compiler_options=ec.compiler_options())(params)
    g_eager = jax.grad(loss)(params)  # inside grad: no options (JAX would refuse them)
    for a, b, c in zip(*(jax.tree.leaves(g) for g in (g_plain, g_mine, g_eager)), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-10)
        np.testing.assert_allclose(c, a, rtol=1e-10)
    batch = jax.vmap(lambda g: run([{"HH_gNa": g}]))(jnp.array([0.1, 0.12]))
    np.testing.assert_allclose(batch[1], direct, atol=1e-12, rtol=0)


def test_filter_jit_keeps_the_function():
    def f(x):
        """Doubles."""
        return 2 * x

    g = filter_jit(f)
    assert g.__doc__ == "Doubles." and g.__name__ == "f"
    assert float(g(jnp.asarray(1.5))) == 3.0
    assert float(jax.jit(g)(jnp.asarray(2.0))) == 4.0  # nested: no options, no error
