"""Benchmark: every bundled plan and a comparison, each as a ratio to the minimal firm model measured in the same
invocation (issue 14).

Prints, for the minimal model (`benchmarks/minimal_model.py`, measured first and again last, to bracket any
change in the machine's load), each plan in scenarios/*.yaml, Guangxi on 1 worker beside 2 (the scaling), and a
comparison (`sim.runner.compare.run_experiment` on an experiment file): wall time, runs/s, firm-months/s (living
firms × months, wall, all workers), the share of agent-slot-months that are living firms, the ratio of
firm-months/s to the minimal model's agent-months/s, and peak memory of the parent and of the largest worker.
Each measurement runs in a fresh Python process, so that its peak memory is its own. The load average is
printed at the start and the end: only ratios from one invocation compare across days.
Goals (issue 14): Guangxi ≥ 0.4 × the minimal model; 2 workers ≥ 1.8 × one; largest worker ≤ 300 MB.
Not a test: nothing here asserts a figure.

Usage: python benchmarks/bench_all.py [--runs 1000] [--compare-runs 100] [--workers 2] [--batch-size B]
       [--plans guangxi_2020 ...] [--no-scaling] [--no-compare] [--minimal-runs 200]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUANGXI = ROOT / "scenarios" / "guangxi_2020.yaml"
EXPERIMENT = ROOT / "experiments" / "guangxi_hte_award.yaml"


def _peaks(workers: int) -> dict[str, float]:
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0  # reaped workers: the largest
    return {"parent_mb": parent, "worker_mb": children if workers > 1 else parent}


def child_minimal(runs: int, workers: int, batch: int) -> dict:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from minimal_model import measure_ceiling

    c = measure_ceiling(runs, workers, batch)
    return {"label": f"minimal model ({c.workers}w)", "runs": c.runs, "wall": c.wall, "firm_months": c.agent_months,
            "slot_months": c.slot_months, "parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "worker_mb": c.peak_worker_mb, "batch": c.batch, "workers": c.workers}


def child_scenario(path: str, runs: int, workers: int, batch: int | None) -> dict:
    import sim
    from sim.runner.montecarlo import run_scenario

    sc = sim.load_scenario(path)
    t0 = time.perf_counter()
    # as the CLI does: per-zone values leave memory as each batch is written (here: dropped)
    res = run_scenario(sc, runs=runs, seed=0, workers=workers, batch_size=batch,
                       sink=lambda part: setattr(part, "zone_values", None))
    wall = time.perf_counter() - t0
    return {"label": f"{sc.id} ({workers}w)", "runs": res.runs, "wall": wall, "firm_months": res.firm_months,
            "slot_months": sum(p.slot_months for p in res.parts), "batch": res.batch_size, "workers": workers,
            **_peaks(workers)}


def child_compare(path: str, runs: int, workers: int, batch: int | None) -> dict:
    from sim.input.experiment import load_experiment
    from sim.runner.compare import run_experiment

    exp = load_experiment(path)
    t0 = time.perf_counter()
    cmp_ = run_experiment(exp, runs=runs, workers=workers, batch_size=batch)
    wall = time.perf_counter() - t0
    results = list(cmp_.results.values())
    return {"label": f"compare {exp.id} ({len(results)} variants, {workers}w)",
            "runs": sum(r.runs for r in results), "wall": wall, "firm_months": sum(r.firm_months for r in results),
            "slot_months": sum(p.slot_months for r in results for p in r.parts), "batch": results[0].batch_size,
            "workers": workers, **_peaks(workers)}


def measure(*args: str) -> dict:
    """One measurement in a fresh process (`--child KIND ...`); its JSON line."""
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        return {"label": " ".join(args[:2]), "error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def row(m: dict, ceiling: float) -> str:
    if "error" in m:
        return f"{m['label']:44} failed: {m['error']}"
    fm_s = m["firm_months"] / m["wall"]
    return (f"{m['label']:44} {m['runs']:>6} {m['batch']:>5} {m['wall']:>8.1f} {m['runs'] / m['wall']:>7.1f} "
            f"{fm_s / 1e6:>9.2f} {m['firm_months'] / m['slot_months']:>7.0%} {fm_s / ceiling:>6.2f} "
            f"{m['parent_mb']:>8.0f} {m['worker_mb']:>8.0f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1000, help="runs per plan (default 1000)")
    ap.add_argument("--compare-runs", type=int, default=100, help="runs per variant of the comparison")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=None, help="default: the runner's (at most 50)")
    ap.add_argument("--minimal-runs", type=int, default=200)
    ap.add_argument("--plans", nargs="*", default=None, help="scenario ids or files (default: scenarios/*.yaml)")
    ap.add_argument("--experiment", default=str(EXPERIMENT))
    ap.add_argument("--no-scaling", action="store_true", help="skip Guangxi on one worker")
    ap.add_argument("--no-compare", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        kind, *rest = args.child
        w, b = int(rest[-2]), (int(rest[-1]) or None)
        if kind == "minimal":
            res = child_minimal(int(rest[0]), w, b or 50)
        elif kind == "scenario":
            res = child_scenario(rest[0], int(rest[1]), w, b)
        else:
            res = child_compare(rest[0], int(rest[1]), w, b)
        print(json.dumps(res))
        return

    plans = sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml"))
    if args.plans:
        plans = [p if p.endswith(".yaml") else str(ROOT / "scenarios" / f"{p}.yaml") for p in args.plans]
    w, b = str(args.workers), str(args.batch_size or 0)
    print(f"bench_all: {args.runs} runs per plan, {args.workers} workers, batch {args.batch_size or 'default'}; "
          f"load average {load()} at start; python {sys.version.split()[0]}")
    first = measure("minimal", str(args.minimal_runs), w, b)
    results = []
    for path in plans:
        results.append(measure("scenario", path, str(args.runs), w, b))
    if not args.no_scaling and args.workers > 1:
        results.append(measure("scenario", str(GUANGXI), str(args.runs), "1", b))
    if not args.no_compare:
        results.append(measure("compare", args.experiment, str(args.compare_runs), w, b))
    last = measure("minimal", str(args.minimal_runs), w, b)
    ceiling = (first["firm_months"] / first["wall"] + last["firm_months"] / last["wall"]) / 2
    print(f"load average {load()} at the end\n")
    print(f"{'':44} {'runs':>6} {'batch':>5} {'wall s':>8} {'runs/s':>7} {'M fm/s':>9} {'living':>7} "
          f"{'ratio':>6} {'parent':>8} {'worker':>8}")
    print(f"{'':44} {'':>6} {'':>5} {'':>8} {'':>7} {'':>9} {'share':>7} {'':>6} {'MB':>8} {'MB':>8}")
    for m in (first, *results, last):
        print(row(m, ceiling))
    print(f"\nratio: firm-months/s over the minimal model's agent-months/s, mean of its two measurements "
          f"({ceiling / 1e6:.2f} M/s); fm = living firm-months; worker MB: the largest worker's peak "
          "(the parent itself on 1 worker)")
    by = {m["label"]: m for m in results if "error" not in m}
    one = next((m for k, m in by.items() if k.startswith("guangxi_2020") and "(1w)" in k), None)
    two = next((m for k, m in by.items() if k.startswith("guangxi_2020") and f"({args.workers}w)" in k), None)
    if one and two:
        print(f"scaling: Guangxi on {args.workers} workers runs {one['wall'] / two['wall']:.2f} × as fast as on one "
              f"({two['runs'] / two['wall']:.1f} vs {one['runs'] / one['wall']:.1f} runs/s)")


if __name__ == "__main__":
    main()
