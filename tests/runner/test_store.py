"""sim.runner.store: a reduced batch written as a Parquet partition reads back equal; anything else — truncated,
garbage, of another sweep, named for other runs, overlapping another — is refused, and a resumed store names it,
deletes it and loads only whole partitions; without resume a variant's partitions are cleared; sweeps are named
by their identity."""

from __future__ import annotations

import json

import pytest

from sim.runner.montecarlo import Reduced, simulate_runs
from sim.runner.store import Store, partition_bytes, partition_from_bytes, sweep_id, write_partition
from tests.helpers import assert_same_batch

IDENTITY = {"scenario_id": "tiny", "seed": 3, "runs": 6}


@pytest.fixture(scope="module")
def parts(tiny) -> list[Reduced]:
    """Two consecutive batches of the tiny scenario: runs 0–2 and 3–5."""
    return [simulate_runs(tiny, 3, 0, 3), simulate_runs(tiny, 3, 3, 6)]


def test_a_partition_is_read_back_equal_and_anything_else_is_refused(parts):
    data = partition_bytes(parts[0], "sweep-a")
    assert_same_batch(parts[0], partition_from_bytes(data, "sweep-a", Reduced))
    for bad in (b"", b"PAR1 not parquet", data[: len(data) // 2], data[:-12]):
        with pytest.raises(ValueError, match="not a partition"):
            partition_from_bytes(bad, "sweep-a", Reduced)
    with pytest.raises(ValueError, match="sweep"):
        partition_from_bytes(data, "sweep-b", Reduced)


def test_a_resumed_store_loads_whole_partitions_and_names_the_others(tiny, parts, tmp_path):
    store = Store(tmp_path, IDENTITY, "base")
    assert store.open(resume=False, make=Reduced) == {}
    for part in parts:
        write_partition(store.path(int(part.runs[0]), int(part.runs[-1])), part, store.sweep)
    assert json.loads((tmp_path / store.sweep / "_sweep.json").read_text(encoding="utf-8")) == IDENTITY
    done = Store(tmp_path, IDENTITY, "base").open(resume=True, make=Reduced)
    assert sorted(done) == [0, 3]
    assert_same_batch(parts[1], done[3])
    first, second = store.partitions()
    second.write_bytes(second.read_bytes()[:-50])  # truncated
    misnamed = store.path(6, 8)
    misnamed.write_bytes(first.read_bytes())  # runs 0–2 under the name of runs 6–8
    overlapping = store.path(1, 2)  # runs 1–2 again, as blocks of another size would hold them
    write_partition(overlapping, simulate_runs(tiny, 3, 1, 3), store.sweep)
    notes: list[str] = []
    done = Store(tmp_path, IDENTITY, "base").open(resume=True, make=Reduced, notes=notes.append)
    assert list(done) == [0] and len(notes) == 3
    assert any(str(second) in n and "not a partition" in n for n in notes)
    assert any(str(misnamed) in n and "runs differ" in n for n in notes)
    assert any(str(overlapping) in n and "overlap" in n for n in notes)
    assert store.partitions() == [first]  # what cannot be trusted is gone: its runs are simulated again


def test_a_check_refuses_a_partition_of_other_shapes(parts, tmp_path):
    store = Store(tmp_path, IDENTITY, "base")
    store.open(resume=False, make=Reduced)
    write_partition(store.path(0, 2), parts[0], store.sweep)

    def check(part):
        raise ValueError("its target_values have another shape")

    notes: list[str] = []
    assert store.open(resume=True, make=Reduced, check=check, notes=notes.append) == {}
    assert len(notes) == 1 and "another shape" in notes[0]


def test_without_resume_a_variants_partitions_are_cleared_and_others_kept(parts, tmp_path):
    base, other = Store(tmp_path, IDENTITY, "base"), Store(tmp_path, IDENTITY, "other")
    for store in (base, other):
        store.open(resume=False, make=Reduced)
        write_partition(store.path(0, 2), parts[0], store.sweep)
    assert base.open(resume=False, make=Reduced) == {} and base.partitions() == []
    assert len(other.partitions()) == 1


def test_sweeps_are_named_by_their_identity(tmp_path):
    assert sweep_id(IDENTITY) == sweep_id(dict(reversed(IDENTITY.items())))  # order does not matter
    assert sweep_id(IDENTITY) != sweep_id({**IDENTITY, "seed": 4})
    a, b = Store(tmp_path, IDENTITY, "base"), Store(tmp_path, {**IDENTITY, "seed": 4}, "base")
    a.open(resume=False, make=Reduced)
    b.open(resume=False, make=Reduced)
    assert a.folder != b.folder and a.others() == [b.sweep] and a.folder.name == "variant=base"
