"""sim.report.folders: finished results folders read back as data (never as code), with the scenario's inputs only
when its file is unchanged; anything else refused with the file and what was expected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.report.folders import read_folder, read_folders
from tests.report.conftest import TRICKY_NAME


def test_a_run_folder_is_read_with_its_tables_bands_costs_charts_and_inputs(run_folder):
    f = read_folder(run_folder)
    assert f.kind == "run" and f.seed == 2 and f.runs == 12
    ids = [r["target_id"] for r in f.tables["summary.csv"]]
    assert ids[-1] == "ALL" and "skip" in ids
    # the charts in the order of the targets, one per modelled target
    modelled = [i for i in ids if i not in ("ALL", "skip")]
    assert [c.name for c in f.charts] == [f"fan_{i}.svg" for i in modelled]
    assert all(c.svg.lstrip().startswith(b"<?xml") for c in f.charts)
    # year-end bands from indicators.parquet: ordered percentiles, one row per indicator, scope and year
    hte = [b for b in f.bands if b["indicator"] == "hte" and b["scope"] == "zones"]
    assert [b["year"] for b in hte] == [2017, 2018, 2019, 2020]
    assert all(b["p05"] <= b["p25"] <= b["p50"] <= b["p75"] <= b["p95"] and b["runs"] == 12 for b in hte)
    # lever costs per year in 万元, never above the cap the scenario gives
    assert f.costs and all(c["max"] <= c["cap"] + 1e-9 for c in f.costs if c["cap"] is not None)
    assert {c["year"] for c in f.costs} == {2018, 2019, 2020}
    assert f.scenario is not None and f.scenario.name == TRICKY_NAME and f.scenario_note == ""
    assert f.plan.name == TRICKY_NAME
    assert any(a.section == "zones" and a.name == "alpha.firm_weight" and a.low == a.high == 0.5
               for a in f.assumptions)
    assert f.command() == f"zonesim run {f.input_file} --seed 2 --runs 12 --out {run_folder}"


def test_a_bundled_plan_gives_its_issuing_body_and_date(guangxi):
    from sim.report.folders import plan_info

    info = plan_info(guangxi)
    assert info.issued_by.startswith("广西壮族自治区科学技术厅") and info.date == "2018-04-08"
    assert info.document == "002_71d7ff763af18a90.txt"


def test_comparison_and_backtest_folders_are_read(compare_folder, backtest_folder):
    c, b = read_folders([compare_folder, backtest_folder])
    assert c.kind == "compare" and c.runs == 40 and {r["variant"] for r in c.tables["compare.csv"]} == \
        {"base", "dear", "cheap"}
    assert c.costs and {k["variant"] for k in c.costs} == {"base", "dear", "cheap"}
    assert c.scenario is None and "fake.yaml" in c.scenario_note  # the experiment file is not there
    assert c.command().startswith("zonesim compare fake.yaml --runs 40 --seed 0")
    assert b.kind == "backtest" and [c.name for c in b.charts] == ["backtest_hte_stock.svg"]
    assert b.command().startswith("zonesim hindcast ") and "--runs 50" in b.command()


def test_a_changed_scenario_file_is_not_used(run_folder, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["scenario_sha256"] = "f" * 64
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    f = read_folder(copy)
    assert f.scenario is None and f.assumptions == [] and "changed" in f.scenario_note
    assert f.tables["summary.csv"]  # the results themselves are still read


def _problem(path) -> tuple[str, str, str]:
    with pytest.raises(ScenarioError) as info:
        read_folder(path)
    p = info.value.problems[0]
    return p.file, p.found, p.expected


def test_what_is_not_a_finished_results_folder_is_refused_naming_the_file(run_folder, tmp_path):
    file, found, expected = _problem(tmp_path / "nowhere")
    assert file == str(tmp_path / "nowhere") and found == "no such folder" and "finished results folder" in expected
    (tmp_path / "a.txt").write_text("x")
    assert _problem(tmp_path / "a.txt")[1] == "a file, not a folder"
    (tmp_path / "empty").mkdir()
    assert _problem(tmp_path / "empty")[1] == "a folder without manifest.json"
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "manifest.json").write_text("not json")
    file, found, _ = _problem(tmp_path / "junk")
    assert file.endswith("manifest.json") and "not zonesim's" in found


def test_an_interrupted_run_is_named(tmp_path):
    (tmp_path / ".r.partial").mkdir()
    with pytest.raises(ScenarioError) as info:
        read_folder(tmp_path / "r")
    assert "--resume" in info.value.problems[0].hint


def _damaged(run_folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    return copy


def test_a_missing_file_or_column_or_an_unknown_kind_is_named(run_folder, tmp_path):
    copy = _damaged(run_folder, tmp_path)
    (copy / "fan_hte.svg").unlink()
    file, found, expected = _problem(copy)
    assert file == str(copy / "fan_hte.svg") and found == "missing" and "fan_hte.svg" in expected
    copy = _damaged(run_folder, tmp_path / "b")
    text = (copy / "summary.csv").read_text(encoding="utf-8-sig").replace("p_hit_low", "p_low")
    (copy / "summary.csv").write_text(text, encoding="utf-8")
    file, found, _ = _problem(copy)
    assert file == str(copy / "summary.csv") and "p_hit_low" in found
    copy = _damaged(run_folder, tmp_path / "c")
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    (copy / "manifest.json").write_text(json.dumps({**manifest, "kind": "calibration"}), encoding="utf-8")
    file, found, _ = _problem(copy)
    assert file.endswith("manifest.json") and "calibration" in found
    copy = _damaged(run_folder, tmp_path / "d")
    (copy / "fan_hte.svg").write_bytes(b"\x80\x03 a pickle, not an image")
    assert _problem(copy)[1] == "a file that is not an SVG image"
    copy = _damaged(run_folder, tmp_path / "e")
    (copy / "manifest.json").write_text(json.dumps({**manifest, "files": [*manifest["files"], "../secret.svg"]}),
                                        encoding="utf-8")
    file, found, _ = _problem(copy)
    assert file.endswith("manifest.json") and "../secret.svg" in found


def test_every_folder_problem_is_reported_at_once(tmp_path):
    with pytest.raises(ScenarioError) as info:
        read_folders([tmp_path / "a", tmp_path / "b"])
    assert [p.file for p in info.value.problems] == [str(tmp_path / "a"), str(tmp_path / "b")]


def test_a_relative_scenario_file_is_found_from_the_results_folder_too(run_folder, tmp_path, monkeypatch):
    project = tmp_path / "project"
    shutil.copytree(run_folder, project / "results" / "r")
    manifest = json.loads((project / "results" / "r" / "manifest.json").read_text(encoding="utf-8"))
    (project / "plans").mkdir()
    shutil.copy(manifest["scenario"], project / "plans" / "tricky.yaml")
    manifest["scenario"] = "plans/tricky.yaml"
    (project / "results" / "r" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not the folder the run was made from
    f = read_folder(project / "results" / "r")
    assert f.scenario is not None and f.scenario.name == TRICKY_NAME and f.assumptions
    assert "plans/tricky.yaml" in f.command()
    (project / "plans" / "tricky.yaml").unlink()
    f = read_folder(project / "results" / "r")
    assert f.scenario is None and "plans/tricky.yaml" in f.scenario_note


def test_p_hit_and_delta_come_from_the_counts_else_from_the_table():
    from sim.measure.stats import newcombe_difference, wilson
    from sim.report.folders import delta_of, p_hit_of

    table = {"p_hit": "0.02", "p_hit_low": "0.0055", "p_hit_high": "0.0704", "delta": "0.02", "delta_low": "0.0055",
             "delta_high": "0.07"}
    row = {**table, "hits": "2", "runs": "100", "gained": "2", "lost": "0"}
    assert p_hit_of(row) == (0.02, *map(float, wilson(2, 100)))
    x = np.arange(100) < 2
    assert delta_of(row, {"hits": "0"}) == newcombe_difference(x, np.zeros(100, bool), paired=True)
    # a table written before the counts (or counts that do not add up): its own values
    assert p_hit_of(table) == (0.02, 0.0055, 0.0704)
    assert delta_of(table, None) == delta_of(row, {"hits": "1"}) == (0.02, 0.0055, 0.07)


class _Payload:
    """Unpickling this creates the file `marker`: proof that a reader ran code from disk."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("name", ["manifest.json", "summary.csv", "indicators.parquet", "fan_hte.svg"])
def test_a_planted_pickle_is_never_run(run_folder, tmp_path, name):
    import pickle

    copy = _damaged(run_folder, tmp_path)
    marker = tmp_path / "ran"
    (copy / name).write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ScenarioError) as info:
        read_folder(copy)
    assert info.value.problems and not marker.exists()
