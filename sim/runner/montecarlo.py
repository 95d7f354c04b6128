"""The Monte Carlo runner: batches of runs over worker processes, reduced to per-run tables as they finish.

Reproducibility: run k's numbers depend only on (scenario, seed, k) — see `sim.model.rng` — and the runner stores
results by run index, so the same seed gives the same table for any number of workers or batch size. The
default number of runs is adaptive but checked only at fixed milestones (every 500 runs), never at batch
boundaries, so it too is the same whatever the batching.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import STOP, Interrupted
from sim.input.scenario import Scenario
from sim.measure.backtest import caution as backtest_caution
from sim.measure.indicators import ALL_INDICATORS, INDICATORS
from sim.measure.stats import wilson
from sim.measure.targets import evaluate, indicator_series, is_count, per_zone_series, target_series
from sim.model.engine import BatchResult, run_batch, snapshot_times
from sim.model.rng import SEED_MAX

MILESTONE = 500
DEFAULT_MAX_RUNS = 2500  # 2,401 runs bound the 95% Wilson half-width by 2 points at any probability
DEFAULT_HALF_WIDTH = 0.02


@dataclass
class Reduced:
    """A batch reduced in its worker to what the summary, tables and plots need (no agents)."""

    runs: np.ndarray                       # (B,)
    indicators: dict[str, np.ndarray]      # name -> (B, S) over the official zones; "region_<name>" too
    zone_values: np.ndarray                # (B, S, Z, n) per-zone indicator values (streamed to disk)
    zone_levels: np.ndarray                # (B, S, Z)
    target_values: np.ndarray              # (B, T)
    target_hits: np.ndarray                # (B, T) bool
    target_series: np.ndarray              # (B, T, S)
    lever_costs: np.ndarray                # (B, Y, L) RMB
    diagnostics: dict[str, np.ndarray]
    firm_months: int
    slot_months: int
    seconds: float


ZONE_INDICATORS = tuple(INDICATORS)


def reduce_batch(scenario: Scenario, result: BatchResult, seconds: float) -> Reduced:
    times = snapshot_times(scenario)
    snaps, levels = result.snapshots, result.zone_levels
    table: dict[str, np.ndarray] = {}
    for name in ALL_INDICATORS:
        table[name] = indicator_series(name, snaps, levels, "zones")
        if name in INDICATORS:
            table[f"region_{name}"] = indicator_series(name, snaps, levels, "region")
    zone_values = np.stack([per_zone_series(n, snaps) for n in ZONE_INDICATORS], axis=3)
    targets = scenario.targets
    B, S = snaps.shape[:2]
    values = np.full((B, len(targets)), np.nan)
    hits = np.zeros((B, len(targets)), bool)
    series = np.full((B, len(targets), S), np.nan)
    for j, t in enumerate(targets):
        if not t.modelled:
            continue
        values[:, j], hits[:, j] = evaluate(t, snaps, levels, times)
        series[:, j] = target_series(t, snaps, levels, times)
    return Reduced(result.runs, table, zone_values, levels, values, hits, series, result.lever_costs,
                   result.diagnostics, result.firm_months, result.slot_months, seconds)


def simulate_runs(scenario: Scenario, seed: int, start: int, stop: int) -> Reduced:
    """Simulate runs [start, stop) in one batch and reduce them (the unit of work of a worker)."""
    t0 = time.perf_counter()
    result = run_batch(scenario, seed, np.arange(start, stop))
    return reduce_batch(scenario, result, time.perf_counter() - t0)


@dataclass
class Results:
    """All runs of a scenario, by run index: what `summary()`, `write()` and the plots read."""

    scenario: Scenario
    seed: int
    workers: int
    batch_size: int
    times: list[tuple[int, int, int]]
    parts: list[Reduced] = field(default_factory=list)
    wall_seconds: float = 0.0
    stopped_at: str = ""  # why the runs stopped where they did (`stopping_line`)

    def _cat(self, get: Callable[[Reduced], np.ndarray]) -> np.ndarray:
        return np.concatenate([get(p) for p in self.parts], axis=0)

    @property
    def runs(self) -> int:
        return int(sum(len(p.runs) for p in self.parts))

    @property
    def run_index(self) -> np.ndarray:
        return self._cat(lambda p: p.runs)

    def indicator(self, name: str) -> np.ndarray:
        return self._cat(lambda p: p.indicators[name])

    @property
    def target_values(self) -> np.ndarray:
        return self._cat(lambda p: p.target_values)

    @property
    def target_hits(self) -> np.ndarray:
        return self._cat(lambda p: p.target_hits)

    @property
    def target_series(self) -> np.ndarray:
        return self._cat(lambda p: p.target_series)

    @property
    def lever_costs(self) -> np.ndarray:
        return self._cat(lambda p: p.lever_costs)

    def diagnostic(self, name: str) -> np.ndarray:
        return self._cat(lambda p: p.diagnostics[name])

    def warnings(self) -> list[str]:
        """What `zonesim run` warns about: the scenario's own warnings (as validation gives them, with file and
        line) and the base-year calibration's over these runs (`sim.runner.diagnostics`)."""
        from sim.runner.diagnostics import calibration_warnings

        return [w.format() for w in self.scenario.warnings] + calibration_warnings(self)

    @property
    def firm_months(self) -> int:
        return int(sum(p.firm_months for p in self.parts))

    def all_hit(self) -> np.ndarray:
        modelled = [j for j, t in enumerate(self.scenario.targets) if t.modelled]
        return self.target_hits[:, modelled].all(axis=1)

    def summary(self) -> list[dict]:
        """One row a target — median and 5–95% band of its value, P(hit) with a 95% Wilson interval — and a
        last row `ALL`, the probability that every modelled target is hit in the same run."""
        n = self.runs
        values, hits = self.target_values, self.target_hits
        rows = []
        for j, t in enumerate(self.scenario.targets):
            row = {"target_id": t.id, "name": t.name, "name_en": t.name_en, "year": t.year, "month": t.month,
                   "indicator": t.indicator, "kind": t.kind, "comparison": t.comparison, "threshold": t.threshold,
                   "status": t.status, "reason": "" if t.modelled else " ".join(t.reason.split()),
                   "count": is_count(t), "runs": n}
            if t.modelled:
                v = values[:, j]
                finite = v[np.isfinite(v)]
                q = np.percentile(finite, [50, 5, 95]) if finite.size else [np.nan] * 3
                k = int(hits[:, j].sum())
                lo, hi = wilson(k, n)
                status, caution = backtest_caution(t.indicator, t.scope, k / n)
                row.update(median=float(q[0]), p05=float(q[1]), p95=float(q[2]), p_hit=k / n,
                           p_hit_low=float(lo), p_hit_high=float(hi), hits=k, backtest=status, caution=caution)
            else:
                row.update(median=np.nan, p05=np.nan, p95=np.nan, p_hit=np.nan, p_hit_low=np.nan,
                           p_hit_high=np.nan, hits=0, backtest="", caution="")
            rows.append(row)
        k = int(self.all_hit().sum())
        lo, hi = wilson(k, n)
        if not any(t.modelled for t in self.scenario.targets):  # nothing to hit jointly (e.g. a back-test)
            k, lo, hi = 0, np.nan, np.nan
        rows.append({"target_id": "ALL", "name": "全部目标同时实现", "name_en": "All modelled targets hit",
                     "year": max((t.year for t in self.scenario.targets), default=self.scenario.end_year),
                     "month": 12, "indicator": "",
                     "kind": "joint", "comparison": "", "threshold": np.nan, "status": "modelled", "reason": "",
                     "count": False, "runs": n,
                     "median": np.nan, "p05": np.nan, "p95": np.nan, "p_hit": k / n, "p_hit_low": float(lo),
                     "p_hit_high": float(hi), "hits": k, "backtest": "", "caution": ""})
        if np.isnan(lo):
            rows[-1]["p_hit"] = np.nan
        return rows

    def stopping_line(self) -> str:
        """Why the Monte Carlo stopped at its number of runs, for the terminal: "stopped at 1,500 runs: every 95%
        interval within ±2 points", "… the cap of 2,500 runs", "… fixed number of runs"."""
        return (f"stopped at {self.runs:,} run{'s' if self.runs != 1 else ''}: "
                f"{self.stopped_at or 'fixed number of runs'}")

    def max_half_width(self) -> float:
        rows = [r for r in self.summary() if r["status"] == "modelled"]
        return max((r["p_hit_high"] - r["p_hit_low"]) / 2 for r in rows)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _context() -> mp.context.BaseContext:
    return mp.get_context("fork") if sys.platform.startswith("linux") else mp.get_context("spawn")


def worker_init(parent: int) -> None:
    """Workers leave signals to the main process (which stops them) and end soon after it, however it ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:  # the kernel kills this worker when the main process dies, even by kill -9
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    """Portable fallback: a worker whose main process is gone exits within a second."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _stop_pool(executor: ProcessPoolExecutor, kill: bool) -> None:
    """Shut the pool down; on an interruption or failure, stop its workers at once instead of letting them
    finish batches nobody will collect."""
    if kill:
        for proc in list((getattr(executor, "_processes", None) or {}).values()):
            proc.terminate()
    executor.shutdown(wait=True, cancel_futures=True)


def check_counts(**counts: Any) -> None:
    """Raise ValueError naming the first count that is neither None (the default) nor a whole number ≥ 1: a
    library call gets the clear refusal the command line gives, not a failure deep inside the run."""
    for name, v in counts.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1):
            raise ValueError(f"{name} must be a whole number ≥ 1 (or None for the default), not {v!r}")


def run_scenario(scenario: Scenario, runs: int | None = None, seed: int = 0, workers: int | None = None,
                 batch_size: int | None = None, progress: bool = False, half_width: float = DEFAULT_HALF_WIDTH,
                 max_runs: int = DEFAULT_MAX_RUNS, sink: Callable[[Reduced], None] | None = None,
                 only_runs: list[int] | None = None, checkpoint: str | Path | None = None,
                 resume: bool = False, notes: Callable[[str], None] | None = None, label: str | None = None,
                 client: Any = None, store: str | Path | None = None, sweep: tuple[dict[str, Any], str] | None = None
                 ) -> Results:
    """Monte Carlo of a scenario.

    runs: a fixed number of runs, or None for "enough": runs are added 500 at a time until every target's
    95% interval is within ±`half_width` (at most `max_runs`). workers: processes (default: all cores).
    batch_size: runs simulated together in one process (default: `sim.runner.resources.default_batch`, 1–50 by the
    plan's size so that a worker stays near 300 MB; fewer when memory is short; see
    `sim.runner.resources.plan_memory`, which refuses settings that cannot fit). sink: called with each batch's
    reduced results in run order (e.g. to stream per-zone values to disk). only_runs: simulate just these run
    indices (to replay one run). checkpoint: a folder where every finished batch is written at once
    (`sim.runner.checkpoint`); with `resume`, the batches already there are loaded instead of simulated, and `notes`
    receives a line for each batch that could not be trusted. progress: a tqdm bar on stderr labelled `label`
    (default: the scenario id) whose total is fixed from the start — the fixed number of runs, or the cap of the
    adaptive rule, where the bar then ends early with why it stopped (`Results.stopping_line`).

    client: a Dask `distributed.Client` — the batches then run as tasks of its cluster (`sim.runner.cluster`), each
    written by its worker to the partitioned Parquet store under `store` (`sim.runner.store`; a folder every worker
    sees at the same path; default: a temporary folder, deleted at the end, which only a cluster on this machine
    shares) and read back from there in run order: the results are identical to the local runner's. `workers`
    is then the cluster's thread count and `checkpoint` is not used: the store is the checkpoint (with `resume`,
    its whole partitions are loaded, the others simulated again). sweep: (identity, variant id) naming the
    store's folders (default: this run's `checkpoint.identity`, and the scenario's id; a comparison passes its
    experiment's identity and each variant's id).

    Raises ValueError for a count that is not a whole number ≥ 1 (runs, workers, batch_size, max_runs; None
    keeps the default) or a negative seed, ScenarioError when the run cannot fit in memory, RunError when a run
    breaks an invariant, RunAborted when a worker process dies or a cluster task fails for good (finished
    batches stay in the checkpoint or store), OutputError when a batch cannot be written.
    """
    from sim.runner.checkpoint import identity
    from sim.runner.resources import plan_memory

    check_counts(runs=runs, workers=workers, batch_size=batch_size, max_runs=max_runs)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= SEED_MAX:
        raise ValueError(f"seed must be a whole number from 0 to 2^63−1, not {seed!r}")
    if only_runs is not None and (not only_runs or any(isinstance(r, bool) or not isinstance(r, (int, np.integer))
                                                       or r < 0 for r in only_runs)):
        raise ValueError(f"only_runs must be a non-empty list of run indices (whole numbers ≥ 0), not {only_runs!r}")

    if client is not None:
        from sim.runner.cluster import threads

        workers = threads(client)
    workers = workers or default_workers()
    t0 = time.perf_counter()
    results = Results(scenario, seed, workers, 0, snapshot_times(scenario))
    total = len(set(only_runs)) if only_runs is not None else runs if runs is not None else max_runs
    workers = max(1, min(workers, total))
    # before anything of the size of `runs` exists; a cluster's workers are not on this machine: plan one
    memory = plan_memory(scenario, total, 1 if client is not None else workers, batch_size)
    if only_runs is not None:
        plan = [sorted(set(int(r) for r in only_runs))]
    elif runs is not None:
        plan = [list(range(runs))]
    else:
        plan = [list(range(s, min(s + MILESTONE, max_runs))) for s in range(0, max_runs, MILESTONE)]
    batch = batch_size or min(memory.batch, max(1, -(-len(plan[0]) // workers)))
    results.batch_size = batch
    ident = identity(scenario, seed, runs if only_runs is None else sorted(set(only_runs)), max_runs, half_width)
    label = label or scenario.id
    ckpt = parts_store = None
    done: dict[int, Reduced] = {}
    executor = bar = None
    failed = True
    with contextlib.ExitStack() as stack:
        if client is not None:
            from sim.runner.store import Store

            root = store if store is not None else stack.enter_context(tempfile.TemporaryDirectory(
                prefix="zonesim-store-"))
            ident, variant = sweep or (ident, scenario.id)
            parts_store = Store(root, ident, variant)
            if resume and not (parts_store.root / parts_store.sweep).is_dir() and parts_store.others():
                _refuse_other_sweep(parts_store, ident)  # before anything of this sweep is written
            done = parts_store.open(resume, Reduced, lambda part: _check_part(scenario, part), notes)
        elif checkpoint is not None and only_runs is None:
            from sim.runner.checkpoint import Checkpoint

            ckpt = Checkpoint(checkpoint, ident, resume, make=Reduced,
                              check=lambda part: _check_part(scenario, part), notes=notes)
            done = ckpt.done
        finished = {int(r) for part in done.values() for r in part.runs}
        bar = _progress(total, label) if progress else None  # against every run that may be simulated: never grows
        if client is None and workers > 1:
            executor = ProcessPoolExecutor(workers, mp_context=_context(), initializer=worker_init,
                                           initargs=(os.getpid(),))
        try:
            for chunk in plan:
                members = set(chunk)
                ranges = _contiguous([r for r in chunk if r not in finished], batch)
                loaded = {start: part for start, part in done.items() if start in members}
                if parts_store is not None:
                    from sim.runner.cluster import block_parts

                    source = block_parts(client, simulate_runs, scenario, seed, parts_store, loaded, ranges, Reduced)
                else:
                    source = _local_parts(scenario, seed, loaded, ranges, executor,
                                          lambda first: _worker_died(scenario, first, memory, batch, workers))
                with contextlib.closing(source):
                    for part, fresh in source:  # in run order, as workers finish
                        if ckpt is not None and fresh:
                            ckpt.save(part)  # on disk before anything else happens to it
                        if STOP["signum"]:
                            raise Interrupted(STOP["signum"])
                        results.parts.append(part)
                        if sink is not None:
                            sink(part)
                        if bar is not None:
                            bar.update(len(part.runs))
                if runs is None and only_runs is None and results.max_half_width() <= half_width:
                    results.stopped_at = f"every 95% interval within ±{half_width * 100:g} points"
                    if bar is not None:  # the cap was not needed: say so on the bar, which ends short of it
                        bar.set_description_str(f"{label}: {results.stopping_line()}")
                    break
            else:
                if runs is None and only_runs is None:
                    results.stopped_at = f"the cap of {max_runs:,} runs"
            if not results.stopped_at:
                results.stopped_at = ("the runs asked for (--only-run)" if only_runs is not None
                                      else "fixed number of runs")
            failed = False
        finally:
            if executor is not None:
                _stop_pool(executor, kill=failed)
            if bar is not None:
                bar.close()
    results.wall_seconds = time.perf_counter() - t0
    return results


def _local_parts(scenario: Scenario, seed: int, loaded: dict[int, Reduced], ranges: list[tuple[int, int]],
                 executor: ProcessPoolExecutor | None, died: Callable[[int], Exception]
                 ) -> Iterator[tuple[Reduced, bool]]:
    """The batches of one milestone in run order, as (batch, simulated now): the `loaded` ones (first run ->
    batch) and each [start, stop) range of `ranges`, simulated in the pool `executor` (or here, when None).
    Raises `died(first run)` when a worker process dies."""
    if executor is None:
        lazy = [(a, (lambda a=a, b=b: simulate_runs(scenario, seed, a, b))) for a, b in ranges]
    else:
        lazy = [(a, executor.submit(simulate_runs, scenario, seed, a, b).result) for a, b in ranges]
    for first, item in sorted([*loaded.items(), *lazy], key=lambda x: x[0]):
        if not callable(item):
            yield item, False
            continue
        try:
            part = item()
        except BrokenProcessPool:
            raise died(first) from None
        yield part, True


def _worker_died(scenario: Scenario, first: int, memory: Any, batch: int, workers: int) -> Exception:
    """RunAborted for a worker process that died while simulating runs from `first`, with settings that hold fewer
    runs at once."""
    from sim.errors import Problem, RunAborted

    return RunAborted([Problem(
        scenario.path or scenario.id, None, None, "worker", f"a worker process died while simulating runs from {first}",
        "workers that finish their batches",
        f"most likely the system stopped it for lack of memory: each worker was planned at "
        f"{memory.worker_bytes / 1e9:.1f} GB, with {memory.available / 0.8 / 1e9:.1f} GB available "
        f"at the start; hold fewer runs at once: --batch-size {max(1, batch // 2)}"
        + (f" or --workers {max(1, workers // 2)}" if workers > 1 else ""))])


def _refuse_other_sweep(parts_store: Any, ident: dict[str, Any]) -> None:
    """`--resume` into a store that holds only other sweeps: the interrupted run was of something else (another
    seed, run count or scenario), refused as the local checkpoint refuses it; nothing of it is deleted."""
    import json

    from sim.runner.checkpoint import identity_changes, resumed_something_else
    from sim.runner.store import SWEEP_FILE

    changed: list[str] = []
    for other in parts_store.others():
        try:
            before = json.loads((parts_store.root / other / SWEEP_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(before, dict):
            changed += identity_changes(before, ident)
    raise resumed_something_else(parts_store.root, list(dict.fromkeys(changed)))


def _check_part(scenario: Scenario, part: Reduced) -> None:
    """A loaded batch must have this scenario's shapes (a batch of another scenario is not trusted)."""
    n_snap, n_targets = len(snapshot_times(scenario)), len(scenario.targets)
    B = len(part.runs)
    want = {"target_values": (B, n_targets), "target_hits": (B, n_targets), "zone_levels": (B, n_snap,
                                                                                         len(scenario.zones))}
    for name, shape in want.items():
        if np.shape(getattr(part, name)) != shape:
            raise ValueError(f"its {name} have shape {np.shape(getattr(part, name))}, not {shape}")
    missing = [k for k in ALL_INDICATORS if k not in part.indicators]
    if missing:
        raise ValueError(f"it lacks indicators ({', '.join(missing[:3])})")


def _contiguous(runs: list[int], batch: int) -> list[tuple[int, int]]:
    """Split sorted run indices into [start, stop) ranges of at most `batch` consecutive runs."""
    out: list[tuple[int, int]] = []
    start = prev = None
    for r in runs:
        if start is None:
            start = prev = r
        elif r == prev + 1 and r - start < batch:
            prev = r
        else:
            out.append((start, prev + 1))
            start = prev = r
    if start is not None:
        out.append((start, prev + 1))
    return out


def _progress(total: int, label: str):  # noqa: ANN202 - tqdm type
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="run", file=sys.stderr, dynamic_ncols=True, leave=True)
