"""sim.run.calibrate: calibration — the data a back-test gives it, the distance, and a seed that gives the same
posterior with any number of workers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.input.scenario import load_scenario
from sim.run import calibrate as cal
from tests.conftest import ROOT
from tests.helpers import batch_states_without_collector

GUANGXI_2015 = ROOT / "scenarios" / "hindcast" / "guangxi_2015.yaml"


@pytest.fixture(scope="module")
def hindcast():
    return load_scenario(GUANGXI_2015)


def test_data_are_the_observations_of_the_window_up_to_until(hindcast):
    data = cal.data_of(hindcast, 2016)
    assert {d.year for d in data} == {2016} and [d.series for d in data] == ["hte_stock"]
    later = cal.data_of(hindcast, 2017)
    assert {d.year for d in later} == {2016, 2017}
    output = next(d for d in later if d.series == "zone_output")
    assert output.factor == 0.72 and output.sigma == pytest.approx(math.hypot(0.03, 0.05))


def test_distance_weights_each_log_difference_by_its_error():
    x0 = {"a": 0.0, "b": 1.0}
    sigma = {"a": 0.1, "b": 0.5}
    assert cal.distance({"a": 0.1, "b": 1.0}, x0, sigma) == pytest.approx(1.0)
    assert cal.distance({"a": 0.0, "b": 2.0, "extra": 9.0}, x0, sigma) == pytest.approx(2.0)


def test_the_same_seed_gives_the_same_posterior_with_one_or_two_workers(hindcast):
    kw = dict(until=2016, names=["hte_prepare_rate", "capability_growth"], population=4, generations=2, seed=3,
              holdout=False)
    one = cal.calibrate(hindcast, workers=1, **kw)
    two = cal.calibrate(hindcast, workers=2, **kw)
    assert np.array_equal(one.samples, two.samples) and np.allclose(one.weights, two.weights)
    assert [g["epsilon"] for g in one.generations] == [g["epsilon"] for g in two.generations]
    priors = hindcast.param_priors()
    for k, name in enumerate(one.names):  # every particle lies in its prior's support
        lo, hi = priors[name].bounds()
        assert ((one.samples[:, k] >= lo) & (one.samples[:, k] <= hi)).all()


def test_a_simulation_frees_its_agents(tiny, monkeypatch):
    """One run's agents are held in reference cycles by its calendar; calibration releases each run once its
    values are read, so they go by reference counting, not at the next full collection (issue 14)."""
    with batch_states_without_collector(monkeypatch) as states:
        for _ in range(2):
            assert cal.simulate(tiny, [], {}, seed=0) == {}
        assert len(states) == 2 and all(ref() is None for ref in states)
