"""The command line on real files: outputs on disk, exit codes, no tracebacks."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pandas as pd

from .conftest import TINY


def zonesim(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_run_writes_every_output(tmp_path):
    out = tmp_path / "out"
    proc = zonesim("run", str(TINY), "--runs", "30", "--seed", "1", "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "P(hit)" in proc.stdout and "ALL" in proc.stdout and "测试地区" in proc.stdout
    with open(out / "summary.csv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["target_id", "name", "year", "indicator", "comparison", "threshold", "median", "p05", "p95",
                       "p_hit", "p_hit_low", "p_hit_high", "runs"]
    assert rows[-1][0] == "ALL" and len(rows) == 1 + 11 + 1
    assert all(r[-1] == "30" for r in rows[1:])
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


def test_missing_file_and_binary_file(tmp_path):
    blob = tmp_path / "blob.yaml"
    blob.write_bytes(b"\x00\xff\xfe binary")
    for path in (tmp_path / "nope.yaml", blob):
        proc = zonesim("validate", str(path))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_validate_ok():
    proc = zonesim("validate", str(TINY))
    assert proc.returncode == 0 and "valid" in proc.stdout
