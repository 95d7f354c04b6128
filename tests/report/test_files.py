"""sim.report.files: what a run leaves on disk — summary.csv in full precision, per-run and per-zone Parquet tables,
fan charts, a manifest listing them — the terminal tables, and the combined table of several scenarios."""

from __future__ import annotations

import csv
import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.input.models import TARGET_KINDS
from sim.report import files
from sim.report.files import (
    COMBINED_COLUMNS,
    SUMMARY_COLUMNS,
    combined_path,
    combined_table,
    display_width,
    format_combined,
    format_table,
    indicators_table,
    pad,
    target_unit,
    write_combined_csv,
    write_results,
    write_summary_csv,
)
from sim.run.montecarlo import run_scenario
from tests.helpers import make_target

RUNS = 6


@pytest.fixture(scope="module")
def results(tiny):
    return run_scenario(tiny, runs=RUNS, seed=2, workers=1)


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_every_kind_has_a_unit_for_its_chart(kind):
    assert target_unit(make_target(kind=kind))


def test_the_summary_is_written_in_full_precision_with_nan_as_an_empty_cell(results, tmp_path):
    rows = results.summary()
    write_summary_csv(rows, tmp_path / "summary.csv")
    written = read_csv(tmp_path / "summary.csv")
    assert tuple(written[0]) == SUMMARY_COLUMNS and len(written) == len(rows)
    for got, want in zip(written, rows, strict=True):
        assert got["target_id"] == want["target_id"] and got["runs"] == str(RUNS)
        for key in ("threshold", "median", "p05", "p95", "p_hit", "p_hit_low", "p_hit_high"):
            value = want[key]
            if isinstance(value, float) and math.isnan(value):
                assert got[key] == ""
            else:
                assert float(got[key]) == value  # exact: identical runs give identical bytes


def test_the_indicators_table_has_a_row_per_run_and_snapshot(results, tiny):
    table = indicators_table(results).to_pandas()
    S = len(results.times)
    assert len(table) == RUNS * S
    assert list(table["run"]) == [r for r in range(RUNS) for _ in range(S)]
    np.testing.assert_array_equal(table["hte"].to_numpy().reshape(RUNS, S), results.indicator("hte"))
    for policy in tiny.policies:  # a lever's cost is the year's, at the year's December snapshot only
        cost = table[f"cost_{policy.id}"]
        assert cost[table["month"] != 12].isna().all()
        dec = table[(table["month"] == 12) & (table["year"] > tiny.base_year)]
        assert cost[dec.index].notna().all()
    assert float(np.nansum(table[[c for c in table if c.startswith("cost_")]].to_numpy())) == \
        pytest.approx(results.lever_costs.sum())


def test_write_results_writes_the_tables_and_a_manifest_listing_them(results, tmp_path):
    written = write_results(results, tmp_path, plots=False, identity={"seed": 2})
    assert set(written) == {"summary", "indicators", "zones", "manifest"}
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"] == ["indicators.parquet", "summary.csv", "zones.parquet"]
    assert (manifest["runs"], manifest["seed"], manifest["identity"]) == (RUNS, 2, {"seed": 2})
    assert manifest["scenario_sha256"] == results.scenario.sha256 and manifest["zonesim_version"]
    zones = pd.read_parquet(tmp_path / "zones.parquet")
    assert len(zones) == RUNS * len(results.times) * len(results.scenario.zones)
    assert set(zones["zone"]) == {z.id for z in results.scenario.zones}


def test_a_chart_that_fails_loses_no_table(results, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("cannot draw")

    monkeypatch.setattr(files, "fan_charts", broken)
    failures: list[str] = []
    written = write_results(results, tmp_path, plots=True, plot_failures=failures)
    assert failures == ["fan charts: RuntimeError: cannot draw"]
    assert (tmp_path / "summary.csv").is_file() and "manifest" in written
    with pytest.raises(RuntimeError):
        write_results(results, tmp_path / "again", plots=True)


def test_a_fan_chart_is_drawn_per_modelled_target(results, tmp_path):
    two = dataclasses.replace(results.scenario, targets=results.scenario.targets[:2])  # two charts are enough
    charts = files.fan_charts(dataclasses.replace(results, scenario=two), tmp_path)
    modelled = [t.id for t in two.targets if t.modelled]
    assert len(modelled) == 2
    assert sorted(p.name for p in charts) == sorted(f"fan_{t}.{s}" for t in modelled for s in ("png", "svg"))


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet="abc高新区技术企业 ·", max_size=30), st.integers(2, 40))
def test_pad_fills_exactly_the_width_counting_chinese_as_two(text, width):
    padded = pad(text, width)
    assert display_width(padded) in (width, width - 1)  # a wide character may not fit the last column
    if display_width(text) <= width:
        assert padded.rstrip(" ") == text.rstrip(" ") and display_width(padded) == width
        assert pad(text, width, right=True).lstrip(" ") == text.lstrip(" ")
    else:
        assert padded.rstrip(" ").endswith("…")


def test_display_width_counts_wide_characters_twice():
    assert display_width("abc") == 3 and display_width("高新区") == 6 and display_width("a高") == 3


def test_the_terminal_table_shows_every_target_and_the_run(results):
    text = format_table(results)
    for t in results.scenario.targets:
        assert t.id in text
    assert "not modelled" in text and f"{RUNS} runs, seed 2" in text and "Wilson" in text


def test_combined_table_from_the_library(tmp_path, tiny):
    a = run_scenario(tiny, runs=5, seed=0, workers=1)
    b = run_scenario(tiny, runs=5, seed=1, workers=1)
    rows = combined_table([a, b])
    assert len(rows) == 2 * (len(tiny.targets) + 1)
    assert [r["seed"] for r in rows] == [0] * (len(rows) // 2) + [1] * (len(rows) // 2)
    path = write_combined_csv(rows, combined_path(tmp_path, 0))
    assert path == tmp_path / "combined-0.csv"
    again = tmp_path / "again.csv"
    write_combined_csv(combined_table([a, b]), again)
    assert path.read_bytes() == again.read_bytes()  # deterministic bytes
    text = format_combined(combined_table([a]))
    assert "tiny" in text and "P(all)" in text
    written = read_csv(path)
    assert tuple(written[0]) == COMBINED_COLUMNS
    for got, want in zip(written, rows, strict=True):
        if want["status"] != "modelled":
            assert got["p_hit"] == "" and got["hits"] == "" and got["reason"]
        else:
            assert got["hits"] == str(want["hits"])
