"""sim.cli: the command line on real files — outputs on disk, exit codes, located messages, no tracebacks."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from sim.report.files import display_width
from tests.conftest import DATA, TINY


def zonesim(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_run_writes_every_output(tmp_path):
    out = tmp_path / "out"
    proc = zonesim("run", str(TINY), "--runs", "30", "--seed", "1", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "P(hit)" in proc.stdout and "ALL" in proc.stdout and "测试地区" in proc.stdout
    assert (out / "summary.csv").read_bytes().startswith("\ufefftarget_id,".encode())  # a BOM, for Excel
    with open(out / "summary.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["target_id", "name", "year", "indicator", "comparison", "threshold", "median", "p05", "p95",
                       "p_hit", "p_hit_low", "p_hit_high", "runs", "backtest", "caution",
                       "name_en", "month", "kind", "status", "reason", "hits"]
    assert rows[-1][0] == "ALL" and len(rows) == 1 + 11 + 1
    assert all(r[12] == "30" for r in rows[1:])
    assert {r[13] for r in rows[1:-1] if r[7]} <= {"supported", "poor", "untested"}
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(summary["target_id"])[:2] == ["hte", "hte_mid"] and summary["name_en"][0] == "HTEs"
    skip = summary[summary["target_id"] == "skip"].iloc[0]
    assert (skip["status"], skip["reason"], skip["p_hit"]) == ("not_modelled", "testing the not-modelled path", "")
    hte = summary[summary["target_id"] == "hte"].iloc[0]
    assert float(hte["p_hit"]) == pytest.approx(int(hte["hits"]) / 30, abs=5e-5)  # hits / runs, to 4 decimals
    assert "." not in str(hte["median"])  # a count: whole
    table = proc.stdout.split("\n\n")[0]
    assert all(display_width(line) <= 120 for line in proc.stdout.splitlines()), proc.stdout
    for tid in ("hte", "zones_n", "zones_big"):  # counts whole, thresholds as written
        assert re.search(rf"^{tid} .* >= \d+ +\d+ \[\d+, \d+\] ", table, re.MULTILINE), tid
    assert "not modelled: testing the not-modelled path" in table
    assert "Stopped at 30 runs: fixed number of runs." in proc.stdout
    ind = pd.read_parquet(out / "indicators.parquet")
    assert len(ind) == 30 * 5 and {"run", "year", "month", "hte", "region_hte", "cost_award"} <= set(ind.columns)
    zones = pd.read_parquet(out / "zones.parquet")
    assert len(zones) == 30 * 5 * 5 and set(zones["zone"]) == {"alpha", "beta", "gamma", "delta", "rest"}
    for t in ("hte", "share", "zones_big"):
        assert (out / f"fan_{t}.png").stat().st_size > 10_000 and (out / f"fan_{t}.svg").exists()
    assert not (out / "fan_skip.png").exists()
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["runs"] == 30 and m["seed"] == 1 and len(m["scenario_sha256"]) == 64 and m["wall_seconds"] > 0
    assert m["zonesim_version"] and m["workers"] >= 1


def test_bad_file_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text(encoding="utf-8").replace("base_year: 2017", "base_yaer: 2017"), encoding="utf-8")
    for cmd in ("validate", "run"):
        proc = zonesim(cmd, str(bad))
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr and "bad.yaml:8:3" in proc.stderr and "base_year" in proc.stderr


def test_a_missing_or_binary_file_exits_2_without_traceback(tmp_path):
    blob = tmp_path / "blob.yaml"
    blob.write_bytes(b"\x00\xff\xfe binary")
    for path in (tmp_path / "nope.yaml", blob):
        proc = zonesim("validate", str(path))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_validate_says_a_valid_file_is_valid():
    proc = zonesim("validate", str(TINY))
    assert proc.returncode == 0 and "valid" in proc.stdout


# --- several scenarios in one run --------------------------------------------------------------------------------

def _copy_tiny(path, new_id: str) -> None:
    text = TINY.read_text(encoding="utf-8")
    assert "  id: tiny\n" in text
    path.write_text(text.replace("  id: tiny\n", f"  id: {new_id}\n", 1), encoding="utf-8")


def _read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_folder_and_file_write_one_summary_each_and_a_combined_table(tmp_path, tiny):
    folder = tmp_path / "plans"
    folder.mkdir()
    _copy_tiny(folder / "b_second.yaml", "second")
    (folder / ".hidden.yaml").write_text("not: [a scenario", encoding="utf-8")  # hidden: ignored
    (folder / "notes.txt").write_text("ignored", encoding="utf-8")
    out = tmp_path / "out"
    proc = zonesim("run", str(TINY), str(folder), "--runs", "8", "--seed", "3", "--out", str(out), "--no-plots",
                   "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["combined-3.csv", "second-3", "tiny-3"]
    per_scenario = {sid: _read_csv(out / f"{sid}-3" / "summary.csv") for sid in ("tiny", "second")}
    combined = _read_csv(out / "combined-3.csv")
    with open(out / "combined-3.csv", encoding="utf-8-sig") as fh:
        header = fh.readline().strip().split(",")
    assert header[:2] == ["scenario_id", "target_id"]
    assert {"name", "name_en", "year", "threshold", "median", "p05", "p95", "p_hit", "p_hit_low", "p_hit_high",
            "runs", "seed", "status"} <= set(header)
    n = len(tiny.targets) + 1
    assert len(combined) == 2 * n
    assert [r["scenario_id"] for r in combined] == ["tiny"] * n + ["second"] * n  # command-line order
    for sid, rows in per_scenario.items():
        mine = [r for r in combined if r["scenario_id"] == sid]
        assert [r["target_id"] for r in mine] == [r["target_id"] for r in rows]
        assert mine[-1]["target_id"] == "ALL"
        for a, b in zip(mine, rows, strict=True):
            assert (a["p_hit"], a["median"], a["runs"]) == (b["p_hit"], b["median"], b["runs"])
            assert a["seed"] == "3"
    statuses = {t.id: t.status for t in tiny.targets}
    for r in combined:
        if r["target_id"] != "ALL" and statuses[r["target_id"]] != "modelled":
            assert r["p_hit"] == "" and r["status"] == "not_modelled" and r["reason"]
    # the compact table: one line per scenario, and where the combined table is
    assert "P(all) [95% CI]" in proc.stdout and str(out / "combined-3.csv") in "".join(proc.stdout.split())
    assert any(line.startswith("second ") for line in proc.stdout.splitlines())
    assert all(display_width(line) <= 120 for line in proc.stdout.splitlines()), proc.stdout


def test_version_prints_the_version():
    from sim.version import __version__

    proc = zonesim("--version")
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_the_progress_bars_are_labelled_and_quiet_turns_them_off(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    _copy_tiny(folder / "b_second.yaml", "second")
    args = ("run", str(TINY), str(folder), "--runs", "4", "--seed", "3", "--no-plots", "--workers", "1")
    loud = zonesim(*args, "--out", str(tmp_path / "loud"))
    assert loud.returncode == 0, loud.stderr
    assert "scenario 1/2: tiny" in loud.stderr and "scenario 2/2: second" in loud.stderr
    quiet = zonesim(*args, "--out", str(tmp_path / "quiet"), "--quiet")
    assert quiet.returncode == 0 and "scenario 1/2" not in quiet.stderr


def test_compare_prints_a_table_within_120_columns_grouped_by_target(tmp_path):
    from tests.conftest import DATA

    out = tmp_path / "cmp"
    proc = zonesim("compare", str(DATA / "tiny_experiment.yaml"), "--runs", "8", "--out", str(out), "--no-plots",
                   "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert all(display_width(line) <= 120 for line in proc.stdout.splitlines()), proc.stdout
    for i, vid in enumerate(("base", "award_0", "award_300k", "no_vouchers"), start=1):
        assert f"variant {i}/4: {vid}" in proc.stderr
    variants = ("(base)", "(award_0)", "(award_300k)", "(no_vouchers)")
    rows = [line for line in proc.stdout.splitlines() if re.search(r"\((base|award_0|award_300k|no_vouchers)\) +\d",
                                                                      line)]
    targets = [line.split()[0] for line in rows]  # every row names its target, grouped: the base first
    assert len(rows) % 4 == 0 and targets[-1] == "ALL"
    for k in range(0, len(rows), 4):
        assert len(set(targets[k:k + 4])) == 1 and [v for line in rows[k:k + 4] for v in variants if v in line] == \
            list(variants)
    assert (out / "compare.csv").read_bytes().startswith("\ufeffvariant,".encode())


def test_invalid_second_file_stops_before_any_run(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.read_text(encoding="utf-8").replace("base_year: 2017", "base_yaer: 2017"), encoding="utf-8")
    out = tmp_path / "out"
    proc = zonesim("run", str(TINY), str(bad), "--runs", "5", "--out", str(out), "--quiet")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "bad.yaml:8:3" in proc.stderr and "scenario.base_yaer" in proc.stderr and "base_year" in proc.stderr
    assert "nothing was simulated" in proc.stderr
    assert not out.exists()  # not even the valid first file was run


def test_folder_without_scenarios_and_duplicate_ids(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = zonesim("validate", str(empty))
    assert proc.returncode == 2 and "no *.yaml file" in proc.stderr and "Traceback" not in proc.stderr
    twin = tmp_path / "twin.yaml"
    twin.write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    proc = zonesim("run", str(TINY), str(twin), "--runs", "5", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "twin.yaml:4:3: scenario.id" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_failure_in_a_later_scenario_keeps_earlier_results(tmp_path, monkeypatch, capsys):
    from sim import cli
    from sim.errors import Problem, RunError
    from sim.runner import montecarlo

    second = tmp_path / "second.yaml"
    _copy_tiny(second, "second")
    real = montecarlo.run_scenario

    def breaks_on_second(sc, **kw):
        if sc.id == "second":
            raise RunError([Problem(sc.path, None, None, "run 0", "a broken invariant", "none")])
        return real(sc, **kw)

    monkeypatch.setattr(montecarlo, "run_scenario", breaks_on_second)
    out = tmp_path / "out"
    code = cli.main(["run", str(TINY), str(second), "--runs", "4", "--workers", "1", "--out", str(out),
                     "--no-plots", "--quiet"])
    err = capsys.readouterr().err
    assert code == 3
    assert (out / "tiny-0" / "summary.csv").exists() and (out / "tiny-0" / "manifest.json").exists()
    assert not (out / "combined-0.csv").exists()
    assert "1 of 2 scenarios finished" in err and "tiny-0" in err


def test_replay_reproduces_one_run_of_a_monte_carlo(tmp_path):
    from sim.cli import main

    tiny = str(TINY)
    assert main(["run", tiny, "--runs", "6", "--seed", "4", "--workers", "1", "--no-plots", "--quiet",
                 "--out", str(tmp_path / "all")]) == 0
    assert main(["replay", tiny, "--seed", "4", "--run", "3", "--out", str(tmp_path / "one")]) == 0
    full = pd.read_parquet(tmp_path / "all" / "indicators.parquet")
    one = pd.read_parquet(tmp_path / "one" / "indicators.parquet")
    pd.testing.assert_frame_equal(full[full.run == 3].reset_index(drop=True), one.reset_index(drop=True))


def test_only_run_says_that_runs_is_not_used(tmp_path, capsys):
    from sim.cli import main

    assert main(["run", str(TINY), "--runs", "100", "--only-run", "2", "--seed", "4", "--workers", "1",
                 "--no-plots", "--quiet", "--out", str(tmp_path / "one")]) == 0
    err = capsys.readouterr().err
    assert "--runs 100 is not used" in err and "run 2 alone" in err


# --- in this process: commands and exit codes ---------------------------------------------------------------------

def test_schema_prints_the_json_schema_of_each_kind(capsys):
    from sim.cli import main
    from sim.input.schema import dumps

    for kind in ("scenario", "experiment"):
        assert main(["schema", kind]) == 0
        assert capsys.readouterr().out == dumps(kind)
    assert main(["schema"]) == 0 and json.loads(capsys.readouterr().out)["title"] == "zonesim scenario"


def test_calendar_prints_the_steps_of_a_scenario(capsys):
    from sim.cli import main

    assert main(["calendar", str(TINY)]) == 0
    assert capsys.readouterr().out.strip()


def test_an_internal_bug_exits_1_with_a_plain_message_and_no_traceback(monkeypatch, capsys):
    from sim import cli, pipeline

    def bug(paths):
        raise ZeroDivisionError("oops")

    monkeypatch.delenv("ZONESIM_DEBUG", raising=False)
    monkeypatch.setattr(pipeline, "load_all", bug)
    assert cli.main(["validate", str(TINY)]) == 1
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: oops" in err and "ZONESIM_DEBUG=1" in err and "Traceback" not in err


def test_a_run_error_exits_3_and_an_output_error_4(monkeypatch, capsys, tmp_path):
    from sim import cli
    from sim.errors import OutputError, Problem, RunError
    from sim.runner import montecarlo

    for error, code in ((RunError, 3), (OutputError, 4)):
        def breaks(sc, error=error, **kw):
            raise error([Problem(sc.path, None, None, "run 0", "a broken invariant", "none")])

        monkeypatch.setattr(montecarlo, "run_scenario", breaks)
        assert cli.main(["run", str(TINY), "--runs", "2", "--workers", "1", "--no-plots", "--quiet", "--out",
                         str(tmp_path / error.__name__)]) == code
        err = capsys.readouterr().err
        assert "run 0: found a broken invariant" in err and "Traceback" not in err


def test_new_writes_a_skeleton_that_validates_and_never_overwrites(tmp_path):
    path = tmp_path / "jiangzhou_2026.yaml"
    proc = zonesim("new", str(path), "--region", "江州市", "--zones", "2", "--base-year", "2023", "--end-year", "2026")
    assert proc.returncode == 0, proc.stderr
    assert "placeholder" in proc.stdout and path.is_file()
    assert "id: jiangzhou_2026" in path.read_text(encoding="utf-8")
    assert zonesim("validate", str(path)).returncode == 0
    path.write_text("# my edits\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    again = zonesim("new", str(path), "--region", "江州市", "--base-year", "2023", "--end-year", "2026")
    assert again.returncode == 2 and "--force" in again.stderr
    assert path.read_text(encoding="utf-8").startswith("# my edits")  # the planner's file is untouched
    bad = zonesim("new", str(tmp_path / "x.yaml"), "--region", "江州市", "--zones", "0", "--base-year", "2023",
                  "--end-year", "2026")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "zones" in bad.stderr


def test_report_writes_a_page_and_a_workbook_and_refuses_what_is_not_a_results_folder(tmp_path):
    out = tmp_path / "r"
    assert zonesim("run", str(TINY), "--runs", "3", "--out", str(out), "--quiet", "--no-plots").returncode == 0
    proc = zonesim("report", str(out), "--out", str(tmp_path / "page.html"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "page.html").is_file() and (tmp_path / "page.xlsx").is_file()
    assert "page.html" in proc.stdout and " MB" in proc.stdout
    proc = zonesim("report", str(tmp_path / "missing"), str(TINY))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert str(tmp_path / "missing") in proc.stderr and str(TINY) in proc.stderr
    assert "finished results folder" in proc.stderr


def test_a_reader_that_stops_early_is_not_reported_as_a_bug():
    # `zonesim calendar FILE | head -1` once head has gone: the pipe's reading end is closed before zonesim
    # writes (Python takes longer to start than this takes), so every write fails, whatever the pipe's size
    proc = subprocess.Popen([sys.executable, "-m", "sim", "calendar", str(TINY)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8", "replace")
    assert proc.wait(timeout=60) == 141
    assert "internal error" not in err and "Traceback" not in err


def test_validate_checks_experiment_files_as_experiments(tmp_path):
    for name in ("tiny.yaml", "tiny_experiment.yaml"):
        (tmp_path / name).write_text((DATA / name).read_text(encoding="utf-8"), encoding="utf-8")
    proc = zonesim("validate", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "tiny_experiment.yaml: valid experiment" in proc.stdout and "tiny.yaml: valid" in proc.stdout
    (tmp_path / "tiny_experiment.yaml").write_text("experiment: {id: x}\n", encoding="utf-8")
    proc = zonesim("validate", str(tmp_path))
    assert proc.returncode == 2 and "tiny_experiment.yaml" in proc.stderr and "Traceback" not in proc.stderr


def test_report_refuses_an_out_that_is_neither_html_nor_a_folder(tmp_path):
    out = tmp_path / "r"
    assert zonesim("run", str(TINY), "--runs", "3", "--out", str(out), "--quiet", "--no-plots").returncode == 0
    before = sorted(p.name for p in out.iterdir())
    proc = zonesim("report", str(out), "--out", str(tmp_path / "x.pdf"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "--out" in proc.stderr and ".html" in proc.stderr and "x.pdf" in proc.stderr
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "x.xlsx").exists()  # nothing written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"] and sorted(p.name for p in out.iterdir()) == before
    (tmp_path / "reports.v2").mkdir()  # an existing folder is a folder, whatever its name
    proc = zonesim("report", str(out), "--out", str(tmp_path / "reports.v2"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "reports.v2" / "report.html").is_file()
