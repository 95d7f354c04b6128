"""Benchmark: one region's calibration (hold-out check and full fit) on all cores, as `zonesim calibrate` runs it.

Prints the wall time of each fit, its simulations and simulations per second, the generations and the final
tolerance, and the peak memory. Goal (issue 10): one region in at most 30 minutes on 2 cores. Not a test:
nothing here asserts a time.

Usage: python benchmarks/bench_calibrate.py [--scenario scenarios/hindcast/guangxi_2015.yaml] [--until 2017]
       [--population 200] [--generations 8] [--workers N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "hindcast" / "guangxi_2015.yaml"))
    ap.add_argument("--until", type=int, default=2017)
    ap.add_argument("--population", type=int, default=200)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()

    from sim.input.scenario import load_scenario
    from sim.runner.calibrate import calibrate
    from sim.runner.montecarlo import default_workers

    sc = load_scenario(args.scenario)
    workers = args.workers or default_workers()
    print(f"scenario      {sc.id} (history up to {args.until}), {workers} worker(s), population {args.population}, "
          f"at most {args.generations} generations")
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for holdout in (True, False):
            t0 = time.perf_counter()
            cal = calibrate(sc, args.until, population=args.population, generations=args.generations, seed=0,
                            workers=workers, db=Path(tmp) / f"{holdout}.db", holdout=holdout)
            wall = time.perf_counter() - t0
            total += wall
            print(f"{'hold-out fit' if holdout else 'full fit':13} {wall:7.0f} s, {cal.evaluations:6d} simulations "
                  f"({cal.evaluations / wall:.1f}/s), {len(cal.generations)} generations, final ε "
                  f"{cal.generations[-1]['epsilon']:.3g}, {len(cal.data)} observations")
    print(f"total         {total:7.0f} s ({total / 60:.1f} min; goal ≤ 30 min on 2 cores)")
    print(f"peak memory   main {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB, largest worker "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")
    print(f"python        {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
