"""What a run leaves on disk: summary.csv, per-run Parquet tables, fan charts and a manifest."""

from __future__ import annotations

import csv
import json
import math
import platform
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.atomic import atomic_write
from sim.input.scenario import Target
from sim.measure.backtest import STRONG
from sim.measure.indicators import ALL_INDICATORS, INDICATORS
from sim.runner.diagnostics import calibration_warnings
from sim.runner.montecarlo import ZONE_INDICATORS, Reduced, Results

#: summary.csv: the columns of the first version, then those added since (new columns go at the end).
SUMMARY_COLUMNS = ("target_id", "name", "year", "indicator", "comparison", "threshold", "median", "p05", "p95",
                   "p_hit", "p_hit_low", "p_hit_high", "runs", "backtest", "caution",
                   "name_en", "month", "kind", "status", "reason", "hits")

#: The tables a planner opens in Excel are written as UTF-8 with a byte-order mark, which Excel needs to read
#: Chinese text as UTF-8 (without it a Chinese Windows reads GBK and garbles the names). Python readers must use
#: `encoding="utf-8-sig"` (pandas: `pd.read_csv(path, encoding="utf-8-sig")`), or the first header reads
#: "\ufefftarget_id".
CSV_ENCODING = "utf-8-sig"


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, (float, np.floating)) and math.isnan(x))


def exact(x: object) -> str:
    """An input number as given (a threshold): a whole number without ".0", else in full; None/NaN empty."""
    if _missing(x):
        return ""
    v = float(x)  # type: ignore[arg-type]
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def prob(x: object, decimals: int = 4) -> str:
    """A probability or a difference of probabilities, rounded to `decimals` (4: a hundredth of a point) — but
    never to 0 or ±1 unless it is exactly that (a P(hit) of 19,999 in 20,000 is not written as certain)."""
    if _missing(x):
        return ""
    x = float(x)  # type: ignore[arg-type]
    v = round(x, decimals)
    while abs(v) in (0.0, 1.0) and v != x and decimals < 17:
        decimals += 1
        v = round(x, decimals)
    if v == 0.0 and x != 0.0:
        v = float(f"{x:.4g}")
    return repr(v + 0.0)  # + 0.0: no "-0.0"


def rounded(x: object, decimals: int = 2) -> str:
    """An amount (money in 万元, points) rounded to `decimals`, with no float noise (-1.000000000000001 → -1.0) and
    no "-0.0"; None/NaN empty."""
    if _missing(x):
        return ""
    return repr(round(float(x), decimals) + 0.0)  # type: ignore[arg-type]


def significant(x: object, count: bool = False, digits: int = 4) -> str:
    """A simulated figure to `digits` significant digits (a count: to the nearest whole number), without an
    exponent below 10^15 and without a trailing ".0"."""
    if _missing(x):
        return ""
    v = float(x)  # type: ignore[arg-type]
    if not math.isfinite(v):
        return repr(v)
    v = float(round(v)) if count else float(f"{v:.{digits}g}")
    v += 0.0
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def _row_cells(r: dict) -> dict[str, object]:
    """The cells a summary row shares with the combined table: thresholds as given, medians and bands to 4
    significant digits (counts whole), probabilities to 4 decimals; not-modelled targets with empty numbers."""
    modelled = r["status"] == "modelled"
    count = bool(r.get("count"))
    return {"target_id": r["target_id"], "name": r["name"], "name_en": r["name_en"], "year": r["year"],
            "month": r["month"], "indicator": r["indicator"], "kind": r["kind"], "comparison": r["comparison"],
            "threshold": exact(r["threshold"]), "median": significant(r["median"], count),
            "p05": significant(r["p05"], count), "p95": significant(r["p95"], count), "p_hit": prob(r["p_hit"]),
            "p_hit_low": prob(r["p_hit_low"]), "p_hit_high": prob(r["p_hit_high"]),
            "hits": r["hits"] if modelled and not _missing(r["p_hit"]) else "", "runs": r["runs"],
            "status": r["status"], "reason": " ".join(str(r.get("reason") or "").split()),
            "backtest": r.get("backtest", ""), "caution": r.get("caution", "")}


def write_summary_csv(rows: list[dict], path: Path) -> None:
    """summary.csv (`SUMMARY_COLUMNS`), UTF-8 with a byte-order mark (`CSV_ENCODING`), rounded as
    `_row_cells` says, so that identical runs give identical bytes."""
    with open(path, "w", encoding=CSV_ENCODING, newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=SUMMARY_COLUMNS, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(_row_cells(r))


def indicators_table(results: Results) -> pa.Table:
    """One row per run × snapshot: every indicator over the official zones, `region_*` over the whole
    region, and each lever's fiscal cost in the year ending at that snapshot (RMB)."""
    times = results.times
    runs = results.run_index
    R, S = len(runs), len(times)
    cols: dict[str, np.ndarray] = {
        "run": np.repeat(runs, S),
        "year": np.tile([y for y, _, _ in times], R),
        "month": np.tile([mo for _, mo, _ in times], R),
    }
    for name in ALL_INDICATORS:
        cols[name] = results.indicator(name).ravel()
        if name in INDICATORS:
            cols[f"region_{name}"] = results.indicator(f"region_{name}").ravel()
    costs = results.lever_costs  # (R, Y, L)
    for li, policy in enumerate(results.scenario.policies):
        per_snap = np.full((R, S), np.nan)
        for si, (y, mo, _) in enumerate(times):
            yi = y - results.scenario.base_year - 1
            if mo == 12 and 0 <= yi < costs.shape[1]:
                per_snap[:, si] = costs[:, yi, li]
        cols[f"cost_{policy.id}"] = per_snap.ravel()
    return pa.table(cols)


class ZoneParquetSink:
    """Streams each batch's per-zone values to zones.parquet as it finishes, so they never pile up in memory."""

    def __init__(self, results_times: list[tuple[int, int, int]], zone_ids: list[str], path: Path) -> None:
        self.times = results_times
        self.zone_ids = zone_ids
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def __call__(self, part: Reduced) -> None:
        B, S, Z = part.zone_levels.shape
        cols: dict[str, object] = {
            "run": np.repeat(part.runs, S * Z),
            "year": np.tile(np.repeat([y for y, _, _ in self.times], Z), B),
            "month": np.tile(np.repeat([mo for _, mo, _ in self.times], Z), B),
            "zone": np.tile(np.array(self.zone_ids, dtype=object), B * S),
            "zone_level": part.zone_levels.ravel().astype(np.int8),
        }
        for i, name in enumerate(ZONE_INDICATORS):
            cols[name] = part.zone_values[..., i].ravel()
        table = pa.table(cols)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table)
        part.zone_values = None  # written: free it

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def fan_charts(results: Results, out: Path) -> list[Path]:
    """A fan chart per modelled target (`sim.report.plots.target_fan_charts`): from the base year to the target's
    date, with the target marked, the plan's name and P(hit) with its 95% interval on the chart."""
    from sim.report.plots import target_fan_charts  # matplotlib only when charts are drawn

    return target_fan_charts(results, out)


def target_unit(t: Target) -> str:
    """The unit of a target's series (the fan chart's axis), for every target kind."""
    ind = ALL_INDICATORS[t.indicator]
    return {"level": ind.unit, "multiple": "倍", "growth": "增长率", "share": "比例", "per_10k": "件/万人",
            "per_zone": ind.unit, "zones_meeting": "家（园区）", "added": f"新增（{ind.unit}）",
            "districts_covered": "个市（区）"}[t.kind]


def manifest(results: Results, files: list[str], identity: dict | None = None) -> dict:
    """manifest.json's content: what the results are of (identity, scenario, SHA-256, seed, runs), how they were
    made (versions, workers, time), diagnostics, the warnings — the scenario's own (those `zonesim validate` and
    `run` print) and the calibration's (`calibration_warnings`), read back by reports — and the files."""
    from sim.version import __version__

    sc = results.scenario
    diag = {}
    for name in ("calibration_gap", "hte_apply_year", "capacity_overflow", "rd_size_gamma", "base_rd_to_gdp",
                 "capability_shift", "capability_shift_outside", "rd_to_gdp_target", "tenant_gap"):
        try:
            v = results.diagnostic(name)
        except KeyError:  # batches resumed from a checkpoint written before the diagnostic existed
            continue
        diag[name] = {"median": float(np.median(v)), "p05": float(np.percentile(v, 5)),
                      "p95": float(np.percentile(v, 95))}
    return {
        "kind": "run", "identity": identity or {},
        "scenario": sc.path, "scenario_id": sc.id, "scenario_sha256": sc.sha256, "seed": results.seed,
        "runs": results.runs, "workers": results.workers, "batch_size": results.batch_size,
        "stopping_rule": results.stopped_at or "fixed number of runs",
        "zonesim_version": __version__, "python": platform.python_version(), "numpy": np.__version__,
        "wall_seconds": round(results.wall_seconds, 3), "firm_months": results.firm_months,
        "firm_months_per_second": round(results.firm_months / max(results.wall_seconds, 1e-9)),
        "diagnostics": diag, "warnings": results.warnings(),
        "files": files,
    }


def write_manifest(data: dict, out: Path) -> Path:
    """manifest.json, written whole or not at all (it is what marks a folder as zonesim's)."""
    path = out / "manifest.json"
    atomic_write(path, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))
    return path


def write_results(results: Results, out_dir: str | Path, plots: bool = True,
                  zone_sink: ZoneParquetSink | None = None, identity: dict | None = None,
                  plot_failures: list[str] | None = None) -> dict[str, str]:
    """Write a run's files into `out_dir`: the tables and the manifest first, then the fan charts, so that a
    chart that cannot be drawn loses no computed result (its failure is appended to `plot_failures`, or
    raised when that list is not given). Returns {label: path}. Raises OutputError when a file cannot be
    written."""
    from sim.errors import OutputError

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = {"summary": str(out / "summary.csv"), "indicators": str(out / "indicators.parquet")}
        write_summary_csv(results.summary(), out / "summary.csv")
        pq.write_table(indicators_table(results), out / "indicators.parquet")
        if zone_sink is not None:
            zone_sink.close()
            files["zones"] = str(zone_sink.path)
        elif results.parts and results.parts[0].zone_values is not None:
            sink = ZoneParquetSink(results.times, [z.id for z in results.scenario.zones], out / "zones.parquet")
            for part in results.parts:
                sink(part)
            sink.close()
            files["zones"] = str(sink.path)
    except OSError as exc:
        raise OutputError.single(str(out), f"cannot write the results ({exc.strerror or exc})", key="output",
                                 expected="a writable folder with free space") from None

    def names() -> list[str]:
        return sorted(Path(v).name for v in files.values() if Path(v).name != "manifest.json")

    files["manifest"] = str(write_manifest(manifest(results, names(), identity), out))
    if plots:
        try:
            charts = fan_charts(results, out)
        except Exception as exc:  # a bug in drawing: the tables above are complete and kept
            if plot_failures is None:
                raise
            plot_failures.append(f"fan charts: {type(exc).__name__}: {exc}")
            charts = []
        for i, f in enumerate(charts):
            files[f"plot_{i}"] = str(f)
        write_manifest(manifest(results, names(), identity), out)
    return files


# --- the terminal tables -------------------------------------------------------------------------------------

#: Every line zonesim prints in a table fits this many display columns (a Chinese character takes two).
TERMINAL_WIDTH = 120


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, right: bool = False) -> str:
    if display_width(text) > width:
        while text and display_width(text + "…") > width:
            text = text[:-1]
        text += "…"
    space = " " * (width - display_width(text))
    return space + text if right else text + space


#: Where `wrap` may break a word that does not fit: after these characters (ids are snake_case).
_BREAK_AFTER = "_-/·,;:)）、，。"


def wrap(text: str, width: int) -> list[str]:
    """`text` on lines of at most `width` display columns, cut nowhere: broken at spaces, else after `_`, `-`,
    `/` and punctuation, else between any two characters (Chinese text needs no spaces). A newline starts a
    new line; other runs of white space become one space. Always at least one line."""
    if "\n" in str(text):
        return [line for part in str(text).split("\n") for line in wrap(part, width)]
    text = " ".join(str(text).split())
    lines: list[str] = []
    while display_width(text) > width:
        fit, used = 0, 0
        for c in text:
            used += display_width(c)
            if used > width:
                break
            fit += 1
        fit = max(fit, 1)
        space = text.rfind(" ", 0, fit + 1)
        if space > 0:
            lines.append(text[:space])
            text = text[space + 1:]
            continue
        soft = max(text.rfind(c, 0, fit) for c in _BREAK_AFTER)
        cut = soft + 1 if soft >= 0 else fit
        lines.append(text[:cut])
        text = text[cut:]
    lines.append(text)
    return lines


def paragraph(text: str, width: int = TERMINAL_WIDTH, indent: str = "") -> list[str]:
    """A note under a table, wrapped to `width`; continuation lines indented by `indent` (and its own indent)."""
    lead = text[:len(text) - len(text.lstrip(" "))]
    lines = wrap(text, width - len(lead))
    first, rest = lines[0], lines[1:]
    if rest:
        rest = wrap(" ".join(rest), width - len(lead) - len(indent))
    return [lead + first] + [lead + indent + line for line in rest]


@dataclass(frozen=True)
class Span:
    """A cell over `columns` neighbouring columns of a `render_table` row (e.g. a reason where numbers would be)."""

    text: str
    columns: int


def render_table(columns: list[tuple[str, int, bool]], rows: list[list[object]], gap: str = "  ") -> list[str]:
    """A fixed-width table: `columns` are (header, width, right-aligned); each row a list of cells (text, or a
    `Span`). A cell longer than its width is wrapped onto further lines of the same row (`wrap`), never cut, so
    every line is as wide as the columns and the gaps at most. A row of None is a rule (dashes)."""

    def lines_of(cells: list[object]) -> list[str]:
        placed: list[tuple[list[str], int, bool]] = []
        i = 0
        for cell in cells:
            n = cell.columns if isinstance(cell, Span) else 1
            width = sum(w for _, w, _ in columns[i:i + n]) + len(gap) * (n - 1)
            text = cell.text if isinstance(cell, Span) else str(cell)
            placed.append((wrap(text, width), width, columns[i][2] and n == 1))
            i += n
        height = max(len(p[0]) for p in placed)
        return [gap.join(pad(p[0][k] if k < len(p[0]) else "", p[1], p[2]) for p in placed).rstrip()
                for k in range(height)]

    rule = gap.join("-" * w for _, w, _ in columns)
    out = lines_of([h for h, _, _ in columns]) + [rule]
    for row in rows:
        out += [rule] if row is None else lines_of(row)
    return out


def number(x: float, count: bool = False) -> str:
    """A simulated figure for the terminal: a count whole (1,234); else 3 decimals below 1, 1 decimal below 100,
    whole above; — for a value that could not be computed."""
    if x is None or not np.isfinite(x):
        return "—"
    if count:
        return f"{x:,.0f}"
    if abs(x) < 1 and x != 0:
        return f"{x:.3f}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"


def threshold_text(x: float) -> str:
    """A plan's threshold as written: whole numbers without decimals, others with the decimals they have."""
    if x is None or not np.isfinite(x):
        return ""
    for decimals in range(7):
        if abs(round(x, decimals) - x) <= 1e-9 * max(1.0, abs(x)):
            return f"{x:,.{decimals}f}"
    return f"{x:,.6g}"


def interval(p: float, low: float, high: float, mark: str = "") -> str:
    """`61.0% [54.1%, 67.5%]`."""
    return f"{p:.1%} [{low:.1%}, {high:.1%}]{mark}"


#: The run table's columns (header, width, right-aligned): 120 display columns with the gaps.
RUN_COLUMNS = [("target", 18, False), ("目标 · target", 26, False), ("year", 7, True), ("threshold", 12, True),
               ("median [5%, 95%]", 24, True), ("P(hit) [95% CI]", 23, True)]


def format_table(results: Results) -> str:
    """The summary as a fixed-width table within `TERMINAL_WIDTH` columns: long ids and names wrap onto further
    lines of their row, counts print whole, a not-modelled target gives its reason where its numbers would be."""
    rows: list[list[object] | None] = []
    summary = results.summary()
    for row in summary:
        if row["target_id"] == "ALL":
            rows.append(None)
        when = f"{row['year']}" + (f"-{row['month']:02d}" if row["month"] != 12 else "")
        name = f"{row['name']} · {row['name_en']}"
        if display_width(name) > RUN_COLUMNS[1][1]:  # too long for one line: the English name on lines of its own
            name = f"{row['name']}\n{row['name_en']}"
        joint = row["kind"] == "joint"
        if row["status"] != "modelled":
            rows.append([row["target_id"], name, when, "",
                         Span(f"not modelled: {row['reason'] or 'no reason given'}", 2)])
            continue
        count = bool(row.get("count"))
        band = "" if joint else (f"{number(row['median'], count)} [{number(row['p05'], count)}, "
                                 f"{number(row['p95'], count)}]")
        phit = "—" if not np.isfinite(row["p_hit"]) else \
            interval(row["p_hit"], row["p_hit_low"], row["p_hit_high"], "†" if row.get("caution") else "")
        thr = "" if joint else f"{row['comparison']} {threshold_text(row['threshold'])}"
        rows.append([row["target_id"], name, when, thr, band, phit])
    lines = render_table(RUN_COLUMNS, rows)
    sc = results.scenario
    for w in calibration_warnings(results):
        lines += paragraph(f"warning: {w}", indent="  ")
    lines.append("")
    lines += paragraph(f"{sc.name} — {results.runs:,} runs, seed {results.seed}, {results.workers} worker(s), "
                       f"{results.wall_seconds:.1f} s.")
    why = results.stopping_line()
    lines += paragraph(why[:1].upper() + why[1:] + ".")
    lines += paragraph("P(hit): share of runs that hit the target; interval: 95% Wilson. ALL: every modelled target "
                       "hit in the same run. Counts (家, 个, 件) print as whole numbers, shares as fractions.")
    flagged = [r for r in summary if r.get("caution")]
    if flagged:
        lines += paragraph(f"† stronger than the back-tests support (a P below {STRONG:.0%} or above "
                           f"{1 - STRONG:.0%} on an indicator never back-tested or with back-tested values outside "
                           "their 90% band; docs/backtest.md):")
        for r in flagged:
            lines += paragraph(f"  {r['target_id']}: {r['caution']}", indent="  ")
    return "\n".join(lines)


# --- several scenarios in one table ---------------------------------------------------------------------------

COMBINED_COLUMNS = ("scenario_id", "target_id", "name", "name_en", "year", "month", "indicator", "kind", "comparison",
                    "threshold", "median", "p05", "p95", "p_hit", "p_hit_low", "p_hit_high", "hits", "runs", "seed",
                    "status", "reason", "scenario_file")


def combined_table(results_list: list[Results]) -> list[dict]:
    """One row per (scenario, target), every scenario's `ALL` row included, in the order given: each
    scenario's `summary()` rows with its id, file, region, seed and each target's not-modelled reason added."""
    rows: list[dict] = []
    for results in results_list:
        sc = results.scenario
        for row in results.summary():
            rows.append({**row, "scenario_id": sc.id, "scenario_file": sc.path, "region": sc.region,
                         "seed": results.seed})
    return rows


def combined_path(out_dir: str | Path, seed: int) -> Path:
    """Where `zonesim run` puts the combined table of several scenarios: `<out>/combined-<seed>.csv`."""
    return Path(out_dir) / f"combined-{seed}.csv"


def write_combined_csv(rows: list[dict], path: str | Path) -> Path:
    """The combined table (`COMBINED_COLUMNS`), UTF-8 with a byte-order mark, numbers rounded as in summary.csv,
    not-modelled targets with empty numbers and their reason."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=CSV_ENCODING, newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COMBINED_COLUMNS, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**_row_cells(r), "scenario_id": r["scenario_id"], "seed": r["seed"],
                        "scenario_file": r["scenario_file"]})
    return path


def _extreme(rows: list[dict], pick: str) -> str:
    """`target 12.3%`, with how many other targets share that probability."""
    if not rows:
        return "—"
    p = (min if pick == "min" else max)(r["p_hit"] for r in rows)
    at = [r for r in rows if r["p_hit"] == p]
    more = f" (+{len(at) - 1} more)" if len(at) > 1 else ""
    return f"{at[0]['target_id']} {p:.1%}{more}"


#: The combined table's columns: 119 display columns with the gaps.
COMBINED_TERMINAL_COLUMNS = [("scenario", 16, False), ("region", 14, False), ("modelled", 8, True),
                             ("runs", 6, True), ("P(all) [95% CI]", 22, True),
                             ("lowest and highest P(hit)", 43, False)]


def format_combined(rows: list[dict]) -> str:
    """A compact table of several scenarios from `combined_table` rows, within `TERMINAL_WIDTH` columns: one
    row a scenario with its modelled targets (of all), runs, P(all modelled targets) with its 95% interval,
    and the modelled targets with the lowest and the highest P(hit) (one line each)."""
    by_scenario: dict[str, list[dict]] = {}
    for row in rows:
        by_scenario.setdefault(row["scenario_id"], []).append(row)
    table: list[list[object] | None] = []
    for sid, group in by_scenario.items():
        targets = [r for r in group if r["target_id"] != "ALL"]
        modelled = [r for r in targets if r["status"] == "modelled"]
        joint = next((r for r in group if r["target_id"] == "ALL"), None)
        p_all = (interval(joint["p_hit"], joint["p_hit_low"], joint["p_hit_high"])
                 if joint is not None and np.isfinite(joint["p_hit"]) else "—")
        region = group[0].get("region", "")
        low, high = _extreme(modelled, "min"), _extreme(modelled, "max")
        table.append([sid, region, f"{len(modelled)} of {len(targets)}", f"{group[0]['runs']:,}", p_all,
                      f"lowest: {low}\nhighest: {high}"])
    lines = render_table(COMBINED_TERMINAL_COLUMNS, table)
    lines.append("")
    lines += paragraph("P(all): every modelled target of the scenario hit in the same run; intervals: 95% Wilson. "
                       "(+n more): n other targets share that probability.")
    return "\n".join(lines)
