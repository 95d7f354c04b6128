"""The `zonesim` command: a thin shell over the library (`sim.load_scenario`, `sim.run`, `Results.write`).

Exit codes: 0 success, 2 bad input (every problem listed with file, line, key and what was expected),
3 a run broke an invariant (named, with how to replay it), 130 interrupted, 1 an internal error.

`run` and `validate` take scenario files and folders (a folder stands for every `*.yaml` in it, sorted by name,
hidden files ignored). `run` validates every file before it simulates any; with several scenarios it writes
each one's folder as for one, then the combined table `<out>/combined-<seed>.csv` (`sim.outputs.combined_table`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import traceback
from pathlib import Path

from sim.errors import Problem, RunError, ScenarioError, ZonesimError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zonesim", description="Will the high-tech zones hit their plan's targets? "
                                "Monte Carlo of an agent-based model of high-tech zones.")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario's Monte Carlo: table, summary.csv, Parquet, fan charts")
    run.add_argument("scenarios", nargs="+", metavar="FILE_OR_DIR",
                     help="scenario YAML file(s) and/or folder(s) (every *.yaml in a folder, sorted)")
    run.add_argument("--runs", type=int, default=None,
                     help="number of runs (default: enough for every 95%% interval within ±2 points, ≤ 2500)")
    run.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    run.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    run.add_argument("--batch-size", type=int, default=None, help="runs simulated together per process")
    run.add_argument("--out", default=None,
                     help="output folder (default results/<scenario>-<seed>/; with several scenarios, the folder "
                     "that receives <scenario>-<seed>/ and combined-<seed>.csv, default results/)")
    run.add_argument("--no-plots", action="store_true", help="skip the fan charts")
    run.add_argument("--only-run", type=int, action="append", default=None, metavar="K",
                     help="simulate only run K (repeatable), e.g. to replay a run that failed")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--resume", action="store_true",
                     help="finish an interrupted run in the same output folder (same scenario, seed and runs)")
    run.add_argument("--force", action="store_true",
                     help="overwrite an output folder holding another scenario's results or an interrupted run")
    cmp_ = sub.add_parser("compare", help="compare policy variants of a scenario with common random numbers: "
                          "compare.csv, cost-effectiveness, plots")
    cmp_.add_argument("experiment", metavar="FILE", help="experiment YAML file (see docs/experiments.md)")
    cmp_.add_argument("--runs", type=int, default=None, help="runs per variant (default: the file's, else 1000)")
    cmp_.add_argument("--seed", type=int, default=None, help="random seed (default: the file's, else 0)")
    cmp_.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    cmp_.add_argument("--batch-size", type=int, default=None, help="runs simulated together per process")
    cmp_.add_argument("--out", default=None, help="output folder (default results/<experiment>-<seed>/)")
    cmp_.add_argument("--no-plots", action="store_true", help="skip the plots")
    cmp_.add_argument("--quiet", action="store_true", help="no progress bar")
    cmp_.add_argument("--resume", action="store_true", help="finish an interrupted comparison in the same folder")
    cmp_.add_argument("--force", action="store_true", help="overwrite another experiment's or an interrupted one")
    rep = sub.add_parser("replay", help="re-run one run of a scenario (e.g. one that broke an invariant)")
    rep.add_argument("scenario", metavar="FILE")
    rep.add_argument("--seed", type=int, required=True, help="the seed of the failed Monte Carlo")
    rep.add_argument("--run", type=int, required=True, action="append", metavar="K", help="run index (repeatable)")
    rep.add_argument("--out", default=None, help="output folder (default results/<scenario>-<seed>-replay/)")
    sch = sub.add_parser("schema", help="print the JSON Schema of scenario (default) or experiment files")
    sch.add_argument("kind", nargs="?", choices=("scenario", "experiment"), default="scenario")
    val = sub.add_parser("validate", help="check scenario files and list every problem")
    val.add_argument("scenarios", nargs="+", metavar="FILE_OR_DIR", help="scenario YAML file(s) and/or folder(s)")
    return p


def _positive(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise ScenarioError.single("<command line>", f"--{name} {value}", key=f"--{name}", found=str(value),
                                   expected="a positive integer")


def scenario_files(paths: list[str]) -> tuple[list[str], list[tuple[ScenarioError, str]]]:
    """The scenario files named on the command line: a folder stands for every `*.yaml` in it (sorted by name,
    hidden files ignored); a file named twice is kept once. A folder without any is a problem."""
    files: list[str] = []
    problems: list[tuple[ScenarioError, str]] = []
    seen: set[Path] = set()
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            names = sorted(str(f) for f in path.iterdir()
                           if f.suffix == ".yaml" and not f.name.startswith(".") and f.is_file())
            if not names:
                problems.append((ScenarioError([Problem(arg, None, None, "", "a folder with no *.yaml file",
                                                        "a scenario file, or a folder holding scenario files "
                                                        "(*.yaml)")]), arg))
        else:
            names = [arg]
        for name in names:
            key = Path(name).resolve()
            if key not in seen:
                seen.add(key)
                files.append(name)
    return files, problems


def load_all(paths: list[str]) -> tuple[list, list[tuple[ScenarioError, str]]]:
    """Load every scenario file (folders expanded). Returns the valid scenarios, in command-line order, and every
    problem of every file with the file it belongs to: a folder without scenarios, any problem of a file
    (`sim.load_scenario`), and a scenario id that an earlier file already has."""
    from sim.scenario import load_scenario
    from sim.yamlio import load_yaml

    files, problems = scenario_files(paths)
    scenarios = []
    for path in files:
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as err:
            problems.append((err, path))
    first: dict[str, str] = {}
    for sc in scenarios:
        if sc.id in first:
            line, col = load_yaml(sc.path).where(("scenario", "id"))
            problems.append((ScenarioError([Problem(
                sc.path, line, col, "scenario.id", f"'{sc.id}', the id of {first[sc.id]} too",
                "an id no other scenario of the same run has (each writes results/<id>-<seed>/)")]), sc.path))
        else:
            first[sc.id] = sc.path
    return scenarios, problems


def cmd_validate(args: argparse.Namespace) -> int:
    scenarios, problems = load_all(args.scenarios)
    bad = {path for _, path in problems}
    for sc in scenarios:
        if sc.path not in bad:
            modelled = sum(t.modelled for t in sc.targets)
            print(f"{sc.path}: valid — {len(sc.targets)} targets ({modelled} modelled), {len(sc.zones)} zones, "
                  f"{len(sc.policies)} levers, {sc.base_year}→{sc.end_year}")
    for err, path in problems:
        _report(err, path)
    return 2 if problems else 0


def guard_output(out: Path, owner: dict[str, str], resume: bool, force: bool) -> None:
    """Never overwrite another scenario's (or experiment's) results, nor an interrupted run's finished batches,
    unless told to (`--force`); `--resume` needs the interrupted run's folder."""
    if force or resume:
        return
    manifest = out / "manifest.json"
    if manifest.is_file():
        try:
            before = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            before = {}
        changed = [f"{k} {before.get(k)!r} (now {v!r})" for k, v in owner.items() if before.get(k) != v]
        if changed:
            raise ScenarioError.single(str(out), "the folder holds other results: " + ", ".join(changed),
                                       key="--out", expected="a new folder, or --force to overwrite it")
    if any((out / "chunks").rglob("runs_*.pkl")):
        raise ScenarioError.single(str(out), "an interrupted run left finished batches here",
                                   key="--out", expected="--resume to finish it, or --force to start again")


def cmd_run(args: argparse.Namespace) -> int:
    import sim
    from sim import outputs
    from sim.engine import snapshot_times
    from sim.montecarlo import run_scenario

    for name in ("runs", "workers", "batch_size"):
        _positive(name.replace("_", "-"), getattr(args, name))
    scenarios, problems = load_all(args.scenarios)  # validate everything before simulating anything
    for err, path in problems:
        _report(err, path)
    if problems:
        print("nothing was simulated: every file is checked before any run; fix the problems above",
              file=sys.stderr)
        return 2
    single = len(scenarios) == 1
    rows: list[dict] = []
    done: list[str] = []
    try:
        for sc in scenarios:
            out = Path(args.out) if args.out and single else Path(args.out or "results") / f"{sc.id}-{args.seed}"
            guard_output(out, {"scenario_id": sc.id, "scenario_sha256": sc.sha256}, args.resume, args.force)
            out.mkdir(parents=True, exist_ok=True)
            sink = outputs.ZoneParquetSink(snapshot_times(sc), [z.id for z in sc.zones], out / "zones.parquet")
            print(f"zonesim {sim.__version__}: {sc.name} ({sc.path}), seed {args.seed}", file=sys.stderr)
            results = run_scenario(sc, runs=args.runs, seed=args.seed, workers=args.workers,
                                   batch_size=args.batch_size, progress=not args.quiet and args.only_run is None,
                                   sink=sink, only_runs=args.only_run,
                                   checkpoint=None if args.only_run else out / "chunks", resume=args.resume)
            files = outputs.write_results(results, out, plots=not args.no_plots, zone_sink=sink)
            shutil.rmtree(out / "chunks", ignore_errors=True)  # finished: the results are written
            print(outputs.format_table(results))
            n_plots = sum(1 for k in files if k.startswith("plot_"))
            print(f"\nWritten to {out}/: summary.csv, indicators.parquet, zones.parquet, manifest.json"
                  + (f", {n_plots // 2} fan charts (PNG + SVG)" if n_plots else ""))
            rows += outputs.combined_table([results])
            done.append(f"{sc.path} → {out}/")
    except BaseException:
        if done and not single:
            print(f"{len(done)} of {len(scenarios)} scenarios finished before the failure; their results stay on "
                  "disk (no combined table is written):", file=sys.stderr)
            for line in done:
                print(f"  {line}", file=sys.stderr)
        raise
    if not single:
        path = outputs.write_combined_csv(rows, outputs.combined_path(args.out or "results", args.seed))
        print(f"\n{len(scenarios)} scenarios, seed {args.seed}\n")
        print(outputs.format_combined(rows))
        print(f"\nCombined table (one row per scenario and target, ALL rows included): {path}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import format_comparison, run_experiment
    from sim.experiment import load_experiment

    for name in ("runs", "workers", "batch_size"):
        _positive(name.replace("_", "-"), getattr(args, name))
    exp = load_experiment(args.experiment)
    seed = exp.seed if args.seed is None else args.seed
    runs = args.runs or exp.runs
    out = Path(args.out or Path("results") / f"{exp.id}-{seed}")
    guard_output(out, {"experiment_id": exp.id}, args.resume, args.force)
    print(f"{exp.name} ({exp.path}): {len(exp.variants)} variants × {runs} runs, seed {seed}", file=sys.stderr)
    comparison = run_experiment(exp, runs=runs, seed=seed, workers=args.workers, batch_size=args.batch_size,
                                progress=not args.quiet, checkpoint=out / "chunks", resume=args.resume)
    files = comparison.write(out, plots=not args.no_plots)
    shutil.rmtree(out / "chunks", ignore_errors=True)
    print(format_comparison(comparison))
    print(f"\n{len(exp.variants)} variants × {runs} runs in {comparison.wall_seconds:.0f} s. Written to {out}/: "
          + ", ".join(f.name for f in files))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """`zonesim replay FILE --seed S --run K`: the same as `zonesim run FILE --seed S --only-run K`."""
    sc_id = Path(args.scenario).stem
    out = args.out or str(Path("results") / f"{sc_id}-{args.seed}-replay")
    ns = argparse.Namespace(scenarios=[args.scenario], runs=None, seed=args.seed, workers=1, batch_size=None,
                            out=out, no_plots=True, only_run=args.run, quiet=True, resume=False, force=False)
    return cmd_run(ns)


def cmd_schema(args: argparse.Namespace) -> int:
    from sim.schema import dumps

    sys.stdout.write(dumps(args.kind))
    return 0


def _report(err: ZonesimError, path: str) -> None:
    n = len(err.problems)
    print(f"error: {path}: {n} problem{'s' if n != 1 else ''}", file=sys.stderr)
    for p in err.problems:
        print(f"  {p.format()}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return {"run": cmd_run, "validate": cmd_validate, "compare": cmd_compare,
                "schema": cmd_schema, "replay": cmd_replay}[args.command](args)
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
