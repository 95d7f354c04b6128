"""sim.runner.checkpoint: finished batches on disk as plain NumPy archives — written then read back equal; a damaged,
truncated, planted, foreign or unlisted batch is named and simulated again, never trusted; a resume of something
else is refused; nothing read back can execute code (allow_pickle is never used)."""

from __future__ import annotations

import hashlib
import io
import json
import pathlib

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.runner import checkpoint as ckpt_module
from sim.runner.checkpoint import STATE, Checkpoint, batch_bytes, batch_from_bytes, identity
from sim.runner.montecarlo import Reduced, simulate_runs
from tests.conftest import ROOT
from tests.helpers import assert_same_batch

IDENTITY = {"scenario_id": "tiny", "scenario_sha256": "abc", "seed": 3, "runs": 6}


@pytest.fixture(scope="module")
def parts(tiny) -> list[Reduced]:
    """Two consecutive batches of the tiny scenario: runs 0–2 and 3–5."""
    return [simulate_runs(tiny, 3, 0, 3), simulate_runs(tiny, 3, 3, 6)]


def test_a_batch_written_then_read_back_is_equal(parts):
    for part in parts:
        assert_same_batch(part, batch_from_bytes(batch_bytes(part), Reduced))


class Payload:
    """Unpickling this creates `marker`: what a planted batch would do if it were ever unpickled."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_anything_but_a_batch_archive_is_refused(parts, tmp_path):
    whole = batch_bytes(parts[0])
    marker = tmp_path / "PWNED"
    for data in (b"", b"not an archive", whole[: len(whole) // 2], whole[:-10],
                 npz(runs=np.arange(3), colour=np.zeros(2)),  # a foreign archive: fields of something else
                 npz(runs=np.array([Payload(marker)], dtype=object))):
        with pytest.raises(ValueError, match="not a batch archive"):
            batch_from_bytes(data, Reduced)
    assert not marker.exists(), "a pickled object in a batch was executed"
    probe = tmp_path / "probe"  # the payload is live: loaded with pickle allowed, it runs
    with np.load(io.BytesIO(npz(runs=np.array([Payload(probe)], dtype=object))), allow_pickle=True) as planted:
        planted["runs"]
    assert probe.exists()


def test_archives_are_never_loaded_with_pickle_allowed(parts, monkeypatch):
    calls = []
    real = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("allow_pickle"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ckpt_module.np, "load", spy)
    batch_from_bytes(batch_bytes(parts[0]), Reduced)
    assert calls == [False]
    for path in (ROOT / "sim").rglob("*.py"):
        assert "allow_pickle=True" not in path.read_text(encoding="utf-8"), path


# --- a checkpoint folder ------------------------------------------------------------------------------------------

def saved(folder: pathlib.Path, parts: list[Reduced]) -> Checkpoint:
    ck = Checkpoint(folder, IDENTITY, resume=False, make=Reduced)
    for part in parts:
        ck.save(part)
    return ck


def resumed(folder: pathlib.Path, check=None) -> tuple[Checkpoint, list[str]]:
    notes: list[str] = []
    ck = Checkpoint(folder, IDENTITY, resume=True, make=Reduced, check=check, notes=notes.append)
    return ck, notes


def test_saved_batches_are_listed_with_their_checksums_and_resumed_equal(parts, tmp_path):
    saved(tmp_path, parts)
    state = json.loads((tmp_path / STATE).read_text(encoding="utf-8"))
    assert {k: state[k] for k in IDENTITY} == IDENTITY
    assert sorted(state["batches"]) == ["runs_0000000_0000002.npz", "runs_0000003_0000005.npz"]
    for name, digest in state["batches"].items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
    ck, notes = resumed(tmp_path)
    assert notes == [] and ck.finished_runs() == set(range(6)) and sorted(ck.done) == [0, 3]
    for part in parts:
        assert_same_batch(part, ck.done[int(part.runs[0])])


def damage(kind: str, path: pathlib.Path, folder: pathlib.Path) -> None:
    data = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "one byte changed":
        path.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif kind == "unlisted":
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
        del state["batches"][path.name]
        (folder / STATE).write_text(json.dumps(state), encoding="utf-8")
    elif kind in ("truncated, checksum updated", "planted pickle, checksum updated"):
        new = data[: len(data) // 2] if kind.startswith("truncated") else \
            npz(runs=np.array([Payload(folder / "PWNED")], dtype=object))
        path.write_bytes(new)
        state = json.loads((folder / STATE).read_text(encoding="utf-8"))
        state["batches"][path.name] = hashlib.sha256(new).hexdigest()
        (folder / STATE).write_text(json.dumps(state), encoding="utf-8")


@pytest.mark.parametrize("kind", ["truncated", "one byte changed", "unlisted", "truncated, checksum updated",
                                  "planted pickle, checksum updated"])
def test_a_damaged_or_foreign_batch_is_named_and_not_trusted(kind, parts, tmp_path):
    saved(tmp_path, parts)
    bad = tmp_path / "runs_0000003_0000005.npz"
    damage(kind, bad, tmp_path)
    ck, notes = resumed(tmp_path)
    assert ck.finished_runs() == {0, 1, 2}  # the other batch is kept
    assert len(notes) == 1 and notes[0].startswith(f"{bad}: ") and notes[0].endswith("simulated again")
    assert not (tmp_path / "PWNED").exists()


def test_a_batch_whose_runs_differ_from_its_name_is_not_trusted(parts, tmp_path):
    saved(tmp_path, parts[:1])
    state = json.loads((tmp_path / STATE).read_text(encoding="utf-8"))
    renamed = tmp_path / "runs_0000010_0000012.npz"
    (tmp_path / "runs_0000000_0000002.npz").rename(renamed)
    state["batches"] = {renamed.name: state["batches"]["runs_0000000_0000002.npz"]}
    (tmp_path / STATE).write_text(json.dumps(state), encoding="utf-8")
    ck, notes = resumed(tmp_path)
    assert ck.done == {} and "its runs differ from its name" in notes[0]


def test_a_batch_the_caller_does_not_accept_is_not_trusted(parts, tmp_path):
    saved(tmp_path, parts)

    def check(part):
        if int(part.runs[0]) == 3:
            raise ValueError("its shapes are of another scenario")

    ck, notes = resumed(tmp_path, check)
    assert sorted(ck.done) == [0] and "its shapes are of another scenario" in notes[0]


def test_resuming_something_else_is_refused_naming_what_changed(parts, tmp_path):
    saved(tmp_path, parts)
    with pytest.raises(ScenarioError) as info:
        Checkpoint(tmp_path, {**IDENTITY, "seed": 4}, resume=True, make=Reduced)
    [p] = info.value.problems
    assert p.key == "--resume" and "seed: 3 then, 4 now" in p.found


@pytest.mark.parametrize("content", [None, b"{not json", b'["a list"]', b'{"batches": [1]}'])
def test_a_missing_or_damaged_state_file_is_refused(content, tmp_path):
    tmp_path.mkdir(exist_ok=True)
    if content is not None:
        (tmp_path / STATE).write_bytes(content)
    with pytest.raises(ScenarioError) as info:
        Checkpoint(tmp_path, IDENTITY, resume=True, make=Reduced)
    [p] = info.value.problems
    assert p.key == "--resume"
    assert p.file == str(tmp_path if content is None else tmp_path / STATE)


def test_a_fresh_checkpoint_drops_earlier_batches(parts, tmp_path):
    saved(tmp_path, parts)
    ck = Checkpoint(tmp_path, IDENTITY, resume=False, make=Reduced)
    assert ck.done == {} and list(tmp_path.glob("runs_*.npz")) == []
    assert json.loads((tmp_path / STATE).read_text(encoding="utf-8"))["batches"] == {}


def test_the_identity_names_the_scenario_seed_and_run_plan(tiny):
    a = identity(tiny, 0, 100, 2500, 0.02)
    assert (a["scenario_id"], a["scenario_sha256"], a["seed"], a["runs"]) == ("tiny", tiny.sha256, 0, 100)
    assert identity(tiny, 1, 100, 2500, 0.02) != a and identity(tiny, 0, 101, 2500, 0.02) != a
    assert identity(tiny.with_policies(tiny.policies[:1]), 0, 100, 2500, 0.02) != a
    json.dumps(a)  # written in state.json
