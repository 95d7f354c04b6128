"""Fan charts of Monte Carlo outcomes with Chinese labels (a run's targets, a back-test's series).

`fan_chart` draws one chart from arrays; `target_fan_charts` draws a run's chart per modelled target from its
`Results`, with everything a planner pastes into a briefing: the target's name as the title, the plan's name,
P(hit) with its 95% interval in a box, the target as a starred line labelled in the axis's units (growth rates
and shares in %), whole-number ticks for counts, and, for a target on each zone, which zone the line is (the
weakest zone of each run).

The fonts, colours, rcParams, layout, figure handling and percentile bands are the shared ones of
`sim.report.style` (re-exported here: `FanSeries`, `cjk_font_family`, `assert_glyphs_available`), so no global
pyplot state is touched, no figure can leak and charts render Chinese on machines without any CJK system font.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.patches import Patch

from sim.measure.indicators import ALL_INDICATORS
from sim.report.style import (
    SINGLE_SERIES_COLOR,
    FanSeries,
    assert_glyphs_available,
    bilingual,
    chart_style,
    cjk_font_family,
    draw_target,
    drawable,
    frame_figure,
    is_count_unit,
    is_percent,
    legend_columns,
    new_figure,
    percentile_bands,
    plan_subtitle,
    probability_text,
    save_figure,
    series_colors,
    style_axes,
)

if TYPE_CHECKING:
    from sim.input.scenario import Target
    from sim.runner.montecarlo import Results

__all__ = ["WEAKEST_ZONE", "FanSeries", "assert_glyphs_available", "cjk_font_family", "fan_chart",
           "target_axis", "target_fan_charts"]

#: How a chart names the line of a target on each zone: in every run, the zone furthest from the target.
WEAKEST_ZONE = "最弱园区 weakest zone"
#: The zone levels a per-zone target may be restricted to, as a chart names them (Chinese, English).
_LEVEL_NAMES = {"national": ("国家级", "national"), "provincial": ("省级", "provincial"),
                "municipal": ("市级", "municipal"), "candidate": ("筹建", "candidate")}


def fan_chart(
    series: Sequence[FanSeries],
    *,
    title: str,
    ylabel: str,
    out_base: Path,
    target_value: float | None = None,
    target_x: float | None = None,
    target_label: str = "",
    comparison: str = ">=",
    note: str = "",
    observed: Sequence[tuple[float, float, float, float]] = (),
    subtitle: str | Sequence[str] = "",
    box: str = "",
    percent: bool | None = None,
    integer: bool | None = None,
) -> list[Path]:
    """Draw median + 25–75% + 5–95% bands per series and save PNG (150 dpi) and SVG.

    ``observed``: history points (x, value, low, high) drawn over the bands, with their observation error as a
    bar (a back-test's observed values). ``subtitle``: lines under the title, the plan's name first
    (`sim.report.style.plan_subtitle`); ``box``: the framed text of the top-right corner (P(hit) and its
    interval, `sim.report.style.probability_text`); ``note``: the footnote. ``percent``: y in percent (values
    are fractions; the target's label too), by default when `ylabel` names a growth rate or a share
    (`sim.report.style.is_percent`); ``integer``: whole-number y ticks, by default when `ylabel` is a count unit
    (`sim.report.style.is_count_unit`).

    Fan charts show the spread of Monte Carlo outcomes rather than a misleading single line; an optional plan
    target is marked so the reader can judge the odds of meeting it. The title wraps (never clips) and the SVG
    keeps its text editable (`sim.report.style.save_figure`). Returns ``[png_path, svg_path]``.
    """
    if not series:
        raise ValueError("fan_chart needs at least one series")
    out_base = Path(out_base)
    series_bands = [percentile_bands(s) for s in series]
    all_values = np.concatenate([np.asarray(s.values, dtype=float).ravel() for s in series])
    if percent is None:
        percent = is_percent(ylabel, all_values)
    if integer is None:
        integer = is_count_unit(ylabel) and not percent
    all_x = np.concatenate([b.x for b in series_bands])
    finite_x = all_x[np.isfinite(all_x)]
    # Whole-year ticks for annual data, and for monthly data spanning 2+ years (2017.5 reads badly).
    integer_years = finite_x.size > 0 and bool(np.all(np.mod(finite_x, 1) == 0) or np.ptp(finite_x) >= 2)

    with chart_style():
        fig = new_figure((8.0, 4.4))
        ax = fig.add_subplot()

        # Overlaid series need lighter bands, otherwise the overlaps turn muddy.
        outer_alpha, inner_alpha = (0.13, 0.30) if len(series) == 1 else (0.08, 0.20)
        handles: list[Any] = []
        for s, b, color in zip(series, series_bands, series_colors(len(series)), strict=True):
            ax.fill_between(b.x, b.p5, b.p95, color=color, alpha=outer_alpha, linewidth=0, zorder=1)
            ax.fill_between(b.x, b.p25, b.p75, color=color, alpha=inner_alpha, linewidth=0, zorder=2)
            (line,) = ax.plot(
                b.x,
                b.p50,
                color=color,
                linewidth=2.0,
                zorder=3,
                label=drawable(s.label) or None,
                marker="o" if b.x.size <= 12 else None,
                markersize=3.5,
            )
            if s.label:
                handles.append(line)

        if observed:
            ox, oy, olo, ohi = (np.asarray(v, dtype=float) for v in zip(*observed, strict=True))
            bar = ax.errorbar(ox, oy, yerr=[oy - olo, ohi - oy], fmt="D", color="#111111", markersize=5,
                              elinewidth=1.0, capsize=3, zorder=6, label="观测值 · observed")
            handles.append(bar)
        band_color = SINGLE_SERIES_COLOR if len(series) == 1 else "#7f7f7f"
        handles.append(Patch(facecolor=band_color, alpha=0.45, linewidth=0, label="25–75%"))
        handles.append(Patch(facecolor=band_color, alpha=0.16, linewidth=0, label="5–95%"))

        if target_value is not None:
            draw_target(ax, target_value, target_x, target_label, comparison, percent)

        style_axes(ax, ylabel=drawable(ylabel), percent=percent, integer_years=integer_years, integer=integer)
        # The legend in a row above the plot (wrapped into columns when long): it never sits on the data.
        ncol = legend_columns([h.get_label() for h in handles], fig.get_figwidth() - 1.3)
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.01), frameon=False, ncol=ncol,
                  handlelength=1.6, columnspacing=1.2, borderaxespad=0.2)
        frame_figure(fig, title=title, subtitle=subtitle, box=box, note=note)
        return save_figure(fig, out_base)


# --------------------------------------------------------------------------- a run's targets


def target_axis(t: Target) -> tuple[str, bool, bool]:
    """How a target's series is drawn: (y-axis label, in percent, whole-number ticks).

    Growth rates and shares — and levels of an indicator that is itself a share ('比例') — are in percent; a
    multiple of the base year is '倍'; counts (an indicator counted in 家/个/件/…, zones meeting a level,
    districts covered) tick on whole numbers; the line of a target on each zone is labelled as the weakest
    zone's."""
    ind = ALL_INDICATORS[t.indicator]
    share_unit = ind.unit == "比例"
    count = is_count_unit(ind.unit)
    if t.kind == "growth":
        what = "年均增长率 compound annual growth" if t.mode == "compound" else "年增长率 yearly growth"
        return f"{what} (%)", True, False
    if t.kind == "share":
        return "占比 share (%)", True, False
    if t.kind == "multiple":
        return f"倍数（{t.from_year}年 = 1）· multiple of {t.from_year}", False, False
    if t.kind == "per_10k":
        return f"{ind.unit}/万人 per 10,000 people", False, False
    if t.kind == "zones_meeting":
        return "达标园区数 zones meeting it（家）", False, True
    if t.kind == "districts_covered":
        return "有高新区的市（区）districts covered（个）", False, True
    unit = f"{ind.unit} (%)" if share_unit else ind.unit
    if t.kind == "added":
        unit = f"新增 added（{ind.unit}）" if not share_unit else "新增 added (%)"
    if t.kind == "per_zone" or t.each_zone:
        unit = f"{unit}（{WEAKEST_ZONE}）"
    return unit, share_unit, count


def _weakest_zone(t: Target) -> str:
    """What the line of a target on each zone is: the weakest zone of each run (of a level, or of the zones the
    target names)."""
    zh, en = _LEVEL_NAMES.get(t.zone_level, ("", ""))
    return f"曲线：每次运行中最弱的{zh}园区 · the line: the weakest {en + ' ' if en else ''}zone of each run"


def target_fan_charts(results: Results, out: Path) -> list[Path]:
    """`fan_<target id>.png/.svg` in `out`: a fan chart per modelled target, from the base year to the target's
    date, with the target marked (its threshold in the axis's units), the plan's name, P(hit) with its 95%
    interval in the top-right box, and, for a target on each zone, the line named as the weakest zone's.
    Returns the files written."""
    sc = results.scenario
    series = results.target_series
    rows = {r["target_id"]: r for r in results.summary()}
    files: list[Path] = []
    x_all = np.array([y + (mo - 12) / 12.0 for y, mo, _ in results.times])
    plan = plan_subtitle(sc.name, sc.name_en)
    for j, t in enumerate(sc.targets):
        if not t.modelled:
            continue
        keep = [i for i, (y, mo, _) in enumerate(results.times) if (y, mo) <= (t.year, t.month)]
        if t.month == 12:
            keep = [i for i in keep if results.times[i][1] == 12]
        ylabel, percent, integer = target_axis(t)
        weakest = t.kind == "per_zone" or t.each_zone
        r = rows[t.id]
        label = f"{WEAKEST_ZONE}（中位数 median）" if weakest else "模拟中位数 · simulated median"
        note = (f"{results.runs:,} 次运行 runs · 随机种子 seed {results.seed} · 色带为各次运行的 25–75% 与 5–95% · "
                "bands: 25–75% and 5–95% of runs")
        files += fan_chart([FanSeries(label, x_all[keep], series[:, j][:, keep])],
                           title=bilingual(t.name, t.name_en), ylabel=ylabel, out_base=out / f"fan_{t.id}",
                           target_value=t.threshold, target_x=t.year + (t.month - 12) / 12.0,
                           comparison=t.comparison, note=note, percent=percent, integer=integer,
                           subtitle=[plan, _weakest_zone(t) if weakest else ""],
                           box=probability_text(r["p_hit"], r["p_hit_low"], r["p_hit_high"], results.runs))
    return files
