"""sim.report.backtest_files: a scored back-test written as scores.csv, backtest_summary.csv, a fan chart per
scored series with its observed points (fit for a briefing, like every chart: every text inside, the back-test's
name, its coverage and PITs in the box, whole-number ticks for counts, editable SVG text), and a manifest
(written last) that lists them."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from sim.input.scenario import load_scenario
from sim.measure.backtest import BacktestResult, Score
from sim.report import plots
from sim.report.backtest_files import SCORE_COLUMNS, write_backtest
from tests.conftest import ROOT
from tests.report.test_style import all_texts, capture_figures, svg_problems, texts_outside, visible_ticks

HINDCAST = ROOT / "scenarios" / "hindcast"


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    sc = load_scenario(HINDCAST / "guangxi_2015.yaml")
    times = [(y, 12, 0) for y in range(sc.base_year, sc.base_year + 3)]
    model = np.random.default_rng(0).lognormal(np.log(100.0), 0.1, (50, len(times)))
    scores = [Score("hte_stock", "hte", "region", sc.base_year + k, "year", 100.0, 0.03, 100.0, 85.0, 95.0, 105.0,
                    115.0, 0.5, True, True, 0.1, 0.2, 100.0, "X") for k in (1, 2)]
    return BacktestResult(sc, 50, 0, scores, [("zone_net_profit", "not modelled")], [],
                          {("hte_stock", "hte"): model}, times)


def test_a_scored_backtest_is_written_as_tables_charts_and_a_manifest(tmp_path, result):
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


def test_the_tables_hold_every_score_and_the_summary(tmp_path, result):
    write_backtest(result, tmp_path, plots=False)
    with open(tmp_path / "scores.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["series"], int(r["year"])) for r in rows] == [(s.series, s.year) for s in result.scores]
    assert [float(r["observed"]) for r in rows] == [s.observed for s in result.scores]
    with open(tmp_path / "backtest_summary.csv", encoding="utf-8-sig") as fh:
        [summary] = list(csv.DictReader(fh))
    expected = result.summary()
    assert set(summary) == set(expected)
    assert int(summary["observations"]) == expected["observations"] == 2 and summary["gate"] == "True"


def test_the_manifest_records_what_was_scored_and_what_was_not(tmp_path, result):
    write_backtest(result, tmp_path, plots=False)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["identity"] == {"kind": "backtest", "scenario_sha256": result.scenario.sha256, "seed": 0,
                                    "runs": 50}
    given = {"kind": "backtest", "scenario_id": "x", "seed": 0}  # the identity the results folder checks
    write_backtest(result, tmp_path / "given", plots=False, identity=given)
    assert json.loads((tmp_path / "given" / "manifest.json").read_text(encoding="utf-8"))["identity"] == given
    assert manifest["unscored"] == [["zone_net_profit", "not modelled"]]
    assert manifest["summary"]["observations"] == 2 and manifest["gate"]["why"] == []


def test_the_charts_name_the_back_test_and_show_its_coverage(tmp_path, result, monkeypatch):
    figures = capture_figures(monkeypatch, plots)
    files = write_backtest(result, tmp_path, plots=True)
    fig = figures["backtest_hte_stock"]
    assert texts_outside(fig) == []
    texts = all_texts(fig)
    assert any(result.scenario.name in t and "Back-test" in t for t in texts)
    [box] = [t for t in texts if t.startswith("回测 back-test")]
    assert "2 / 2" in box and "90%" in box and "PIT" in box and "0.50" in box and "50 次运行 runs" in box
    fig.canvas.draw()
    ticks = visible_ticks(fig.axes[0])  # HTEs are counted
    assert len(ticks) >= 2 and all(float(v).is_integer() for v in ticks)
    assert svg_problems(next(f for f in files if f.suffix == ".svg")) == []
