"""What a run leaves on disk: summary.csv, per-run Parquet tables, fan charts and a manifest."""

from __future__ import annotations

import csv
import json
import math
import platform
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.atomic import atomic_write
from sim.input.scenario import Target
from sim.measure.backtest import STRONG
from sim.measure.indicators import ALL_INDICATORS, INDICATORS
from sim.run.montecarlo import ZONE_INDICATORS, Reduced, Results

SUMMARY_COLUMNS = ("target_id", "name", "year", "indicator", "comparison", "threshold", "median", "p05", "p95",
                   "p_hit", "p_hit_low", "p_hit_high", "runs", "backtest", "caution")


def _num(x: object) -> str:
    """Numbers in full precision (so identical runs give identical bytes); NaN as an empty cell."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return repr(float(x))


def write_summary_csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(SUMMARY_COLUMNS)
        for r in rows:
            w.writerow([r["target_id"], r["name"], r["year"], r["indicator"], r["comparison"], _num(r["threshold"]),
                        _num(r["median"]), _num(r["p05"]), _num(r["p95"]), _num(r["p_hit"]), _num(r["p_hit_low"]),
                        _num(r["p_hit_high"]), r["runs"], r.get("backtest", ""), r.get("caution", "")])


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
    from sim.version import __version__

    sc = results.scenario
    diag = {}
    for name in ("calibration_gap", "hte_apply_year", "capacity_overflow", "rd_size_gamma", "base_rd_to_gdp",
                 "capability_shift", "rd_to_gdp_target"):
        v = results.diagnostic(name)
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
        "diagnostics": diag, "files": files,
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


# --- the terminal table ---------------------------------------------------------------------------------------

def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, right: bool = False) -> str:
    if display_width(text) > width:
        while text and display_width(text + "…") > width:
            text = text[:-1]
        text += "…"
    space = " " * (width - display_width(text))
    return space + text if right else text + space


def _fmt(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    if abs(x) < 1 and x != 0:
        return f"{x:.3f}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"


def calibration_warnings(results: Results) -> list[str]:
    """Say when the synthetic population could not reproduce the scenario's base-year facts in many runs:
    the probabilities are then conditional on a base year that differs from the one the scenario states."""
    out = []
    gap = results.diagnostic("calibration_gap")
    if np.mean(gap > 0.5) > 0.25:
        out.append(f"in {np.mean(gap > 0.5):.0%} of runs the population could not supply the base year's HTE "
                   f"certifications (median shortfall {np.median(gap[gap > 0.5]):.0f}); HTE growth is understated "
                   "there (manifest: calibration_gap)")
    got, want = results.diagnostic("base_rd_to_gdp"), results.diagnostic("rd_to_gdp_target")
    off = np.abs(got / np.maximum(want, 1e-12) - 1) > 0.1
    if np.mean(off) > 0.25:
        out.append(f"in {np.mean(off):.0%} of runs the base-year R&D/GDP could not be matched (median "
                   f"{np.median(got):.2%} vs the scenario's {np.median(want):.2%}): R&D intensity falls with "
                   "firm size at most as (S/10M)^-0.5 (manifest: base_rd_to_gdp)")
    return out


def format_table(results: Results) -> str:
    """The summary as a fixed-width table (Chinese names take two columns per character)."""
    cols = [("target", 14, False), ("目标", 24, False), ("target (English)", 34, False), ("year", 7, True),
            ("threshold", 12, True), ("median [5%, 95%]", 28, True), ("P(hit) [95% CI]", 22, True)]
    lines = ["  ".join(pad(h, w, r) for h, w, r in cols)]
    lines.append("  ".join("-" * w for _, w, _ in cols))
    for row in results.summary():
        if row["target_id"] == "ALL":
            lines.append("  ".join("-" * w for _, w, _ in cols))
        if row["status"] != "modelled":
            band, phit = "not modelled", "—"
        else:
            band = f"{_fmt(row['median'])} [{_fmt(row['p05'])}, {_fmt(row['p95'])}]" if row["kind"] != "joint" else ""
            phit = f"{row['p_hit']:.1%} [{row['p_hit_low']:.1%}, {row['p_hit_high']:.1%}]" \
                + ("†" if row.get("caution") else "")
        when = f"{row['year']}" + (f"-{row['month']:02d}" if row["month"] != 12 else "")
        thr = f"{row['comparison']} {_fmt(row['threshold'])}" if row["kind"] != "joint" else ""
        cells = [row["target_id"], row["name"], row["name_en"], when, thr, band, phit]
        lines.append("  ".join(pad(str(c), w, r) for c, (_, w, r) in zip(cells, cols, strict=True)))
    sc = results.scenario
    lines += [f"warning: {w}" for w in calibration_warnings(results)]
    lines.append("")
    lines.append(f"{sc.name} — {results.runs} runs, seed {results.seed}, {results.workers} worker(s), "
                 f"{results.wall_seconds:.1f} s ({results.stopped_at or 'fixed number of runs'}).")
    lines.append("P(hit): share of runs that hit the target; interval: 95% Wilson. ALL: every modelled target hit "
                 "in the same run.")
    flagged = [r for r in results.summary() if r.get("caution")]
    if flagged:
        lines.append(f"† stronger than the back-tests support (a P below {STRONG:.0%} or above {1 - STRONG:.0%} on "
                     "an indicator never back-tested or with back-tested values outside their 90% band; "
                     "docs/backtest.md):")
        lines += [f"  {r['target_id']}: {r['caution']}" for r in flagged]
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
        reasons = {t.id: t.reason for t in sc.targets}
        for row in results.summary():
            rows.append({**row, "scenario_id": sc.id, "scenario_file": sc.path, "region": sc.region,
                         "seed": results.seed, "reason": reasons.get(row["target_id"], "")})
    return rows


def combined_path(out_dir: str | Path, seed: int) -> Path:
    """Where `zonesim run` puts the combined table of several scenarios: `<out>/combined-<seed>.csv`."""
    return Path(out_dir) / f"combined-{seed}.csv"


def write_combined_csv(rows: list[dict], path: str | Path) -> Path:
    """The combined table as UTF-8 CSV (`COMBINED_COLUMNS`); numbers in full precision, NaN as an empty cell,
    not-modelled targets with empty numbers and their reason."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COMBINED_COLUMNS)
        for r in rows:
            modelled = r["status"] == "modelled"
            w.writerow([r["scenario_id"], r["target_id"], r["name"], r["name_en"], r["year"], r["month"],
                        r["indicator"], r["kind"], r["comparison"], _num(r["threshold"]), _num(r["median"]),
                        _num(r["p05"]), _num(r["p95"]), _num(r["p_hit"]), _num(r["p_hit_low"]),
                        _num(r["p_hit_high"]), r["hits"] if modelled else "", r["runs"], r["seed"], r["status"],
                        " ".join(str(r.get("reason", "")).split()), r["scenario_file"]])
    return path


def _extreme(rows: list[dict], pick: str) -> str:
    """`target 12.3%`, with how many other targets share that probability."""
    if not rows:
        return "—"
    p = (min if pick == "min" else max)(r["p_hit"] for r in rows)
    at = [r for r in rows if r["p_hit"] == p]
    more = f" (+{len(at) - 1} more)" if len(at) > 1 else ""
    return f"{at[0]['target_id']} {p:.1%}{more}"


def format_combined(rows: list[dict]) -> str:
    """A compact table of several scenarios from `combined_table` rows: one line a scenario with its target
    count, modelled targets, runs, P(all modelled targets) with its 95% interval, and the modelled targets
    with the lowest and the highest P(hit)."""
    cols = [("scenario", 16, False), ("region", 14, False), ("targets", 7, True), ("modelled", 8, True),
            ("runs", 6, True), ("P(all) [95% CI]", 22, True), ("lowest P(hit)", 42, False),
            ("highest P(hit)", 42, False)]
    lines = ["  ".join(pad(h, w, r) for h, w, r in cols).rstrip(), "  ".join("-" * w for _, w, _ in cols)]
    by_scenario: dict[str, list[dict]] = {}
    for row in rows:
        by_scenario.setdefault(row["scenario_id"], []).append(row)
    for sid, group in by_scenario.items():
        targets = [r for r in group if r["target_id"] != "ALL"]
        modelled = [r for r in targets if r["status"] == "modelled"]
        joint = next((r for r in group if r["target_id"] == "ALL"), None)
        p_all = (f"{joint['p_hit']:.1%} [{joint['p_hit_low']:.1%}, {joint['p_hit_high']:.1%}]"
                 if joint is not None else "—")
        region = group[0].get("region", "")
        cells = [sid, region, len(targets), len(modelled), group[0]["runs"], p_all, _extreme(modelled, "min"),
                 _extreme(modelled, "max")]
        lines.append("  ".join(pad(str(c), w, r) for c, (_, w, r) in zip(cells, cols, strict=True)).rstrip())
    lines.append("")
    lines.append("P(all): every modelled target of the scenario hit in the same run; intervals: 95% Wilson. "
                 "(+n more): n other targets share that probability.")
    return "\n".join(lines)
