"""How much memory and disk a Monte Carlo needs, estimated from the scenario before anything is allocated.

A run's agents are arrays of firm slots (`sim.model.population.firm_capacity`): base firms plus a bound on all
entrants. Memory per worker is the batch's slots times the bytes each slot costs at peak, plus the worker's
fixed cost (Python, NumPy, SciPy). The two constants were measured with `benchmarks/bench_memory.py` (the five
bundled plans, batches of 10 and 40 runs: 256–346 bytes per slot at the margin, ≈ 106 MB for the imports) and
rounded up; slots are planned at the 99th percentile of every prior, so the estimate lies above every measured
peak (e.g. Guangxi, 40 runs: 368 MB measured, 740 MB planned).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from sim.errors import Problem, ScenarioError
from sim.input.scenario import LEVEL_CODE, Scenario
from sim.model.population import firm_capacity

#: Peak bytes per firm slot in a worker (agent arrays, the month's random block, temporaries) [measured, rounded up].
BYTES_PER_SLOT = 350
#: A worker's memory before any agent (interpreter and libraries), bytes [measured, rounded up].
WORKER_BASE = 150e6
#: Bytes the main process keeps per run and snapshot for every indicator and target (float64 arrays).
BYTES_PER_RUN_VALUE = 8
#: Share of the available memory a run may plan to use: the rest is for the system and other programs.
USABLE_SHARE = 0.8
#: Agent memory a worker plans for a typical run's batch by default, bytes: with the ≈ 120 MB of imports a
#: worker stays under 300 MB (issue 14's goal). Small batches cost no speed: Guangxi simulated 7.2 M firm-months/s
#: in batches of 5–10 runs against 5.8 M in batches of 40, whose arrays no longer fit the CPU caches [measured,
#: benchmarks/bench_all.py].
AGENT_BUDGET = 150e6
#: Most runs in one batch by default: beyond this, a batch gains nothing for small plans.
MAX_BATCH = 50


def _high(prior: object, q: float = 0.99) -> float:
    """A quantile of a prior (its value when fixed); high by default: capacities are planned for heavy runs."""
    if prior.dist is None:  # type: ignore[attr-defined]
        return float(prior.value)  # type: ignore[attr-defined]
    return float(prior.sample(np.array([q]))[0])  # type: ignore[attr-defined]


def slots_per_run(scenario: Scenario, q: float = 0.99) -> int:
    """Firm slots a run allocates when every prior is at its quantile `q` (0.99: a heavy run, what memory is
    planned for; 0.5: a typical run), from the same rule the engine uses."""
    firms = dict(scenario.firms)
    levels = [LEVEL_CODE[z.level] for z in scenario.zones]
    n0 = _high(firms["count_in_zones"], q)
    if LEVEL_CODE["outside"] in levels:
        n0 += _high(firms["count_outside"], q)
    if LEVEL_CODE["candidate"] in levels and "count_per_candidate" in firms:
        n0 += _high(firms["count_per_candidate"], q) * levels.count(LEVEL_CODE["candidate"])
    params = {k: np.array([_high(p, q)]) for k, p in scenario.param_priors().items()}
    spaces = np.array([_high(dict(scenario.incubators)["maker_spaces_in_zones"], q)])
    cap = firm_capacity(np.array([n0]), params, spaces, scenario.end_year - scenario.base_year,
                        sum(lv >= LEVEL_CODE["candidate"] for lv in levels), _high(firms["output_in_zones"], q))
    return int(cap[0])


def default_batch(scenario: Scenario) -> int:
    """Runs a worker simulates together by default: as many typical runs as fit in `AGENT_BUDGET` (1 … 50).
    E.g. Guangxi's 81,000 typical slots give batches of 5, Meizhou's 6,500 batches of 50."""
    per_run = slots_per_run(scenario, 0.5) * BYTES_PER_SLOT
    return int(max(1, min(MAX_BATCH, AGENT_BUDGET // per_run)))


def worker_bytes(scenario: Scenario, batch: int) -> float:
    """Peak memory of one worker simulating `batch` runs together, bytes."""
    return WORKER_BASE + batch * slots_per_run(scenario) * BYTES_PER_SLOT


def results_bytes(scenario: Scenario, runs: int, n_indicators: int = 130) -> float:
    """Memory the main process keeps for `runs` runs: every indicator and target at every snapshot."""
    from sim.model.engine import snapshot_times

    snaps = len(snapshot_times(scenario))
    per_run = (n_indicators + 2 * len(scenario.targets)) * snaps * BYTES_PER_RUN_VALUE
    return runs * per_run


def disk_bytes(scenario: Scenario, runs: int) -> float:
    """Disk the results folder needs: batches while running plus Parquet tables (uncompressed bound)."""
    from sim.measure.indicators import INDICATORS
    from sim.model.engine import snapshot_times

    snaps = len(snapshot_times(scenario))
    zone_values = runs * snaps * len(scenario.zones) * (len(INDICATORS) + 4) * 8
    return 2 * (zone_values + results_bytes(scenario, runs)) + 20e6


def available_memory() -> float:
    """Memory the system can give without swapping, bytes (Linux MemAvailable; else physical memory)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8e9


@dataclass(frozen=True)
class Plan:
    """Workers and batch size for a run, with the memory estimate behind them."""

    workers: int
    batch: int
    worker_bytes: float
    results_bytes: float
    available: float

    @property
    def total(self) -> float:
        return self.workers * self.worker_bytes + self.results_bytes


def _gb(x: float) -> str:
    return f"{x / 1e9:.1f} GB"


def plan_memory(scenario: Scenario, runs: int, workers: int, batch: int | None,
                available: float | None = None) -> Plan:
    """Choose the batch size (when not given) so that `workers` workers fit in memory; refuse when no setting
    does. Raises ScenarioError naming the estimate and settings that would fit (`--batch-size`, `--workers`,
    `--runs`)."""
    avail = (available_memory() if available is None else available) * USABLE_SHARE
    kept = results_bytes(scenario, runs)
    per_slot_run = slots_per_run(scenario) * BYTES_PER_SLOT
    room = avail - kept - workers * WORKER_BASE
    fits = int(room // (workers * per_slot_run)) if room > 0 else 0
    default = max(1, min(default_batch(scenario), -(-runs // workers)))
    chosen = batch if batch is not None else min(default, max(fits, 1))
    plan = Plan(workers, chosen, WORKER_BASE + chosen * per_slot_run, kept, avail)
    if plan.total <= avail:
        return plan
    # Each hint, applied alone (the other settings as given), fits; combined ones when no single one does.
    hints = []
    if fits >= 1:
        hints.append(f"--batch-size {fits}")
    w_fit = int((avail - kept) // plan.worker_bytes) if avail > kept else 0  # workers of this batch size
    if w_fit >= 1 and w_fit < workers:
        hints.append(f"--workers {w_fit}")
    per_run = kept / max(runs, 1)
    beside = avail - workers * plan.worker_bytes  # room for results beside the workers as planned
    if beside > 0 and (kept > avail / 2 or not hints):
        r_fit = int(beside // per_run)
        if kept > avail / 2:
            r_fit = min(r_fit, int(avail / 2 // per_run))
        if 1 <= r_fit < runs:
            hints.append(f"--runs {r_fit:,}")
    if not hints:  # fewer workers, each holding fewer runs at once
        for w in range(workers - 1, 0, -1):
            b = (avail - kept - w * WORKER_BASE) // (w * per_slot_run)
            if b >= 1:
                hints.append(f"--workers {w} --batch-size {int(min(b, chosen))}")
                break
    one = WORKER_BASE + per_slot_run
    if not hints and avail > one:  # one worker holding one run at a time, and fewer runs
        r_fit = int((avail - one) // per_run)
        if 1 <= r_fit < runs:
            hints.append(f"--runs {r_fit:,} --workers 1 --batch-size 1")
    if not hints:
        hints.append("a smaller scenario: even one run of it does not fit (its firm counts are too high)")
    raise ScenarioError([Problem(scenario.path or scenario.id, None, None, "memory",
                                 f"an estimated {_gb(plan.total)} ({workers} worker(s) × {_gb(plan.worker_bytes)} "
                                 f"for batches of {chosen} runs of ≈ {slots_per_run(scenario):,} firm slots, plus "
                                 f"{_gb(kept)} for {runs:,} runs' results)",
                                 f"at most {_gb(avail)} (80% of the memory available now)",
                                 "settings that fit: " + " or ".join(hints))])
