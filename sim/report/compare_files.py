"""What a comparison (`zonesim compare`) leaves on disk and prints: compare.csv, cost_effectiveness.csv,
lever_costs.csv, manifest.json and the comparison plots; and the terminal table.

The statistics (paired differences, costs, cost-effectiveness, best per yuan) are `sim.run.compare`'s; this
module only writes them down and lays them out.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sim.report.files import display_width, pad, write_manifest
from sim.run.compare import Comparison
from sim.version import __version__

__all__ = ["COMPARE_COLUMNS", "EFFECT_COLUMNS", "LEVER_COST_COLUMNS", "format_comparison", "write_comparison"]

#: compare.csv: `Comparison.rows`, one row per variant × target (and ALL).
COMPARE_COLUMNS = ("variant", "target_id", "p_hit", "p_hit_low", "p_hit_high", "delta", "delta_low", "delta_high",
                   "cost_mean", "cost_p05", "cost_p95")
#: lever_costs.csv: `Comparison.lever_cost_rows`, one row per variant × lever × year (RMB).
LEVER_COST_COLUMNS = ("variant", "lever", "kind", "year", "budget_per_year", "cost_mean", "cost_p05", "cost_p95",
                      "cost_max")
#: cost_effectiveness.csv: `Comparison.effect_rows`, one row per variant (not the base) × target.
EFFECT_COLUMNS = ("variant", "target_id", "delta_points", "delta_cost_mean", "cost_per_point",
                  "indicator", "delta_indicator", "cost_per_unit")


def write_comparison(comparison: Comparison, out_dir: str | Path, plots: bool = True, identity: dict | None = None,
                     plot_failures: list[str] | None = None) -> list[Path]:
    """Write a comparison into `out_dir` (created): compare.csv, cost_effectiveness.csv, lever_costs.csv and
    manifest.json first, then (with `plots`) the plots of `sim.report.compare_plots` and the manifest again, so
    that a plot that cannot be drawn loses no computed result: its failure goes to `plot_failures`, or is raised
    when that list is not given. `identity` is recorded in the manifest. Returns the files written, the
    manifest last. Raises OSError when a table cannot be written, OutputError when the manifest cannot."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [_write_csv(out / "compare.csv", COMPARE_COLUMNS, comparison.rows()),
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


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _cell(r[k]) for k in columns})
    return path


def _cell(value: object) -> object:
    """Floats in full precision (repr), so that identical runs give identical bytes."""
    return repr(value) if isinstance(value, float) else value


def format_comparison(c: Comparison) -> str:
    """The terminal table: per target, each variant's P(hit), its paired difference from the base, and the
    mean cost; then the variant that buys the most probability per yuan, per target."""
    names = {v.id: v.name for v in c.experiment.variants}
    costs = {v.id: c.cost(v.id).mean() for v in c.experiment.variants}
    lines = [f"{c.experiment.name} — {c.runs} runs per variant, seed {c.results[c.experiment.base_id].seed}, "
             f"base '{c.experiment.base_id}'; Δ = P(hit) − P(base) with a paired 95% interval (Newcombe)", ""]
    head = ["target", "variant", "P(hit) [95% CI]", "Δ points [95% CI]", "cost, 万元 (mean)"]
    widths = [24, max(24, *(display_width(n) for n in names.values())), 24, 24, 18]
    lines.append("  ".join(pad(h, w) for h, w in zip(head, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    rows = c.rows()
    moved = {r["target_id"] for r in rows if r["variant"] != c.experiment.base_id
             and (r["delta_low"] > 0 or r["delta_high"] < 0)}
    quiet = [t for t in c.target_ids() if t not in moved and t != "ALL"]
    rows = [r for r in rows if r["target_id"] in moved or r["target_id"] == "ALL"]
    for r in rows:
        first = r["variant"] == c.experiment.variants[0].id
        delta = "—" if r["variant"] == c.experiment.base_id else (
            f"{r['delta'] * 100:+.1f} [{r['delta_low'] * 100:+.1f}, {r['delta_high'] * 100:+.1f}]")
        cells = [r["target_id"] if first else "", names[r["variant"]],
                 f"{r['p_hit']:.1%} [{r['p_hit_low']:.1%}, {r['p_hit_high']:.1%}]", delta,
                 f"{costs[r['variant']] / 1e4:,.0f}"]
        lines.append("  ".join(pad(x, w) for x, w in zip(cells, widths, strict=True)))
    if quiet:
        lines += ["", "No variant moves these targets (every Δ interval includes 0; see compare.csv): "
                  + ", ".join(quiet)]
    best = c.best_per_yuan_text()
    lines += ["", "Most probability per yuan (points of P(hit) per million RMB of extra cost over the base; only "
              "variants whose Δ interval lies above 0):"]
    lines += [f"  {tid}: {name} ({vid}), {what}" for tid, vid, name, what in best]
    if not best:
        lines.append("  none: no variant raises any P(hit) with an interval above 0")
    return "\n".join(lines)
