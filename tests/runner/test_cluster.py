"""sim.runner.cluster and sim.runner.store: sweeps on a Dask cluster (a LocalCluster of two worker processes here) give
the local runner's results exactly — a run, a comparison, a calibration — with a worker killed mid-task, after a
resume from a store with damaged or missing partitions, and with two sweeps in one store; a task that keeps
failing aborts the run with its finished partitions kept; the command line says what to install, or which
address did not answer."""

from __future__ import annotations

import functools
import shutil
import socket
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.errors import RunAborted, ScenarioError
from sim.input.experiment import load_experiment
from sim.pipeline import compare_to_folder, run_to_folder
from sim.report.compare_files import write_comparison
from sim.runner import cluster
from sim.runner.calibrate import calibrate
from sim.runner.compare import run_experiment
from sim.runner.montecarlo import Results, run_scenario
from sim.runner.resultdir import staging_of
from sim.runner.store import Store
from tests.conftest import DATA, ROOT, TINY
from tests.runner.cluster_tasks import die_once, fail_after


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as lc, Client(lc) as c:
        yield c


@pytest.fixture(scope="module")
def local(tiny, tmp_path_factory):
    """The local runner's folder and results: 8 runs of the tiny scenario, seed 3."""
    out = tmp_path_factory.mktemp("local") / "out"
    return out, run_to_folder(tiny, out, runs=8, seed=3, workers=1, plots=False).results


def same_results(a: Results, b: Results) -> None:
    assert a.runs == b.runs
    np.testing.assert_array_equal(a.run_index, b.run_index)
    np.testing.assert_array_equal(a.target_hits, b.target_hits)
    np.testing.assert_array_equal(a.target_values, b.target_values)
    np.testing.assert_array_equal(a.indicator("hte"), b.indicator("hte"))


def test_a_run_on_the_cluster_writes_the_local_summary(tiny, client, local, tmp_path):
    out = tmp_path / "out"
    outcome = run_to_folder(tiny, out, runs=8, seed=3, client=client, plots=False)
    local_out, local_results = local
    for name in ("summary.csv", "indicators.parquet"):
        assert (out / name).read_bytes() == (local_out / name).read_bytes(), name
    # zones.parquet: a row group per batch, and the batches differ (8 runs here, 4 there); the values do not
    assert pq.read_table(out / "zones.parquet").to_pandas().equals(pq.read_table(local_out / "zones.parquet")
                                                                   .to_pandas())
    same_results(outcome.results, local_results)
    assert outcome.results.workers == 2 and not staging_of(out).exists() and not (out / "store").exists()
    # the workers' allocator is as in any process (Dask's nanny sets MALLOC_TRIM_THRESHOLD_: 1.7 times slower)
    assert any(client.run(lambda: bool(__import__("sim.runner.cluster").runner.cluster._MALLOC_DONE)).values())


def test_the_command_line_runs_on_a_scheduler_given_by_its_address(client, local, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(TINY), "--runs", "8", "--seed", "3", "--scheduler", client.scheduler.address,
                 "--out", str(out), "--no-plots", "--quiet"])
    assert code == 0
    assert client.scheduler.address in capsys.readouterr().err
    assert (out / "summary.csv").read_bytes() == (local[0] / "summary.csv").read_bytes()


def test_a_task_that_keeps_failing_aborts_the_run_and_its_finished_partitions_stay(tiny, client, local, tmp_path,
                                                                                   monkeypatch):
    client.wait_for_workers(2, timeout=60)  # one block on each worker: the failing one waits for the other
    store = tmp_path / "store"
    done = Store(store, run_identity_of(tiny, 3, 8), "tiny").path(0, 3)
    monkeypatch.setattr(cluster, "simulate_block", functools.partial(fail_after, str(done), 4))
    with pytest.raises(RunAborted) as info:
        run_scenario(tiny, runs=8, seed=3, batch_size=4, client=client, store=store)
    problem = info.value.problems[0]
    assert problem.key == "cluster" and "runs 4–7" in problem.found and str(store) in problem.hint
    assert done.is_file()
    before = done.stat()
    monkeypatch.undo()
    notes: list[str] = []
    again = run_scenario(tiny, runs=8, seed=3, batch_size=4, client=client, store=store, resume=True,
                         notes=notes.append)
    same_results(again, local[1])
    assert notes == [] and done.stat().st_mtime_ns == before.st_mtime_ns  # loaded, not simulated again


def run_identity_of(scenario, seed: int, runs: int) -> dict:
    """The identity `run_scenario` gives a plain run's sweep."""
    from sim.runner.checkpoint import identity
    from sim.runner.montecarlo import DEFAULT_HALF_WIDTH, DEFAULT_MAX_RUNS

    return identity(scenario, seed, runs, DEFAULT_MAX_RUNS, DEFAULT_HALF_WIDTH)


def test_a_resume_loads_whole_partitions_and_simulates_damaged_and_missing_ones(tiny, client, local, tmp_path):
    store = tmp_path / "store"
    run_scenario(tiny, runs=8, seed=3, batch_size=2, client=client, store=store)
    parts = Store(store, run_identity_of(tiny, 3, 8), "tiny").partitions()
    assert [p.name for p in parts] == [f"runs_{a:07d}_{a + 1:07d}.parquet" for a in (0, 2, 4, 6)]
    kept = parts[0].stat()
    parts[1].unlink()  # missing
    parts[2].write_bytes(parts[2].read_bytes()[:-100])  # truncated
    parts[3].write_bytes(b"PAR1" + bytes(200) + b"PAR1")  # not a partition
    notes: list[str] = []
    again = run_scenario(tiny, runs=8, seed=3, batch_size=2, client=client, store=store, resume=True,
                         notes=notes.append)
    same_results(again, local[1])
    assert sorted(Path(n.split(": ")[0]).name for n in notes) == [parts[2].name, parts[3].name]
    assert parts[0].stat().st_mtime_ns == kept.st_mtime_ns and all(p.is_file() for p in parts)


def test_an_interrupted_run_into_a_folder_resumes_from_its_store_to_the_same_summary(tiny, client, local, tmp_path,
                                                                                     monkeypatch):
    from sim.report import files as outputs

    out = tmp_path / "out"
    calls = []

    def stop_after_two_batches(self, part):
        calls.append(part)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return sink(self, part)

    sink = outputs.ZoneParquetSink.__call__
    monkeypatch.setattr(outputs.ZoneParquetSink, "__call__", stop_after_two_batches)
    with pytest.raises(KeyboardInterrupt):
        run_to_folder(tiny, out, runs=8, seed=3, batch_size=2, client=client, plots=False)
    monkeypatch.undo()
    kept = sorted(p.name for p in (staging_of(out) / "store").rglob("runs_*.parquet"))
    assert len(kept) >= 2 and not out.exists()
    with pytest.raises(ScenarioError) as info:  # resumed where its batches are not: refused, naming the options
        run_to_folder(tiny, out, runs=8, seed=3, batch_size=2, workers=1, plots=False, resume=True)
    assert "--scheduler" in info.value.problems[0].expected
    notes: list[str] = []
    run_to_folder(tiny, out, runs=8, seed=3, batch_size=2, client=client, plots=False, resume=True,
                  on_note=notes.append)
    assert notes == []
    assert (out / "summary.csv").read_bytes() == (local[0] / "summary.csv").read_bytes()


def test_two_sweeps_of_different_seeds_never_mix_in_one_store(tiny, client, local, tmp_path):
    store = tmp_path / "store"
    three = run_scenario(tiny, runs=4, seed=3, client=client, store=store)
    four = run_scenario(tiny, runs=4, seed=4, client=client, store=store)
    np.testing.assert_array_equal(three.target_values, local[1].target_values[:4])
    same_results(four, run_scenario(tiny, runs=4, seed=4, workers=1))
    a, b = Store(store, run_identity_of(tiny, 3, 4), "tiny"), Store(store, run_identity_of(tiny, 4, 4), "tiny")
    assert a.sweep != b.sweep and a.others() == [b.sweep] and b.others() == [a.sweep]
    # a partition of the seed-4 sweep planted under the seed-3 sweep's name is refused, and simulated again
    shutil.copy(b.partitions()[0], a.folder / b.partitions()[0].name)
    notes: list[str] = []
    again = run_scenario(tiny, runs=4, seed=3, client=client, store=store, resume=True, notes=notes.append)
    same_results(again, three)
    assert len(notes) == 1 and "sweep" in notes[0]


def test_a_resume_of_something_else_is_refused_and_keeps_the_store(tiny, client, tmp_path):
    """As on one machine: --resume with another seed or run count than the interrupted sweep is refused, naming
    what changed, and the interrupted sweep's partitions stay."""
    store = tmp_path / "store"
    run_scenario(tiny, runs=4, seed=3, client=client, store=store)
    kept = sorted(store.rglob("*.parquet"))
    with pytest.raises(ScenarioError) as info:
        run_scenario(tiny, runs=2, seed=3, client=client, store=store, resume=True)
    assert "runs" in info.value.problems[0].found and info.value.problems[0].key == "--resume"
    assert sorted(store.rglob("*.parquet")) == kept and len(list(store.iterdir())) == 1


def test_a_comparison_on_the_cluster_matches_the_local_one(client, tmp_path):
    experiment = load_experiment(DATA / "tiny_experiment.yaml")
    compare_to_folder(experiment, tmp_path / "local", runs=4, workers=1, plots=False)
    store = tmp_path / "store"
    comparison = run_experiment(experiment, runs=4, client=client, store=store)
    sweeps = [p for p in store.iterdir() if p.is_dir()]
    assert len(sweeps) == 1  # every variant in one sweep, one folder each
    assert sorted(p.name for p in sweeps[0].glob("variant=*")) == sorted(f"variant={v.id}"
                                                                        for v in experiment.variants)
    write_comparison(comparison, tmp_path / "cluster", plots=False)
    for name in ("compare.csv", "cost_effectiveness.csv", "lever_costs.csv"):
        assert (tmp_path / "cluster" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


def test_a_calibration_on_the_cluster_gives_the_local_posterior(client):
    from sim.input.scenario import load_scenario

    hindcast = load_scenario(ROOT / "scenarios" / "hindcast" / "guangxi_2015.yaml")
    kw = dict(until=2016, names=["hte_prepare_rate"], population=4, generations=1, seed=5, holdout=False)
    here = calibrate(hindcast, workers=1, **kw)
    there = calibrate(hindcast, client=client, **kw)
    assert np.array_equal(here.samples, there.samples) and np.array_equal(here.weights, there.weights)
    assert here.generations == there.generations


def test_a_worker_killed_mid_task_is_replaced_and_the_summary_is_the_same(tiny, client, local, tmp_path,
                                                                          monkeypatch):
    marker = tmp_path / "died"
    monkeypatch.setattr(cluster, "simulate_block", functools.partial(die_once, str(marker)))
    out = tmp_path / "out"
    run_to_folder(tiny, out, runs=8, seed=3, batch_size=2, client=client, plots=False)
    assert marker.exists()  # a worker process did die in a task
    assert (out / "summary.csv").read_bytes() == (local[0] / "summary.csv").read_bytes()


def test_without_distributed_the_command_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    code = main(["run", str(TINY), "--runs", "2", "--local-cluster", "2", "--out", str(tmp_path / "out")])
    assert code == 2
    assert "[dask]" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_a_scheduler_that_does_not_answer_is_named_with_exit_4(tmp_path, monkeypatch, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    code = main(["run", str(TINY), "--runs", "2", "--scheduler", address, "--out", str(tmp_path / "out")])
    assert code == 4
    assert address in capsys.readouterr().err and not (tmp_path / "out").exists()
