"""sim.report.files: what a run leaves on disk — summary.csv (UTF-8 with a BOM, rounded), per-run and per-zone
Parquet tables, fan charts, a manifest listing them — the terminal tables within 120 columns, and the combined
table of several scenarios."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.input.models import TARGET_KINDS
from sim.measure.targets import is_count
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
from sim.runner.montecarlo import run_scenario
from tests.helpers import make_target

RUNS = 6


@pytest.fixture(scope="module")
def results(tiny):
    return run_scenario(tiny, runs=RUNS, seed=2, workers=1)


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def long_results(results, reason: str = "") -> object:
    """`results` with targets whose ids and names are 60 characters long (Chinese names 120 display columns), the
    last one not modelled with `reason` (a long one by default)."""
    reason = reason or " ".join(["the plan gives no criterion a model could check"] * 5)
    targets = []
    for j, t in enumerate(results.scenario.targets):
        tid = (f"t{j}_" + "national_incubators_and_maker_spaces_" * 3)[:60]
        targets.append(dataclasses.replace(t, id=tid, name=("国家级科技企业孵化器和众创空间数" * 4)[:60],
                                           name_en=("National-level incubators and maker spaces " * 3)[:60],
                                           reason=reason if not t.modelled else t.reason))
    sc = dataclasses.replace(results.scenario, targets=tuple(targets))
    return dataclasses.replace(results, scenario=sc)


def assert_fits(text: str, width: int = files.TERMINAL_WIDTH) -> None:
    for line in text.splitlines():
        assert display_width(line) <= width, (display_width(line), line)


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_every_kind_has_a_unit_for_its_chart(kind):
    assert target_unit(make_target(kind=kind))


def test_the_summary_is_written_rounded_with_nan_as_an_empty_cell(results, tmp_path):
    rows = results.summary()
    write_summary_csv(rows, tmp_path / "summary.csv")
    written = read_csv(tmp_path / "summary.csv")
    assert tuple(written[0]) == SUMMARY_COLUMNS and len(written) == len(rows)
    for got, want in zip(written, rows, strict=True):
        assert got["target_id"] == want["target_id"] and got["runs"] == str(RUNS)
        assert (got["name_en"], got["status"], got["month"]) == (want["name_en"], want["status"], str(want["month"]))
        for key in ("threshold", "median", "p05", "p95", "p_hit", "p_hit_low", "p_hit_high"):
            value = want[key]
            if isinstance(value, float) and math.isnan(value):
                assert got[key] == ""
            elif key == "threshold":
                assert float(got[key]) == value and not got[key].endswith(".0")  # as the plan wrote it
            elif key.startswith("p_hit"):
                assert abs(float(got[key]) - value) <= 5e-5 and len(got[key].partition(".")[2]) <= 4
            elif want["count"]:
                assert got[key] == str(round(value))  # a count: whole
            else:
                assert float(got[key]) == pytest.approx(value, rel=5e-4, abs=1e-12)  # 4 significant digits
        if want["status"] != "modelled":
            assert got["reason"] == "testing the not-modelled path" and got["hits"] == ""
        else:
            assert got["reason"] == "" and got["hits"] == str(want["hits"])


def test_summary_csv_starts_with_a_bom_and_pandas_reads_it_with_utf_8_sig(results, tmp_path):
    write_summary_csv(results.summary(), tmp_path / "summary.csv")
    assert (tmp_path / "summary.csv").read_bytes().startswith(b"\xef\xbb\xbf" + b"target_id,")
    frame = pd.read_csv(tmp_path / "summary.csv", encoding="utf-8-sig")
    assert tuple(frame.columns) == SUMMARY_COLUMNS
    assert list(frame["name"]) == [r["name"] for r in results.summary()]  # the Chinese names intact


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1))
def test_a_probability_is_rounded_to_4_decimals_but_never_to_certain(p):
    text = files.prob(p)
    assert abs(float(text) - p) <= 5e-5 + 1e-12
    assert (float(text) in (0.0, 1.0)) == (p in (0.0, 1.0))


@settings(max_examples=200, deadline=None)
@given(st.floats(-1e12, 1e12), st.booleans())
def test_a_figure_keeps_4_significant_digits_and_a_count_none(x, count):
    text = files.significant(x, count)
    assert not text.endswith(".0") and ("e" not in text or abs(x) < 1e-4)  # Python writes 0.0001 as 1e-04
    if count:
        assert text == str(round(x)) or (abs(round(x)) == 0 and text == "0")
    else:
        assert float(text) == pytest.approx(x, rel=5e-4, abs=1e-300)
    assert files.exact(float(round(x))) == str(round(x)) or round(x) == 0


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


def test_the_scenarios_warnings_are_kept_in_the_manifest(results, tmp_path):
    """What `zonesim run` warns about the scenario is on disk too, for the report handed upward."""
    from sim.errors import Problem

    warned = Problem(results.scenario.path, 12, None, "targets.hte.threshold", "a growth of 300%", "",
                     "check the unit")
    sc = dataclasses.replace(results.scenario, warnings=(warned,))
    write_results(dataclasses.replace(results, scenario=sc), tmp_path, plots=False)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["warnings"][0] == warned.format()


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
    assert f"Stopped at {RUNS} runs: fixed number of runs." in text


def test_the_terminal_table_fits_120_columns(results):
    assert_fits(format_table(results))


def test_long_ids_names_and_reasons_wrap_within_120_columns_and_are_never_cut(results):
    long = long_results(results)
    text = format_table(long)
    assert_fits(text)
    assert "…" not in text
    lines = text.split("\n\n")[0].splitlines()
    starts = np.cumsum([0] + [w + 2 for _, w, _ in files.RUN_COLUMNS])
    ids = "".join(column(line, starts[0], starts[1]) for line in lines)
    names = "".join(column(line, starts[1], starts[2]) for line in lines)
    rest = "".join("".join(column(line, starts[4], 999).split()) for line in lines)
    for t in long.scenario.targets:  # whatever the line breaks, every id, name and reason is there whole
        assert t.id in ids and t.name in names
        if not t.modelled:
            assert "".join(f"not modelled: {t.reason}".split()) in rest


def column(line: str, start: int, stop: int) -> str:
    """The characters of `line` between display columns `start` and `stop`, stripped."""
    out, at = [], 0
    for c in line:
        if start <= at < stop:
            out.append(c)
        at += display_width(c)
    return "".join(out).strip()


def test_a_not_modelled_target_gives_its_reason_instead_of_numbers(results):
    text = format_table(results)
    [line] = [line for line in text.splitlines() if line.startswith("skip ")]
    assert "not modelled: testing the not-modelled path" in line
    assert ">=" not in line and "%" not in line  # no threshold (a placeholder) and no probability


def test_counts_print_whole_and_other_figures_with_their_decimals(results):
    text = format_table(results)
    counts = [t for t in results.scenario.targets if t.modelled and is_count(t)]
    assert {t.id for t in counts} >= {"hte", "zones_n", "zones_big", "each_nat"}
    for t in counts:
        [line] = [line for line in text.splitlines() if line.startswith(f"{t.id} ")]
        assert re.search(r">= \d[\d,]*  +\d[\d,]* \[\d[\d,]*, \d[\d,]*\]  ", line), line
    [line] = [line for line in text.splitlines() if line.startswith("output_x ")]
    assert ">= 1.2 " in line
    assert (files.number(14.0, count=True), files.number(1234.4, count=True)) == ("14", "1,234")
    assert (files.threshold_text(16.0), files.threshold_text(0.025), files.threshold_text(1.25)) == \
        ("16", "0.025", "1.25")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab_c高新区 -·（）", max_size=80), st.integers(2, 40))
def test_wrap_keeps_every_character_on_lines_of_the_width(text, width):
    lines = files.wrap(text, width)
    assert all(display_width(line) <= width for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())  # nothing lost, only spaces moved


def test_render_table_wraps_a_cell_onto_more_lines_of_its_row():
    cols = [("id", 6, False), ("value", 5, True)]
    lines = files.render_table(cols, [["abc_defghi", "1"], None, [files.Span("a long reason here", 2)]])
    assert lines == ["id      value", "------  -----", "abc_        1", "defghi", "------  -----",
                     "a long reason", "here"]


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
    assert_fits(text)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf" + b"scenario_id,")
    written = read_csv(path)
    assert tuple(written[0]) == COMBINED_COLUMNS
    for got, want in zip(written, rows, strict=True):
        assert got["name_en"] == want["name_en"] and got["status"] == want["status"]
        if want["status"] != "modelled":
            assert got["p_hit"] == "" and got["hits"] == "" and got["reason"] == "testing the not-modelled path"
        else:
            assert got["hits"] == str(want["hits"]) and abs(float(got["p_hit"]) - want["p_hit"]) <= 5e-5


def test_the_combined_table_of_long_ids_fits_120_columns(results):
    long = long_results(results)
    sc = dataclasses.replace(long.scenario, id="s" * 60, region="广西壮族自治区" * 3)
    long = dataclasses.replace(long, scenario=sc)
    text = format_combined(combined_table([long, results]))
    assert_fits(text)
    assert "s" * 16 in text and "…" not in text
