"""sim.runner.calibrate: calibration — the data a back-test gives it, the distance, and a seed that gives the same
posterior with any number of workers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.input.scenario import load_scenario
from sim.runner import calibrate as cal
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


def test_a_series_marked_fit_false_is_scored_but_not_calibration_data(hindcast):
    """The national reference's incubator counts are scored by its back-test, not fitted (no calibrated
    parameter drives them); the others of 2016 are fitted."""
    national = load_scenario(ROOT / "scenarios" / "hindcast" / "national_2012.yaml")
    fitted = {d.series for d in cal.data_of(national, 2016)}
    scored = {o["series"] for o in national.raw["backtest"]["observe"]}
    left_out = {o["series"] for o in national.raw["backtest"]["observe"] if o.get("fit") is False}
    assert left_out == {"incubators", "incubators_national"}
    assert fitted == scored - left_out


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


@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=50))
@settings(max_examples=60, deadline=None)
def test_the_effective_sample_size_lies_between_one_and_the_particles(weights):
    w = np.asarray(weights)
    if w.sum() > 0:
        assert 1.0 - 1e-9 <= cal.kish_ess(w) <= len(w) + 1e-9
    assert cal.kish_ess(np.ones(len(w))) == pytest.approx(len(w))


@given(st.lists(st.floats(1.0, 200.0), min_size=1, max_size=10))
def test_the_posterior_is_the_last_generation_that_keeps_its_effective_particles(ess):
    """A generation whose weight collapsed (ESS under 10% of 200 particles) is never the posterior while an
    earlier one kept its spread; every later generation than the chosen one collapsed."""
    t = cal.posterior_index(ess, 200)
    keeps = [e >= 20.0 for e in ess]
    assert keeps[t] or not any(keeps)
    assert not any(keeps[t + 1:])


def test_a_calibration_that_reached_its_minimum_tolerance_resumes_as_finished(hindcast, tmp_path):
    """Resuming a finished calibration exports what the database holds: one stopped by the minimum ε (here
    reached at once) is finished too, and runs no further generation however many were asked for."""
    kw = dict(until=2016, names=["hte_prepare_rate"], population=4, generations=3, seed=1, holdout=False,
              min_epsilon=1e9, db=tmp_path / "fit.db")
    first = cal.calibrate(hindcast, **kw)
    again = cal.calibrate(hindcast, resume=True, **kw)
    assert len(first.generations) == len(again.generations) == 1
    assert again.evaluations == first.evaluations and np.array_equal(first.samples, again.samples)


def test_a_simulation_frees_its_agents(tiny, monkeypatch):
    """One run's agents are held in reference cycles by its calendar; calibration releases each run once its
    values are read, so they go by reference counting, not at the next full collection (issue 14)."""
    with batch_states_without_collector(monkeypatch) as states:
        for _ in range(2):
            assert cal.simulate(tiny, [], {}, seed=0) == {}
        assert len(states) == 2 and all(ref() is None for ref in states)


def test_more_parameters_than_observed_values_are_warned_about(hindcast):
    """Up to 2016 the Guangxi back-test gives one observed value: two parameters cannot both be learnt from it."""
    said: list[str] = []
    kw = dict(until=2016, population=4, generations=1, seed=1, holdout=False, min_epsilon=1e9, progress=said.append)
    cal.calibrate(hindcast, names=["hte_prepare_rate", "capability_growth"], **kw)
    assert any(s.startswith("warning: 2 parameters from 1 observed value") for s in said)
    said.clear()
    cal.calibrate(hindcast, names=["hte_prepare_rate"], **kw)
    assert not any(s.startswith("warning") for s in said)


def test_the_summary_repeats_the_warning_on_few_observed_values(tmp_path):
    """The warning printed before the fit is repeated at the top of the summary read after it, and the count of
    observations is singular when there is one."""
    from sim.pipeline import calibrate_to_file

    _, report = calibrate_to_file(load_scenario(GUANGXI_2015), 2016, tmp_path / "p.json",
                                  names=["hte_prepare_rate", "capability_growth"], population=4, generations=1,
                                  seed=1, workers=1, holdout=False)
    first, second = report.splitlines()[:2]
    assert first.startswith("warning: 2 parameters from 1 observed value")
    assert "from 1 observation up to 2016" in second
