"""Profile: where a batch of Guangxi's time goes (issue 14), in this process, one batch of `--runs` runs.

Two passes of `sim.runner.montecarlo.simulate_runs` on the same runs:
1. timed, without a profiler: wall time of every calendar step (`sim.model.calendar.Step`), at the start and in
   the months, grouped by mechanism module, beside the base-year population, the records (per-zone sums and
   invariant checks), simpy and engine overhead, the collection that frees the batch and the reduction;
2. under cProfile: the top functions by cumulative and by self time, and self time grouped by module, where
   the time of a library function (NumPy, SciPy, simpy) goes to the zonesim module that called it (through
   library-to-library calls, in proportion to each caller's share).
Not a test: nothing here asserts a figure.

Usage: python benchmarks/profile_guangxi.py [--runs 50] [--top 25] [--scenario FILE] [--save FILE.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIM = str(ROOT / "sim") + os.sep


def timed_pass(scenario: object, runs: int) -> None:
    """Pass 1: wall time per calendar step and per engine part, printed grouped by mechanism module."""
    from sim.model import calendar, engine
    from sim.runner import montecarlo

    times: dict[str, float] = defaultdict(float)
    phase = ["start"]
    orig_call, orig_init, orig_run = calendar.Step.__call__, engine.BatchSim.__init__, engine.BatchSim.run
    orig_record, orig_pop, orig_reduce = engine.BatchSim.record, engine.initial_state, montecarlo.reduce_batch

    def step(self: calendar.Step, sim: engine.BatchSim, m: int) -> None:
        t = time.perf_counter()
        orig_call(self, sim, m)
        times[f"{phase[0]}:{self.name}"] += time.perf_counter() - t

    def wrap(key: str, fn):  # noqa: ANN001, ANN202 - any callable
        def inner(*a, **k):  # noqa: ANN002, ANN003, ANN202
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                times[key] += time.perf_counter() - t
        return inner

    def run(self: engine.BatchSim) -> engine.BatchResult:
        phase[0] = "month"
        return wrap("~run", orig_run)(self)

    calendar.Step.__call__ = step
    engine.BatchSim.__init__ = wrap("~init", orig_init)
    engine.BatchSim.run = run
    def record(self: engine.BatchSim, *a, **k) -> None:  # noqa: ANN002, ANN003
        wrap(f"~record_{phase[0]}", orig_record)(self, *a, **k)

    engine.BatchSim.record = record
    engine.initial_state = wrap("~population", orig_pop)
    montecarlo.reduce_batch = wrap("~reduce", orig_reduce)
    try:
        t0 = time.perf_counter()
        montecarlo.simulate_runs(scenario, 0, 0, runs)  # type: ignore[arg-type]
        total = time.perf_counter() - t0
    finally:
        calendar.Step.__call__, engine.BatchSim.__init__, engine.BatchSim.run = orig_call, orig_init, orig_run
        engine.BatchSim.record, engine.initial_state, montecarlo.reduce_batch = orig_record, orig_pop, orig_reduce

    steps = {k: v for k, v in times.items() if not k.startswith("~")}
    start_steps = sum(v for k, v in steps.items() if k.startswith("start:"))
    month_steps = sum(v for k, v in steps.items() if k.startswith("month:"))
    parts = {
        "base-year population (initial_state)": times["~population"],
        "start steps (calibration etc.)": start_steps,
        "other set-up in BatchSim.__init__": times["~init"] - times["~population"] - start_steps
        - times["~record_start"],
        "monthly/yearly calendar steps": month_steps,
        "records (zone sums + invariants)": times["~record_start"] + times["~record_month"],
        "simpy and engine overhead": times["~run"] - month_steps - times["~record_month"],
        "collection freeing the batch (gc)": total - times["~init"] - times["~run"] - times["~reduce"],
        "reduction (indicators, targets)": times["~reduce"],
    }
    print(f"\n== pass 1: wall time of one batch of {runs} runs, no profiler: {total:.2f} s")
    for k, v in parts.items():
        print(f"  {k:42} {v:7.2f} s {v / total:6.1%}")
    by_module: dict[str, float] = defaultdict(float)
    for k, v in steps.items():
        by_module[k.split(":", 1)[1].split(".")[0]] += v
    print("\n  calendar steps by module (start and months)")
    for k, v in sorted(by_module.items(), key=lambda kv: -kv[1]):
        print(f"  {k:42} {v:7.2f} s {v / total:6.1%}")
    print("\n  the costliest steps")
    for k, v in sorted(steps.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {k:42} {v:7.2f} s {v / total:6.1%}")


def group(func: tuple[str, int, str]) -> str | None:
    """The zonesim module of a function (mechanisms.growth, model.rng, runner.montecarlo), or None for a library."""
    path = func[0]
    if not path.startswith(SIM):
        return None
    return path[len(SIM):].removesuffix(".py").replace(os.sep, ".").removeprefix("model.")


def self_time_by_module(stats: pstats.Stats) -> dict[str, float]:
    """Self time per zonesim module; a library function's self time split over its callers by their share,
    followed up through library callers until a zonesim module (or 'library (no zonesim caller)')."""
    raw = stats.stats  # type: ignore[attr-defined]
    out: dict[str, float] = defaultdict(float)

    def give(func: tuple, amount: float, depth: int) -> None:
        g = group(func)
        if g is not None:
            out[g] += amount
            return
        callers = raw.get(func, (0, 0, 0, 0, {}))[4]
        weights = {c: e[2] + (e[3] if len(e) > 3 else 0) for c, e in callers.items()}  # tt + ct of the edge
        total = sum(weights.values())
        if depth > 20 or total <= 0:
            out["library (no zonesim caller)"] += amount
            return
        for c, w in weights.items():
            give(c, amount * w / total, depth + 1)

    for func, (_cc, _nc, tt, _ct, _callers) in raw.items():
        give(func, tt, 0)
    return out


def profiled_pass(scenario: object, runs: int, top: int, save: str | None) -> None:
    """Pass 2: cProfile; top functions by cumulative and self time, self time by module."""
    from sim.runner.montecarlo import simulate_runs

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    simulate_runs(scenario, 0, 0, runs)  # type: ignore[arg-type]
    prof.disable()
    total = time.perf_counter() - t0
    if save:
        prof.dump_stats(save)
    stats = pstats.Stats(prof)
    stats.strip_dirs()
    print(f"\n== pass 2: cProfile of the same batch: {total:.2f} s with the profiler")
    for key, title in (("cumulative", "cumulative"), ("tottime", "self")):
        print(f"\n  top {top} by {title} time")
        print(f"  {'calls':>9} {'self s':>8} {'cum s':>8}  function")
        rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][3 if key == "cumulative" else 2])  # type: ignore[attr-defined]
        for (file, line, name), (_cc, nc, tt, ct, _c) in rows[:top]:
            print(f"  {nc:>9} {tt:>8.2f} {ct:>8.2f}  {file}:{line}({name})")
    full = pstats.Stats(prof)  # with full paths, to tell zonesim from libraries
    grouped = self_time_by_module(full)
    print("\n  self time by zonesim module (library time given to the zonesim caller)")
    whole = sum(grouped.values())
    for k, v in sorted(grouped.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {k:42} {v:7.2f} s {v / whole:6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50, help="runs in the batch (default 50, the runner's default)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "guangxi_2020.yaml"))
    ap.add_argument("--save", default=None, help="also write the cProfile data (for snakeviz, pstats)")
    args = ap.parse_args()

    import sim

    sc = sim.load_scenario(args.scenario)
    print(f"profile of {sc.id}: one batch of {args.runs} runs in this process; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    timed_pass(sc, args.runs)
    profiled_pass(sc, args.runs, args.top, args.save)


if __name__ == "__main__":
    main()
