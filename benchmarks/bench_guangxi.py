"""Benchmark: guangxi_2020 at 1,000 runs on all cores. Prints firm-months per second, runs per second and
peak memory (the parent's and the largest worker's). Goals (issue 2): >= 20 million firm-months/s on 2 cores,
and memory that does not grow with the number of runs. Not a test: nothing here asserts a time.

Usage: python benchmarks/bench_guangxi.py [--runs 1000] [--workers N] [--batch-size B]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # KB on Linux


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "guangxi_2020.yaml"))
    args = ap.parse_args()

    import sim
    from sim.runner.montecarlo import default_workers, run_scenario

    sc = sim.load_scenario(args.scenario)
    workers = args.workers or default_workers()
    t0 = time.perf_counter()
    # as the CLI does: per-zone values leave memory as each batch is written (here: dropped)
    res = run_scenario(sc, runs=args.runs, seed=0, workers=workers, batch_size=args.batch_size,
                       sink=lambda part: setattr(part, "zone_values", None))
    wall = time.perf_counter() - t0
    sim_seconds = sum(p.seconds for p in res.parts)
    slot_months = sum(p.slot_months for p in res.parts)
    print(f"scenario            {sc.id} ({sc.months} months)")
    print(f"runs                {res.runs} in batches of {res.batch_size}, {workers} worker(s)")
    print(f"wall time           {wall:.2f} s")
    print(f"runs per second     {res.runs / wall:.1f}")
    print(f"firm-months         {res.firm_months / 1e6:.1f} M (living firms × months); "
          f"{slot_months / 1e6:.1f} M agent slots × months")
    print(f"firm-months / s     {res.firm_months / wall / 1e6:.2f} M (wall, all workers)")
    print(f"  per worker-second {res.firm_months / sim_seconds / 1e6:.2f} M (simulation only, excl. start-up)")
    print(f"peak memory         parent {peak_mb(resource.RUSAGE_SELF):.0f} MB, "
          f"largest worker {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    print(f"python              {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
