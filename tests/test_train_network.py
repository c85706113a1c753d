"""The network-training example (a short variant) recovers its hidden conductances."""

import importlib.util
from pathlib import Path

import numpy as np


def test_train_network_example_recovers_conductances():
    path = Path(__file__).parent.parent / "examples" / "train_network.py"
    spec = importlib.util.spec_from_file_location("train_network", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    net, true, fitted, result, _ = example.train(steps=150, t_max=50.0, progress=False)
    g_true = np.asarray(true[0]["IonotropicSynapse_gS"])
    g_fit = np.asarray(fitted[0]["IonotropicSynapse_gS"])
    start = np.asarray(net.params()[0]["IonotropicSynapse_gS"])
    assert np.all(np.abs(start - g_true) / g_true > 0.1)  # the fit has work to do
    np.testing.assert_allclose(g_fit, g_true, rtol=0.01)
    assert result.history[-1] < 1e-3 * result.history[0]
