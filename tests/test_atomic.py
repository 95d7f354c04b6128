"""sim.atomic: atomic_write leaves either the old file or the whole new one — never a partial one, never its
temporary file — and a failure raises OutputError naming the path."""

from __future__ import annotations

import errno
import os
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.atomic
from sim.atomic import atomic_write
from sim.errors import OutputError


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=5000), st.binary(max_size=5000))
def test_the_file_holds_exactly_the_last_bytes_written(tmp_path_factory, first, second):
    path = tmp_path_factory.mktemp("w") / "out.json"
    atomic_write(path, first)
    assert path.read_bytes() == first
    atomic_write(path, second)
    assert path.read_bytes() == second
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.json"]  # no temporary file left


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_failed_write_keeps_the_old_file_whole_and_names_the_path(failing, tmp_path, monkeypatch):
    path = tmp_path / "manifest.json"
    atomic_write(path, b"old contents")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    target = {"write": (sim.atomic.Path, "open"), "fsync": (sim.atomic.os, "fsync"),
              "replace": (sim.atomic.os, "replace")}[failing]
    with monkeypatch.context() as m, pytest.raises(OutputError) as info:
        m.setattr(*target, disk_full)
        atomic_write(path, b"new contents that never arrive")
    [p] = info.value.problems
    assert p.file == str(path) and p.key == "output" and "No space left on device" in p.found
    assert path.read_bytes() == b"old contents"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["manifest.json"]


def test_a_missing_folder_is_an_output_error_naming_the_file(tmp_path):
    path = tmp_path / "nowhere" / "summary.csv"
    with pytest.raises(OutputError) as info:
        atomic_write(path, b"x")
    assert info.value.problems[0].file == str(path) and "cannot write" in info.value.problems[0].found


def test_a_reader_sees_the_old_or_the_new_file_never_a_mix(tmp_path):
    path = tmp_path / "state.json"
    old, new = b"a" * 200_000, b"b" * 300_000
    atomic_write(path, old)
    seen: set[bytes] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.add(path.read_bytes())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for k in range(40):
            atomic_write(path, new if k % 2 == 0 else old)
    finally:
        done.set()
        reader.join()
    assert seen <= {old, new} and seen


def test_the_temporary_file_is_beside_the_target(tmp_path, monkeypatch):
    """Beside it, so that the final rename stays on one file system (and is atomic)."""
    renames = []
    real = os.replace

    def spy(src, dst):
        renames.append((os.fspath(src), os.fspath(dst)))
        real(src, dst)

    monkeypatch.setattr(sim.atomic.os, "replace", spy)
    atomic_write(tmp_path / "a.csv", b"1")
    [(src, dst)] = renames
    assert os.path.dirname(src) == os.path.dirname(dst) == str(tmp_path) and src != dst
