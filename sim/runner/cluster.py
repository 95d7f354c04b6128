"""Sweeps beyond one machine: the Monte Carlo's batches, and calibration's candidates, as tasks of a Dask cluster.

Why Dask (`distributed`): a well-kept scheduler that places tasks on workers anywhere, retries a task that
fails, and reschedules the tasks of a worker that is lost; zonesim does not write its own. Everything
Dask-specific is in this module; the rest of the library takes a `Client` (`client=`) and knows nothing else of it.

**Tasks.** A task simulates one block of runs — runs first … last of one variant of one sweep — and writes it as a
partition of the store (`sim.runner.store`): `<store>/<sweep>/variant=<id>/runs_<first>_<last>.parquet`. Its key is
`zonesim-<sweep>-<variant>-<seed>-<first>-<last>`: run k's numbers depend only on (scenario, seed, k)
(`sim.model.rng`), so a task retried, rescheduled after its worker died, or submitted twice gives the same rows.
The scenario travels once per variant, as the result of a task of its own (recomputed from its spec, never lost
with a worker), not once per block. The main process reads the partitions back in run order — the summary is
identical to the local runner's — and a resumed sweep skips the blocks whose partitions are already there and
whole (damaged ones are simulated again).

**Requirements.** The workers must see the store at the same path as the main process (a shared file system:
NFS or the like; a `LocalCluster` shares the local disk), and run the same zonesim version. Workers with one
thread each are best (`dask worker --nthreads 1`): the model is Python and NumPy; several threads of one worker
run calibration candidates one at a time (they seed NumPy's global generator).

**Failures.** A task that raises is retried `RETRIES` times; a worker lost mid-task makes the scheduler run its
task elsewhere (up to Dask's `distributed.scheduler.allowed-failures` times); an error of the model itself
(a broken invariant, `RunError`) is deterministic, so it is returned and raised at once, not retried. A task that
still fails, or a scheduler that goes away, raises `RunAborted`; the partitions already written stay for
`--resume`.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sim.errors import STOP, Interrupted, Problem, RunAborted, ScenarioError, ZonesimError
from sim.input.scenario import Scenario
from sim.runner.store import Store

#: Times a task that raises is submitted again before the run is aborted.
RETRIES = 2
#: Seconds to wait for a scheduler to answer before giving up.
CONNECT_SECONDS = 20
#: What to install for the cluster runner.
EXTRA = "pip install -c constraints.txt '.[dask]' in zonesim's folder (the extra [dask] of the package)"


def _distributed(option: str = "--scheduler") -> Any:
    """The `distributed` package, or ScenarioError (exit 2) naming what to install for `option`."""
    try:
        import distributed
    except ImportError:
        raise ScenarioError([Problem("<command line>", None, None, option, "the Dask scheduler's client "
                                     "(the Python package 'distributed') is not installed",
                                     "zonesim installed with its cluster extra", f"{EXTRA}, on this machine and "
                                     "on every worker")]) from None
    return distributed


@contextlib.contextmanager
def _local_cluster(distributed: Any, n: int) -> Iterator[Any]:
    """A `LocalCluster` of `n` one-thread worker processes that ignore Ctrl-C.

    They share the terminal's process group, so Ctrl-C would reach them too and each would print its tracebacks;
    the main process alone handles it (as the local runner's workers leave it to it). An ignored signal stays
    ignored in the processes started meanwhile (nannies, their workers, and the workers a nanny restarts later),
    and neither Python nor asyncio replaces an ignored SIGINT handler."""
    import signal

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
    finally:
        signal.signal(signal.SIGINT, before)
    with cluster:
        yield cluster


@contextlib.contextmanager
def open_client(scheduler: str | None = None, local_cluster: int | None = None, workers: int | None = None,
                say: Callable[[str], None] | None = None) -> Iterator[Any]:
    """A Dask `Client` for the command line's `--scheduler ADDRESS` or `--local-cluster N` (N worker processes
    of one thread on this machine, stopped on leaving), or None when neither is given (the local runner).
    `say` receives a line naming the cluster once it is connected.
    Raises ScenarioError (exit 2) for both at once, for `workers` with either (local processes make no sense
    on a cluster), for an address that is not one and when `distributed` is missing; RunAborted (exit 4) when
    no scheduler answers at the address, or it has no worker, within `CONNECT_SECONDS`."""
    if scheduler is None and local_cluster is None:
        yield None
        return
    given = "--scheduler" if scheduler is not None else "--local-cluster"
    if scheduler is not None and local_cluster is not None:
        raise ScenarioError([Problem("<command line>", None, None, "--local-cluster", "both --scheduler and "
                                     "--local-cluster", "one of them: a cluster to use, or one to start here")])
    if workers is not None:
        raise ScenarioError([Problem("<command line>", None, None, "--workers", f"--workers with {given}",
                                     f"either --workers (processes on this machine) or {given} (the cluster's "
                                     "workers run the batches)")])
    distributed = _distributed(given)
    if local_cluster is not None:
        with _local_cluster(distributed, local_cluster) as cluster, distributed.Client(cluster) as client:
            if say is not None:
                say(f"running on {describe(client)}")
            yield client
        return
    expected = "the address of a running Dask scheduler, e.g. tcp://host:8786"
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_SECONDS)
    except (ValueError, TypeError):
        raise ScenarioError([Problem("<command line>", None, None, "--scheduler", f"{scheduler!r}, not an address",
                                     expected)]) from None
    except (OSError, TimeoutError) as exc:
        raise RunAborted([Problem("<command line>", None, None, "--scheduler", f"no answer from {scheduler} within "
                                  f"{CONNECT_SECONDS} s ({type(exc).__name__})", expected,
                                  "check that `dask scheduler` runs there, the host name and port, and that a "
                                  "firewall lets this machine reach it")]) from None
    try:
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError):
            raise RunAborted([Problem("<command line>", None, None, "--scheduler", f"a scheduler at {scheduler} "
                                      f"without workers for {CONNECT_SECONDS} s", "a scheduler with workers",
                                      f"start them with `dask worker {scheduler}` on each machine")]) from None
        if say is not None:
            say(f"running on {describe(client)}")
        yield client
    finally:
        client.close()


def describe(client: Any) -> str:
    """'the Dask cluster at tcp://…: 4 workers, 8 threads' for messages."""
    per_worker = client.nthreads()
    return (f"the Dask cluster at {client.scheduler.address}: {len(per_worker)} worker(s), "
            f"{sum(per_worker.values())} thread(s)")


def threads(client: Any) -> int:
    """Threads of the cluster's workers (at least 1: a cluster may still be starting its workers)."""
    return max(1, sum(client.nthreads().values()))


_MALLOC_DONE: list[bool] = []


def usual_malloc() -> None:
    """Undo, in a worker process, what Dask's nanny does to the C allocator: it starts workers with
    MALLOC_TRIM_THRESHOLD_=65536, which on glibc also fixes the threshold above which memory is mapped afresh at
    128 KiB, so every large NumPy temporary of the model is mapped and unmapped — the model then runs about 1.7
    times slower (Guangxi, 20 runs in one process: 5.4 s, 9.0 s with the variable, 5.4 s with this). Sets both
    thresholds near where glibc's own adaptive ones settle (32 and 64 MiB), once per process; elsewhere than on
    Linux, or without the variable, does nothing."""
    if _MALLOC_DONE or not sys.platform.startswith("linux") or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    _MALLOC_DONE.append(True)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 64 * 2**20)  # M_TRIM_THRESHOLD


def _same(value: Any) -> Any:
    """A task whose result is its argument: data shipped once, recomputed from its spec if a worker is lost."""
    return value


def simulate_block(simulate: Callable[[Scenario, int, int, int], Any], scenario: Scenario, seed: int, first: int,
                   stop: int, path: str, sweep: str) -> Any:
    """One task: runs first … stop − 1 simulated and reduced by `simulate(scenario, seed, first, stop)`
    (`sim.runner.montecarlo.simulate_runs`) and written to the partition `path`. Returns the number of runs written,
    or the model's own error (`ZonesimError`: deterministic, so returned to be raised by the caller rather than
    retried)."""
    from sim.runner.store import write_partition

    usual_malloc()
    try:
        part = simulate(scenario, seed, first, stop)
    except ZonesimError as err:
        return err
    write_partition(Path(path), part, sweep)
    return stop - first


def _aborted(where: str, what: str, exc: BaseException, by_task: bool, kept: str) -> RunAborted:
    """A task that failed for good (`by_task`: its future holds the error), or a cluster that went away, as
    RunAborted: `what` failed (e.g. "runs 40–59"), why, and what was `kept` for a resume."""
    name = type(exc).__name__
    if not by_task:
        cause = f"the cluster stopped answering ({name}: {exc})"
    elif name == "KilledWorker":
        cause = "its worker died each time it ran it (most likely out of memory: try a smaller --batch-size)"
    else:
        cause = f"it failed {RETRIES + 1} times: {name}: {exc}"
    return RunAborted([Problem(where, None, None, "cluster", f"{what}: {cause}", "tasks that finish on the cluster",
                               f"{kept}; run the same command with --resume")])


def block_parts(client: Any, simulate: Callable[[Scenario, int, int, int], Any], scenario: Scenario, seed: int,
                store: Store, loaded: dict[int, Any], ranges: list[tuple[int, int]], make: Callable[..., Any]
                ) -> Iterator[tuple[Any, bool]]:
    """The batches of one milestone in run order, as (batch, simulated now): the ones in `loaded` (first run ->
    batch, from the store) and one task per [first, stop) range of `ranges` (`simulate_block` with `simulate`),
    read back from its partition with `make` (`sim.runner.montecarlo.Reduced`) as soon as every batch before it is
    there. Raises RunAborted for a task that fails for good (see the module's docstring), the model's own error
    (RunError) as it is, and Interrupted on Ctrl-C (tasks not started are cancelled)."""
    distributed = _distributed()
    name = f"{store.sweep}-{store.variant}"
    # the scenario's task is of another group ("zonesim_scenario") than the blocks ("zonesim"): Dask then spreads
    # the blocks over the workers (queued as root tasks) instead of sending them where the scenario is
    held = client.submit(_same, scenario, key=f"zonesim_scenario-{name}") if ranges else None
    futures = {client.submit(simulate_block, simulate, held, seed, a, b, str(store.path(a, b - 1)), store.sweep,
                             key=f"zonesim-{name}-{seed}-{a}-{b - 1}", retries=RETRIES): (a, b) for a, b in ranges}
    stops = {a: b for a, b in ranges}
    order = sorted([*loaded, *stops])
    ready = set(loaded)
    i = 0
    try:
        pending = distributed.as_completed(futures)
        while i < len(order):
            while i < len(order) and order[i] in ready:
                first = order[i]
                if first in loaded:
                    yield loaded[first], False
                else:
                    yield _read_back(scenario, store, first, stops[first], make), True
                i += 1
            if i == len(order):
                break
            future = next(pending)
            a, b = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # the task's last error, KilledWorker, a lost scheduler
                raise _aborted(scenario.path or scenario.id, f"runs {a}–{b - 1}", exc, future.status == "error",
                               f"finished partitions are kept in {store.root}") from None
            if isinstance(outcome, ZonesimError):
                raise outcome
            ready.add(a)
            if STOP["signum"]:
                raise Interrupted(STOP["signum"])
    finally:
        with contextlib.suppress(Exception):
            client.cancel(list(futures))  # releases their keys too: a failed key is never reused


def _read_back(scenario: Scenario, store: Store, first: int, stop: int, make: Callable[..., Any]) -> Any:
    path = store.path(first, stop - 1)
    try:
        return store.read(path, make)
    except ValueError as exc:
        raise RunAborted([Problem(str(path), None, None, "store", f"the partition a task wrote cannot be read "
                                  f"here: {exc}", "a store every worker shares with this machine, at the same "
                                  "path", "with workers on other machines, --out must be on a shared file system "
                                  "(NFS or the like)")]) from None


def _apply(fn: Callable[[Any], Any], item: Any) -> Any:
    usual_malloc()
    return fn(item)


def mapper(client: Any) -> Callable[[Callable[[Any], Any], list], list]:
    """`map(fn, items) -> [fn(item) for item in items]` on the cluster, results in the order of `items` (what
    calibration's seeded sampler needs for the same posterior at any worker count). `fn` is shipped once per
    call; each item's task key is derived from `fn` and the item, so a retried or repeated task gives the same
    result. Raises RunAborted as `block_parts` does, and the model's own errors as they are."""

    def map_(fn: Callable[[Any], Any], items: list) -> list:
        import cloudpickle

        token = hashlib.sha256(cloudpickle.dumps(fn)).hexdigest()[:16]
        held = client.submit(_same, fn, key=f"zonesim_fn-{token}")  # groups apart, as in `block_parts`
        keys = [f"zonesim_map-{token}-{hashlib.sha256(repr(item).encode()).hexdigest()[:16]}" for item in items]
        futures = client.map(_apply, [held] * len(items), items, key=keys, retries=RETRIES)
        try:
            return client.gather(futures)
        except ZonesimError:
            raise
        except Exception as exc:
            raise _aborted("<cluster>", f"one of {len(items)} tasks", exc,
                           any(f.status == "error" for f in futures),
                           "finished generations are kept (calibration)") from None
        finally:
            with contextlib.suppress(Exception):
                client.cancel(list(futures))  # releases their keys too: a failed key is never reused

    return map_
