"""The `zonesim` command: arguments in, library calls (`sim.pipeline`, `sim.runner.compare`, `sim.input.scenario`) out.

Exit codes: 0 success; 2 bad input (every problem listed with file, line, key, what was found and expected;
nothing simulated); 3 a run broke an invariant (named, with how to replay it); 4 the run could not finish or be
written (disk, memory, a worker died; finished batches kept for `--resume`); 130 interrupted (Ctrl-C), 143
terminated (SIGTERM), finished batches kept; 1 an internal error, i.e. a bug in zonesim.

`run` and `validate` take scenario files and folders (a folder stands for every `*.yaml` in it, sorted by name,
hidden files ignored). `run` validates every file before it simulates any; with several scenarios it writes
each one's folder as for one, then the combined table `<out>/combined-<seed>.csv` (`sim.report.files.combined_table`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from sim.errors import STOP, Interrupted, OutputError, Problem, RunAborted, RunError, ScenarioError, ZonesimError

#: Problems printed per file; the rest are counted ("… and N more"), so a broken file never floods a terminal.
MAX_PROBLEMS_SHOWN = 50


def _on_signal(signum: int, frame: object) -> None:
    """Ctrl-C and SIGTERM: ask the run to stop (checked between batches too) and raise at once."""
    STOP["signum"] = signum
    raise Interrupted(signum)


def _parser() -> argparse.ArgumentParser:
    from sim.version import __version__

    p = argparse.ArgumentParser(prog="zonesim", description="Will the high-tech zones hit their plan's targets? "
                                "Monte Carlo of an agent-based model of high-tech zones.")
    p.add_argument("--version", action="version", version=f"zonesim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario's Monte Carlo: table, summary.csv, Parquet, fan charts")
    run.add_argument("scenarios", nargs="+", metavar="FILE_OR_DIR",
                     help="scenario YAML file(s) and/or folder(s) (every *.yaml in a folder, sorted)")
    run.add_argument("--runs", type=int, default=None,
                     help="number of runs (default: enough for every 95%% interval within ±2 points, ≤ 2500)")
    run.add_argument("--seed", type=int, default=0, help="random seed, 0 … 2^63−1 (default 0)")
    run.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    run.add_argument("--batch-size", type=int, default=None,
                     help="runs simulated together per process (default: 1–50 by the plan's size, ≈ 300 MB a worker)")
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
                     help="replace finished results of another run, or discard an interrupted run's batches")
    run.add_argument("--report", action="store_true",
                     help="also write report.html (bilingual, self-contained) and report.xlsx into the folder")
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
    cmp_.add_argument("--force", action="store_true", help="replace finished results of another comparison")
    cmp_.add_argument("--report", action="store_true", help="also write report.html and report.xlsx into the folder")
    rep = sub.add_parser("replay", help="re-run one run of a scenario (e.g. one that broke an invariant)")
    rep.add_argument("scenario", metavar="FILE", help="the scenario file of the run to replay")
    rep.add_argument("--seed", type=int, required=True, help="the seed of the failed Monte Carlo")
    rep.add_argument("--run", type=int, required=True, action="append", metavar="K", help="run index (repeatable)")
    rep.add_argument("--out", default=None, help="output folder (default results/<scenario>-<seed>-replay-<K>/)")
    rep.add_argument("--force", action="store_true", help="replace finished results in --out")
    hc = sub.add_parser("hindcast", help="back-test: run a plan rebuilt at an earlier base year and score it "
                        "against the history that followed (PIT, bands, CRPS against a naive forecaster)")
    hc.add_argument("scenarios", nargs="+", metavar="FILE_OR_DIR", help="back-test scenario file(s) or folder(s) "
                    "(scenarios/hindcast/)")
    hc.add_argument("--runs", type=int, default=500, help="runs (default 500)")
    hc.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    hc.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    hc.add_argument("--batch-size", type=int, default=None, help="runs simulated together per process")
    hc.add_argument("--out", default=None, help="output folder (default results/<id>-<seed>/)")
    hc.add_argument("--no-plots", action="store_true", help="skip the fan charts")
    hc.add_argument("--quiet", action="store_true", help="no progress bar")
    hc.add_argument("--force", action="store_true", help="replace finished results of another run")
    hc.add_argument("--report", action="store_true", help="also write report.html and report.xlsx into the folder")
    rpt = sub.add_parser("report", help="one self-contained bilingual HTML page (report.html) and an Excel workbook "
                         "(report.xlsx) from finished results folders of run, compare or hindcast")
    rpt.add_argument("folders", nargs="+", metavar="RESULTS_DIR", help="finished results folder(s)")
    rpt.add_argument("--out", default=None, metavar="FILE_OR_DIR",
                     help="FILE.html (the workbook beside it as FILE.xlsx) or a folder (default, for one results "
                     "folder: into it; required for several)")
    cal = sub.add_parser("calibrate", help="estimate behavioural parameters from a back-test scenario's history "
                         "(ABC-SMC): a posterior file scenarios can refer to")
    cal.add_argument("scenario", metavar="FILE", help="a back-test scenario (scenarios/hindcast/)")
    cal.add_argument("--until", type=int, required=True,
                     help="the last history year used: the posterior's vintage (plans based earlier cannot use it)")
    cal.add_argument("--out", required=True, help="the posterior file to write (JSON)")
    cal.add_argument("--parameters", nargs="+", default=None,
                     help="parameters to estimate (default: the file's backtest.calibrate)")
    cal.add_argument("--population", type=int, default=200, help="particles per generation (default 200)")
    cal.add_argument("--generations", type=int, default=8, help="most generations (default 8)")
    cal.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    cal.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    cal.add_argument("--no-holdout", action="store_true",
                     help="skip the check that fits all but the last year and predicts it")
    cal.add_argument("--resume", action="store_true", help="continue an interrupted calibration")
    new = sub.add_parser("new", help="write a commented skeleton scenario for your own plan (validates and runs "
                         "as written; replace its placeholders)")
    new.add_argument("file", metavar="FILE", help="the scenario file to write (*.yaml); never overwritten without "
                     "--force")
    new.add_argument("--region", required=True, help="the region's name, e.g. 某市")
    new.add_argument("--zones", type=int, default=2, help="official high-tech zones in the region (default 2)")
    new.add_argument("--base-year", type=int, required=True, help="the year whose end state the plan starts from")
    new.add_argument("--end-year", type=int, required=True, help="the plan's target year")
    new.add_argument("--id", default=None, help="scenario id in lower_snake_case (default: from the file name)")
    new.add_argument("--force", action="store_true", help="replace an existing file")
    calp = sub.add_parser("calendar", help="print what the model runs when: the calendar of a scenario, step by "
                          "step (mechanism modules and lever hooks)")
    calp.add_argument("scenario", metavar="FILE", help="a scenario YAML file")
    sch = sub.add_parser("schema", help="print the JSON Schema of scenario (default) or experiment files")
    sch.add_argument("kind", nargs="?", choices=("scenario", "experiment"), default="scenario")
    val = sub.add_parser("validate", help="check scenario files and list every problem")
    val.add_argument("scenarios", nargs="+", metavar="FILE_OR_DIR", help="scenario YAML file(s) and/or folder(s)")
    for cmd in (run, cmp_, hc, cal):  # beyond one machine: README "Beyond one machine", sim/runner/cluster.py
        where = cmd.add_mutually_exclusive_group()
        where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                           help="run on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://host:8786); its "
                           "workers must see --out at the same path (needs zonesim[dask])")
        where.add_argument("--local-cluster", type=int, default=None, metavar="N",
                           help="run on a Dask cluster of N worker processes started on this machine")
    return p


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _note_only_run(args: argparse.Namespace) -> None:
    if getattr(args, "only_run", None) and getattr(args, "runs", None) is not None:
        _say(f"note: --only-run simulates run {', '.join(map(str, sorted(set(args.only_run))))} alone (as in the "
             f"full Monte Carlo of the seed); --runs {args.runs} is not used")


def _check_numbers(args: argparse.Namespace) -> None:
    """Command-line numbers in range; --workers beyond the cores is capped with a note."""
    from sim.model.rng import SEED_MAX
    from sim.runner.montecarlo import default_workers

    problems = []
    for name in ("runs", "workers", "batch_size", "local_cluster"):
        value = getattr(args, name, None)
        if value is not None and not 1 <= value <= 10**9:
            problems.append(Problem("<command line>", None, None, f"--{name.replace('_', '-')}",
                                    str(value)[:40], "a whole number from 1 to 1,000,000,000"))
    seed = getattr(args, "seed", None)
    if seed is not None and not 0 <= seed <= SEED_MAX:
        problems.append(Problem("<command line>", None, None, "--seed", str(seed)[:40],
                                f"a whole number from 0 to 2^63−1 ({SEED_MAX:,})"))
    for k in getattr(args, "only_run", None) or getattr(args, "run", None) or []:
        if not 0 <= k < 10**9:
            problems.append(Problem("<command line>", None, None, "--run", str(k)[:40],
                                    "a run index from 0 (the first run) up"))
    if problems:
        raise ScenarioError(problems)
    _note_only_run(args)
    cores = default_workers()
    if getattr(args, "workers", None) and args.workers > cores:
        _say(f"note: --workers {args.workers} capped at {cores}, the cores this machine gives zonesim")
        args.workers = cores
    if getattr(args, "local_cluster", None) and args.local_cluster > cores:  # its workers run on this machine
        _say(f"note: --local-cluster {args.local_cluster} capped at {cores}, the cores this machine gives zonesim")
        args.local_cluster = cores


def cmd_validate(args: argparse.Namespace) -> int:
    from sim.input.experiment import load_experiment
    from sim.pipeline import load_all, scenario_files, split_experiments

    files, problems = scenario_files(args.scenarios)
    files, experiments = split_experiments(files)
    scenarios, more = load_all(files) if files else ([], [])
    problems += more
    valid_experiments = []
    for path in experiments:  # checked as `zonesim compare` would, without running it
        try:
            exp = load_experiment(path)
        except ScenarioError as err:
            problems.append((err, path))
            continue
        valid_experiments.append(f"{path}: valid experiment — {len(exp.variants)} variants of "
                                 f"{os.path.normpath(exp.base.scenario.path)}, {exp.runs:,} runs, seed {exp.seed}")
    bad = {path for _, path in problems}
    for sc in scenarios:
        if sc.path not in bad:
            modelled = sum(t.modelled for t in sc.targets)
            official = sum(z.level != "outside" for z in sc.zones)
            print(f"{sc.path}: valid — {len(sc.targets)} target{'s' if len(sc.targets) != 1 else ''} ({modelled} "
                  f"modelled), {official} official zone{'s' if official != 1 else ''}, "
                  f"{len(sc.policies)} lever{'s' if len(sc.policies) != 1 else ''}, {sc.base_year}→{sc.end_year}")
            _warn(sc.warnings)
    for line in valid_experiments:
        print(line)
    for err, path in problems:
        _report(err, path)
    return 2 if problems else 0


def cmd_run(args: argparse.Namespace) -> int:
    from sim.pipeline import experiments_in_folders, load_all, run_to_folder
    from sim.report import files as outputs
    from sim.runner.cluster import open_client
    from sim.version import __version__

    _check_numbers(args)
    scenarios, problems = load_all(args.scenarios)  # validate everything before simulating anything
    for path in experiments_in_folders(args.scenarios):
        _say(f"note: {path}: an experiment file, not run here (run it with `zonesim compare {path}`)")
    for err, path in problems:
        _report(err, path)
    if problems:
        _say("nothing was simulated: every file is checked before any run; fix the problems above")
        return 2
    single = len(scenarios) == 1
    rows: list[dict] = []
    done: list[str] = []
    failed_plots = False
    with open_client(args.scheduler, args.local_cluster, args.workers, say=_say) as client:
        try:
            for k, sc in enumerate(scenarios, start=1):
                out = Path(args.out) if args.out and single else Path(args.out or "results") / f"{sc.id}-{args.seed}"
                if args.only_run and not args.out:
                    out = Path("results") / f"{sc.id}-{args.seed}-replay-{'-'.join(map(str, sorted(args.only_run)))}"
                _CURRENT_OUT[:] = [out]
                _say(f"zonesim {__version__}: {sc.name} ({sc.path}), seed {args.seed}")
                _warn(sc.warnings)
                outcome = run_to_folder(sc, out, runs=args.runs, seed=args.seed, workers=args.workers,
                                        batch_size=args.batch_size, plots=not args.no_plots, only_runs=args.only_run,
                                        resume=args.resume, force=args.force,
                                        progress=not args.quiet and args.only_run is None,
                                        on_note=lambda t: _say(f"note: {t}"),
                                        label=None if single else f"scenario {k}/{len(scenarios)}: {sc.id}",
                                        report=args.report, client=client)
                results = outcome.results
                print(outputs.format_table(results))
                n_plots = sum(1 for f in outcome.files if f.endswith(".png"))
                print()
                print("\n".join(outputs.paragraph(
                    f"Written to {out}/: summary.csv, indicators.parquet, zones.parquet, manifest.json"
                    + (f", {n_plots} fan charts (PNG + SVG)" if n_plots else "")
                    + (", report.html, report.xlsx" if any(f.endswith("report.html") for f in outcome.files) else ""),
                    indent="  ")))
                failed_plots |= _plot_failures(outcome)
                rows += outputs.combined_table([results])
                done.append(f"{sc.path} → {out}/")
        except BaseException:
            if done and not single:
                _say(f"{len(done)} of {len(scenarios)} scenarios finished before the failure; their results stay on "
                     "disk (no combined table is written):")
                for line in done:
                    _say(f"  {line}")
            raise
    if not single:
        path = outputs.write_combined_csv(rows, outputs.combined_path(args.out or "results", args.seed))
        print(f"\n{len(scenarios)} scenarios, seed {args.seed}\n")
        print(outputs.format_combined(rows))
        print()
        print("\n".join(outputs.paragraph(f"Combined table (one row per scenario and target, ALL rows included): "
                                          f"{path}", indent="  ")))
    return 1 if failed_plots else 0


def _warn(warnings: tuple[Problem, ...] | list[Problem]) -> None:
    for w in warnings[:MAX_PROBLEMS_SHOWN]:
        _say(f"  warning: {w.format()}")


def _plot_failures(outcome: object) -> bool:
    failures = getattr(outcome, "plot_failures", [])
    for text in failures:
        _say(f"internal error while drawing: {text}\n(a bug in zonesim; every table and the manifest are written "
             f"in {getattr(outcome, 'out', '')}/, only these charts are missing; set ZONESIM_DEBUG=1 and please "
             "report it)")
    return bool(failures)


def cmd_compare(args: argparse.Namespace) -> int:
    from sim.input.experiment import load_experiment
    from sim.pipeline import compare_to_folder
    from sim.report.compare_files import format_comparison
    from sim.report.files import paragraph
    from sim.runner.cluster import open_client

    _check_numbers(args)
    exp = load_experiment(args.experiment)
    seed = exp.seed if args.seed is None else args.seed
    runs = args.runs or exp.runs
    out = Path(args.out or Path("results") / f"{exp.id}-{seed}")
    _CURRENT_OUT[:] = [out]
    _say(f"{exp.name} ({exp.path}): {len(exp.variants)} variants × {runs} runs, seed {seed}")
    with open_client(args.scheduler, args.local_cluster, args.workers, say=_say) as client:
        outcome = compare_to_folder(exp, out, runs=runs, seed=seed, workers=args.workers,
                                    batch_size=args.batch_size, plots=not args.no_plots, resume=args.resume,
                                    force=args.force, progress=not args.quiet, on_note=lambda t: _say(f"note: {t}"),
                                    report=args.report, client=client)
    comparison = outcome.results
    print(format_comparison(comparison))
    print()
    print("\n".join(paragraph(f"{len(exp.variants)} variants × {runs:,} runs in {comparison.wall_seconds:.0f} s. "
                              f"Written to {out}/: " + ", ".join(Path(f).name for f in outcome.files), indent="  ")))
    return 1 if _plot_failures(outcome) else 0


def cmd_replay(args: argparse.Namespace) -> int:
    """`zonesim replay FILE --seed S --run K`: `zonesim run FILE --seed S --only-run K` into its own folder."""
    ns = argparse.Namespace(scenarios=[args.scenario], runs=None, seed=args.seed, workers=1, batch_size=None,
                            out=args.out, no_plots=True, only_run=args.run, quiet=True, resume=False,
                            force=args.force, report=False, scheduler=None, local_cluster=None)
    return cmd_run(ns)


def cmd_hindcast(args: argparse.Namespace) -> int:
    from sim.measure.backtest import format_table, gate
    from sim.pipeline import hindcast_to_folder, load_all
    from sim.runner.cluster import open_client

    _check_numbers(args)
    scenarios, problems = load_all(args.scenarios)
    for err, path in problems:
        _report(err, path)
    if problems:
        return 2
    failed = False
    with open_client(args.scheduler, args.local_cluster, args.workers, say=_say) as client:
        for sc in scenarios:
            out = Path(args.out) if args.out and len(scenarios) == 1 else \
                Path(args.out or "results") / f"{sc.id}-{args.seed}"
            _CURRENT_OUT[:] = [out]
            _say(f"back-test {sc.name} ({sc.path}), {sc.base_year}→{sc.end_year}, {args.runs} runs, seed {args.seed}")
            outcome = hindcast_to_folder(sc, out, runs=args.runs, seed=args.seed, workers=args.workers,
                                         batch_size=args.batch_size, plots=not args.no_plots, force=args.force,
                                         progress=not args.quiet, report=args.report, client=client)
            print(format_table(outcome.results))
            print(f"\nWritten to {out}/: " + ", ".join(Path(f).name for f in outcome.files[:4])
                  + (f" and {len(outcome.files) - 4} more" if len(outcome.files) > 4 else ""))
            failed |= _plot_failures(outcome)
            if not gate(outcome.results.scores)[0]:
                _say(f"note: the back-test gate fails for {sc.id} (see above)")
    return 1 if failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from sim.pipeline import write_report

    outcome = write_report(args.folders, args.out)
    print(f"Report written: {outcome.html} ({outcome.size / 1e6:.2f} MB) and {outcome.workbook}, from "
          f"{len(args.folders)} results folder(s) in {outcome.seconds:.1f} s")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.input.scenario import load_scenario
    from sim.pipeline import calibrate_to_file
    from sim.runner.cluster import open_client
    from sim.runner.montecarlo import default_workers

    _check_numbers(args)
    sc = load_scenario(args.scenario)
    try:
        with open_client(args.scheduler, args.local_cluster, args.workers, say=_say) as client:
            path, report = calibrate_to_file(sc, args.until, args.out, names=args.parameters,
                                             population=args.population, generations=args.generations,
                                             seed=args.seed,
                                             workers=args.workers or default_workers(),
                                             holdout=not args.no_holdout, resume=args.resume,
                                             progress=lambda t: _say(f"  {t}"), client=client)
    except KeyboardInterrupt:
        _say(f"the finished generations are kept in {args.out}.work/: the same command with --resume continues")
        raise
    print(report)
    print(f"\nPosterior written to {path}: refer to it from a scenario with base year {args.until} or later "
          "(calibration: {posterior: ...}).")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from sim.pipeline import new_scenario

    path = new_scenario(args.file, args.region, args.zones, args.base_year, args.end_year, args.id, args.force)
    print(f"Written {path}: {args.zones} zone(s), {args.base_year}→{args.end_year}, one example of each target "
          f"shape and one lever.\nEvery figure marked \"placeholder\" is yours to replace; then run:\n"
          f"  zonesim validate {path}\n  zonesim run {path}")
    return 0


def cmd_calendar(args: argparse.Namespace) -> int:
    from sim.input.scenario import load_scenario
    from sim.model.calendar import format_table

    print(format_table(load_scenario(args.scenario)))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from sim.input.schema import dumps

    sys.stdout.write(dumps(args.kind))
    return 0


def _report(err: ZonesimError, path: str) -> None:
    n = len(err.problems)
    _say(f"error: {path}: {n} problem{'s' if n != 1 else ''}")
    for p in err.problems[:MAX_PROBLEMS_SHOWN]:
        _say(f"  {p.format()}")
    if n > MAX_PROBLEMS_SHOWN:
        _say(f"  … and {n - MAX_PROBLEMS_SHOWN} more problem(s): fix these first, then validate again")


#: The output folder of the run in progress (for the message after an interruption).
_CURRENT_OUT: list[Path] = []


def _kept_batches() -> str:
    from sim.runner.resultdir import finished_batches, staging_of

    if not _CURRENT_OUT:
        return ""
    staging = staging_of(_CURRENT_OUT[0])
    n = len(finished_batches(staging)) if staging.exists() else 0
    if not n:
        return ""
    return (f"{n} finished batch(es) are kept in {staging}; run the same command with --resume to finish "
            f"({_CURRENT_OUT[0]} is untouched until then)")


def _console_safe() -> None:
    """Never crash on a console that cannot show a character (cp1252, gbk, LANG=C): replace it instead. Files
    are always written as UTF-8 whatever the console."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]


def stop_on_signals() -> None:
    """SIGTERM stops a run as cleanly as Ctrl-C: both raise `Interrupted` (a KeyboardInterrupt) in the main
    thread, so results folders unwind — locks released, unfinished staging kept for --resume or discarded —
    instead of the process dying where it stands. For the command and for scripts (experiments/) that run
    zonesim; outside the main thread (an embedding program) signals are left alone."""
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)


def run_script(script_main: Callable[[], int]) -> None:
    """Run an experiments/ script's `main` as the command runs: SIGTERM unwinds like Ctrl-C (`stop_on_signals`),
    an interruption prints one line and exits 130; otherwise exits with `main`'s code."""
    stop_on_signals()
    try:
        code = script_main()
    except KeyboardInterrupt:
        print("interrupted: finished results were not touched", file=sys.stderr)
        code = 130
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    _console_safe()
    if argv is None:  # the real command
        stop_on_signals()
    args = _parser().parse_args(argv)
    _CURRENT_OUT.clear()
    STOP["signum"] = 0
    try:
        return {"run": cmd_run, "validate": cmd_validate, "compare": cmd_compare, "hindcast": cmd_hindcast,
                "calibrate": cmd_calibrate, "calendar": cmd_calendar, "new": cmd_new,
                "schema": cmd_schema, "replay": cmd_replay, "report": cmd_report}[args.command](args)
    except ScenarioError as err:
        _report(err, err.problems[0].file if err.problems else "input")
        return 2
    except RunError as err:
        _say("error: a run broke the model's invariants:")
        for p in err.problems:
            _say(f"  {p.format()}")
        return 3
    except (OutputError, RunAborted) as err:
        _say("error: the run could not finish:")
        for p in err.problems:
            _say(f"  {p.format()}")
        kept = _kept_batches()
        if kept:
            _say(kept)
        return 4
    except KeyboardInterrupt as exc:
        term = isinstance(exc, Interrupted) and exc.signum == signal.SIGTERM
        code, what = (143, "terminated (SIGTERM)") if term else (130, "interrupted")
        kept = _kept_batches()
        _say(f"{what}" + (f": {kept}" if kept else ": nothing was lost (no batch had finished)"
                          if _CURRENT_OUT else ""))
        return code
    except BrokenPipeError:
        # the reader of the output went away (`zonesim calendar … | head`): stop quietly, as other tools do;
        # anything already written to the results folder stays (files are put in place before the table prints)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except MemoryError:
        _say("error: out of memory. Finished batches are kept; try --batch-size 5 --workers 1 with --resume")
        return 4
    except Exception as exc:  # an internal bug: say so plainly; the traceback only on request
        if os.environ.get("ZONESIM_DEBUG"):
            traceback.print_exc()
        _say(f"internal error: {type(exc).__name__}: {exc}\n(a bug in zonesim, not in your input; set "
             "ZONESIM_DEBUG=1 to see the traceback and please report it)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
