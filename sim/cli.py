"""The `zonesim` command: a thin shell over the library (`sim.load_scenario`, `sim.run`, `Results.write`).

Exit codes: 0 success, 2 bad input (every problem listed with file, line, key and what was expected),
3 a run broke an invariant (named, with how to replay it), 130 interrupted, 1 an internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from sim.errors import RunError, ScenarioError, ZonesimError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zonesim", description="Will the high-tech zones hit their plan's targets? "
                                "Monte Carlo of an agent-based model of high-tech zones.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario's Monte Carlo: table, summary.csv, Parquet, fan charts")
    run.add_argument("scenarios", nargs="+", help="scenario YAML file(s)")
    run.add_argument("--runs", type=int, default=None,
                     help="number of runs (default: enough for every 95%% interval within ±2 points, ≤ 2500)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    run.add_argument("--batch-size", type=int, default=None, help="runs simulated together per process")
    run.add_argument("--out", default=None, help="output folder (default results/<scenario>-<seed>/)")
    run.add_argument("--no-plots", action="store_true", help="skip the fan charts")
    run.add_argument("--only-run", type=int, action="append", default=None, metavar="K",
                     help="simulate only run K (repeatable), e.g. to replay a run that failed")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    val = sub.add_parser("validate", help="check scenario files and list every problem")
    val.add_argument("scenarios", nargs="+")
    return p


def _positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise ScenarioError.single("<command line>", f"--{name} {value}", key=f"--{name}", found=str(value),
                                   expected="a positive integer")


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.scenario import load_scenario

    status = 0
    for path in args.scenarios:
        try:
            sc = load_scenario(path)
        except ScenarioError as err:
            _report(err, path)
            status = 2
            continue
        modelled = sum(t.modelled for t in sc.targets)
        print(f"{path}: valid — {len(sc.targets)} targets ({modelled} modelled), {len(sc.zones)} zones, "
              f"{len(sc.policies)} levers, {sc.base_year}→{sc.end_year}")
    return status


def cmd_run(args: argparse.Namespace) -> int:
    import sim
    from sim.engine import snapshot_times
    from sim.montecarlo import run_scenario
    from sim.outputs import ZoneParquetSink, format_table, write_results
    from sim.scenario import load_scenario

    for name in ("runs", "workers", "batch_size"):
        _positive(name.replace("_", "-"), getattr(args, name))
    scenarios = []
    problems = []
    for path in args.scenarios:  # validate everything before simulating anything
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as err:
            problems.append((err, path))
    for err, path in problems:
        _report(err, path)
    if problems:
        return 2
    for sc in scenarios:
        if args.out and len(scenarios) == 1:
            out = Path(args.out)
        else:
            out = Path(args.out or "results") / f"{sc.id}-{args.seed}"
        out.mkdir(parents=True, exist_ok=True)
        sink = ZoneParquetSink(snapshot_times(sc), [z.id for z in sc.zones], out / "zones.parquet")
        print(f"zonesim {sim.__version__}: {sc.name} ({sc.path}), seed {args.seed}", file=sys.stderr)
        results = run_scenario(sc, runs=args.runs, seed=args.seed, workers=args.workers,
                               batch_size=args.batch_size, progress=not args.quiet and args.only_run is None,
                               sink=sink, only_runs=args.only_run)
        files = write_results(results, out, plots=not args.no_plots, zone_sink=sink)
        print(format_table(results))
        n_plots = sum(1 for k in files if k.startswith("plot_"))
        print(f"\nWritten to {out}/: summary.csv, indicators.parquet, zones.parquet, manifest.json"
              + (f", {n_plots // 2} fan charts (PNG + SVG)" if n_plots else ""))
    return 0


def _report(err: ZonesimError, path: str) -> None:
    n = len(err.problems)
    print(f"error: {path}: {n} problem{'s' if n != 1 else ''}", file=sys.stderr)
    for p in err.problems:
        print(f"  {p.format()}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"run": cmd_run, "validate": cmd_validate}[args.command](args)
    except ScenarioError as err:
        _report(err, err.problems[0].file if err.problems else "input")
        return 2
    except RunError as err:
        print("error: a run broke the model's invariants:", file=sys.stderr)
        for p in err.problems:
            print(f"  {p.format()}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal bug: say so plainly; the traceback only on request
        if os.environ.get("ZONESIM_DEBUG"):
            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc}\n(a bug in zonesim, not in your input; set "
              "ZONESIM_DEBUG=1 to see the traceback and please report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
