"""sim.runner.resultdir: a results folder is written in a staging folder beside it and put in place whole by a rename;
a lock refuses a second writer; finished results of something else need force; a user's files are never deleted;
a commit interrupted half-way is finished by the next run."""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path

import pytest

import sim.runner.resultdir
from sim.errors import OutputError, ScenarioError
from sim.runner.resultdir import COMPLETE, MANIFEST, FolderLock, ResultFolder, read_manifest, staging_of

IDENTITY = {"kind": "run", "scenario_sha256": "abc", "seed": 0, "runs": 4}


def write_results(folder: Path, identity: dict, files: dict[str, str]) -> None:
    """What a run writes: its files and a zonesim manifest listing them."""
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    manifest = {"zonesim_version": "test", "identity": identity, "files": sorted(files)}
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def finished(out: Path, identity: dict = IDENTITY, text: str = "first") -> None:
    with ResultFolder(out, identity) as folder:
        write_results(folder.staging, identity, {"summary.csv": text})
        folder.commit()


def folder_error(out: Path, **kwargs) -> str:
    """The problem a ResultFolder for `out` is refused with (at --out)."""
    with pytest.raises(ScenarioError) as info, ResultFolder(out, kwargs.pop("identity", IDENTITY), **kwargs):
        pass
    [p] = info.value.problems
    assert p.key == "--out"
    return p.format()


def test_files_are_staged_beside_the_folder_and_put_in_place_by_the_commit(tmp_path):
    out = tmp_path / "out"
    with ResultFolder(out, IDENTITY) as folder:
        assert folder.staging == staging_of(out) == tmp_path / ".out.partial" and folder.staging.is_dir()
        write_results(folder.staging, IDENTITY, {"summary.csv": "a,b\n"})
        assert not out.exists()  # nothing in place before the commit
        folder.commit()
    assert (out / "summary.csv").read_text(encoding="utf-8") == "a,b\n"
    assert not staging_of(out).exists() and not (out / COMPLETE).exists()
    assert read_manifest(out)["identity"] == IDENTITY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no lock, staging or previous folder left


def test_a_run_that_fails_before_any_batch_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    finished(out)
    with pytest.raises(RuntimeError), ResultFolder(out, IDENTITY) as folder:
        (folder.staging / "summary.csv").write_text("half", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert (out / "summary.csv").read_text(encoding="utf-8") == "first"
    assert not staging_of(out).exists()


def test_the_lock_refuses_a_second_writer_naming_the_holder(tmp_path):
    out = tmp_path / "out"
    lock = FolderLock(out)
    lock.acquire()
    try:
        text = folder_error(out)
        assert f"pid {os.getpid()}" in text and "in use by" in text
    finally:
        lock.release()
    finished(out)  # released: the folder can be used again
    assert not lock.path.exists()


def test_finished_results_of_another_run_need_force(tmp_path):
    out = tmp_path / "out"
    finished(out)
    other = {**IDENTITY, "seed": 1}
    assert "seed 0 (now 1)" in folder_error(out, identity=other)
    finished(out, IDENTITY, "again")  # the same run may be written again
    with ResultFolder(out, other, force=True) as folder:
        write_results(folder.staging, other, {"summary.csv": "forced"})
        folder.commit()
    assert (out / "summary.csv").read_text(encoding="utf-8") == "forced"
    assert read_manifest(out)["identity"]["seed"] == 1


def test_results_of_another_kind_are_named_as_such_and_differences_are_not_cut(tmp_path):
    """A back-test's folder refused to a run says what each is (it had said "kind None (now 'run')"), and a long
    identity is given whole, SHA-256 cut to 12 characters, in the hint (the found part is cut at 80)."""
    out = tmp_path / "out"
    backtest = {**IDENTITY, "kind": "backtest", "scenario_sha256": "f" * 64, "scenario_id": "a" * 40}
    finished(out, backtest)
    text = folder_error(out)
    assert "back-test" in text and "writes a run" in text and "None" not in text
    longer = {**backtest, "scenario_sha256": "e" * 64, "scenario_id": "b" * 40, "runs": 9}
    text = folder_error(out, identity=longer)
    assert "'ffffffffffff…' (now 'eeeeeeeeeeee…')" in text and "b" * 40 in text and "runs 4 (now 9)" in text


def test_a_users_files_survive_a_replacement_and_a_foreign_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    finished(out)
    (out / "notes.txt").write_text("我的笔记", encoding="utf-8")
    finished(out, IDENTITY, "second")
    assert (out / "notes.txt").read_text(encoding="utf-8") == "我的笔记"  # moved into the new results
    assert (out / "summary.csv").read_text(encoding="utf-8") == "second"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "data.csv").write_text("1,2", encoding="utf-8")
    for force in (False, True):
        assert "files zonesim did not write" in folder_error(mine, force=force)
    assert [p.name for p in mine.iterdir()] == ["data.csv"]


def test_an_interrupted_run_is_resumed_or_discarded_but_never_dropped_silently(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), ResultFolder(out, IDENTITY) as folder:
        folder.checkpoint.mkdir()
        (folder.checkpoint / "runs_0000000_0000001.npz").write_bytes(b"batch")
        raise RuntimeError("killed")
    assert (staging_of(out) / "chunks" / "runs_0000000_0000001.npz").is_file()  # kept for --resume
    assert "1 finished batch(es)" in folder_error(out)
    with ResultFolder(out, IDENTITY, resume=True) as folder:
        assert (folder.checkpoint / "runs_0000000_0000001.npz").is_file()
    with ResultFolder(out, IDENTITY, force=True) as folder:
        assert not folder.checkpoint.exists()


def test_resume_without_an_interrupted_run_is_refused(tmp_path):
    assert "nothing to resume" in folder_error(tmp_path / "out", resume=True)


def test_a_commit_interrupted_after_its_staging_was_complete_is_finished_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    finished(out)
    staging = staging_of(out)
    staging.mkdir()
    write_results(staging, IDENTITY, {"summary.csv": "new"})
    (staging / COMPLETE).write_bytes(b"")  # killed between marking complete and renaming
    with ResultFolder(out, IDENTITY):
        pass
    assert (out / "summary.csv").read_text(encoding="utf-8") == "new"
    assert not (out / COMPLETE).exists() and not (tmp_path / ".out.previous").exists()


def test_earlier_results_set_aside_without_a_replacement_go_back(tmp_path):
    out = tmp_path / "out"
    finished(out)
    os.replace(out, tmp_path / ".out.previous")  # killed after setting them aside, before the rename
    with ResultFolder(out, IDENTITY):
        pass
    assert (out / "summary.csv").read_text(encoding="utf-8") == "first"


@pytest.mark.parametrize("kind", ["a file", "a long name", "a broken link"])
def test_an_unusable_out_is_refused_before_anything_is_written(kind, tmp_path):
    if kind == "a file":
        out = tmp_path / "f"
        out.write_text("x", encoding="utf-8")
    elif kind == "a long name":
        out = tmp_path / ("x" * 210)
    else:
        out = tmp_path / "link"
        out.symlink_to(tmp_path / "nowhere")
    assert ": --out: found " in folder_error(out)
    assert not staging_of(out).exists()


def test_too_little_disk_is_refused_with_the_space_needed(tmp_path, monkeypatch):
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(sim.runner.resultdir.shutil, "disk_usage", lambda path: usage(10**12, 10**12 - 10**6, 10**6))
    with ResultFolder(tmp_path / "out", IDENTITY) as folder:
        folder.check_space(5e5)  # fits
        with pytest.raises(OutputError) as info:
            folder.check_space(3e8)
    [p] = info.value.problems
    assert p.key == "--out" and p.found == "1 MB free on this disk" and "300 MB" in p.expected


def test_only_a_zonesim_manifest_is_read(tmp_path):
    assert read_manifest(tmp_path) is None
    (tmp_path / MANIFEST).write_text('{"files": ["a"]}', encoding="utf-8")  # not zonesim's: no version
    assert read_manifest(tmp_path) is None
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    assert read_manifest(tmp_path) is None
    write_results(tmp_path, IDENTITY, {"a.csv": ""})
    assert read_manifest(tmp_path)["files"] == ["a.csv"]
