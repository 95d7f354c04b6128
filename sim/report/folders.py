"""Finished results folders read back for a report (`sim.report.html`, `sim.report.workbook`).

A folder of `zonesim run`, `compare` or `hindcast` is read as data only: manifest.json (JSON), the CSV tables,
indicators.parquet (pyarrow: year-end bands and lever costs) and the SVG charts (kept as bytes, never parsed or
run). Nothing read back can run code: JSON, CSV and Parquet are parsed as values only (pyarrow >= 14.0.1, which
never unpickles an extension type from a file), and an SVG embedded as an image cannot run a script. The scenario
(or experiment) file the manifest names is read again through `sim.input` for the plan's source, the assumed
inputs and the levers' caps — and only used when its SHA-256 is still the one the manifest records; otherwise the
report says why those parts are missing.

Anything that is not a finished results folder (missing, a file, an interrupted run, no manifest, a listed
file missing, a table without its columns) raises ScenarioError naming the file and what was expected.
"""

from __future__ import annotations

import csv
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import Problem, ScenarioError, ZonesimError
from sim.input.scenario import Scenario
from sim.measure.indicators import ALL_INDICATORS
from sim.measure.stats import newcombe_difference, wilson
from sim.runner.resultdir import MANIFEST, read_manifest, staging_of

__all__ = ["FOLDER_KINDS", "REQUIRED", "Assumption", "Chart", "PlanInfo", "ResultsFolder", "delta_of", "p_hit_of",
           "read_folder", "read_folders"]

#: The kinds of results folder a report is made from, and what each must hold (besides manifest.json).
FOLDER_KINDS = {"run": "zonesim run", "compare": "zonesim compare", "backtest": "zonesim hindcast"}

#: The tables each kind must have, with the columns a report reads from them.
REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "run": {"summary.csv": ("target_id", "name", "name_en", "year", "month", "indicator", "kind", "comparison",
                            "threshold", "median", "p05", "p95", "p_hit", "p_hit_low", "p_hit_high", "runs",
                            "status", "reason", "backtest", "caution")},
    "compare": {"compare.csv": ("variant", "target_id", "p_hit", "p_hit_low", "p_hit_high", "delta", "delta_low",
                                "delta_high", "cost_mean_wan", "cost_p05_wan", "cost_p95_wan", "variant_name",
                                "target_name", "target_name_en"),
                "cost_effectiveness.csv": ("variant", "target_id", "delta_points", "delta_cost_mean_wan",
                                           "cost_per_point_wan"),
                "lever_costs.csv": ("variant", "lever", "kind", "year", "budget_per_year_wan", "cost_mean_wan",
                                    "cost_p05_wan", "cost_p95_wan", "cost_max_wan")},
    "backtest": {"scores.csv": ("series", "indicator", "scope", "year", "observed", "median", "p05", "p95", "pit",
                                "in90"),
                 "backtest_summary.csv": ()},
}

#: Largest SVG chart embedded in a report (a fan chart is ~20 kB; anything far larger is not one of ours).
MAX_CHART_BYTES = 2_000_000

EXPECTED = "a finished results folder of zonesim run, compare or hindcast (with its manifest.json)"


@dataclass(frozen=True)
class Chart:
    """One SVG chart of the folder: its file name and its bytes (embedded as an image, never run)."""

    name: str
    svg: bytes


@dataclass(frozen=True)
class Assumption:
    """An input marked `assumed: true`: where it is (section, name), its prior (`Prior.describe`), its 5–95%
    range (low = high for a fixed value), the note and the vintage; for the calendar, its values as text."""

    section: str
    name: str
    prior: str
    low: float | None
    high: float | None
    note: str
    vintage: int | None


@dataclass(frozen=True)
class PlanInfo:
    """The plan a scenario is of: names, region, issuing body, date and title of the document (empty if the
    scenario does not say)."""

    name: str
    name_en: str
    region: str
    issued_by: str = ""
    date: str = ""
    title: str = ""
    document: str = ""


@dataclass
class ResultsFolder:
    """A finished results folder read back (see the module's docstring).

    tables: {file name: rows of strings}. bands (run folders): year-end percentiles of each indicator over the
    runs, dicts with indicator, scope, zh, en, unit, year, p05, p25, p50, p75, p95, runs. costs (run folders, from
    indicators.parquet; compare folders, from lever_costs.csv): dicts with variant, lever, year, mean, p05, p95, max,
    cap — money in 万元 (cap None when unknown or unlimited). scenario: the scenario (a comparison's base) when its
    file is found unchanged, else None with `scenario_note` saying why.
    """

    path: Path
    kind: str
    manifest: dict[str, Any]
    tables: dict[str, list[dict[str, str]]]
    charts: list[Chart]
    bands: list[dict[str, Any]] = field(default_factory=list)
    costs: list[dict[str, Any]] = field(default_factory=list)
    scenario: Scenario | None = None
    scenario_note: str = ""
    experiment: Any = None
    plan: PlanInfo | None = None
    assumptions: list[Assumption] = field(default_factory=list)

    @property
    def seed(self) -> Any:
        return self.manifest.get("seed", self.manifest.get("identity", {}).get("seed"))

    @property
    def runs(self) -> Any:
        return self.manifest.get("runs", self.manifest.get("identity", {}).get("runs"))

    @property
    def scenario_sha256(self) -> str:
        return str(self.manifest.get("scenario_sha256") or self.manifest.get("identity", {}).get("scenario_sha256")
                   or "")

    @property
    def input_file(self) -> str:
        """The scenario or experiment file the results are of, as the manifest records it."""
        return str(self.manifest.get("experiment") or self.manifest.get("scenario") or "")

    def command(self) -> str:
        """The command that gives the same numbers again (same zonesim version and input file)."""
        ident = self.manifest.get("identity", {})
        q = shlex.quote
        out = f"--out {q(str(self.path))}"
        if self.kind == "compare":
            return f"zonesim compare {q(self.input_file)} --runs {self.runs} --seed {self.seed} {out}"
        if self.kind == "backtest":
            return f"zonesim hindcast {q(self.input_file)} --runs {self.runs} --seed {self.seed} {out}"
        if ident.get("kind") == "replay" and isinstance(ident.get("runs"), list):
            runs = " ".join(f"--run {k}" for k in ident["runs"])
            return f"zonesim replay {q(self.input_file)} --seed {self.seed} {runs} {out}"
        runs = ident.get("runs")
        fixed = f" --runs {runs}" if isinstance(runs, int) else ""
        return f"zonesim run {q(self.input_file)} --seed {self.seed}{fixed} {out}"


def _float(text: str | None) -> float:
    """A number of a table cell (NaN when empty or not a number)."""
    try:
        return float(text) if text not in (None, "") else float("nan")
    except ValueError:
        return float("nan")


def p_hit_of(row: dict[str, str]) -> tuple[float, float, float]:
    """P(hit) and its 95% Wilson interval of a table row, as the terminal printed them: recomputed from the row's
    `hits` and `runs` when it has both (the table's 4-decimal values would round differently, 0.00553 → 0.0055),
    else the table's own `p_hit`, `p_hit_low` and `p_hit_high` (NaN when empty)."""
    hits, runs = _float(row.get("hits")), _float(row.get("runs"))
    if np.isfinite(hits) and np.isfinite(runs) and runs > 0 and hits.is_integer() and 0 <= hits <= runs:
        lo, hi = wilson(int(hits), int(runs))
        return hits / runs, float(lo), float(hi)
    return _float(row.get("p_hit")), _float(row.get("p_hit_low")), _float(row.get("p_hit_high"))


def delta_of(row: dict[str, str], base: dict[str, str] | None) -> tuple[float, float, float]:
    """The paired difference P(variant) − P(base) of a compare.csv row and its 95% Newcombe interval, as the
    terminal printed them: recomputed from the row's hits, runs, gained and lost and the base row's hits when the
    table has them (a comparison made before they were written has not), else the table's own delta columns."""
    n, k_x, gained, lost = (_float(row.get(c)) for c in ("runs", "hits", "gained", "lost"))
    k_y = _float(base.get("hits")) if base is not None else float("nan")
    counts = np.array([n, k_x, gained, lost, k_y])
    if np.all(np.isfinite(counts)) and np.all(counts == np.round(counts)) and n > 0:
        both, neither = k_x - gained, n - k_x - lost
        if both >= 0 and neither >= 0 and both + lost == k_y:
            x = np.repeat([True, True, False, False], np.array([both, gained, lost, neither], dtype=int))
            y = np.repeat([True, False, True, False], np.array([both, gained, lost, neither], dtype=int))
            return newcombe_difference(x, y, paired=True)
    return _float(row.get("delta")), _float(row.get("delta_low")), _float(row.get("delta_high"))


def _problem(path: Path | str, found: str, expected: str = EXPECTED, hint: str = "", key: str = "",
             line: int | None = None) -> ScenarioError:
    return ScenarioError([Problem(str(path), line, None, key, found, expected, hint)])


def _check_folder(path: Path) -> dict[str, Any]:
    """The folder's manifest, or ScenarioError saying why the folder is not a finished results folder."""
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except OSError as exc:
        raise _problem(path, f"cannot be read ({exc.strerror or exc})") from None
    if not exists:
        partial = staging_of(path)
        hint = f"an interrupted run's batches are in {partial}: finish it with --resume" if partial.exists() else ""
        raise _problem(path, "no such folder", hint=hint)
    if not is_dir:
        raise _problem(path, "a file, not a folder")
    manifest = read_manifest(path)
    if manifest is None:
        found = "a folder without manifest.json" if not (path / MANIFEST).exists() else \
            "a manifest.json that is not zonesim's (not JSON, or without its files and version)"
        raise _problem(path / MANIFEST if (path / MANIFEST).exists() else path, found)
    kind = manifest.get("kind")
    if kind not in FOLDER_KINDS:
        raise _problem(path / MANIFEST, f"kind {kind!r}", "a manifest of kind 'run', 'compare' or 'backtest'",
                       key="kind")
    listed = [str(name) for name in manifest["files"]]
    outside = [name for name in listed if Path(name).name != name or name in (".", "..")]
    if outside:
        raise _problem(path / MANIFEST, f"a listed file outside the folder: {outside[0]!r}",
                       "file names of the folder itself, as zonesim lists them", key="files")
    missing = [name for name in REQUIRED[kind] if name not in listed and name != MANIFEST]
    absent = [name for name in listed + missing if not (path / name).is_file()]
    if absent:
        raise _problem(path / absent[0], "missing" if absent[0] in listed else "not listed and missing",
                       f"the file manifest.json lists ({len(absent)} of its files are missing: "
                       f"{', '.join(absent[:5])}); a finished folder has them all", key="files")
    return manifest


def _read_csv(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a zonesim table (UTF-8 with or without a byte-order mark); ScenarioError when it cannot be
    read or lacks a column the report needs."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            lacking = [c for c in columns if c not in header]
            if lacking:
                raise _problem(path, f"a table without the column(s) {', '.join(lacking)}",
                               f"the columns zonesim writes in {path.name}", line=1, key="header")
            return [dict(r) for r in reader]
    except UnicodeDecodeError:
        raise _problem(path, "text that is not UTF-8", f"{path.name} as zonesim writes it (UTF-8)") from None
    except OSError as exc:
        raise _problem(path, f"cannot be read ({exc.strerror or exc})", "a readable file") from None
    except csv.Error as exc:
        raise _problem(path, f"not a CSV table ({exc})", f"{path.name} as zonesim writes it") from None


def _charts(path: Path, manifest: dict[str, Any], order: list[str]) -> list[Chart]:
    """The folder's SVG charts listed in its manifest, those named in `order` (file stems) first, in that order."""
    names = [n for n in manifest["files"] if str(n).endswith(".svg")]
    rank = {stem: i for i, stem in enumerate(order)}
    names.sort(key=lambda n: (rank.get(n[:-4], len(rank)), n))
    charts = []
    for name in names:
        file = path / name
        try:
            if file.stat().st_size > MAX_CHART_BYTES:
                raise _problem(file, f"{file.stat().st_size:,} bytes", f"an SVG chart of at most {MAX_CHART_BYTES:,} "
                               "bytes, as zonesim draws them")
            data = file.read_bytes()
        except OSError as exc:
            raise _problem(file, f"cannot be read ({exc.strerror or exc})", "a readable SVG chart") from None
        if b"<svg" not in data[:4096]:
            raise _problem(file, "a file that is not an SVG image", "an SVG chart as zonesim draws them")
        charts.append(Chart(name, data))
    return charts


def _year_end_bands(path: Path) -> tuple[list[dict[str, Any]], dict[str, np.ndarray], np.ndarray]:
    """Year-end percentiles (5, 25, 50, 75, 95) of every indicator in indicators.parquet, and the lever-cost
    columns at year ends: ({cost column: (runs, years)}, years)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise _problem(path, f"not a readable Parquet table ({type(exc).__name__})",
                       "indicators.parquet as zonesim writes it") from None
    cols = set(table.column_names)
    if not {"run", "year", "month"} <= cols:
        raise _problem(path, "a table without the columns run, year and month",
                       "indicators.parquet as zonesim writes it", key="columns")
    month = table.column("month").to_numpy()
    keep = month == 12
    year = table.column("year").to_numpy()[keep]
    run = table.column("run").to_numpy()[keep]
    years = np.unique(year)
    runs = np.unique(run)
    row_of = np.searchsorted(runs, run)
    col_of = np.searchsorted(years, year)

    def grid(name: str) -> np.ndarray:
        out = np.full((len(runs), len(years)), np.nan)
        out[row_of, col_of] = table.column(name).to_numpy(zero_copy_only=False)[keep].astype(float)
        return out

    bands = []
    for name, ind in ALL_INDICATORS.items():
        for scope, column in (("zones", name), ("region", f"region_{name}")):
            if column not in cols:
                continue
            values = grid(column)
            for j, y in enumerate(years):
                v = values[:, j]
                v = v[np.isfinite(v)]
                if v.size == 0:
                    continue
                p = np.percentile(v, [5, 25, 50, 75, 95])
                bands.append({"indicator": name, "scope": scope, "zh": ind.zh, "en": ind.en, "unit": ind.unit,
                              "year": int(y), "p05": float(p[0]), "p25": float(p[1]), "p50": float(p[2]),
                              "p75": float(p[3]), "p95": float(p[4]), "runs": int(v.size)})
    costs = {c: grid(c) for c in sorted(cols) if c.startswith("cost_")}
    return bands, costs, years


def _run_costs(costs: dict[str, np.ndarray], years: np.ndarray, scenario: Scenario | None) -> list[dict[str, Any]]:
    """Each lever's cost per year (RMB in the Parquet table) in 万元: mean, 5%, 95%, largest; cap from the
    scenario when known."""
    caps = {p.id: p.budget_per_year for p in scenario.policies} if scenario is not None else {}
    out = []
    for column, values in costs.items():
        lever = column[len("cost_"):]
        for j, y in enumerate(years):
            v = values[:, j]
            v = v[np.isfinite(v)]
            if v.size == 0:
                continue
            cap = caps.get(lever)
            out.append({"variant": "", "lever": lever, "year": int(y), "mean": float(v.mean()) / 1e4,
                        "p05": float(np.percentile(v, 5)) / 1e4, "p95": float(np.percentile(v, 95)) / 1e4,
                        "max": float(v.max()) / 1e4, "cap": None if cap is None else float(cap) / 1e4})
    return out


def _number(text: str) -> float | None:
    try:
        return float(text) if text not in ("", None) else None
    except ValueError:
        return None


def _compare_costs(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    return [{"variant": r["variant"], "lever": r["lever"], "year": int(float(r["year"])),
             "mean": _number(r["cost_mean_wan"]), "p05": _number(r["cost_p05_wan"]),
             "p95": _number(r["cost_p95_wan"]), "max": _number(r["cost_max_wan"]),
             "cap": _number(r["budget_per_year_wan"])} for r in rows]


def _load_inputs(folder: ResultsFolder) -> None:
    """The scenario (a comparison's base scenario) of the folder, if its file is found with the SHA-256 the
    manifest records; else `scenario_note` says why not."""
    from sim.input.experiment import load_experiment
    from sim.input.scenario import load_scenario

    file = folder.input_file
    if not file:
        folder.scenario_note = "the manifest names no scenario file"
        return
    found = input_path(file, folder.path)
    if found is None:
        folder.scenario_note = f"{file} is found neither from the current folder nor from the results folder's"
        return
    file = str(found)
    try:
        if folder.kind == "compare":
            exp = load_experiment(file)
            want = folder.manifest.get("identity", {}).get("experiment_sha256")
            if want and exp.sha256 != want:
                folder.scenario_note = f"{file} has changed since the comparison (SHA-256 {exp.sha256[:12]}…, " \
                                       f"the results are of {str(want)[:12]}…)"
                return
            folder.experiment = exp
            scenario = exp.base.scenario
        else:
            scenario = load_scenario(file)
    except ZonesimError:
        folder.scenario_note = f"{file} no longer validates"
        return
    want = folder.scenario_sha256
    if want and scenario.sha256 != want:
        folder.scenario_note = f"{scenario.path} has changed since the run (SHA-256 {scenario.sha256[:12]}…, the " \
                               f"results are of {want[:12]}…)"
        folder.experiment = None
        return
    folder.scenario = scenario
    folder.plan = plan_info(scenario)
    folder.assumptions = assumptions(scenario)


def input_path(file: str, results: Path) -> Path | None:
    """Where the scenario or experiment file a manifest names is now: as written (relative to the current folder),
    else — for a relative name — relative to the results folder's parent folders (a report made from elsewhere
    than the run); None when it is nowhere. Its SHA-256 is checked by the caller."""
    path = Path(file)
    if path.is_file():
        return path
    if path.is_absolute():
        return None
    for parent in results.resolve().parents:
        if (parent / path).is_file():
            return parent / path
    return None


def plan_info(scenario: Scenario) -> PlanInfo:
    """The plan's names and, from the scenario's `source` (a bundled plan's row in plans.csv, or the source's own
    title and date), its issuing body, date and title."""
    from sim.input.sources import bundled_plans

    head = scenario.raw.get("scenario", {}) if isinstance(scenario.raw, dict) else {}
    src = head.get("source") or {}
    info = PlanInfo(scenario.name, scenario.name_en, scenario.region)
    document = str(src.get("document") or "")
    plan = bundled_plans().get(document)
    if plan is not None:
        return PlanInfo(scenario.name, scenario.name_en, scenario.region, plan.issued_by, plan.date, plan.title,
                        document)
    return PlanInfo(info.name, info.name_en, info.region, "", str(src.get("date") or ""),
                    str(src.get("title") or ""), document or str(src.get("url") or ""))


def assumptions(scenario: Scenario) -> list[Assumption]:
    """Every input of the scenario marked `assumed: true` (zones, firms, incubators, institutions, region,
    behavioural parameters, the calendar), with its prior and 5–95% range."""
    out: list[Assumption] = []

    def add(section: str, name: str, prior: Any) -> None:
        if prior is None or not prior.assumed:
            return
        low, high = prior.quantiles(0.05, 0.95)
        out.append(Assumption(section, name, prior.describe(), low, high, prior.note, prior.vintage))

    for z in scenario.zones:
        add("zones", f"{z.id}.firm_weight", z.firm_weight)
        add("zones", f"{z.id}.population", z.population)
    for section, items in (("firms", scenario.firms), ("incubators", scenario.incubators),
                           ("institutions", scenario.institutions), ("region", scenario.region_facts),
                           ("parameters", scenario.parameters)):
        for name, prior in items:
            add(section, name, prior)
    raw = scenario.raw if isinstance(scenario.raw, dict) else {}
    cal = raw.get("calendar") or {}
    if cal.get("assumed") is True:
        values = "; ".join(f"{k}: {v}" for k, v in cal.items() if k not in ("assumed", "note"))
        out.append(Assumption("calendar", "calendar", values, None, None, str(cal.get("note", "")), None))
    return out


def read_folder(path: str | Path) -> ResultsFolder:
    """Read a finished results folder (see the module's docstring). Raises ScenarioError naming the file and
    what was expected when it is not one."""
    path = Path(path)
    manifest = _check_folder(path)
    kind = manifest["kind"]
    tables = {name: _read_csv(path / name, columns) for name, columns in REQUIRED[kind].items()}
    folder = ResultsFolder(path, kind, manifest, tables, [])
    _load_inputs(folder)
    order: list[str] = []
    if kind == "run":
        order = [f"fan_{r['target_id']}" for r in tables["summary.csv"]]
        parquet = path / "indicators.parquet"
        if parquet.is_file():
            folder.bands, costs, years = _year_end_bands(parquet)
            folder.costs = _run_costs(costs, years, folder.scenario)
    elif kind == "compare":
        folder.costs = _compare_costs(tables["lever_costs.csv"])
    folder.charts = _charts(path, manifest, order)
    return folder


def read_folders(paths: list[str | Path]) -> list[ResultsFolder]:
    """Every folder read (`read_folder`); the problems of all of them at once, as one ScenarioError."""
    folders, problems = [], []
    for p in paths:
        try:
            folders.append(read_folder(p))
        except ScenarioError as err:
            problems += err.problems
    if problems:
        raise ScenarioError(problems)
    return folders
