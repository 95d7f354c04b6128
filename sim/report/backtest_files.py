"""What a back-test (`zonesim hindcast`) leaves on disk: scores.csv, backtest_summary.csv, a fan chart per scored
series with its observed points, and manifest.json.

The scoring itself (PIT, bands, CRPS, the gate) is `sim.measure.backtest`; this module only writes it down.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np

from sim.measure.backtest import BacktestResult, Score, gate
from sim.measure.indicators import ALL_INDICATORS
from sim.report.files import write_manifest
from sim.version import __version__

__all__ = ["SCORE_COLUMNS", "fan_charts", "write_backtest"]

#: The columns of scores.csv, one row per scored observation (the fields of `sim.measure.backtest.Score`).
SCORE_COLUMNS = ("series", "indicator", "scope", "year", "period", "observed", "log_sigma", "median", "p05", "p25",
                 "p75", "p95", "pit", "in50", "in90", "crps", "crps_naive", "naive_median", "sources", "note")


def write_backtest(result: BacktestResult, out: Path, plots: bool = True,
                   identity: dict | None = None) -> list[Path]:
    """Write a scored back-test into the folder `out` (created): scores.csv (`SCORE_COLUMNS`, floats to 6
    significant digits), backtest_summary.csv (`BacktestResult.summary`), with `plots` a fan chart per scored
    series with its observed points (PNG and SVG), and manifest.json (what the folder holds, `identity`; the gate
    and its reasons, the unscored series, the files), written last. Returns the files written, the manifest
    last. Raises OSError when a table cannot be written, and whatever a chart raises when one cannot be drawn."""
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "scores.csv", out / "backtest_summary.csv"]
    with open(files[0], "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=SCORE_COLUMNS, lineterminator="\n")
        w.writeheader()
        for s in result.scores:
            row = asdict(s)
            w.writerow({k: (f"{row[k]:.6g}" if isinstance(row[k], float) else row[k]) for k in SCORE_COLUMNS})
    summary = result.summary()
    with open(files[1], "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(summary), lineterminator="\n")
        w.writeheader()
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in summary.items()})
    if plots:
        files += fan_charts(result, out)
    ok, why = gate(result.scores)
    manifest = {"kind": "backtest", "identity": identity or {"kind": "backtest",
                                                             "scenario_sha256": result.scenario.sha256,
                                                             "seed": result.seed, "runs": result.runs},
                "scenario": result.scenario.path, "zonesim_version": __version__, "summary": summary,
                "gate": {"pass": ok, "why": why}, "unscored": result.unscored, "warnings": result.warnings,
                "files": sorted(f.name for f in files)}
    files.append(write_manifest(manifest, out))
    return files


def fan_charts(result: BacktestResult, out: Path) -> list[Path]:
    """`backtest_<series>.png/.svg` in `out`: per scored series, the model's year-end 25–75% and 5–95% bands
    (times the series' observed share, `factor`) with the observed values and their 90% observation error,
    under the back-test's name; the box says how many observed values fall in the model's 90% band and their
    PITs. Counts tick on whole numbers, shares in %. Returns the files written."""
    from sim.report.plots import FanSeries, fan_chart  # matplotlib only when charts are drawn
    from sim.report.style import bilingual, is_count_unit, plan_subtitle

    files: list[Path] = []
    x_all = np.array([y + (mo - 12) / 12.0 for y, mo, _ in result.times])
    keep = [i for i, (_, mo, _) in enumerate(result.times) if mo == 12]
    by_series: dict[tuple[str, str], list[Score]] = {}
    for s in result.scores:
        by_series.setdefault((s.series, s.indicator), []).append(s)
    for (series, indicator), scores in by_series.items():
        spec = next(o for o in result.scenario.raw["backtest"]["observe"] if o["series"] == series
                    and o["indicator"] == indicator)
        model = result.series_values[(series, indicator)][:, keep] * float(spec.get("factor", 1.0))
        ind = ALL_INDICATORS[indicator]
        points = [(s.year, s.observed, s.observed * math.exp(-1.645 * s.log_sigma),
                   s.observed * math.exp(1.645 * s.log_sigma)) for s in scores]
        note = (f"{result.runs:,} runs, seed {result.seed}; bands 25–75% and 5–95% of the model; observed values "
                "with their 90% observation error; PIT: the observed value's percentile among the runs")
        inside = sum(s.in90 for s in scores)
        box = (f"回测 back-test：{inside} / {len(scores)} 个观测值在 90% 带内 within the 90% band\n"
               "PIT " + " · ".join(f"{s.year}: {s.pit:.2f}" for s in scores) + f" · {result.runs:,} 次运行 runs")
        share = ind.unit == "比例"
        sc = result.scenario
        files += fan_chart([FanSeries("模拟中位数 · simulated median", x_all[keep], model)],
                           title=f"{bilingual(ind.zh, ind.en)} — {sc.region}（{series}）",
                           ylabel="比例 share (%)" if share else ind.unit, out_base=out / f"backtest_{series}",
                           note=note, observed=points, box=box, percent=share,
                           integer=is_count_unit(ind.unit) and not share,
                           subtitle=plan_subtitle(sc.name, sc.name_en, what=("回测", "Back-test")))
    return files
