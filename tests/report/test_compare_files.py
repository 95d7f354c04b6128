"""sim.report.compare_files: what `zonesim compare` writes — compare.csv, cost_effectiveness.csv, lever_costs.csv
(UTF-8 with a BOM, rounded, money in 万元) and a manifest listing them — and its terminal table within 120
columns, grouped by target, every row naming its target and variant."""

from __future__ import annotations

import csv
import json
import re

import numpy as np
import pandas as pd
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
from sim.report.files import display_width
from sim.runner.compare import run_experiment
from tests.conftest import DATA
from tests.helpers import fake_comparison, make_target


@pytest.fixture(scope="module")
def comparison():
    return run_experiment(load_experiment(DATA / "tiny_experiment.yaml"), runs=12, workers=1)


def read(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_tables_and_the_manifest_are_written_without_plots(comparison, tmp_path):
    files = write_comparison(comparison, tmp_path, plots=False, identity={"seed": 3})
    assert [f.name for f in files] == ["compare.csv", "cost_effectiveness.csv", "lever_costs.csv", "manifest.json"]
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "compare" and manifest["identity"] == {"seed": 3}
    assert manifest["files"] == sorted(f.name for f in files[:-1])
    assert manifest["variants"] == [v.id for v in comparison.experiment.variants] and manifest["runs"] == 12


def test_each_table_holds_its_rows_rounded_with_money_in_wan(comparison, tmp_path):
    write_comparison(comparison, tmp_path, plots=False)
    for name, columns, rows in (("compare.csv", COMPARE_COLUMNS, comparison.rows()),
                                ("cost_effectiveness.csv", EFFECT_COLUMNS, comparison.effect_rows()),
                                ("lever_costs.csv", LEVER_COST_COLUMNS, comparison.lever_cost_rows())):
        assert (tmp_path / name).read_bytes().startswith("\ufeffvariant,".encode())  # a BOM, for Excel
        written = read(tmp_path / name)
        assert tuple(written[0]) == columns and len(written) == len(rows)
        assert not [c for c in columns if "cost" in c or "budget" in c if not c.endswith("_wan")]  # one unit
        for got, want in zip(written, rows, strict=True):
            for key in columns:
                if key.endswith("_wan"):  # RMB in the comparison, 万元 to 2 decimals in the file
                    value = want[key[:-4]]
                    assert got[key] == "" if value is None or np.isnan(value) else \
                        abs(float(got[key]) - value / 1e4) <= 0.005 + 1e-9, (key, got[key], value)
                elif key in ("variant_name", "target_name", "target_name_en"):
                    assert got[key]
                elif isinstance(want[key], float) and np.isnan(want[key]):
                    assert got[key] == ""
                elif isinstance(want[key], float):
                    tolerance = {"delta_points": 0.005, "delta_indicator": 5e-4 * abs(want[key])}.get(key, 5e-5)
                    assert abs(float(got[key]) - want[key]) <= tolerance + 1e-12, (key, got[key], want[key])
                else:
                    assert got[key] == ("" if want[key] is None else str(want[key]))
    names = {v.id: v.name for v in comparison.experiment.variants}
    for got in read(tmp_path / "compare.csv"):
        assert got["variant_name"] == names[got["variant"]]
    assert pd.read_csv(tmp_path / "compare.csv", encoding="utf-8-sig").columns[0] == "variant"


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
        assert f"{v.name} ({v.id})" in text
    if quiet:
        assert "No variant moves these targets" in text and all(t in text for t in quiet)
    assert "Most probability per yuan" in text and "万元" in text and "RMB" in text
    for tid, vid, _name, _what in comparison.best_per_yuan_text():
        assert f"  {tid}: " in text and f"({vid})" in text


def variant_rows(text: str, variant_ids: list[str]) -> list[list[str]]:
    """The table's rows of variants (the first line of each), as [target cell, variant id]."""
    out = []
    for line in text.splitlines():
        found = [v for v in variant_ids if re.search(rf"\({re.escape(v)}\) +\d", line)]
        if found:
            out.append([line.split()[0], found[0]])
    return out


def test_every_row_names_its_target_and_variant_grouped_by_target(comparison):
    text = format_comparison(comparison)
    order = ["base"] + [v.id for v in comparison.experiment.variants if v.id != "base"]
    rows = variant_rows(text, order)
    shown = [t for t in comparison.target_ids() if any(r[0] == t for r in rows)]
    assert shown[-1] == "ALL"
    assert rows == [[t, v] for t in shown for v in order]  # grouped: each target's block has every variant, in order
    assert all(display_width(line) <= 120 for line in text.splitlines())


def long_comparison(n_variants: int = 4, runs: int = 30, seed: int = 0):
    """A comparison made by hand with 60-character target ids, names and variant names."""
    rng = np.random.default_rng(seed)
    targets = [make_target(id=(f"t{j}_" + "national_incubators_and_maker_spaces_" * 2)[:60],
                           name=("国家级科技企业孵化器和众创空间数" * 4)[:60],
                           name_en=("National-level incubators and maker spaces " * 3)[:60], threshold=35.0)
               for j in range(2)]
    ids = ["base"] + [("variant_with_a_long_identifier_" * 2)[:58] + f"{k:02d}" for k in range(1, n_variants)]
    hits = {v: rng.random((runs, 2)) < 0.2 + 0.15 * k for k, v in enumerate(ids)}
    costs = {v: np.full(runs, 1e7 * (1 + k)) for k, v in enumerate(ids)}
    names = {v: ("奖励额度提高到三十万元并且增加孵化器补助" * 3)[:60] + f" {k}" for k, v in enumerate(ids)}
    return fake_comparison(hits, costs, targets, names)


def test_long_ids_and_names_fit_120_columns_and_every_row_names_its_target():
    c = long_comparison()
    text = format_comparison(c)
    assert all(display_width(line) <= 120 for line in text.splitlines()), text
    assert "…" not in text
    for line in text.splitlines():  # a row of a variant starts with (the beginning of) its target's id
        if re.search(r"\) +\d+\.\d%", line):
            assert line.startswith("t0_") or line.startswith("t1_") or line.startswith("ALL"), line


def test_money_is_in_wan_and_a_saving_is_called_cheaper():
    runs = 40
    up = np.ones((runs, 1), bool)
    base = np.zeros((runs, 1), bool)
    c = fake_comparison({"base": base, "cheap": up, "same": up, "dear": up},
                        {"base": np.full(runs, 5e6), "cheap": np.full(runs, 3e6), "same": np.full(runs, 5e6),
                         "dear": np.full(runs, 9e6)})
    text = format_comparison(c)
    assert "500" in text and "5,000,000" not in text  # 5M RMB = 500 万元
    best = {tid: what for tid, _vid, _name, what in c.best_per_yuan_text()}
    assert best["t0"].startswith("cheaper than the base by 200 万元")  # the saving wins, and is called one
    assert "no extra cost" not in text
    same_only = fake_comparison({"base": base, "same": up}, {"base": np.full(runs, 5e6), "same": np.full(runs, 5e6)})
    assert same_only.best_per_yuan_text()[0][3].startswith("at no extra cost")
    dear_only = fake_comparison({"base": base, "dear": up}, {"base": np.full(runs, 5e6), "dear": np.full(runs, 9e6)})
    assert dear_only.best_per_yuan_text()[0][3].startswith("25.00 points per 100 万元")  # 100 points for 400 万元


def test_a_spending_target_is_said_to_be_moved_by_the_levers_own_spending():
    """Lever payments count in fiscal S&T spending: the best variant per yuan for such a target says so (a
    new user read the Zengcheng experiment's vouchers as a finding)."""
    runs = 40
    up, base = np.ones((runs, 2), bool), np.zeros((runs, 2), bool)
    targets = [make_target(id="fiscal", indicator="fiscal_st", threshold=30000),
               make_target(id="hte_t", indicator="hte", threshold=80)]
    c = fake_comparison({"base": base, "dear": up}, {"base": np.full(runs, 5e6), "dear": np.full(runs, 9e6)},
                        targets=targets)
    best = {tid: what for tid, _vid, _name, what in c.best_per_yuan_text()}
    assert "moves it by its spending" in best["fiscal"]
    assert "spending" not in best["hte_t"]


def thrifty_comparison():
    """100 runs: variant `thrift` saves 1 万元 (the base's cost carries float noise: 10,000.000000000002 RMB) and
    hits target t0 in one run fewer than the base (Δ = −0.01, −1.0000000000000009 points as a float)."""
    runs = 100
    base = np.zeros((runs, 2), bool)
    base[:30, 0] = True
    thrift = base.copy()
    thrift[29, 0] = False
    return fake_comparison({"base": base, "thrift": thrift},
                           {"base": np.full(runs, (0.1 + 0.2) / 0.3 * 1e4), "thrift": np.zeros(runs)})


def test_no_cost_per_point_for_a_variant_that_saves_money_by_losing_probability(tmp_path):
    write_comparison(thrifty_comparison(), tmp_path, plots=False)
    effects = {r["target_id"]: r for r in read(tmp_path / "cost_effectiveness.csv")}
    t0 = effects["t0"]
    assert float(t0["delta_points"]) == -1.0 and float(t0["delta_cost_mean_wan"]) == -1.0
    # −1 万元 for −1 point is not "1 万元 per point": the cell is empty, and so is the cost per unit of a loss
    assert t0["cost_per_point_wan"] == "" and t0["cost_per_unit_wan"] == "" and float(t0["delta_indicator"]) < 0
    assert effects["t1"]["cost_per_point_wan"] == ""  # no change, no price


def test_money_and_points_are_written_without_float_noise(tmp_path):
    write_comparison(thrifty_comparison(), tmp_path, plots=False)
    for name, columns in (("compare.csv", COMPARE_COLUMNS), ("cost_effectiveness.csv", EFFECT_COLUMNS),
                          ("lever_costs.csv", LEVER_COST_COLUMNS)):
        for row in read(tmp_path / name):
            for col in columns:
                if col.endswith("_wan") or col == "delta_points":
                    decimals = row[col].partition(".")[2]
                    assert len(decimals) <= 2 and "e" not in row[col], (name, col, row[col])
    effects = read(tmp_path / "cost_effectiveness.csv")
    assert effects[0]["delta_points"] == "-1.0" and effects[0]["delta_cost_mean_wan"] == "-1.0"
