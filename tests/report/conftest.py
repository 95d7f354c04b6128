"""Finished results folders for the report tests, made once per session: a run of the tiny scenario (its name
holding markup and template syntax, with its report), a comparison made by hand and a back-test made by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

#: The tiny scenario's name in the report tests: markup and template syntax that must show as text.
TRICKY_NAME = "测试地区 <script>alert('x')</script> {{ 7*7 }} {% raw %}"


@pytest.fixture(scope="session")
def run_folder(tmp_path_factory) -> Path:
    """A finished run folder (12 runs of tiny.yaml renamed `TRICKY_NAME`), written with --report."""
    from sim.input.scenario import load_scenario
    from sim.pipeline import run_to_folder
    from tests.helpers import tiny_text

    base = tmp_path_factory.mktemp("report_run")
    path = base / "tricky.yaml"
    path.write_text(tiny_text(**{"name: 测试地区": f"name: \"{TRICKY_NAME}\""}), encoding="utf-8")
    outcome = run_to_folder(load_scenario(path), base / "tricky-2", runs=12, seed=2, workers=1, report=True)
    assert not outcome.plot_failures, outcome.plot_failures
    return outcome.out


@pytest.fixture(scope="session")
def compare_folder(tmp_path_factory) -> Path:
    """A finished comparison folder of a comparison made by hand (`tests.helpers.fake_comparison`): 40 runs,
    variant `dear` raises target t0 by about 50 points for 400 万元 more (above the first lever's cap of 200),
    `cheap` by about 25 points for 100 万元 more."""
    from sim.report.compare_files import write_comparison
    from tests.helpers import fake_comparison

    rng = np.random.default_rng(1)
    base = rng.random((40, 2)) < 0.3
    dear, cheap = base.copy(), base.copy()
    dear[:, 0] = np.arange(40) < 32
    cheap[:, 0] = base[:, 0] | (np.arange(40) < 22)
    c = fake_comparison({"base": base, "dear": dear, "cheap": cheap},
                        {"base": 0.0, "dear": 4e6, "cheap": 1e6})
    out = tmp_path_factory.mktemp("report_compare") / "fake-0"
    write_comparison(c, out, plots=True, identity={"kind": "compare", "experiment_id": "fake",
                                                   "experiment_sha256": "0" * 64, "scenario_sha256": "1" * 64,
                                                   "seed": 0, "runs": 40})
    return out


@pytest.fixture(scope="session")
def backtest_folder(tmp_path_factory) -> Path:
    """A finished back-test folder of a back-test made by hand (one series, one value outside its band)."""
    from sim.input.scenario import load_scenario
    from sim.measure.backtest import BacktestResult, Score
    from sim.report.backtest_files import write_backtest
    from tests.conftest import ROOT

    sc = load_scenario(ROOT / "scenarios" / "hindcast" / "guangxi_2015.yaml")
    times = [(y, 12, 0) for y in range(sc.base_year, sc.base_year + 3)]
    model = np.random.default_rng(0).lognormal(np.log(100.0), 0.1, (50, len(times)))
    scores = [Score("hte_stock", "hte", "region", sc.base_year + k, "year", 100.0 + 30 * (k - 1), 0.03, 100.0, 85.0,
                    95.0, 105.0, 115.0, 0.5, k == 1, k == 1, 0.1, 0.2, 100.0, "X") for k in (1, 2)]
    result = BacktestResult(sc, 50, 0, scores, [("zone_net_profit", "not modelled")], [],
                            {("hte_stock", "hte"): model}, times)
    out = tmp_path_factory.mktemp("report_backtest") / "hindcast-0"
    write_backtest(result, out, plots=True)
    return out
