"""sim.input.history: the bundled history (sim/data/history.csv) read as rows, and observations per year that
combine disagreeing sources into one value with its error, never past a region's cut-off."""

from __future__ import annotations

import math

import pytest

from sim.input import history

PAIRS = sorted({(r.series, r.region, r.period) for r in history.rows()})


def test_disagreeing_sources_become_one_observation_with_their_spread_as_error():
    [obs] = history.observed("zone_revenue", "national", until=2016, since=2016)
    assert sorted(obs.values) == [279_000.0, 283_000.0]
    assert obs.value == pytest.approx(math.sqrt(279_000 * 283_000))
    assert obs.log_sigma >= (math.log(283_000) - math.log(279_000)) / 2
    assert len(obs.sources) == 2


def test_observation_error_follows_the_flags():
    [exact] = history.observed("hte_stock", "guangxi", until=2017, since=2017)
    [derived] = history.observed("hte_stock", "guangxi", until=2016, since=2016)
    assert exact.log_sigma == history.SIGMA_EXACT and derived.log_sigma == history.SIGMA_UNCERTAIN


def test_history_beyond_a_regions_cutoff_is_refused():
    with pytest.raises(ValueError):
        history.observed("hte_stock", "hunan", until=2017)
    assert all(r.year <= history.CUTOFF[r.region] for r in history.rows())


@pytest.mark.parametrize(("series", "region", "period"), PAIRS, ids=["/".join(p) for p in PAIRS])
def test_observations_lie_in_their_window_and_between_their_sources(series, region, period):
    until = history.CUTOFF[region]
    since = until - 6
    observations = history.observed(series, region, until=until, since=since, period=period)
    years = [o.year for o in observations]
    assert years == sorted(set(years)) and all(since <= y <= until for y in years)
    for o in observations:
        assert (o.series, o.region, o.period) == (series, region, period)
        assert min(o.values) * (1 - 1e-12) <= o.value <= max(o.values) * (1 + 1e-12)
        assert o.log_sigma >= history.SIGMA_EXACT
        assert o.log_sigma >= (math.log(max(o.values)) - math.log(min(o.values))) / 2 - 1e-12
        assert len(o.sources) == len(o.values) >= 1
        if o.uncertain or o.derived:
            assert o.log_sigma >= history.SIGMA_UNCERTAIN


def test_every_positive_row_is_in_exactly_one_observation():
    rows = [r for r in history.rows() if r.value > 0]
    counted = 0
    for series, region, period in PAIRS:
        counted += sum(len(o.values) for o in history.observed(series, region, until=history.CUTOFF[region],
                                                                period=period))
    assert counted == len(rows)


def test_names_of_series_and_regions_come_from_the_rows():
    assert history.regions() == set(history.CUTOFF)
    assert history.series_names() == {r.series for r in history.rows()}
    assert "hte_stock" in history.series_names()


def test_an_unknown_series_has_no_observation():
    assert history.observed("no_such_series", "guangxi", until=2017) == []
