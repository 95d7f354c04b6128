"""Every scenario in scenarios/ validates and runs end to end through the command (a short run each).

Parametrised per file, so a failure names the scenario. 24 runs in batches of 12 keep each case to a few
seconds on two cores; the probabilities are not checked here, only that the run completes and the summary is
well formed.
"""

from __future__ import annotations

import csv
import math

import pytest

from sim import cli
from sim.input.scenario import load_scenario
from tests.conftest import ROOT

SCENARIOS = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if not p.name.startswith("."))
RUNS = 24


def test_there_are_scenarios():
    assert len(SCENARIOS) >= 5


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_validates_and_runs(path, tmp_path, capsys):
    sc = load_scenario(path)  # raises ScenarioError listing every problem
    out = tmp_path / sc.id
    code = cli.main(["run", str(path), "--runs", str(RUNS), "--batch-size", "12", "--no-plots", "--quiet",
                     "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    with open(out / "summary.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["target_id"] for r in rows] == [t.id for t in sc.targets] + ["ALL"]
    for t, r in zip(sc.targets, rows, strict=False):
        assert r["runs"] == str(RUNS)
        if t.modelled:
            p, lo, hi = float(r["p_hit"]), float(r["p_hit_low"]), float(r["p_hit_high"])
            assert 0.0 <= lo <= p <= hi <= 1.0, (t.id, r)
            assert r["median"] == "" or math.isfinite(float(r["median"]))
        else:
            assert r["p_hit"] == "", t.id
    assert 0.0 <= float(rows[-1]["p_hit"]) <= 1.0
    assert sum(t.modelled for t in sc.targets) >= 1
