import jax

# Accuracy is asserted throughout the suite (NEURON parity to 1e-6 mV, finite-difference
# gradients to 1e-5), so the tests run in float64.
jax.config.update("jax_enable_x64", True)
