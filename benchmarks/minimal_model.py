"""The ceiling: a minimal NumPy firm model, for measuring zonesim's speed as a ratio in the same run (issue 14).

10,000 firm slots × 48 months per run, runs batched along a leading axis (B, slots) and spread over worker
processes as zonesim does: lognormal revenue, a monthly lognormal growth shock, R&D spending at a firm's own
intensity, Poisson invention patents on R&D, exits (a hazard by age and size), entrants taking the slots of
firms that left (slot reuse), a yearly certification round (R&D intensity over its size band's threshold, a
patent, a year of age; apply, pass, three years' validity) and year-end per-run sums. One generator per batch
and no bookkeeping beyond that: about the least work a model of this kind can do per firm-month in NumPy.

`measure_ceiling(...)` is what other benchmarks call; run as a script it prints agent-months/s and peak memory.
Not a test: nothing here asserts a figure.

Usage: python benchmarks/minimal_model.py [--runs 200] [--workers 2] [--batch-size 50] [--firms 10000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

FIRMS = 10_000
MONTHS = 48
ENTRY_RATE = 0.08        # entrants a year per living firm (about the exits: a steady population)
HAZARD_YOUNG = 0.10      # yearly exit hazard under 3 years of age
HAZARD_OLD = 0.05
PATENT_K = 0.25          # invention patents a year per 1M RMB of R&D
APPLY, PASS = 0.3, 0.7   # certification: chance an eligible firm applies at a round, and passes
ROUND_MONTH = 6


def simulate_batch(runs: int, firms: int = FIRMS, months: int = MONTHS, seed: int = 0) -> tuple[int, int, float]:
    """Simulate `runs` runs together; returns (living firm-months, slot-months, seconds)."""
    t0 = time.perf_counter()
    rng = np.random.Generator(np.random.PCG64(seed))
    shape = (runs, firms)
    revenue = np.exp(np.log(5.0) + 1.5 * rng.standard_normal(shape))  # M RMB a year, lognormal
    age = np.exp(np.log(60.0) + 0.8 * rng.standard_normal(shape, dtype=np.float32))
    rd_int = np.exp(np.log(0.03) + 0.8 * rng.standard_normal(shape, dtype=np.float32))
    patents = rng.poisson(1.0, shape).astype(np.float32)
    alive = np.ones(shape, bool)
    cert = np.zeros(shape, bool)
    expiry = np.zeros(shape, np.int16)
    mu, sd = np.float32(0.08 / 12), np.float32(0.35 / np.sqrt(12))
    h_young = np.float32(1 - (1 - HAZARD_YOUNG) ** (1 / 12))
    h_old = np.float32(1 - (1 - HAZARD_OLD) ** (1 / 12))
    years = []
    agent_months = 0
    for m in range(1, months + 1):
        revenue *= np.exp(mu + sd * rng.standard_normal(shape, dtype=np.float32))
        age += alive
        rd = rd_int * revenue.astype(np.float32)
        patents += rng.poisson(PATENT_K / 12 * rd * alive)
        hazard = np.where(age < 36, h_young, h_old) * np.where(revenue < 2.0, np.float32(1.5), np.float32(1.0))
        gone = alive & (rng.random(shape, dtype=np.float32) < hazard)
        alive &= ~gone
        cert &= alive & (expiry > m)
        revenue[gone] = 0.0
        # entrants take the first empty slots of their run
        k = rng.poisson(ENTRY_RATE / 12 * alive.sum(axis=1))
        new = ~alive & (np.cumsum(~alive, axis=1) <= k[:, None])
        n_new = int(new.sum())
        if n_new:
            revenue[new] = np.exp(np.log(2.0) + rng.standard_normal(n_new))
            age[new] = 0.0
            rd_int[new] = np.exp(np.log(0.03) + 0.8 * rng.standard_normal(n_new, dtype=np.float32))
            patents[new] = 0.0
            alive |= new
        if m % 12 == ROUND_MONTH:  # the yearly certification round
            threshold = np.where(revenue < 50, 0.05, np.where(revenue < 200, 0.04, 0.03))
            eligible = alive & ~cert & (rd_int >= threshold) & (patents >= 1) & (age >= 12)
            u = rng.random((2, *shape), dtype=np.float32)
            won = eligible & (u[0] < APPLY) & (u[1] < PASS)
            cert |= won
            expiry[won] = m + 36
        if m % 12 == 0:  # year end: per-run sums
            years.append((alive.sum(axis=1), (revenue * alive).sum(axis=1), cert.sum(axis=1),
                          (patents * alive).sum(axis=1), (rd * alive).sum(axis=1)))
        agent_months += int(alive.sum())
    return agent_months, runs * firms * months, time.perf_counter() - t0


def _task(runs: int, firms: int, months: int, seed: int) -> tuple[int, int, float, float]:
    am, sm, sec = simulate_batch(runs, firms, months, seed)
    return am, sm, sec, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass(frozen=True)
class Ceiling:
    """A measurement of the minimal model: work done, wall time, and the largest worker's peak memory."""

    runs: int
    workers: int
    batch: int
    agent_months: int
    slot_months: int
    wall: float
    sim_seconds: float
    peak_worker_mb: float

    @property
    def per_second(self) -> float:
        """Living agent-months per wall second, all workers."""
        return self.agent_months / self.wall


def measure_ceiling(runs: int = 200, workers: int = 2, batch: int = 50, firms: int = FIRMS,
                    months: int = MONTHS, seed: int = 0) -> Ceiling:
    """Run the minimal model on `workers` forked processes in batches of `batch` runs (in this process when
    `workers` is 1) and measure it."""
    sizes = [min(batch, runs - a) for a in range(0, runs, batch)]
    t0 = time.perf_counter()
    if workers <= 1:
        out = [_task(b, firms, months, seed + i) for i, b in enumerate(sizes)]
    else:
        ctx = mp.get_context("fork") if sys.platform.startswith("linux") else mp.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
            out = list(ex.map(_task, sizes, [firms] * len(sizes), [months] * len(sizes),
                              [seed + i for i in range(len(sizes))]))
    wall = time.perf_counter() - t0
    return Ceiling(runs, workers, batch, sum(o[0] for o in out), sum(o[1] for o in out), wall,
                   sum(o[2] for o in out), max(o[3] for o in out))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=50)
    ap.add_argument("--firms", type=int, default=FIRMS)
    ap.add_argument("--months", type=int, default=MONTHS)
    args = ap.parse_args()
    c = measure_ceiling(args.runs, args.workers, args.batch_size, args.firms, args.months)
    print(f"minimal model       {args.firms:,} firm slots × {args.months} months, {c.runs} runs in batches of "
          f"{c.batch}, {c.workers} worker(s)")
    print(f"wall time           {c.wall:.2f} s ({c.runs / c.wall:.1f} runs/s)")
    print(f"agent-months        {c.agent_months / 1e6:.1f} M living of {c.slot_months / 1e6:.1f} M slot-months "
          f"({c.agent_months / c.slot_months:.1%})")
    print(f"agent-months / s    {c.per_second / 1e6:.2f} M (wall, all workers); "
          f"{c.agent_months / c.sim_seconds / 1e6:.2f} M per worker-second")
    print(f"peak memory         largest worker {c.peak_worker_mb:.0f} MB")


if __name__ == "__main__":
    main()
