"""The README's quick example: build a cell, simulate it, take a gradient."""

import jax

# Float64 before anything else: JAX's default float32 puts this example's gradients about
# 5e-5 (relative) off float64, and `integrate` would warn (Float32Warning).
jax.config.update("jax_enable_x64", True)

import equinox as eqx  # noqa: E402

import eqcable as ec  # noqa: E402

branch = ec.Branch(ec.Compartment(), ncomp=4)
cell = ec.Cell([branch, branch, branch], parents=[-1, 0, 0])
cell = cell.insert(ec.HH())
cell = (
    cell.branch(1)
    .comp(3)
    .stimulate(ec.step_current(delay=1.0, duration=2.0, amplitude=0.5, dt=0.025, t_max=10.0))
)
cell = cell.branch(0).comp(0).record("v")
cell = cell.branch(2).comp(3).record("v")
cell = cell.make_trainable("radius")
params = cell.params()
v = cell.integrate(params, t_max=10.0, dt=0.025)  # shape (2, 401)
info = cell.recording_info(t_max=10.0, dt=0.025)  # v's time (ms), and each row's label and unit
grads = eqx.filter_grad(lambda p: cell.integrate(p, t_max=10.0).mean())(params)

for trace, label, unit in zip(v, info.labels, info.units, strict=True):
    k = int(trace.argmax())
    print(f"{label}: peak {float(trace[k]):.1f} {unit} at t = {info.time[k]:.2f} ms")
print(f"d mean(v) / d radius = {float(grads[0]['radius']):.4f} mV/µm")
