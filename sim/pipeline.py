"""Running scenario and experiment files into results folders: the library behind `zonesim run` and `compare`.

Every run goes through a `sim.runner.resultdir.ResultFolder`: locked while it writes, staged beside the final folder,
checkpointed batch by batch, and put in place only when complete. A notebook gets the same guarantees:

    from sim.pipeline import run_to_folder
    outcome = run_to_folder(sim.load_scenario("scenarios/guangxi_2020.yaml"), "results/g", runs=500)
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.input.scenario import Scenario, load_scenario
from sim.runner.resultdir import ResultFolder


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


def is_experiment_file(path: str | Path) -> bool:
    """Whether a YAML file is an experiment (a top-level `experiment:` section and no `scenario:`), for
    `zonesim compare`, rather than a scenario. A file that cannot be read is not one: it is then reported as a
    scenario's problems."""
    from sim.input.yamlio import load_yaml

    try:
        data = load_yaml(path).data
    except ScenarioError:
        return False
    return isinstance(data, dict) and "experiment" in data and "scenario" not in data


def split_experiments(files: list[str]) -> tuple[list[str], list[str]]:
    """(scenario files, experiment files) of `scenario_files`' list, each in its order: a folder may hold the
    experiment files that compare its scenarios (the tutorial's does)."""
    experiments = [f for f in files if is_experiment_file(f)]
    return [f for f in files if f not in experiments], experiments


def experiments_in_folders(paths: list[str]) -> list[str]:
    """The experiment files that the folders among `paths` hold beside their scenarios (`load_all` leaves them
    to `zonesim compare`), so that a command can say it did not run them."""
    return [f for f in split_experiments(scenario_files(paths)[0])[1] if f not in paths]


def load_all(paths: list[str]) -> tuple[list[Scenario], list[tuple[ScenarioError, str]]]:
    """Load every scenario file (folders expanded; experiment files found in a folder are left to
    `zonesim compare`). Returns the valid scenarios, in command-line order, and every problem of every file with
    the file it belongs to: a folder without scenarios, an experiment file named on its own, any problem of a file
    (`sim.load_scenario`), and a scenario id that an earlier file already has."""
    from sim.input.yamlio import load_yaml

    files, problems = scenario_files(paths)
    files, experiments = split_experiments(files)
    for path in experiments:
        if path in paths:  # named on its own, not found in a folder: say what to do with it
            problems.append((ScenarioError([Problem(
                path, None, None, "experiment", "an experiment file (a top-level 'experiment:' section)",
                "a scenario file here; run an experiment with `zonesim compare` and check it with "
                "`zonesim validate`")]), path))
    if experiments and not files and not problems:
        problems.append((ScenarioError([Problem(
            ", ".join(paths), None, None, "", "experiment files only", "at least one scenario file (*.yaml with "
            "a 'scenario:' section); the experiments run with `zonesim compare`")]), ", ".join(paths)))
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
                  label: str | None = None, report: bool = False, client: Any = None) -> Outcome:
    """Run a scenario's Monte Carlo into `out` (see `sim.runner.resultdir`): summary.csv, Parquet tables, manifest,
    fan charts, and with `report` report.html and report.xlsx (`report_into`); `label` names the progress bar
    (default: the scenario id). With `client` (a Dask `distributed.Client`), the batches run on its cluster
    (`sim.runner.cluster`), whose workers must see `out`'s folder at the same path. Raises ScenarioError (bad input or
    an output folder that cannot be used: nothing simulated), OutputError (a write failed: finished batches kept
    for `resume`), RunError, RunAborted."""
    from sim.model.engine import snapshot_times
    from sim.report import files as outputs
    from sim.runner.montecarlo import run_scenario
    from sim.runner.resources import disk_bytes

    notes: list[str] = []

    def note(text: str) -> None:
        notes.append(text)
        if on_note is not None:
            on_note(text)

    identity = run_identity(scenario, seed, runs, only_runs)
    with ResultFolder(Path(out), identity, resume=resume, force=force) as folder:
        folder.check_resumed_where(client is not None)
        folder.check_space(disk_bytes(scenario, runs or 2500 if not only_runs else len(only_runs)))
        sink = outputs.ZoneParquetSink(snapshot_times(scenario), [z.id for z in scenario.zones],
                                       folder.staging / "zones.parquet")
        results = run_scenario(scenario, runs=runs, seed=seed, workers=workers, batch_size=batch_size,
                               progress=progress, sink=sink, only_runs=only_runs,
                               checkpoint=folder.checkpoint, resume=resume, notes=note, label=label,
                               client=client, store=folder.store)
        failures: list[str] = []
        written = outputs.write_results(results, folder.staging, plots=plots, zone_sink=sink, identity=identity,
                                        plot_failures=failures)
        if report:
            written.update(report_into(folder.staging, folder.out, failures))
        folder.commit()
        for text in folder.notes:
            note(text)
    files = [str(folder.out / Path(p).name) for p in written.values()]
    return Outcome(results, folder.out, files, notes, failures)


def compare_to_folder(experiment: Any, out: str | Path, *, runs: int | None = None, seed: int | None = None,
                      workers: int | None = None, batch_size: int | None = None, plots: bool = True,
                      resume: bool = False, force: bool = False, progress: bool = False,
                      on_note: Callable[[str], None] | None = None, report: bool = False,
                      client: Any = None) -> Outcome:
    """Run every variant of an experiment into `out` with common random numbers (`sim.runner.compare`), safely as
    `run_to_folder` does (with `report`, the report too; with `client`, on a Dask cluster). Raises as
    `run_to_folder`."""
    from sim.report.compare_files import write_comparison
    from sim.runner.compare import run_experiment
    from sim.runner.resources import disk_bytes

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
        folder.check_resumed_where(client is not None)
        folder.check_space(disk_bytes(base, n) * 0.2 * len(experiment.variants))
        comparison = run_experiment(experiment, runs=n, seed=s, workers=workers, batch_size=batch_size,
                                    progress=progress, checkpoint=folder.checkpoint, resume=resume, notes=note,
                                    client=client, store=folder.store)
        failures: list[str] = []
        written = write_comparison(comparison, folder.staging, plots=plots, identity=identity,
                                   plot_failures=failures)
        if report:
            written += [Path(p) for p in report_into(folder.staging, folder.out, failures).values()]
        folder.commit()
        for text in folder.notes:
            note(text)
    files = [str(folder.out / p.name) for p in written]
    return Outcome(comparison, folder.out, files, notes, failures)


def hindcast_to_folder(scenario: Scenario, out: str | Path, *, runs: int = 500, seed: int = 0,
                       workers: int | None = None, batch_size: int | None = None, plots: bool = True,
                       force: bool = False, progress: bool = False, report: bool = False,
                       client: Any = None) -> Outcome:
    """Run a back-test scenario (one with a `backtest:` section) and score it against its history
    (`sim.measure.backtest`; the files by `sim.report.backtest_files`): scores.csv, backtest_summary.csv, a fan
    chart per scored series with the observed points, manifest.json, and with `report` the report (with
    `client`, on a Dask cluster, as `run_to_folder`). Raises ScenarioError for a scenario without `backtest:`,
    and as `run_to_folder`."""
    from sim.measure import backtest
    from sim.report.backtest_files import write_backtest
    from sim.runner.montecarlo import run_scenario

    if scenario.raw is None or "backtest" not in scenario.raw:
        raise ScenarioError([Problem(scenario.path, None, None, "backtest", "no section 'backtest'",
                                     "a back-test scenario (see scenarios/hindcast/)")])
    identity = {**run_identity(scenario, seed, runs, None), "kind": "backtest"}
    with ResultFolder(Path(out), identity, force=force) as folder:
        try:
            results = run_scenario(scenario, runs=runs, seed=seed, workers=workers, batch_size=batch_size,
                                   progress=progress, client=client, store=folder.store)
        except BaseException:
            shutil.rmtree(folder.store, ignore_errors=True)  # a back-test is not resumed: keep no partition
            raise
        scored = backtest.score(results, seed)
        scored.warnings = results.warnings()
        failures: list[str] = []
        try:
            written = write_backtest(scored, folder.staging, plots=plots, identity=identity)
        except Exception as exc:  # a bug in drawing: write the tables without the charts
            failures.append(f"back-test charts: {type(exc).__name__}: {exc}")
            written = write_backtest(scored, folder.staging, plots=False, identity=identity)
        if report:
            written += [Path(p) for p in report_into(folder.staging, folder.out, failures).values()]
        folder.commit()
    return Outcome(scored, folder.out, [str(folder.out / p.name) for p in written], [], failures)


#: The report's file names in a results folder (`report_into`, `write_report`).
REPORT_HTML = "report.html"
REPORT_XLSX = "report.xlsx"


@dataclass
class ReportOutcome:
    """What `write_report` wrote: the page and the workbook, the page's size in bytes and the seconds taken."""

    html: Path
    workbook: Path
    size: int
    seconds: float


def _list_in_manifest(folder: Path, names: list[str]) -> None:
    """Add `names` to the files the folder's manifest lists (so a later run into it replaces them)."""
    from sim.report.files import write_manifest
    from sim.runner.resultdir import read_manifest

    data = read_manifest(folder)
    if data is None:  # a folder that read_folder accepted: its manifest was there a moment ago
        raise ScenarioError([Problem(str(folder / "manifest.json"), None, None, "", "gone or changed while the "
                                     "report was written", "a results folder no other program changes")])
    data["files"] = sorted(set(data["files"]) | set(names))
    write_manifest(data, folder)


def _write_pair(folders: list[Any], html: Path, xlsx: Path) -> None:
    from sim.errors import OutputError
    from sim.report.html import write_html
    from sim.report.workbook import write_workbook

    try:
        write_html(folders, html)
        write_workbook(folders, xlsx)
    except OSError as exc:
        raise OutputError([Problem(str(html.parent), None, None, "--out", f"cannot write the report "
                                   f"({exc.strerror or exc})", "a writable folder with free space")]) from None


def report_into(staging: Path, out: Path, failures: list[str]) -> dict[str, str]:
    """`--report` of run, compare and hindcast: report.html and report.xlsx written into a run's staging folder
    (read back as the finished folder `out` will be), listed in its manifest. A bug in building them is appended
    to `failures` (the results are kept); raises OutputError when they cannot be written."""
    from sim.errors import OutputError
    from sim.report.folders import read_folder

    try:
        folder = read_folder(staging)
        folder.path = out
        _write_pair([folder], staging / REPORT_HTML, staging / REPORT_XLSX)
    except OutputError:
        raise
    except Exception as exc:  # a bug in zonesim (its own folder must read back): the results are kept
        failures.append(f"report: {type(exc).__name__}: {exc}")
        return {}
    _list_in_manifest(staging, [REPORT_HTML, REPORT_XLSX])
    return {"report": str(staging / REPORT_HTML), "workbook": str(staging / REPORT_XLSX)}


def write_report(folders: list[str | Path], out: str | Path | None = None) -> ReportOutcome:
    """`zonesim report`: one HTML page and one workbook from finished results folders (`sim.report.folders`,
    `sim.report.html`, `sim.report.workbook`). `out`: a file name ending in .html (the workbook beside it, .xlsx),
    or a folder (report.html and report.xlsx in it); by default, with one results folder, into that folder —
    under its lock, listed in its manifest, so that a later run into the folder replaces them. Raises
    ScenarioError for a folder that is not a finished results folder (every problem of every folder), for
    several folders without `out` and for an `out` with another suffix than .html that is not a folder (x.pdf),
    before anything is written; OutputError when the files cannot be written."""
    import time

    from sim.report.folders import read_folders
    from sim.runner.resultdir import FolderLock

    start = time.perf_counter()
    paths = [Path(f) for f in folders]
    target = Path(out) if out is not None else None
    own = None
    if target is not None and target.suffix and target.suffix.lower() != ".html" and not target.is_dir():
        raise ScenarioError([Problem("<command line>", None, None, "--out", f"{str(out)!r}, a name ending in "
                                     f"{target.suffix!r}", "a file name ending in .html (the workbook is written "
                                     "beside it as .xlsx), or a folder")])
    if target is None:
        if len(paths) != 1:
            read_folders(paths)  # the folders' own problems first
            raise ScenarioError([Problem("<command line>", None, None, "--out", f"{len(paths)} results folders "
                                         "and no --out", "--out FILE.html or --out FOLDER for a report of several "
                                         "results folders (one folder's report goes into it by default)")])
        own = paths[0]
    elif target.suffix.lower() != ".html" and len(paths) == 1 and target.exists() and \
            target.resolve() == paths[0].resolve():
        own = paths[0]
    if own is not None:
        html, xlsx = own / REPORT_HTML, own / REPORT_XLSX
        lock = FolderLock(own)
        if own.is_dir():
            lock.acquire()
        try:
            loaded = read_folders(paths)
            _write_pair(loaded, html, xlsx)
            _list_in_manifest(own, [REPORT_HTML, REPORT_XLSX])
        finally:
            lock.release()
    else:
        assert target is not None
        loaded = read_folders(paths)
        if target.suffix.lower() == ".html":
            html, xlsx = target, target.with_suffix(".xlsx")
        else:
            html, xlsx = target / REPORT_HTML, target / REPORT_XLSX
        try:
            html.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from sim.errors import OutputError

            raise OutputError([Problem(str(html.parent), None, None, "--out", f"cannot create the folder "
                                       f"({exc.strerror or exc})", "a folder zonesim may create")]) from None
        _write_pair(loaded, html, xlsx)
    return ReportOutcome(html, xlsx, html.stat().st_size, time.perf_counter() - start)


def calibrate_to_file(scenario: Scenario, until: int, out: str | Path, *, names: list[str] | None = None,
                      population: int = 200, generations: int = 8, seed: int = 0, workers: int = 1,
                      holdout: bool = True, resume: bool = False,
                      progress: Callable[[str], None] | None = None, client: Any = None) -> tuple[Path, str]:
    """Calibrate (`sim.runner.calibrate`) and write the posterior file `out`. With `holdout`, first fit all but the
    last observed year and predict it (the check reported in the file and the returned text), then fit
    everything up to `until`. The pyabc databases live in `<out>.work/` so that `resume` can continue. With
    `client` (a Dask `distributed.Client`), the candidates run on its cluster: the same posterior."""
    from sim.measure.backtest import figure
    from sim.runner import calibrate as cal_mod

    out = Path(out)
    work = out.with_name(out.name + ".work")
    work.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _t: None)
    lines = []
    checked: list[dict] = []
    if holdout:
        say("hold-out check: fit all but the last observed year, predict it")
        check = cal_mod.calibrate(scenario, until, names, population, generations, seed=seed, workers=workers,
                                  db=work / "holdout.db", resume=resume, holdout=True, progress=say, client=client)
        checked = check.holdout
        n90 = sum(h["in90"] for h in checked)
        lines.append(f"hold-out ({checked[0]['year'] if checked else '-'}): {n90} of {len(checked)} held-out values "
                     "in their 90% posterior predictive band")
        for h in checked:
            lines.append(f"  {h['series']:28} {h['year']}  observed {figure(h['observed']):>10}  predicted "
                         f"{figure(h['median']):>10} [{figure(h['p05'])}, {figure(h['p95'])}]  PIT {h['pit']:.2f}  "
                         f"log-CRPS {h['crps']:.3f}")
    say(f"full fit: every observation up to {until}")
    full = cal_mod.calibrate(scenario, until, names, population, generations, seed=seed, workers=workers,
                             db=work / "full.db", resume=resume, holdout=False, progress=say, client=client)
    full.holdout = checked
    path = cal_mod.write(full, out)
    chosen = full.posterior_generation()
    n_obs = len(full.data)
    lines.insert(0, f"posterior of {len(full.names)} parameters from {n_obs} observation{'s' if n_obs != 1 else ''} "
                 f"up to {until}: "
                 f"{len(full.generations)} generations, {full.evaluations} simulations, {full.seconds:.0f} s, "
                 f"posterior from generation {chosen['t'] + 1} (t = {chosen['t']} in pyabc's log and the file's "
                 f"`generations`; ε {chosen['epsilon']:.3g}; the last whose effective sample size is at least "
                 f"{cal_mod.MIN_ESS_SHARE:.0%} of the particles)")
    w = full.weights
    ess = cal_mod.kish_ess(w)
    lines.insert(1, f"effective sample size {ess:.0f} of {len(w)} particles (Kish)" + (
        ": few — one weighted particle can dominate; the 5-95% ranges are rough (more --population or "
        "--generations)" if ess < 50 else ""))
    lines.insert(2, f"{'parameter':28} {'median':>10} {'5%':>10} {'95%':>10}   prior")
    priors = scenario.param_priors()
    for k, (name, med, lo, hi) in enumerate(full.summary()):
        lines.insert(3 + k, f"{name:28} {med:>10.4g} {lo:>10.4g} {hi:>10.4g}   {priors[name].describe()}")
    if n_obs < len(full.names):  # said before the fit too; repeated where the result is read
        lines.insert(0, f"warning: {len(full.names)} parameters from {n_obs} observed value(s): some posteriors "
                        "stay close to their priors (compare each with its prior below)")
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
        option = {"years": "--end-year", "base_year": "--base-year", "n_zones": "--zones"}.get(what, what)
        raise ScenarioError([Problem(str(out), None, None, option, found, expected)]) from None
    if scenario_id is not None:
        from sim.input.fields import SLUG

        if not re.fullmatch(SLUG, scenario_id):
            raise ScenarioError([Problem(str(out), None, None, "--id", scenario_id, "an id in lower_snake_case")])
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, text.encode("utf-8"))
    load_scenario(out)  # the skeleton must validate as written (a bug in zonesim otherwise)
    return out
