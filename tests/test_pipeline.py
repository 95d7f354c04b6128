"""sim.pipeline: the library behind `zonesim run` and `compare` — scenario files named on a command line (folders
expanded), every file checked before any run, and runs into results folders that are locked, staged and put in
place whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.input.experiment import load_experiment
from sim.pipeline import (
    compare_to_folder,
    experiments_in_folders,
    hindcast_to_folder,
    load_all,
    run_identity,
    run_to_folder,
    scenario_files,
    split_experiments,
    write_report,
)
from sim.runner.resultdir import read_manifest, staging_of
from tests.conftest import DATA, TINY
from tests.helpers import tiny_text


def copy_tiny(path: Path, new_id: str) -> Path:
    path.write_text(tiny_text(**{"  id: tiny\n": f"  id: {new_id}\n"}), encoding="utf-8")
    return path


def test_a_folder_stands_for_its_yaml_files_in_name_order(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    for name in ("b.yaml", "a.yaml", ".hidden.yaml", "notes.txt"):
        (folder / name).write_text("x", encoding="utf-8")
    (folder / "sub.yaml").mkdir()  # a folder named like a file is not a scenario
    files, problems = scenario_files([str(TINY), str(folder), str(folder / "a.yaml")])
    assert files == [str(TINY), str(folder / "a.yaml"), str(folder / "b.yaml")]  # a file named twice: once
    assert problems == []


def test_a_folder_without_scenarios_is_a_problem(tmp_path):
    files, problems = scenario_files([str(tmp_path)])
    assert files == []
    [(err, path)] = problems
    assert path == str(tmp_path) and "no *.yaml file" in err.problems[0].found


def test_load_all_keeps_the_valid_in_order_and_every_problem_with_its_file(tmp_path):
    second = copy_tiny(tmp_path / "second.yaml", "second")
    bad = tmp_path / "bad.yaml"
    bad.write_text(tiny_text(**{"  base_year: 2017": "  base_yaer: 2017"}), encoding="utf-8")
    scenarios, problems = load_all([str(TINY), str(bad), str(second)])
    assert [s.id for s in scenarios] == ["tiny", "second"]
    [(err, path)] = problems
    assert path == str(bad) and all(p.file == str(bad) for p in err.problems)


def test_two_scenarios_with_one_id_are_refused_at_the_second_ones_id(tmp_path):
    twin = tmp_path / "twin.yaml"
    twin.write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    scenarios, problems = load_all([str(TINY), str(twin)])
    [(err, path)] = problems
    [p] = err.problems
    assert path == str(twin) and p.key == "scenario.id" and (p.line, p.column) == (4, 3)
    assert str(TINY) in p.found


def test_the_identity_of_a_run_names_what_its_results_are_of(tiny):
    assert run_identity(tiny, 3, 100, None) == {"kind": "run", "scenario_id": "tiny",
                                                "scenario_sha256": tiny.sha256, "posterior_sha256": None,
                                                "seed": 3, "runs": 100}
    assert run_identity(tiny, 3, None, None)["runs"] == "adaptive"
    assert run_identity(tiny, 3, None, [4, 2, 4])["runs"] == [2, 4]
    assert run_identity(tiny, 3, None, [4])["kind"] == "replay"


def test_a_run_into_a_folder_puts_its_files_in_place_whole(tiny, tmp_path):
    out = tmp_path / "out"
    notes: list[str] = []
    outcome = run_to_folder(tiny, out, runs=4, seed=1, workers=1, plots=False, on_note=notes.append)
    assert outcome.out == out and outcome.results.runs == 4 and outcome.plot_failures == []
    names = sorted(Path(f).name for f in outcome.files)
    assert names == ["indicators.parquet", "manifest.json", "summary.csv", "zones.parquet"]
    assert all(Path(f).parent == out and Path(f).is_file() for f in outcome.files)
    assert read_manifest(out)["identity"] == run_identity(tiny, 1, 4, None)
    assert not staging_of(out).exists() and notes == outcome.notes


def test_a_second_run_of_something_else_into_the_same_folder_needs_force(tiny, tmp_path):
    out = tmp_path / "out"
    run_to_folder(tiny, out, runs=2, seed=0, workers=1, plots=False)
    before = (out / "summary.csv").read_bytes()
    with pytest.raises(ScenarioError) as info:
        run_to_folder(tiny, out, runs=2, seed=1, workers=1, plots=False)
    assert info.value.problems[0].key == "--out"
    assert (out / "summary.csv").read_bytes() == before
    run_to_folder(tiny, out, runs=2, seed=1, workers=1, plots=False, force=True)
    assert read_manifest(out)["identity"]["seed"] == 1


def test_a_comparison_into_a_folder(tmp_path):
    experiment = load_experiment(DATA / "tiny_experiment.yaml")
    out = tmp_path / "cmp"
    outcome = compare_to_folder(experiment, out, runs=4, workers=1, plots=False)
    assert sorted(Path(f).name for f in outcome.files) == ["compare.csv", "cost_effectiveness.csv",
                                                            "lever_costs.csv", "manifest.json"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["identity"] == {"kind": "compare", "experiment_id": experiment.id,
                                    "experiment_sha256": experiment.sha256,
                                    "scenario_sha256": experiment.base.scenario.sha256, "seed": 3, "runs": 4}
    assert outcome.results.runs == 4 and not staging_of(out).exists()


def test_a_hindcast_needs_a_backtest_scenario(tiny, tmp_path):
    with pytest.raises(ScenarioError) as info:
        hindcast_to_folder(tiny, tmp_path / "out", runs=2)
    assert info.value.problems[0].key == "backtest" and not (tmp_path / "out").exists()


def test_a_report_goes_into_its_results_folder_listed_in_the_manifest(tiny, tmp_path):
    out = tmp_path / "r"
    outcome = run_to_folder(tiny, out, runs=4, workers=1, plots=False, report=True)
    assert {"report.html", "report.xlsx"} <= {Path(f).name for f in outcome.files}
    assert {"report.html", "report.xlsx"} <= set(read_manifest(out)["files"])
    assert 'data-lang="both"' in (out / "report.html").read_text(encoding="utf-8")
    # rebuilt from the finished folder by `zonesim report`, into it by default, still listed once
    again = write_report([out])
    assert again.html == out / "report.html" and again.size == (out / "report.html").stat().st_size
    assert read_manifest(out)["files"].count("report.html") == 1
    # a later run into the folder replaces the report with its own (listed files are zonesim's)
    (out / "report.html").write_text("old", encoding="utf-8")
    run_to_folder(tiny, out, runs=4, workers=1, plots=False)
    assert not (out / "report.html").exists() and "report.html" not in read_manifest(out)["files"]


def test_a_report_of_several_folders_needs_out_and_a_folder_in_use_is_refused(tiny, tmp_path):
    from sim.runner.resultdir import FolderLock

    a = run_to_folder(tiny, tmp_path / "a", runs=3, workers=1, plots=False).out
    b = run_to_folder(tiny, tmp_path / "b", runs=3, seed=1, workers=1, plots=False).out
    with pytest.raises(ScenarioError) as info:
        write_report([a, b])
    assert info.value.problems[0].key == "--out"
    both = write_report([a, b], tmp_path / "out" / "both.html")
    assert both.html.is_file() and both.workbook == tmp_path / "out" / "both.xlsx" and both.workbook.is_file()
    into = write_report([a, b], tmp_path / "folder")
    assert into.html == tmp_path / "folder" / "report.html"
    lock = FolderLock(a)
    lock.acquire()
    try:
        with pytest.raises(ScenarioError) as info:
            write_report([a])
        assert "in use" in info.value.problems[0].found
    finally:
        lock.release()


def test_a_comparison_and_a_hindcast_write_their_report_with_report(tmp_path):
    from sim.input.scenario import load_scenario
    from tests.conftest import ROOT

    cmp_ = compare_to_folder(load_experiment(DATA / "tiny_experiment.yaml"), tmp_path / "cmp", runs=2, workers=1,
                             plots=False, report=True)
    hc = hindcast_to_folder(load_scenario(ROOT / "scenarios" / "hindcast" / "guangxi_2015.yaml"), tmp_path / "hc",
                            runs=3, workers=1, plots=False, report=True)
    for outcome, kind in ((cmp_, "政策比较"), (hc, "回测")):
        assert not outcome.plot_failures
        assert {"report.html", "report.xlsx"} <= {Path(f).name for f in outcome.files}
        assert {"report.html", "report.xlsx"} <= set(read_manifest(outcome.out)["files"])
        page = (outcome.out / "report.html").read_text(encoding="utf-8")
        assert kind in page and str(outcome.out) in page  # the folder as it is after the commit, not its staging
        assert ".partial" not in page


def test_a_hindcast_keeps_its_runs_warnings_in_the_table_manifest_and_report(tmp_path):
    """The national back-test starts short of its stated incubator tenants: `zonesim run` would warn, and so do
    the back-test's table, manifest and report (they said nothing before)."""
    from sim.input.scenario import load_scenario
    from sim.measure.backtest import format_table
    from tests.conftest import ROOT

    hc = hindcast_to_folder(load_scenario(ROOT / "scenarios" / "hindcast" / "national_2012.yaml"), tmp_path / "hc",
                            runs=2, workers=1, plots=False, report=True)
    [tenants] = [w for w in hc.results.warnings if "tenant_gap" in w]
    assert read_manifest(hc.out)["warnings"] == hc.results.warnings
    assert f"warning: {tenants}" in format_table(hc.results)
    assert "tenant_gap" in (hc.out / "report.html").read_text(encoding="utf-8")


def test_experiment_files_beside_scenarios_are_told_apart(tmp_path):
    # the tutorial keeps its experiment beside its scenario: a folder run must not take it for a broken scenario
    for name in ("tiny.yaml", "tiny_experiment.yaml"):
        (tmp_path / name).write_text((DATA / name).read_text(encoding="utf-8"), encoding="utf-8")
    files, problems = scenario_files([str(tmp_path)])
    assert problems == [] and split_experiments(files) == ([str(tmp_path / "tiny.yaml")],
                                                           [str(tmp_path / "tiny_experiment.yaml")])
    scenarios, problems = load_all([str(tmp_path)])
    assert [sc.id for sc in scenarios] == ["tiny"] and problems == []
    assert experiments_in_folders([str(tmp_path)]) == [str(tmp_path / "tiny_experiment.yaml")]
    assert experiments_in_folders([str(tmp_path / "tiny_experiment.yaml")]) == []  # named: not "in a folder"


def test_an_experiment_named_where_a_scenario_is_expected_is_a_problem(tmp_path):
    scenarios, problems = load_all([str(DATA / "tiny_experiment.yaml")])
    assert scenarios == [] and [p.key for err, _ in problems for p in err.problems] == ["experiment"]
    (tmp_path / "e.yaml").write_text((DATA / "tiny_experiment.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    scenarios, problems = load_all([str(tmp_path)])  # a folder of experiments only: nothing to run
    assert scenarios == [] and len(problems) == 1
