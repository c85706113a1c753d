"""Memory and time of a gradient through a long simulation (run one setting per process).

A 1,000-compartment HH cable, 20,000 steps of 0.025 ms (500 ms), gradient of the mean
squared soma voltage w.r.t. the shared HH sodium conductance, float64 on the CPU. Peak
memory is the process's maximum RSS, so run each setting in its own process:

    /usr/bin/time -v python benchmarks/long_gradient.py auto     # eqcable default
    /usr/bin/time -v python benchmarks/long_gradient.py none     # no segmenting
    /usr/bin/time -v python benchmarks/long_gradient.py jaxley   # Jaxley 0.14, default
    /usr/bin/time -v python benchmarks/long_gradient.py jaxley-142-142
                                     # Jaxley with checkpoint_lengths=[142, 142]
    /usr/bin/time -v python benchmarks/long_gradient.py auto SequentialSolve
                                     # eqcable with another solver than the default
"""

import functools
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import eqcable as ec  # noqa: E402

# eqcable compiles with its CPU options (`ec.compiler_options`) when called directly; a
# jit of one's own passes them.
jit = functools.partial(eqx.filter_jit, compiler_options=ec.compiler_options())

setting = sys.argv[1] if len(sys.argv) > 1 else "auto"
solver = getattr(ec, sys.argv[2])() if len(sys.argv) > 2 else None  # None: the default
T_MAX, DT = 500.0, 0.025

if setting.startswith("jaxley"):
    import jaxley as jx
    from jaxley.channels import HH

    lengths = [int(k) for k in setting.split("-")[1:]] or None
    branch = jx.Branch(jx.Compartment(), ncomp=1000)
    branch.insert(HH())
    branch.init_states()
    branch.comp(0).stimulate(jx.step_current(10.0, 400.0, 0.05, DT, T_MAX), verbose=False)
    branch.comp(0).record("v", verbose=False)
    branch.make_trainable("HH_gNa", verbose=False)
    params = branch.get_parameters()

    def run(p):
        return jx.integrate(branch, params=p, delta_t=DT, t_max=T_MAX, checkpoint_lengths=lengths)

    fwd = jax.jit(run)
    grad = jax.jit(jax.grad(lambda p: jnp.mean(run(p) ** 2)))
else:
    checkpoint_length = {"auto": "auto", "none": None}.get(setting, None)
    if setting not in ("auto", "none"):
        checkpoint_length = int(setting)
    cell = ec.Cell([ec.Branch(ec.Compartment(), ncomp=1000)], parents=[-1]).insert(ec.HH())
    cell = cell.comp(0).stimulate(ec.step_current(10.0, 400.0, 0.05, DT, T_MAX))
    cell = cell.comp(0).record().make_trainable("HH_gNa")
    params = cell.params()

    def run(p):
        return cell.integrate(
            p,
            t_max=T_MAX,
            dt=DT,
            checkpoint_length=checkpoint_length,
            solver=solver,
        )

    fwd = jit(run)
    grad = jit(eqx.filter_grad(lambda p: jnp.mean(run(p) ** 2)))
jax.block_until_ready(fwd(params))
jax.block_until_ready(grad(params))
times = {}
for name, f in (("fwd", fwd), ("grad", grad)):
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        jax.block_until_ready(f(params))
        runs.append(time.perf_counter() - start)
    times[name] = sorted(runs)[1]  # the median of three
print(
    f"{setting}: forward {times['fwd']:.2f} s, gradient {times['grad']:.2f} s, "
    f"ratio {times['grad'] / times['fwd']:.2f}"
)
