"""sim.report.compare_files: what `zonesim compare` writes — compare.csv, cost_effectiveness.csv, lever_costs.csv
(the comparison's rows in full precision) and a manifest listing them — and its terminal table."""

from __future__ import annotations

import csv
import json

import pytest

from sim.input.experiment import load_experiment
from sim.report import compare_plots
from sim.report.compare_files import (
    COMPARE_COLUMNS,
    EFFECT_COLUMNS,
    LEVER_COST_COLUMNS,
    format_comparison,
    write_comparison,
)
from sim.run.compare import run_experiment
from tests.conftest import DATA


@pytest.fixture(scope="module")
def comparison():
    return run_experiment(load_experiment(DATA / "tiny_experiment.yaml"), runs=12, workers=1)


def read(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_tables_and_the_manifest_are_written_without_plots(comparison, tmp_path):
    files = write_comparison(comparison, tmp_path, plots=False, identity={"seed": 3})
    assert [f.name for f in files] == ["compare.csv", "cost_effectiveness.csv", "lever_costs.csv", "manifest.json"]
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "compare" and manifest["identity"] == {"seed": 3}
    assert manifest["files"] == sorted(f.name for f in files[:-1])
    assert manifest["variants"] == [v.id for v in comparison.experiment.variants] and manifest["runs"] == 12


def test_each_table_holds_its_rows_in_full_precision(comparison, tmp_path):
    write_comparison(comparison, tmp_path, plots=False)
    for name, columns, rows in (("compare.csv", COMPARE_COLUMNS, comparison.rows()),
                                ("cost_effectiveness.csv", EFFECT_COLUMNS, comparison.effect_rows()),
                                ("lever_costs.csv", LEVER_COST_COLUMNS, comparison.lever_cost_rows())):
        written = read(tmp_path / name)
        assert tuple(written[0]) == columns and len(written) == len(rows)
        for got, want in zip(written, rows, strict=True):
            for key in columns:
                value = want[key]
                if isinstance(value, float):
                    assert got[key] == repr(value)  # identical runs give identical bytes
                else:
                    assert got[key] == ("" if value is None else str(value))


def test_a_plot_that_fails_loses_no_table(comparison, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("cannot draw")

    monkeypatch.setattr(compare_plots, "comparison_plots", broken)
    failures: list[str] = []
    files = write_comparison(comparison, tmp_path, plots=True, plot_failures=failures)
    assert failures == ["comparison plots: RuntimeError: cannot draw"]
    assert [f.name for f in files] == ["compare.csv", "cost_effectiveness.csv", "lever_costs.csv", "manifest.json"]
    with pytest.raises(RuntimeError):
        write_comparison(comparison, tmp_path / "again", plots=True)  # without a list, the failure is raised


def test_the_terminal_table_shows_moved_targets_and_the_best_per_yuan(comparison):
    text = format_comparison(comparison)
    assert text.startswith(comparison.experiment.name) and "12 runs per variant" in text
    moved = {r["target_id"] for r in comparison.rows() if r["variant"] != "base"
             and (r["delta_low"] > 0 or r["delta_high"] < 0)}
    quiet = [t for t in comparison.target_ids() if t not in moved and t != "ALL"]
    for v in comparison.experiment.variants:
        assert v.name in text
    if quiet:
        assert "No variant moves these targets" in text and all(t in text for t in quiet)
    assert "Most probability per yuan" in text
    for tid, vid, _name, _what in comparison.best_per_yuan_text():
        assert f"  {tid}: " in text and f"({vid})" in text
