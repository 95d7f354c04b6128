"""Issue 9, item 8: one test per fault kind, on small inputs made here.

Every test asserts the exit code and the located message zonesim writes (file:line:col and key where the input
is a file); none asserts the wording of another library's message. In-process calls (`sim.cli.main`) are used
wherever a real process is not needed; subprocesses only for signals, kill -9 and console encodings.

Exit codes: 0 ok, 2 bad input (nothing simulated), 3 invariant broken, 4 could not finish/write (batches kept),
130 SIGINT, 143 SIGTERM, 1 internal bug.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import io
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sim.runner.resultdir
from sim.cli import main
from sim.runner.resultdir import FolderLock, read_manifest, staging_of

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
TINY = DATA / "tiny.yaml"
GUANGXI = ROOT / "scenarios" / "guangxi_2020.yaml"
TINY_TEXT = TINY.read_text(encoding="utf-8")
EXPERIMENT_TEXT = (DATA / "tiny_experiment.yaml").read_text(encoding="utf-8")
GRID_TEXT = (DATA / "tiny_grid.yaml").read_text(encoding="utf-8")

#: The smallest useful run.
FAST = ["--runs", "4", "--workers", "1", "--quiet", "--no-plots"]
#: The run interrupted (and resumed) in the checkpoint tests: 8 batches of 3 runs.
CKPT = ["--runs", "24", "--batch-size", "3", "--workers", "1", "--quiet", "--no-plots", "--seed", "5"]
#: Time allowed for one validation (issue 9: "within a second").
SECOND = 1.0

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, /proc and fork: Linux only")


# --- helpers ------------------------------------------------------------------------------------------------------

def mutate(text: str, *pairs: tuple[str, str]) -> str:
    """`text` with each (old, new) replaced; every `old` must be there (so a changed fixture fails loudly)."""
    for old, new in pairs:
        assert old in text, f"fixture text changed: {old!r} not found"
        text = text.replace(old, new)
    return text


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of `text` containing `needle`."""
    for i, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in the text")


def located(path: Path, line: int, key: str) -> re.Pattern[str]:
    """`file:line:col: key` as zonesim prints a located problem."""
    return re.compile(rf"{re.escape(str(path))}:{line}:\d+: {re.escape(key)}(?=[:.\[])")


def cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str, float]:
    """Run `zonesim ARGS` in this process: (exit code, stdout, stderr, seconds)."""
    capsys.readouterr()
    t0 = time.perf_counter()
    rc = main([str(a) for a in args])
    seconds = time.perf_counter() - t0
    cap = capsys.readouterr()
    return rc, cap.out, cap.err, seconds


def no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text
        assert "internal error" not in text


class Hang(BaseException):
    """Raised by the watchdog: a BaseException, so that zonesim's own handlers cannot swallow it."""


@contextlib.contextmanager
def watchdog(seconds: float):
    """Interrupt a call that blocks (a FIFO opened for reading, /dev/zero read to the end) instead of hanging."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def fire(signum, frame):
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def utf8_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONUTF8", "ZONESIM_DEBUG")}
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def chunks(out: Path) -> Path:
    return staging_of(out) / "chunks"


def batches(out: Path) -> list[Path]:
    return sorted(chunks(out).glob("runs_*.npz"))


def children(pid: int) -> list[int]:
    """The child processes of `pid` (psutil if installed, else /proc, else ps)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        with contextlib.suppress(Exception):
            return [c.pid for c in psutil.Process(pid).children()]
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            kids += [int(x) for x in (task / "children").read_text().split()]
    if kids:
        return kids
    done = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in done.stdout.split()]


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def gone_within(pids: list[int], seconds: float) -> list[int]:
    """The processes of `pids` still alive after `seconds` (empty when all ended)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


#: Processes started by the tests; any still running after a test (one that failed midway) is killed.
_STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_process_left_by_a_failed_test():
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            kids = children(proc.pid)
            proc.kill()
            proc.communicate()
            for pid in kids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def start_until_batch(cmd: list[str], out: Path, n: int = 1, env: dict[str, str] | None = None,
                      stderr: int = subprocess.PIPE) -> subprocess.Popen:
    """Start a zonesim process and return once `n` batches of it are in the staging folder."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr, env=env or utf8_env())
    _STARTED.append(proc)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if len(batches(out)) >= n:
            return proc
        time.sleep(0.01)
    proc.kill()
    _, err = proc.communicate()
    pytest.fail(f"the run ended (or stalled) before {n} batch(es) were written: rc {proc.returncode}\n{err}")


def run_cmd(scenario: Path, out: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sim", "run", str(scenario), *args, "--out", str(out)]


# --- 1. No code from data -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def interrupted(tmp_path_factory) -> Path:
    """A real interrupted run: `CKPT` killed with SIGKILL once 3 of its 8 batches are on disk."""
    out = tmp_path_factory.mktemp("interrupted") / "killed"
    proc = start_until_batch(run_cmd(TINY, out, *CKPT), out, n=3, stderr=subprocess.DEVNULL)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    assert len(batches(out)) >= 3 and not out.exists()
    return out


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    """The same run as `interrupted`, not interrupted."""
    out = tmp_path_factory.mktemp("uninterrupted") / "full"
    assert main(["run", str(TINY), *CKPT, "--out", str(out)]) == 0
    return out


def copy_interrupted(src: Path, out: Path) -> dict:
    shutil.copytree(staging_of(src), staging_of(out))
    return json.loads((chunks(out) / "state.json").read_text(encoding="utf-8"))


def write_state(out: Path, state: dict) -> None:
    (chunks(out) / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")


class Payload:
    """Unpickling this creates `marker`: what a planted batch would do if zonesim ever unpickled one."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def malicious_npz(marker: Path) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, runs=np.array([Payload(marker)], dtype=object), target_values=np.zeros((3, 11)))
    return buf.getvalue()


def plant(kind: str, out: Path, state: dict, tmp_path: Path) -> str:
    """Damage the interrupted run staged for `out` as an attacker (or an accident) would; returns the name of the
    batch file concerned."""
    name = sorted(state["batches"])[0]
    path = chunks(out) / name
    if kind == "malicious":
        data = malicious_npz(tmp_path / "PWNED")
        # the payload is live: unpickled, it creates its marker (so the test below proves something)
        probe = tmp_path / "probe.npz"
        probe.write_bytes(malicious_npz(tmp_path / "probe-marker"))
        with np.load(probe, allow_pickle=True) as npz:
            npz["runs"]
        assert (tmp_path / "probe-marker").exists()
        path.write_bytes(data)
        state["batches"][name] = hashlib.sha256(data).hexdigest()  # the attacker controls the whole folder
        write_state(out, state)
    elif kind == "truncated":
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "truncated, checksum updated":
        data = path.read_bytes()[: len(path.read_bytes()) // 2]
        path.write_bytes(data)
        state["batches"][name] = hashlib.sha256(data).hexdigest()
        write_state(out, state)
    elif kind == "unlisted":
        del state["batches"][name]
        write_state(out, state)
    else:  # pragma: no cover
        raise ValueError(kind)
    return name


@pytest.mark.parametrize("kind", [
    "malicious",
    "truncated",
    "unlisted",
    pytest.param("truncated, checksum updated"),
])
def test_resume_never_trusts_a_planted_or_damaged_batch(kind, interrupted, uninterrupted, tmp_path, capsys):
    out = tmp_path / "killed"
    state = copy_interrupted(interrupted, out)
    name = plant(kind, out, state, tmp_path)
    rc, stdout, err, _ = cli(capsys, "run", TINY, *CKPT, "--out", out, "--resume")
    no_traceback(err)
    assert rc == 0, err
    assert not (tmp_path / "PWNED").exists(), "code in a batch file was executed"
    assert re.search(rf"note: \S*{re.escape(name)}: .*simulated again", err), err
    assert (out / "summary.csv").read_bytes() == (uninterrupted / "summary.csv").read_bytes()
    assert not staging_of(out).exists()


@pytest.mark.parametrize("content", [
    b"{not json",
    b"\xff\xfe\x00garbage",
    b'["a list, not the state"]',
    pytest.param(b"[" * 100_000),
], ids=["not-json", "not-utf8", "wrong-shape", "deeply-nested"])
def test_damaged_state_file_is_refused_by_name(content, interrupted, tmp_path, capsys):
    out = tmp_path / "killed"
    copy_interrupted(interrupted, out)
    (chunks(out) / "state.json").write_bytes(content)
    rc, _, err, _ = cli(capsys, "run", TINY, *CKPT, "--out", out, "--resume")
    no_traceback(err)
    assert rc == 2, err
    assert re.search(r"state\.json: --resume: ", err), err
    assert "--force" in err
    assert not out.exists()


# --- 2. Results never lost or mixed --------------------------------------------------------------------------------

def test_finished_results_of_another_seed_need_force(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(capsys, "run", TINY, *FAST, "--out", out)[0] == 0
    before = (out / "summary.csv").read_bytes()
    rc, stdout, err, _ = cli(capsys, "run", TINY, *FAST, "--seed", "1", "--out", out)
    no_traceback(err)
    assert rc == 2
    assert f"{out}: --out: " in err and "--force" in err and "seed" in err
    assert "Written to" not in stdout
    assert (out / "summary.csv").read_bytes() == before
    assert read_manifest(out)["identity"]["seed"] == 0
    rc, _, err, _ = cli(capsys, "run", TINY, *FAST, "--seed", "1", "--out", out, "--force")
    assert rc == 0, err
    assert read_manifest(out)["identity"]["seed"] == 1


def test_replay_has_its_own_folder_and_needs_force_over_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shutil.copy(TINY, "tiny.yaml")
    assert cli(capsys, "run", "tiny.yaml", *FAST)[0] == 0
    finished = Path("results/tiny-0")
    before = (finished / "summary.csv").read_bytes()
    rc, stdout, err, _ = cli(capsys, "replay", "tiny.yaml", "--seed", "0", "--run", "1", "--out", finished)
    no_traceback(err)
    assert rc == 2
    assert f"{finished}: --out: " in err and "--force" in err
    assert (finished / "summary.csv").read_bytes() == before
    rc, stdout, err, _ = cli(capsys, "replay", "tiny.yaml", "--seed", "0", "--run", "1")
    assert rc == 0, err
    assert (Path("results/tiny-0-replay-1") / "summary.csv").is_file()
    assert (finished / "summary.csv").read_bytes() == before
    rc, _, err, _ = cli(capsys, "replay", "tiny.yaml", "--seed", "0", "--run", "1", "--out", finished, "--force")
    assert rc == 0, err
    assert read_manifest(finished)["identity"]["kind"] == "replay"


def test_a_users_folder_is_never_overwritten_even_with_force(tmp_path, capsys):
    out = tmp_path / "mine"
    (out / "chunks").mkdir(parents=True)
    (out / "chunks" / "data.bin").write_bytes(b"\x00precious")
    (out / "summary.csv").write_text("my,own\n1,2\n", encoding="utf-8")
    snapshot = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for extra in ([], ["--force"]):
        rc, stdout, err, _ = cli(capsys, "run", TINY, *FAST, "--out", out, *extra)
        no_traceback(err)
        assert rc == 2
        assert f"{out}: --out: " in err and "did not write" in err
        assert "Written to" not in stdout
        assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == snapshot
        assert not staging_of(out).exists()


def test_an_interrupted_rerun_leaves_the_previous_results_readable(uninterrupted, tmp_path):
    import pandas as pd

    out = tmp_path / "finished"
    shutil.copytree(uninterrupted, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = start_until_batch(run_cmd(TINY, out, *CKPT[:-1], "6", "--force"), out, n=2,
                             stderr=subprocess.DEVNULL)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the rerun finished before it could be killed"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert len(pd.read_parquet(out / "zones.parquet")) > 0
    assert read_manifest(out)["identity"]["seed"] == 5


def test_a_second_run_into_a_locked_folder_names_the_holder(tmp_path, capsys):
    out = tmp_path / "out"
    lock = FolderLock(out)
    lock.acquire()
    try:
        rc, stdout, err, _ = cli(capsys, "run", TINY, *FAST, "--out", out)
    finally:
        lock.release()
    no_traceback(err)
    assert rc == 2
    assert f"{out}: --out: " in err and f"pid {os.getpid()}" in err
    assert "Written to" not in stdout and not out.exists()
    assert cli(capsys, "run", TINY, *FAST, "--out", out)[0] == 0, "the lock is released with its holder"


def test_a_users_file_in_a_results_folder_survives_a_forced_rerun(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(capsys, "run", TINY, *FAST, "--out", out)[0] == 0
    (out / "notes.txt").write_text("我的笔记: keep me\n", encoding="utf-8")
    rc, _, err, _ = cli(capsys, "run", TINY, *FAST, "--seed", "1", "--out", out, "--force")
    assert rc == 0, err
    assert (out / "notes.txt").read_text(encoding="utf-8") == "我的笔记: keep me\n"
    assert read_manifest(out)["identity"]["seed"] == 1
    assert not (tmp_path / ".out.previous").exists() and not staging_of(out).exists()


def test_read_only_finished_results_are_replaced_whole_or_not_at_all(tmp_path, capsys):
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    assert cli(capsys, "run", TINY, *FAST, "--out", out)[0] == 0
    for f in out.iterdir():
        f.chmod(0o444)
    try:
        rc, _, err, _ = cli(capsys, "run", TINY, *FAST, "--seed", "1", "--out", out, "--force")
    finally:
        for f in out.iterdir():
            f.chmod(0o644)
    no_traceback(err)
    assert rc == 0, err
    assert cli(capsys, "run", TINY, *FAST, "--seed", "1", "--out", fresh)[0] == 0
    assert (out / "summary.csv").read_bytes() == (fresh / "summary.csv").read_bytes(), "no mix of two runs"
    assert read_manifest(out)["identity"]["seed"] == 1


@pytest.mark.parametrize("kind", ["file", "dev-null", "read-only", "unwritable-filesystem", "long-name",
                                  "broken-symlink"])
def test_unusable_out_is_refused_before_simulating(kind, tmp_path, capsys):
    parent = tmp_path
    if kind == "file":
        out = tmp_path / "a_file"
        out.write_text("not a folder", encoding="utf-8")
    elif kind == "dev-null":
        out = Path(os.devnull)
        if not out.exists():
            pytest.skip("no /dev/null")
    elif kind == "read-only":
        parent = tmp_path / "ro"
        parent.mkdir()
        parent.chmod(0o555)
        if os.access(parent, os.W_OK):
            parent.chmod(0o755)
            pytest.skip("running as root: a 0o555 folder stays writable")
        out = parent / "out"
    elif kind == "unwritable-filesystem":  # refuses even root, unlike a 0o555 folder
        parent = Path("/proc")
        if not parent.is_dir():
            pytest.skip("no /proc")
        out = parent / f"zonesim-test-{os.getpid()}"
    elif kind == "long-name":
        out = tmp_path / ("x" * 210)
    else:
        out = tmp_path / "link"
        out.symlink_to(tmp_path / "nowhere")
    try:
        rc, stdout, err, _ = cli(capsys, "run", TINY, *FAST, "--out", out)
    finally:
        if kind == "read-only":
            parent.chmod(0o755)
    no_traceback(err)
    assert rc == 2, err
    assert re.search(r": --out: found ", err), err
    assert "Written to" not in stdout
    if kind not in ("dev-null", "unwritable-filesystem"):
        assert not staging_of(out).exists()
        assert not list(parent.rglob("summary.csv"))
    if kind == "file":
        assert out.read_text(encoding="utf-8") == "not a folder"


def tiny_disk(free: int):
    usage = collections.namedtuple("usage", "total used free")
    return lambda path: usage(10**12, 10**12 - free, free)


def small_machine(monkeypatch, memory: float = 2e9) -> None:
    """A machine with `memory` bytes available and a disk that never runs out (to reach the memory check)."""
    import sim.runner.resources

    monkeypatch.setattr(sim.runner.resultdir.shutil, "disk_usage", tiny_disk(10**18))
    monkeypatch.setattr(sim.runner.resources, "available_memory", lambda: memory)


def test_not_enough_disk_is_refused_before_simulating(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sim.runner.resultdir.shutil, "disk_usage", tiny_disk(10**6))
    out = tmp_path / "out"
    rc, stdout, err, _ = cli(capsys, "run", TINY, *FAST, "--out", out)
    no_traceback(err)
    assert rc == 4, err
    assert re.search(r": --out: found 1 MB free on this disk, expected at least [\d,]+ MB", err), err
    assert "Written to" not in stdout and not (out / "summary.csv").exists()


@pytest.mark.parametrize("refusal", ["disk", "memory"])
def test_a_refused_run_leaves_nothing_that_blocks_the_next(refusal, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        if refusal == "disk":
            m.setattr(sim.runner.resultdir.shutil, "disk_usage", tiny_disk(10**6))
            rc, _, err, _ = cli(capsys, "run", TINY, *FAST, "--out", out)
            assert rc == 4, err
        else:
            small_machine(m)
            rc, _, err, _ = cli(capsys, "run", TINY, "--runs", "1000000", "--workers", "1", "--quiet",
                                "--no-plots", "--out", out)
            assert rc == 2 and "memory: found an estimated" in err, err
    rc, _, err, _ = cli(capsys, "run", TINY, *FAST, "--out", out)
    assert rc == 0, err


# --- 3. Processes -----------------------------------------------------------------------------------------------------

def guangxi_cmd(out: Path) -> list[str]:
    return run_cmd(GUANGXI, out, "--workers", "2", "--batch-size", "2", "--runs", "400", "--quiet", "--no-plots")


@linux_only
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_cleanly_and_leaves_no_worker(sig, code, tmp_path):
    out = tmp_path / "out"
    proc = start_until_batch(guangxi_cmd(out), out)
    workers = children(proc.pid)
    assert workers, "a 2-worker run has worker processes"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    err = err.decode("utf-8", "replace")
    no_traceback(err)
    assert proc.returncode == code, err
    assert "--resume" in err and str(staging_of(out)) in err, err
    assert batches(out), "finished batches are kept"
    assert gone_within(workers, 5.0) == [], f"workers {workers} still alive 5 s after the main process ended"


@linux_only
def test_kill_9_of_the_main_process_ends_its_workers(tmp_path):
    out = tmp_path / "out"
    proc = start_until_batch(guangxi_cmd(out), out, stderr=subprocess.DEVNULL)
    workers = children(proc.pid)
    assert workers
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    left = gone_within(workers, 5.0)
    for pid in left:  # do not leave them to the next test
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert left == [], "workers outlived their main process by more than 5 s"


@linux_only
def test_a_killed_worker_is_reported_with_memory_settings_and_resume(tmp_path):
    out = tmp_path / "out"
    proc = start_until_batch(guangxi_cmd(out), out)
    workers = children(proc.pid)
    assert workers
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    err = err.decode("utf-8", "replace")
    no_traceback(err)
    assert proc.returncode == 4, err
    assert re.search(rf"{re.escape(str(GUANGXI))}: worker: found a worker process died", err), err
    assert "memory" in err and "--batch-size" in err and "--resume" in err, err
    assert batches(out)
    assert gone_within(workers, 5.0) == [], f"workers {workers} still alive 5 s after the main process ended"


# --- 4. Bad input -----------------------------------------------------------------------------------------------------

#: A parameter override written like the fixture's own (same trailing fields, whatever they are).
TEAMS = mutate(next(ln for ln in TINY_TEXT.split("\n") if "upgrade_base_rate:" in ln).strip(),
              ("upgrade_base_rate", "teams_per_maker_space"),
              ("dist: uniform, loc: 0.05, scale: 0.2", "value: 10000000"))
BAD_INPUTS = {
    # name: (replacements, text on the reported line, key, words of zonesim's message)
    "share threshold 70": ([("threshold: 0.7, year: 2020", "threshold: 70, year: 2020")],
                           "threshold: 70, year: 2020", "targets[5].threshold", "write 0.7 for 70%"),
    "loguniform a > b": ([("upgrade_base_rate: {dist: uniform, loc: 0.05, scale: 0.2,",
                           "upgrade_base_rate: {dist: loguniform, a: 0.3, b: 0.1,")],
                         "upgrade_base_rate:", "parameters.upgrade_base_rate", "loguniform"),
    "loguniform a = 0": ([("upgrade_base_rate: {dist: uniform, loc: 0.05, scale: 0.2,",
                           "upgrade_base_rate: {dist: loguniform, a: 0, b: 0.1,")],
                         "upgrade_base_rate:", "parameters.upgrade_base_rate", "loguniform"),
    "count support outside bounds": ([("tenants_in_zones: {value: 80,",
                                       "tenants_in_zones: {dist: uniform, loc: -50, scale: 100,")],
                                     "tenants_in_zones:", "incubators.tenants_in_zones", "support"),
    "teams_per_maker_space 1e7": ([("parameters:\n", f"parameters:\n  {TEAMS}\n")],
                                  TEAMS, "parameters.teams_per_maker_space", "10000000"),
    "1 firm, 15-70 HTEs": ([("count_in_zones: {dist: uniform, loc: 500, scale: 200,", "count_in_zones: {value: 1,"),
                            ("hte_in_zones: {value: 60,", "hte_in_zones: {dist: uniform, loc: 15, scale: 55,")],
                           "hte_in_zones:", "firms.hte_in_zones", "firms.count_in_zones"),
    "budget_per_year 0": ([("budget_per_year: 2000000, when_exhausted: first_come",
                            "budget_per_year: 0, when_exhausted: first_come")],
                          "budget_per_year: 0", "policies[0].budget_per_year", "found 0"),
    "lever before the period": ([("start: 2018-01, end: 2019-12, rate: 0.1",
                                  "start: 2010-01, end: 2012-12, rate: 0.1")],
                                "end: 2012-12", "policies[1].end", "2012-12"),
    "each_year target in June": ([('comparison: ">=", threshold: 0.0, year: 2020,',
                                   'comparison: ">=", threshold: 0.0, year: 2018, month: 6,')],
                                 "year: 2018, month: 6", "targets[4].month", "found 6"),
    "300-character id": ([("id: tiny\n", "id: " + "a" * 300 + "\n")], "a" * 300, "scenario.id", "300 characters"),
    "400-digit integer": ([("hte_outside: {value: 20,", "hte_outside: {value: " + "9" * 400 + ",")],
                          "9" * 400, "firms.hte_outside", "400 digits"),
    "full-width colon": ([("base_year: 2017", "base_year：2017")], "base_year：2017", "", "U+FF1A"),
    "Cyrillic o in provincial": ([("level: provincial,", "level: pr\u043evincial,")], "pr\u043evincial",
                                 "zones[1].level", "U+043E"),
    "zero-width space in a key": ([("  base_year: 2017", "  base\u200b_year: 2017")], "base\u200b_year",
                                  "scenario.base\u200b_year", "U+200B"),
    "ideographic space indenting": ([("  base_year: 2017", "\u3000 base_year: 2017")], "\u3000 base_year", "",
                                    "U+3000"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_located_and_explained(name, tmp_path, capsys):
    pairs, on_line, key, words = BAD_INPUTS[name]
    text = mutate(TINY_TEXT, *pairs)
    path = write(tmp_path / "bad.yaml", text)
    rc, stdout, err, seconds = cli(capsys, "validate", path)
    no_traceback(err)
    assert rc == 2, err
    assert seconds < SECOND
    line = line_of(text, on_line)
    pattern = located(path, line, key) if key else re.compile(rf"{re.escape(str(path))}:{line}:\d+: ")
    problem = next((ln for ln in err.splitlines() if pattern.search(ln)), None)
    assert problem is not None, f"no problem at {path}:{line} with key {key!r}:\n{err}"
    assert words in problem, problem
    # the same file is refused by `run` before anything is simulated
    rc, stdout, err, _ = cli(capsys, "run", path, *FAST, "--out", tmp_path / "out")
    assert rc == 2 and "nothing was simulated" in err and not (tmp_path / "out").exists()


FIELD_FAULTS = ["300-character id", "budget_per_year 0", "loguniform a > b", "400-digit integer",
                "Cyrillic o in provincial"]
RULE_FAULTS = ["share threshold 70", "lever before the period", "each_year target in June", "1 firm, 15-70 HTEs"]


def assert_all_reported(names: list[str], tmp_path: Path, capsys) -> None:
    text = mutate(TINY_TEXT, *[pair for n in names for pair in BAD_INPUTS[n][0]])
    path = write(tmp_path / "many.yaml", text)
    rc, _, err, seconds = cli(capsys, "validate", path)
    no_traceback(err)
    assert rc == 2 and seconds < SECOND
    missing = [n for n in names if not located(path, line_of(text, BAD_INPUTS[n][1]), BAD_INPUTS[n][2]).search(err)]
    assert missing == [], f"not reported in the same pass: {missing}\n{err}"


@pytest.mark.parametrize("group", ["field checks", "cross-field rules"])
def test_every_problem_is_reported_in_one_pass(group, tmp_path, capsys):
    assert_all_reported(FIELD_FAULTS if group == "field checks" else RULE_FAULTS, tmp_path, capsys)


def test_field_and_rule_problems_are_reported_in_the_same_pass(tmp_path, capsys):
    assert_all_reported(["budget_per_year 0", "share threshold 70", "lever before the period"], tmp_path, capsys)


def test_a_list_of_60000_items_is_refused_within_a_second(tmp_path, capsys):
    text = mutate(TINY_TEXT, ("zones:\n", "zones:\n" + "  - 1\n" * 60_000))
    path = write(tmp_path / "long.yaml", text)
    rc, stdout, err, seconds = cli(capsys, "validate", path)
    no_traceback(err)
    assert rc == 2 and seconds < SECOND
    assert re.search(rf"^  {re.escape(str(path))}:\d+:\d+: zones\[\d+\]: found more than 50,000 values", err, re.M), err
    assert len(err.splitlines()) < 60


@linux_only
@pytest.mark.parametrize("kind", ["directory", "fifo", "dev-zero", "symlink-loop", "over-1-MB"])
def test_unreadable_input_is_refused_quickly(kind, tmp_path, capsys):
    if kind == "directory":
        path = tmp_path / "empty_folder"
        path.mkdir()
    elif kind == "fifo":
        path = tmp_path / "pipe.yaml"
        os.mkfifo(path)
    elif kind == "dev-zero":
        path = Path("/dev/zero")
    elif kind == "symlink-loop":
        path = tmp_path / "a.yaml"
        path.symlink_to(tmp_path / "b.yaml")
        (tmp_path / "b.yaml").symlink_to(path)
    else:
        path = write(tmp_path / "big.yaml", TINY_TEXT + "#" * 1_100_000 + "\n")
    with watchdog(10):
        rc, stdout, err, seconds = cli(capsys, "validate", path)
    no_traceback(err)
    assert rc == 2, err
    assert seconds < SECOND
    assert re.search(rf"^error: {re.escape(str(path))}: 1 problem$", err, re.M), err
    assert re.search(rf"^  {re.escape(str(path))}: found ", err, re.M), err
    if kind == "over-1-MB":
        assert "1,000,000 bytes" in err


def test_at_most_50_problems_are_listed(tmp_path, capsys):
    keys = "".join(f"  bogus_{i}: 1\n" for i in range(70))
    path = write(tmp_path / "p70.yaml", mutate(TINY_TEXT, ("parameters:\n", "parameters:\n" + keys)))
    rc, _, err, seconds = cli(capsys, "validate", path)
    no_traceback(err)
    assert rc == 2 and seconds < SECOND
    listed = re.findall(rf"^  {re.escape(str(path))}:\d+:\d+: parameters\.bogus_\d+: ", err, re.M)
    assert len(listed) == 50
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+: parameters\.bogus_0\b", err)
    assert "70 problems" in err and "and 20 more" in err


def test_a_run_too_big_for_the_machine_is_refused_with_an_estimate(tmp_path, capsys):
    out = tmp_path / "out"
    if shutil.disk_usage(tmp_path).free > 3e12:
        pytest.skip("a disk this large lets the run reach the memory check, which allocates first (see "
                    "test_the_memory_estimate_comes_before_allocating)")
    rc, stdout, err, seconds = cli(capsys, "run", TINY, "--runs", "100000000", "--workers", "1", "--quiet",
                                   "--no-plots", "--out", out)
    no_traceback(err)
    assert rc in (2, 4), err
    # refused by the disk estimate (exit 4) or the memory estimate (exit 2), whichever comes first on this machine
    assert re.search(r"--out: found [\d,]+ MB free on this disk, expected at least [\d,]+ MB|"
                     r"memory: found an estimated [\d.]+ GB", err), err
    assert "Written to" not in stdout and not out.exists() and not batches(out)
    assert seconds < 10


def test_the_memory_estimate_names_the_estimate_and_settings_that_fit(tmp_path, monkeypatch, capsys):
    small_machine(monkeypatch)
    out = tmp_path / "out"
    rc, stdout, err, seconds = cli(capsys, "run", TINY, "--runs", "1000000", "--workers", "1", "--quiet",
                                   "--no-plots", "--out", out)
    no_traceback(err)
    assert rc == 2, err
    assert re.search(rf"{re.escape(str(TINY))}: memory: found an estimated [\d.]+ GB", err), err
    assert re.search(r"expected at most [\d.]+ GB .*settings that fit: --runs [\d,]+", err), err
    assert "Written to" not in stdout and not out.exists() and not batches(out)
    assert seconds < SECOND


def test_the_largest_allowed_population_is_refused_on_a_small_machine(tmp_path, monkeypatch, capsys):
    small_machine(monkeypatch, memory=1e9)
    text = mutate(TINY_TEXT, ("count_in_zones: {dist: uniform, loc: 500, scale: 200,",
                              "count_in_zones: {value: 1000000,"),
                  ("count_outside: {value: 200,", "count_outside: {value: 1000000,"))
    path = write(tmp_path / "big.yaml", text)
    assert cli(capsys, "validate", path)[0] == 0, "valid: the validator's own maximum"
    out = tmp_path / "out"
    rc, stdout, err, seconds = cli(capsys, "run", path, "--runs", "50", "--workers", "2", "--quiet", "--no-plots",
                                   "--out", out)
    no_traceback(err)
    assert rc == 2, err
    assert re.search(rf"{re.escape(str(path))}: memory: found an estimated [\d.]+ GB", err), err
    assert "settings that fit: " in err
    assert "Written to" not in stdout and not out.exists() and not batches(out)
    assert seconds < 5


#: `zonesim ARGS` in a process limited to 2 GiB of address space, on a disk that never runs out.
LIMITED = """
import collections, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, resource.RLIM_INFINITY))
import sim.runner.resultdir
sim.runner.resultdir.shutil.disk_usage = lambda p: collections.namedtuple("u", "total used free")(10**18, 0, 10**18)
from sim.cli import main
sys.exit(main(sys.argv[1:]))
"""


@linux_only
def test_the_memory_estimate_comes_before_allocating(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", LIMITED, "run", str(TINY), "--runs", "100000000", "--workers", "1",
                           "--quiet", "--no-plots", "--out", str(out)], cwd=ROOT, env=utf8_env(),
                          capture_output=True, timeout=120)
    err = done.stderr.decode("utf-8", "replace")
    no_traceback(err)
    assert done.returncode == 2, err
    assert re.search(rf"{re.escape(str(TINY))}: memory: found an estimated [\d.]+ GB", err), err


@pytest.mark.parametrize(("args", "key"), [
    (["--seed", "-1"], "--seed"),
    (["--seed", "9" * 400], "--seed"),
    (["--runs", "0"], "--runs"),
], ids=["seed-negative", "seed-400-digits", "runs-0"])
def test_bad_command_line_numbers(args, key, tmp_path, capsys):
    base = ["--workers", "1", "--quiet", "--no-plots", "--out", str(tmp_path / "out")]
    if "--runs" not in args:
        base = ["--runs", "4", *base]
    rc, stdout, err, _ = cli(capsys, "run", TINY, *base, *args)
    no_traceback(err)
    assert rc == 2, err
    assert f"<command line>: {key}: found " in err
    assert not (tmp_path / "out").exists() and not staging_of(tmp_path / "out").exists()


def test_too_many_workers_are_capped_with_a_note(tmp_path, capsys):
    rc, stdout, err, _ = cli(capsys, "run", TINY, "--runs", "4", "--workers", "999", "--quiet", "--no-plots",
                             "--out", tmp_path / "out")
    assert rc == 0, err
    assert re.search(r"note: --workers 999 capped at \d+", err), err
    assert (tmp_path / "out" / "summary.csv").is_file()


# --- 5. Experiments ---------------------------------------------------------------------------------------------------

def compare(capsys, tmp_path: Path, text: str) -> tuple[Path, int, str, str]:
    shutil.copy(TINY, tmp_path / "tiny.yaml")
    path = write(tmp_path / "exp.yaml", text)
    rc, stdout, err, _ = cli(capsys, "compare", path, *FAST, "--out", tmp_path / "out")
    no_traceback(err)
    assert not (tmp_path / "out").exists() and not staging_of(tmp_path / "out").exists(), "nothing simulated"
    return path, rc, stdout, err


SET_0 = "set: {policies.award.amount_new: 0,"
EXPERIMENT_FAULTS = {
    # name: (base text, replacements, text on the reported line, key, words)
    "duplicate variant names": (EXPERIMENT_TEXT, [("name: 奖励30万元", "name: 不奖励")], "name: 不奖励",
                                "variants[0].name", "不奖励"),
    "duplicate variant ids": (EXPERIMENT_TEXT, [("id: award_300k", "id: award_0")], "id: award_0",
                              "variants[0].id", "award_0"),
    "two grid axes on one path": (GRID_TEXT, [("path: policies.inc_sub.per_m2, values: [0, 600]",
                                               "path: policies.award.amount_new, values: [0, 600]")],
                                  "values: [0, 600]", "grid[1].path", "policies.award.amount_new"),
    "set budget_per_year 0": (EXPERIMENT_TEXT, [("policies.award.budget_per_year: 1.0e+12}\n  - id: award_300k",
                                                 "policies.award.budget_per_year: 0}\n  - id: award_300k")],
                              "budget_per_year: 0}", 'variants[0].set["policies.award.budget_per_year"]', "found 0"),
    "set end before the period": (EXPERIMENT_TEXT, [(SET_0, "set: {policies.award.end: 2017-06, "
                                                             "policies.award.amount_new: 0,")],
                                  "end: 2017-06", 'variants[0].set["policies.award.end"]', "2017-06"),
}


@pytest.mark.parametrize("name", list(EXPERIMENT_FAULTS))
def test_experiment_faults_are_located(name, tmp_path, capsys):
    base, pairs, on_line, key, words = EXPERIMENT_FAULTS[name]
    text = mutate(base, *pairs)
    path, rc, stdout, err = compare(capsys, tmp_path, text)
    assert rc == 2, err
    problem = next((ln for ln in err.splitlines() if located(path, line_of(text, on_line), key).search(ln)), None)
    assert problem is not None, err
    assert words in problem


def test_experiment_end_before_start_names_the_end(tmp_path, capsys):
    text = mutate(EXPERIMENT_TEXT, (SET_0, "set: {policies.award.start: 2020-06, policies.award.end: 2019-06, "
                                           "policies.award.amount_new: 0,"))
    path, rc, stdout, err = compare(capsys, tmp_path, text)
    assert rc == 2, err
    assert 'variants[0].set["policies.award.end"]: found 2019-06' in err, err


@pytest.mark.parametrize(("target", "content"), [
    ("secret.yaml", "SECRET-CONTENT: 42 [\n"),
    ("secret_ok.yaml", "SECRET-CONTENT: 42\nSECRET-KEY: hunter2\n"),
    ("notes.txt", "SECRET-CONTENT: 42\n"),
], ids=["broken-yaml", "other-yaml", "txt"])
def test_experiment_scenario_must_be_a_scenario_file_and_is_never_echoed(target, content, tmp_path, capsys):
    write(tmp_path / target, content)
    text = mutate(EXPERIMENT_TEXT, ("scenario: tiny.yaml", f"scenario: {target}"))
    path, rc, stdout, err = compare(capsys, tmp_path, text)
    assert rc == 2, err
    assert located(path, line_of(text, f"scenario: {target}"), "experiment.scenario").search(err), err
    assert "SECRET" not in err and "SECRET" not in stdout and "hunter2" not in err + stdout


# --- 6. Plots ---------------------------------------------------------------------------------------------------------

def test_tex_in_a_target_name_is_drawn_literally(tmp_path, capsys):
    head, rest = TINY_TEXT.split("targets:\n")
    first = "".join(rest.split("\n  - ")[0:1]) + "\n"  # the first target only: one fan chart is enough
    text = mutate(head + "targets:\n" + first, ("name: 高企, name_en: HTEs,",
                                                r"name: '高企 $\undefined{x}$', name_en: 'HTEs $\undefined{x}$',"))
    path = write(tmp_path / "tex.yaml", text)
    out = tmp_path / "out"
    rc, stdout, err, _ = cli(capsys, "run", path, "--runs", "4", "--workers", "1", "--quiet", "--out", out)
    no_traceback(err)
    assert rc == 0, err
    png = out / "fan_hte.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "manifest.json").is_file() and (out / "summary.csv").is_file()


# --- 7. Console encodings ---------------------------------------------------------------------------------------------

ENCODINGS = {
    "cp1252": {"PYTHONIOENCODING": "cp1252"},
    "gbk": {"PYTHONIOENCODING": "gbk"},
    "LANG=C": {"LANG": "C", "LC_ALL": "C"},
    # LANG=C alone makes Python 3.7+ switch to UTF-8 (PEP 538/540); this one is a real ASCII console
    "ASCII": {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_any_console_encoding(encoding, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONIOENCODING", "PYTHONUTF8", "LANG", "LC_ALL", "LC_CTYPE", "ZONESIM_DEBUG")}
    env.update(ENCODINGS[encoding])
    bad = write(tmp_path / "bad.yaml", mutate(TINY_TEXT, ("level: provincial,", "level: pr\u043evincial,")))
    out = tmp_path / "out"
    cmds = {"validate": [sys.executable, "-m", "sim", "validate", str(TINY), str(bad)],
            "run": run_cmd(TINY, out, *FAST)}
    procs = {k: subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for k, c in cmds.items()}
    done = {k: (*p.communicate(timeout=120), p.returncode) for k, p in procs.items()}
    for stdout, stderr, _ in done.values():
        assert b"Traceback" not in stdout + stderr and b"internal error" not in stdout + stderr, stderr
    stdout, stderr, rc = done["validate"]
    assert rc == 2, stderr
    assert b"valid" in stdout and str(TINY).encode() in stdout
    assert re.search(rb":\d+:\d+: zones\[1\]\.level: found ", stderr) and b"U+043E" in stderr
    stdout, stderr, rc = done["run"]
    assert rc == 0, stderr
    summary = (out / "summary.csv").read_bytes().decode("utf-8-sig")
    assert "高企" in summary and "全部目标同时实现" in summary


# --- 8. Arbitrary bytes -----------------------------------------------------------------------------------------------

@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
@example(data=TINY_TEXT.encode("utf-8")[:2000])
@example(data=b"scenario: {id: x}\ntargets: [" * 3)
@example(data=b"\xef\xbb\xbfa: &a [*a]\n")
def test_arbitrary_bytes_validate_within_a_second(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("bytes") / "input.yaml"
    path.write_bytes(data)
    t0 = time.perf_counter()
    with watchdog(10):
        rc = main(["validate", str(path)])
    seconds = time.perf_counter() - t0
    assert rc in (0, 2)
    assert seconds < SECOND, f"{seconds:.2f} s for {data[:80]!r}"
