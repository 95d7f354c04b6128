"""Running scenario and experiment files into results folders: the library behind `zonesim run` and `compare`.

Every run goes through a `sim.run.resultdir.ResultFolder`: locked while it writes, staged beside the final folder,
checkpointed batch by batch, and put in place only when complete. A notebook gets the same guarantees:

    from sim.pipeline import run_to_folder
    outcome = run_to_folder(sim.load_scenario("scenarios/guangxi_2020.yaml"), "results/g", runs=500)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.input.scenario import Scenario, load_scenario
from sim.run.resultdir import ResultFolder


def scenario_files(paths: list[str]) -> tuple[list[str], list[tuple[ScenarioError, str]]]:
    """The scenario files named on a command line: a folder stands for every `*.yaml` in it (sorted by name,
    hidden files ignored); a file named twice is kept once. A folder without any is a problem."""
    files: list[str] = []
    problems: list[tuple[ScenarioError, str]] = []
    seen: set[Path] = set()
    for arg in paths:
        path = Path(arg)
        try:
            is_dir = path.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            names = sorted(str(f) for f in path.iterdir()
                           if f.suffix == ".yaml" and not f.name.startswith(".") and f.is_file())
            if not names:
                problems.append((ScenarioError([Problem(arg, None, None, "", "a folder with no *.yaml file",
                                                        "a scenario file, or a folder holding scenario files "
                                                        "(*.yaml)")]), arg))
        else:
            names = [arg]
        for name in names:
            try:
                key = Path(name).resolve()
            except (OSError, RuntimeError):  # a symlink loop: reported when the file is read
                key = Path(name).absolute()
            if key not in seen:
                seen.add(key)
                files.append(name)
    return files, problems


def load_all(paths: list[str]) -> tuple[list[Scenario], list[tuple[ScenarioError, str]]]:
    """Load every scenario file (folders expanded). Returns the valid scenarios, in command-line order, and every
    problem of every file with the file it belongs to: a folder without scenarios, any problem of a file
    (`sim.load_scenario`), and a scenario id that an earlier file already has."""
    from sim.input.yamlio import load_yaml

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


def run_identity(scenario: Scenario, seed: int, runs: int | None, only_runs: list[int] | None) -> dict[str, Any]:
    """What a results folder holds: finished results of another identity are replaced only with --force."""
    return {"kind": "replay" if only_runs else "run", "scenario_id": scenario.id,
            "scenario_sha256": scenario.sha256,
            "posterior_sha256": scenario.posterior.sha256 if scenario.posterior is not None else None, "seed": seed,
            "runs": sorted(set(only_runs)) if only_runs else (runs if runs is not None else "adaptive")}


@dataclass
class Outcome:
    """What a run into a folder produced: its results (a `Results` or a `Comparison`), the files written (as
    they are after the commit), notes for the user, and the charts that failed to draw (a bug, reported)."""

    results: Any
    out: Path
    files: list[str]
    notes: list[str] = field(default_factory=list)
    plot_failures: list[str] = field(default_factory=list)


def run_to_folder(scenario: Scenario, out: str | Path, *, runs: int | None = None, seed: int = 0,
                  workers: int | None = None, batch_size: int | None = None, plots: bool = True,
                  only_runs: list[int] | None = None, resume: bool = False, force: bool = False,
                  progress: bool = False, on_note: Callable[[str], None] | None = None,
                  label: str | None = None) -> Outcome:
    """Run a scenario's Monte Carlo into `out` (see `sim.run.resultdir`): summary.csv, Parquet tables, manifest,
    fan charts; `label` names the progress bar (default: the scenario id). Raises ScenarioError (bad input or
    an output folder that cannot be used: nothing simulated), OutputError (a write failed: finished batches kept
    for `resume`), RunError, RunAborted."""
    from sim.model.engine import snapshot_times
    from sim.report import files as outputs
    from sim.run.montecarlo import run_scenario
    from sim.run.resources import disk_bytes

    notes: list[str] = []

    def note(text: str) -> None:
        notes.append(text)
        if on_note is not None:
            on_note(text)

    identity = run_identity(scenario, seed, runs, only_runs)
    with ResultFolder(Path(out), identity, resume=resume, force=force) as folder:
        folder.check_space(disk_bytes(scenario, runs or 2500 if not only_runs else len(only_runs)))
        sink = outputs.ZoneParquetSink(snapshot_times(scenario), [z.id for z in scenario.zones],
                                       folder.staging / "zones.parquet")
        results = run_scenario(scenario, runs=runs, seed=seed, workers=workers, batch_size=batch_size,
                               progress=progress, sink=sink, only_runs=only_runs,
                               checkpoint=folder.checkpoint, resume=resume, notes=note, label=label)
        failures: list[str] = []
        written = outputs.write_results(results, folder.staging, plots=plots, zone_sink=sink, identity=identity,
                                        plot_failures=failures)
        folder.commit()
        for text in folder.notes:
            note(text)
    files = [str(folder.out / Path(p).name) for p in written.values()]
    return Outcome(results, folder.out, files, notes, failures)


def compare_to_folder(experiment: Any, out: str | Path, *, runs: int | None = None, seed: int | None = None,
                      workers: int | None = None, batch_size: int | None = None, plots: bool = True,
                      resume: bool = False, force: bool = False, progress: bool = False,
                      on_note: Callable[[str], None] | None = None) -> Outcome:
    """Run every variant of an experiment into `out` with common random numbers (`sim.run.compare`), safely as
    `run_to_folder` does. Raises as `run_to_folder`."""
    from sim.report.compare_files import write_comparison
    from sim.run.compare import run_experiment
    from sim.run.resources import disk_bytes

    notes: list[str] = []

    def note(text: str) -> None:
        notes.append(text)
        if on_note is not None:
            on_note(text)

    n = runs or experiment.runs
    s = experiment.seed if seed is None else seed
    base = experiment.base.scenario
    identity = {"kind": "compare", "experiment_id": experiment.id, "experiment_sha256": experiment.sha256,
                "scenario_sha256": base.sha256, "seed": s, "runs": n}
    with ResultFolder(Path(out), identity, resume=resume, force=force) as folder:
        folder.check_space(disk_bytes(base, n) * 0.2 * len(experiment.variants))
        comparison = run_experiment(experiment, runs=n, seed=s, workers=workers, batch_size=batch_size,
                                    progress=progress, checkpoint=folder.checkpoint, resume=resume, notes=note)
        failures: list[str] = []
        written = write_comparison(comparison, folder.staging, plots=plots, identity=identity,
                                   plot_failures=failures)
        folder.commit()
        for text in folder.notes:
            note(text)
    files = [str(folder.out / p.name) for p in written]
    return Outcome(comparison, folder.out, files, notes, failures)


def hindcast_to_folder(scenario: Scenario, out: str | Path, *, runs: int = 500, seed: int = 0,
                       workers: int | None = None, batch_size: int | None = None, plots: bool = True,
                       force: bool = False, progress: bool = False) -> Outcome:
    """Run a back-test scenario (one with a `backtest:` section) and score it against its history
    (`sim.measure.backtest`; the files by `sim.report.backtest_files`): scores.csv, backtest_summary.csv, a fan
    chart per scored series with the observed points, manifest.json. Raises ScenarioError for a scenario
    without `backtest:`, and as `run_to_folder`."""
    from sim.measure import backtest
    from sim.report.backtest_files import write_backtest
    from sim.run.montecarlo import run_scenario

    if scenario.raw is None or "backtest" not in scenario.raw:
        raise ScenarioError([Problem(scenario.path, None, None, "backtest", "no section 'backtest'",
                                     "a back-test scenario (see scenarios/hindcast/)")])
    identity = {"kind": "backtest", **run_identity(scenario, seed, runs, None)}
    with ResultFolder(Path(out), identity, force=force) as folder:
        results = run_scenario(scenario, runs=runs, seed=seed, workers=workers, batch_size=batch_size,
                               progress=progress)
        scored = backtest.score(results, seed)
        failures: list[str] = []
        try:
            written = write_backtest(scored, folder.staging, plots=plots)
        except Exception as exc:  # a bug in drawing: write the tables without the charts
            failures.append(f"back-test charts: {type(exc).__name__}: {exc}")
            written = write_backtest(scored, folder.staging, plots=False)
        folder.commit()
    return Outcome(scored, folder.out, [str(folder.out / p.name) for p in written], [], failures)


def calibrate_to_file(scenario: Scenario, until: int, out: str | Path, *, names: list[str] | None = None,
                      population: int = 200, generations: int = 8, seed: int = 0, workers: int = 1,
                      holdout: bool = True, resume: bool = False,
                      progress: Callable[[str], None] | None = None) -> tuple[Path, str]:
    """Calibrate (`sim.run.calibrate`) and write the posterior file `out`. With `holdout`, first fit all but the
    last observed year and predict it (the check reported in the file and the returned text), then fit
    everything up to `until`. The pyabc databases live in `<out>.work/` so that `resume` can continue."""
    from sim.run import calibrate as cal_mod

    out = Path(out)
    work = out.with_name(out.name + ".work")
    work.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _t: None)
    lines = []
    checked: list[dict] = []
    if holdout:
        say("hold-out check: fit all but the last observed year, predict it")
        check = cal_mod.calibrate(scenario, until, names, population, generations, seed=seed, workers=workers,
                                  db=work / "holdout.db", resume=resume, holdout=True, progress=say)
        checked = check.holdout
        n90 = sum(h["in90"] for h in checked)
        lines.append(f"hold-out ({checked[0]['year'] if checked else '-'}): {n90} of {len(checked)} held-out values "
                     "in their 90% posterior predictive band")
        for h in checked:
            lines.append(f"  {h['series']:28} {h['year']}  observed {h['observed']:>10,.4g}  predicted "
                         f"{h['median']:>10,.4g} [{h['p05']:,.4g}, {h['p95']:,.4g}]  PIT {h['pit']:.2f}  "
                         f"log-CRPS {h['crps']:.3f}")
    say(f"full fit: every observation up to {until}")
    full = cal_mod.calibrate(scenario, until, names, population, generations, seed=seed, workers=workers,
                             db=work / "full.db", resume=resume, holdout=False, progress=say)
    full.holdout = checked
    path = cal_mod.write(full, out)
    lines.insert(0, f"posterior of {len(full.names)} parameters from {len(full.data)} observations up to {until}: "
                 f"{len(full.generations)} generations, {full.evaluations} simulations, {full.seconds:.0f} s, "
                 f"final ε {full.generations[-1]['epsilon']:.3g}")
    lines.insert(1, f"{'parameter':28} {'median':>10} {'5%':>10} {'95%':>10}   prior")
    priors = scenario.param_priors()
    for k, (name, med, lo, hi) in enumerate(full.summary()):
        lines.insert(2 + k, f"{name:28} {med:>10.4g} {lo:>10.4g} {hi:>10.4g}   {priors[name].describe()}")
    return path, "\n".join(lines)


def new_scenario(path: str | Path, region: str, zones: int, base_year: int, end_year: int,
                 scenario_id: str | None = None, force: bool = False) -> Path:
    """Write a commented skeleton scenario (`sim.input.skeleton.skeleton`) to `path` and check that it loads.
    Raises ScenarioError for arguments it cannot honour (zones outside 1..50, years out of order, an existing
    file without `force`: a planner's file is never overwritten by accident), OutputError if it cannot write."""
    from sim.atomic import atomic_write
    from sim.input.skeleton import skeleton

    out = Path(path)
    if out.exists() and not force:
        raise ScenarioError([Problem(str(out), None, None, "", "an existing file",
                                     "a new file name (or --force to replace it)")])
    if out.suffix != ".yaml":
        raise ScenarioError([Problem(str(out), None, None, "", f"suffix '{out.suffix}'",
                                     "a file name ending in .yaml")])
    if scenario_id is None:  # from the file name when it makes an id (my_city_2026.yaml), else the skeleton's
        stem = re.sub(r"[^a-z0-9_]+", "_", out.stem.lower()).strip("_")
        scenario_id = stem if stem[:1].isalpha() else None
    try:
        text = skeleton(region, zones, base_year, end_year, scenario_id)
    except ValueError as exc:
        what, _, expected = str(exc).partition(": expected ")
        found = {"years": f"{base_year}→{end_year}", "base_year": str(base_year)}.get(what, str(zones))
        raise ScenarioError([Problem(str(out), None, None, what, found, expected)]) from None
    if scenario_id is not None:
        from sim.input.fields import SLUG

        if not re.fullmatch(SLUG, scenario_id):
            raise ScenarioError([Problem(str(out), None, None, "--id", scenario_id, "an id in lower_snake_case")])
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, text.encode("utf-8"))
    load_scenario(out)  # the skeleton must validate as written (a bug in zonesim otherwise)
    return out
