"""What a comparison (`zonesim compare`) leaves on disk and prints: compare.csv, cost_effectiveness.csv,
lever_costs.csv, manifest.json and the comparison plots; and the terminal table.

The statistics (paired differences, costs, cost-effectiveness, best per yuan) are `sim.runner.compare`'s; this
module only writes them down and lays them out.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sim.report.files import (
    CSV_ENCODING,
    Span,
    interval,
    paragraph,
    prob,
    render_table,
    rounded,
    significant,
    threshold_text,
    write_manifest,
)
from sim.runner.compare import Comparison, wan_text
from sim.version import __version__

__all__ = ["COMPARE_COLUMNS", "EFFECT_COLUMNS", "LEVER_COST_COLUMNS", "format_comparison", "write_comparison"]

#: compare.csv: `Comparison.rows`, one row per variant × target (and ALL); money in 万元 (10,000 RMB). The counts
#: at the end (hits, runs, and the runs the variant gains or loses against the base) give P(hit) and the paired Δ
#: with their intervals exactly as the terminal printed them (`sim.report.folders.p_hit_of`, `delta_of`).
COMPARE_COLUMNS = ("variant", "target_id", "p_hit", "p_hit_low", "p_hit_high", "delta", "delta_low", "delta_high",
                   "cost_mean_wan", "cost_p05_wan", "cost_p95_wan", "variant_name", "target_name", "target_name_en",
                   "hits", "runs", "gained", "lost")
#: lever_costs.csv: `Comparison.lever_cost_rows`, one row per variant × lever × year; money in 万元.
LEVER_COST_COLUMNS = ("variant", "lever", "kind", "year", "budget_per_year_wan", "cost_mean_wan", "cost_p05_wan",
                      "cost_p95_wan", "cost_max_wan")
#: cost_effectiveness.csv: `Comparison.effect_rows`, one row per variant (not the base) × target; money in 万元.
#: cost_per_point_wan: the mean extra cost over the base per +1 point of P(hit); negative when the variant is cheaper
#: than the base and raises P(hit). Empty when the variant does not raise P(hit) (delta_points ≤ 0): a cost per
#: point of a loss, or of money saved by losing probability, is no cost-effectiveness figure. cost_per_unit_wan: the
#: same per additional unit of the indicator, empty unless delta_indicator > 0.
EFFECT_COLUMNS = ("variant", "target_id", "delta_points", "delta_cost_mean_wan", "cost_per_point_wan",
                  "indicator", "delta_indicator", "cost_per_unit_wan")

#: A column ending in `_wan` is the comparison's RMB figure of the same name without the suffix, in 万元.
WAN = "_wan"


def _cells(row: dict, columns: tuple[str, ...]) -> dict[str, object]:
    """One CSV row: money in 万元 to 2 decimals (100 RMB), probabilities and their differences to 4 decimals,
    points to 2 decimals (`rounded`: no float noise), the indicator's change to 4 significant digits; NaN and None
    as empty cells."""
    out: dict[str, object] = {}
    for col in columns:
        if col.endswith(WAN):
            value = row[col[:-len(WAN)]]
            out[col] = "" if value is None else rounded(value / 1e4, 2)
        elif col in ("p_hit", "p_hit_low", "p_hit_high", "delta", "delta_low", "delta_high"):
            out[col] = prob(row[col])
        elif col == "delta_points":
            out[col] = rounded(row[col], 2)
        elif col == "delta_indicator":
            out[col] = significant(row[col])
        else:
            out[col] = row[col]
    return out


def write_comparison(comparison: Comparison, out_dir: str | Path, plots: bool = True, identity: dict | None = None,
                     plot_failures: list[str] | None = None) -> list[Path]:
    """Write a comparison into `out_dir` (created): compare.csv, cost_effectiveness.csv, lever_costs.csv (UTF-8
    with a byte-order mark, for Excel; money in 万元) and manifest.json first, then (with `plots`) the plots of
    `sim.report.compare_plots` and the manifest again, so that a plot that cannot be drawn loses no computed
    result: its failure goes to `plot_failures`, or is raised when that list is not given. `identity` is
    recorded in the manifest. Returns the files written, the manifest last. Raises OSError when a table cannot
    be written, OutputError when the manifest cannot."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = {v.id: v.name for v in comparison.experiment.variants}
    targets = {t.id: t for t in comparison.experiment.base.scenario.targets}
    compare_rows = [{**r, "variant_name": names[r["variant"]],
                     "target_name": targets[r["target_id"]].name if r["target_id"] in targets else ALL_NAME[0],
                     "target_name_en": targets[r["target_id"]].name_en if r["target_id"] in targets else ALL_NAME[1]}
                    for r in comparison.rows()]
    files = [_write_csv(out / "compare.csv", COMPARE_COLUMNS, compare_rows),
             _write_csv(out / "cost_effectiveness.csv", EFFECT_COLUMNS, comparison.effect_rows()),
             _write_csv(out / "lever_costs.csv", LEVER_COST_COLUMNS, comparison.lever_cost_rows())]
    experiment = comparison.experiment

    def info() -> dict:
        return {"kind": "compare", "identity": identity or {}, "experiment_id": experiment.id,
                "experiment": experiment.path, "runs": comparison.runs,
                "seed": comparison.results[experiment.base_id].seed, "base": experiment.base_id,
                "variants": [v.id for v in experiment.variants], "zonesim_version": __version__,
                "wall_seconds": round(comparison.wall_seconds, 1), "files": sorted(f.name for f in files)}

    manifest = write_manifest(info(), out)
    if plots:
        from sim.report.compare_plots import comparison_plots  # matplotlib only when plots are drawn

        try:
            files += comparison_plots(comparison, out)
        except Exception as exc:  # a bug in drawing: the tables above are complete and kept
            if plot_failures is None:
                raise
            plot_failures.append(f"comparison plots: {type(exc).__name__}: {exc}")
        write_manifest(info(), out)
    return files + [manifest]


#: The names of the joint row `ALL` (as in summary.csv).
ALL_NAME = ("全部目标同时实现", "All modelled targets hit")


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding=CSV_ENCODING) as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow(_cells(r, columns))
    return path


#: The terminal table's columns (header, width, right-aligned): 116 display columns with the gaps.
COMPARE_TERMINAL_COLUMNS = [("target", 16, False), ("variant", 33, False), ("P(hit) [95% CI]", 22, True),
                            ("Δ points [95% CI]", 22, True), ("mean cost, 万元", 15, True)]


def format_comparison(c: Comparison) -> str:
    """The terminal table within `TERMINAL_WIDTH` columns, grouped by target: a line naming the target, then
    one row per variant (the base first), each naming its target and variant, with P(hit), the paired difference
    from the base and the mean cost in 万元; targets no variant moves in one line; then, per target, the variant
    that buys the most probability per yuan (`Comparison.best_per_yuan`)."""
    exp = c.experiment
    names = {v.id: v.name for v in exp.variants}
    costs = {v.id: float(c.cost(v.id).mean()) / 1e4 for v in exp.variants}
    targets = {t.id: t for t in exp.base.scenario.targets}
    lines = paragraph(f"{exp.name} — {c.runs:,} runs per variant, seed {c.results[exp.base_id].seed}, base "
                      f"'{exp.base_id}'; Δ = P(hit) − P(base) in points with a paired 95% interval (Newcombe); cost: "
                      "every lever's payments over the plan period, mean over runs, in 万元 (10,000 RMB)")
    lines.append("")
    rows = c.rows()
    by_key = {(r["variant"], r["target_id"]): r for r in rows}
    moved = {r["target_id"] for r in rows if r["variant"] != exp.base_id
             and (r["delta_low"] > 0 or r["delta_high"] < 0)}
    quiet = [t for t in c.target_ids() if t not in moved and t != "ALL"]
    order = sorted(exp.variants, key=lambda v: v.id != exp.base_id)
    table: list[list[object] | None] = []
    for tid in c.target_ids():
        if tid not in moved and tid != "ALL":
            continue
        if table:
            table.append(None)
        t = targets.get(tid)
        title = (f"{tid}: {t.name} · {t.name_en} ({t.comparison} {threshold_text(t.threshold)}, "
                 f"{t.year}{'' if t.month == 12 else f'-{t.month:02d}'})") if t is not None else \
            f"ALL: {ALL_NAME[0]} · {ALL_NAME[1]}"
        table.append([Span(title, len(COMPARE_TERMINAL_COLUMNS))])
        for v in order:
            r = by_key[(v.id, tid)]
            delta = "— (the base)" if v.id == exp.base_id else (
                f"{r['delta'] * 100:+.1f} [{r['delta_low'] * 100:+.1f}, {r['delta_high'] * 100:+.1f}]")
            table.append([tid, f"{names[v.id]} ({v.id})", interval(r["p_hit"], r["p_hit_low"], r["p_hit_high"]),
                          delta, wan_text(costs[v.id])])
    lines += render_table(COMPARE_TERMINAL_COLUMNS, table)
    if quiet:
        lines.append("")
        lines += paragraph("No variant moves these targets (every Δ interval includes 0; see compare.csv): "
                           + ", ".join(quiet))
    best = c.best_per_yuan_text()
    lines.append("")
    lines += paragraph("Most probability per yuan (points of P(hit) per 100 万元 = 1M RMB of extra cost over the "
                       "base; only variants that raise P(hit), their paired 95% Δ interval above 0):")
    for tid, vid, name, what in best:
        lines += paragraph(f"  {tid}: {name} ({vid}), {what}", indent="  ")
    if not best:
        lines.append("  none: no variant raises any P(hit) with an interval above 0")
    return "\n".join(lines)
