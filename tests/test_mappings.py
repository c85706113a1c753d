"""`MemoryMapWarning`: warned when a simulation is compiled near Linux's mapping limit."""

import warnings

import pytest

import eqcable as ec
from eqcable.simulation import mappings


def _cell():
    return ec.Compartment().insert(ec.HH()).record()


def test_usage_counts_this_process_mappings():
    usage = ec.simulation.mapping_usage()
    if usage is None:
        pytest.skip("the system does not report memory mappings (not Linux)")
    count, limit = usage
    assert 0 < count < limit


def test_warns_at_compilation_near_the_limit(monkeypatch):
    if ec.simulation.mapping_usage() is None:
        pytest.skip("the system does not report memory mappings (not Linux)")
    monkeypatch.setattr(mappings, "WARN_FRACTION", 0.0)
    # A t_max no other test uses: a new compilation, whose trace runs the check.
    with pytest.warns(ec.MemoryMapWarning, match="jax.clear_caches") as record:
        _cell().integrate(t_max=0.725, dt=0.025)
    assert record[0].filename == __file__  # pointed at the user's call
    with warnings.catch_warnings():
        warnings.simplefilter("error", ec.MemoryMapWarning)
        _cell().integrate(t_max=0.725, dt=0.025)  # cached: no trace, no check


def test_silent_below_the_limit():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ec.MemoryMapWarning)
        _cell().integrate(t_max=0.75, dt=0.025)


def test_silent_where_the_system_does_not_say(monkeypatch):
    monkeypatch.setattr(mappings, "_MAX_MAP_COUNT", mappings.Path("/nonexistent/max_map_count"))
    assert ec.simulation.mapping_usage() is None
    mappings.warn_if_near_mapping_limit()  # no error, no warning
