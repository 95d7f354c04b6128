"""Back-tests: history as observations, the naive forecaster, the gate, the caution rule, and the reduced
hindcasts of Guangxi (2015 → 2017) and Hunan (2013 → 2016) whose HTE stocks must fall in their 5–95% band."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.input import history
from sim.input.scenario import build_scenario, load_scenario
from sim.input.yamlio import loads_yaml
from sim.measure import backtest
from sim.measure.backtest import Score, gate, naive_forecast

from .conftest import ROOT

HINDCAST = ROOT / "scenarios" / "hindcast"


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


def test_naive_forecaster_carries_the_last_growth_rate_forward_with_its_spread():
    rng = np.random.default_rng(0)
    # Guangxi's HTE stock: 417 (2005), 413.5 (2010), 641 (2015): last rate ln(641/413.5)/5 a year
    draws = naive_forecast("hte_stock", "guangxi", "year", 2015, 2017, fallback=1.0, n=20_000, rng=rng)
    rate = math.log(641 / 413.5) / 5
    assert np.median(draws) == pytest.approx(641 * math.exp(2 * rate), rel=0.01)
    spread = float(np.std([math.log(413.5 / 417) / 5, rate], ddof=1))
    assert np.std(np.log(draws)) == pytest.approx(spread * math.sqrt(2), rel=0.05)


def test_naive_forecaster_without_history_starts_from_the_models_base_value():
    rng = np.random.default_rng(0)
    draws = naive_forecast("no_such_series", "guangxi", "year", 2015, 2016, fallback=50.0, n=20_000, rng=rng)
    assert np.median(draws) == pytest.approx(50.0, rel=0.01)
    assert np.std(np.log(draws)) == pytest.approx(backtest.NAIVE_SPREAD_FEW, rel=0.05)


def _score(in90: bool = True, pit: float = 0.5, crps: float = 0.1, naive: float = 0.2) -> Score:
    return Score("s", "hte", "zones", 2017, "year", 1.0, 0.03, 1, 0.9, 0.95, 1.05, 1.1, pit, True, in90, crps, naive,
                 1.0, "X")


def test_the_gate_fails_on_each_of_its_three_conditions():
    assert gate([_score()] * 5) == (True, [])
    ok, why = gate([_score(in90=False)] + [_score()] * 4)
    assert not ok and "90% band" in why[0]
    ok, why = gate([_score(pit=0.95)] * 2 + [_score()] * 3)  # 2 of 5 outside 10–90% > one in five
    assert not ok and "PIT" in why[0]
    ok, why = gate([_score(crps=0.3, naive=0.2)] * 5)  # wide bands cover everything but lose to the naive forecast
    assert not ok and "naive" in why[0]
    assert gate([])[0] is False


def test_a_backtest_must_account_for_every_series_observed_in_its_window():
    text = (HINDCAST / "guangxi_2015.yaml").read_text(encoding="utf-8")
    line = '    - {series: zone_net_profit, reason: "profits are not modelled"}\n'
    assert line in text
    with pytest.raises(ScenarioError) as info:
        build_scenario(loads_yaml(text.replace(line, ""), file=str(HINDCAST / "x.yaml")))
    assert any("zone_net_profit" in p.found for p in info.value.problems)


def test_caution_flags_extreme_probabilities_on_poorly_back_tested_indicators(monkeypatch):
    rows = ({"indicator": "hte", "scope": "region", "region": "guangxi", "observations": "3", "in90": "3",
             "pit_outside": "0"},
            {"indicator": "output", "scope": "zones", "region": "guangxi", "observations": "2", "in90": "1",
             "pit_outside": "1"})
    monkeypatch.setattr(backtest, "coverage_table", lambda: rows)
    assert backtest.caution("hte", "region", 0.001) == ("supported", "")
    status, text = backtest.caution("output", "zones", 0.001)
    assert status == "poor" and "1 of 2" in text
    status, text = backtest.caution("tech_sme", "zones", 0.99)
    assert status == "untested" and "never back-tested" in text
    assert backtest.caution("output", "zones", 0.5)[1] == ""


def test_the_coverage_file_is_up_to_date_with_the_backtest_files():
    table = backtest.coverage_table()
    assert table, "sim/data/backtest_coverage.csv is missing: run experiments/run_backtests.py"
    for path in sorted(HINDCAST.glob("*.yaml")):
        sc = load_scenario(path)
        recorded = {r["scenario_sha256"] for r in table if r["scenario_id"] == sc.id}
        assert recorded == {sc.sha256}, f"{path.name} changed since its back-test: run experiments/run_backtests.py"


@pytest.mark.parametrize(("name", "year"), [("guangxi_2015", 2017), ("hunan_2013", 2016)])
def test_reduced_hindcast_puts_the_observed_hte_stock_in_its_5_95_band(name, year):
    from sim.run.montecarlo import run_scenario

    sc = load_scenario(HINDCAST / f"{name}.yaml")
    result = backtest.score(run_scenario(sc, runs=200, seed=0, workers=2), seed=0)
    [stock] = [s for s in result.scores if s.series == "hte_stock" and s.year == year]
    assert stock.p05 <= stock.observed <= stock.p95, (stock.observed, stock.p05, stock.p95)


def test_a_scored_backtest_is_written_as_tables_charts_and_a_manifest(tmp_path):
    import csv
    import json

    from sim.measure.backtest import BacktestResult
    from sim.report.backtest_files import SCORE_COLUMNS, write_backtest

    sc = load_scenario(HINDCAST / "guangxi_2015.yaml")
    times = [(y, 12, 0) for y in range(sc.base_year, sc.base_year + 3)]
    model = np.random.default_rng(0).lognormal(np.log(100.0), 0.1, (50, len(times)))
    scores = [Score("hte_stock", "hte", "region", sc.base_year + k, "year", 100.0, 0.03, 100.0, 85.0, 95.0, 105.0,
                    115.0, 0.5, True, True, 0.1, 0.2, 100.0, "X") for k in (1, 2)]
    result = BacktestResult(sc, 50, 0, scores, [("zone_net_profit", "not modelled")], [],
                            {("hte_stock", "hte"): model}, times)
    files = write_backtest(result, tmp_path, plots=True)
    names = [f.name for f in files]
    assert names == ["scores.csv", "backtest_summary.csv", "backtest_hte_stock.png", "backtest_hte_stock.svg",
                     "manifest.json"]
    with open(tmp_path / "scores.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == SCORE_COLUMNS and len(rows) == 2 and rows[0]["pit"] == "0.5"
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "backtest" and manifest["gate"]["pass"] is True
    assert manifest["files"] == sorted(names[:-1])
    assert [f.name for f in write_backtest(result, tmp_path / "bare", plots=False)] == \
        ["scores.csv", "backtest_summary.csv", "manifest.json"]
