"""Runs that survive being killed: finished batches stay on disk, --resume completes them, the summary is the
same as an uninterrupted run's; a changed scenario or someone else's folder is refused."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.runner.resultdir import staging_of
from tests.conftest import DATA

RUN = [sys.executable, "-m", "sim", "run", "--runs", "60", "--batch-size", "3", "--workers", "1", "--no-plots",
       "--quiet", "--seed", "5"]


def zonesim(*args: str, scenario: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*RUN, str(scenario), *args], capture_output=True, text=True, timeout=240)


def chunks(out: Path) -> Path:
    return staging_of(out) / "chunks"


def kill_midway(scenario: Path, out: Path, batches: int = 4) -> None:
    """Start a run, SIGKILL it once `batches` batches are on disk (and before it finishes)."""
    proc = subprocess.Popen([*RUN, str(scenario), "--out", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if len(list(chunks(out).glob("runs_*.npz"))) >= batches:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("full")
    done = zonesim("--out", str(out), scenario=DATA / "tiny.yaml")
    assert done.returncode == 0, done.stderr
    return out


def test_kill_then_resume_gives_the_same_summary(tmp_path, uninterrupted):
    out = tmp_path / "killed"
    kill_midway(DATA / "tiny.yaml", out)
    kept = list(chunks(out).glob("runs_*.npz"))
    assert len(kept) >= 4, "whole batches only"
    assert not (out / "summary.csv").exists()
    refused = zonesim("--out", str(out), scenario=DATA / "tiny.yaml")
    assert refused.returncode == 2 and "--resume" in refused.stderr, "finished batches are never dropped silently"
    resumed = zonesim("--out", str(out), "--resume", scenario=DATA / "tiny.yaml")
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "summary.csv").read_bytes() == (uninterrupted / "summary.csv").read_bytes()


def test_resume_with_a_changed_scenario_is_refused(tmp_path):
    scenario = tmp_path / "tiny.yaml"
    shutil.copy(DATA / "tiny.yaml", scenario)
    out = tmp_path / "out"
    kill_midway(scenario, out)
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("threshold: 80", "threshold: 81"),
                        encoding="utf-8")
    resumed = zonesim("--out", str(out), "--resume", scenario=scenario)
    assert resumed.returncode == 2
    assert "scenario_sha256" in resumed.stderr and "Traceback" not in resumed.stderr


def test_another_scenarios_folder_is_not_overwritten(tmp_path, uninterrupted):
    other = tmp_path / "other.yaml"
    other.write_text((DATA / "tiny.yaml").read_text(encoding="utf-8").replace("id: tiny", "id: tiny_other"),
                     encoding="utf-8")
    out = tmp_path / "out"
    shutil.copytree(uninterrupted, out)
    before = (out / "summary.csv").read_bytes()
    refused = zonesim("--out", str(out), scenario=other)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert (out / "summary.csv").read_bytes() == before
    forced = zonesim("--out", str(out), "--force", scenario=other)
    assert forced.returncode == 0, forced.stderr
