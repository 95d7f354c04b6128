"""Plots of a comparison (`zonesim compare`): variants of a scenario's levers run on the same seeds.

* ``compare_fan_<indicator>``: the experiment's indicator over time, every variant's median overlaid on the
  base's 5–95% band (and the extreme variants' bands), with a lower panel of the paired difference from the
  base (run k of a variant minus run k of the base: with common random numbers, the noise the two share
  cancels).
* ``compare_frontier_<target>``: P(hit) against mean fiscal cost, with the P(hit) Wilson interval and the
  cost's 5–95% band; the cost-effectiveness frontier (variants no other variant dominates) is highlighted.
* ``compare_heatmap_<target>`` (two-axis grid): P(hit) over the grid; ``compare_grid_<target>`` (one-axis
  grid): P(hit) with its interval against the axis values.

Frontier and grid plots are drawn for ALL and for the targets whose P(hit) some variant moves (a paired Δ
interval excluding 0), at most `MAX_TARGET_PLOTS` of them (the largest moves first). Every chart names the plan
and the experiment under its wrapped title and shows the base's P(hit) with its 95% interval in the top-right
box (`sim.report.style.frame_figure`); counts tick on whole numbers, shares in %. Every chart is saved as PNG
(150 dpi) and SVG (editable text) with the fonts, style and glyph check of `sim.report.style`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox

from sim.measure.indicators import ALL_INDICATORS, FLOW_FIELDS
from sim.report.style import (
    MUTED_COLOR,
    TEXT_COLOR,
    FanSeries,
    ThousandsFormatter,
    bilingual,
    chart_style,
    draw_target,
    drawable,
    frame_figure,
    is_count_unit,
    is_percent,
    new_figure,
    percentile_bands,
    plan_subtitle,
    probability_text,
    save_figure,
    style_axes,
    text_width,
)

if TYPE_CHECKING:
    from sim.runner.compare import Comparison

__all__ = ["MAX_TARGET_PLOTS", "comparison_plots", "moved_targets", "non_dominated"]

#: At most this many targets (besides ALL) get a frontier and a grid plot.
MAX_TARGET_PLOTS = 12
#: Up to this many variants besides the base get a colour and a legend entry each; beyond, only the extremes.
MAX_COLOURED = 9
#: Frontier plots label every point up to this many variants, otherwise only the base and the frontier.
MAX_POINT_LABELS = 16
#: Grid cells are annotated up to this many per axis.
MAX_ANNOTATED_CELLS = 14

_BASE_COLOR = "#333333"
_FRONTIER_COLOR = "#1f77b4"
_DOMINATED_COLOR = "#9a9a9a"
_OTHER_COLOR = "#c8c8c8"
_PALETTE = [matplotlib.colormaps["tab10"](i) for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)]  # tab10 without its grey
_ALL_NAMES = ("全部目标同时达成", "all targets hit in the same run")
_PAIRED = "paired runs (common random numbers) · 配对运行（共同随机数）"


# --------------------------------------------------------------------------- pure helpers


def non_dominated(cost: Sequence[float], p_hit: Sequence[float]) -> np.ndarray:
    """The cost-effectiveness frontier: True where no other point is at least as cheap and at least as likely
    to hit, and strictly better in one of the two. Identical points do not dominate each other."""
    c = np.asarray(cost, dtype=float)
    p = np.asarray(p_hit, dtype=float)
    if c.shape != p.shape or c.ndim != 1:
        raise ValueError(f"cost and p_hit must be 1-D of the same length, got {c.shape} and {p.shape}")
    # [i, j]: does j dominate i?
    no_worse = (c[None, :] <= c[:, None]) & (p[None, :] >= p[:, None])
    better = (c[None, :] < c[:, None]) | (p[None, :] > p[:, None])
    return ~(no_worse & better).any(axis=1)


def moved_targets(comparison: Comparison, limit: int = MAX_TARGET_PLOTS) -> list[str]:
    """Modelled targets (not ALL) whose P(hit) some variant changes with a paired Δ interval excluding 0:
    the `limit` largest moves, in the scenario's order."""
    base_id = comparison.experiment.base_id
    effect: dict[str, float] = {}
    for r in comparison.rows():
        if r["variant"] == base_id or r["target_id"] == "ALL":
            continue
        if r["delta_low"] > 0 or r["delta_high"] < 0:
            effect[r["target_id"]] = max(effect.get(r["target_id"], 0.0), abs(r["delta"]))
    keep = set(sorted(effect, key=lambda t: -effect[t])[:max(limit, 0)])
    return [t for t in comparison.target_ids() if t in keep]


def _target_names(comparison: Comparison, target_id: str) -> tuple[str, str]:
    if target_id == "ALL":
        return _ALL_NAMES
    t = next(t for t in comparison.experiment.base.scenario.targets if t.id == target_id)
    return t.name, t.name_en


def _footnote(comparison: Comparison, *extra: str) -> str:
    seed = comparison.results[comparison.experiment.base_id].seed
    head = f"{comparison.runs:,} runs per variant, seed {seed}; {_PAIRED}"
    return "\n".join([head, *[e for e in extra if e]])


def _subtitle(comparison: Comparison, *what: str) -> list[str]:
    """The plan's name, the experiment's, then what the chart shows."""
    exp = comparison.experiment
    sc = exp.base.scenario
    return [plan_subtitle(sc.name, sc.name_en),
            plan_subtitle(exp.name, exp.name_en if exp.name_en != exp.id else "", what=("方案比较", "Experiment")),
            *what]


def _base_box(comparison: Comparison, target_id: str, rows: list[dict]) -> str:
    """The base's P(hit) of a target with its 95% interval (the chart's box)."""
    base = next(r for r in rows if r["variant"] == comparison.experiment.base_id and r["target_id"] == target_id)
    return probability_text(base["p_hit"], base["p_hit_low"], base["p_hit_high"], comparison.runs,
                            who="基准 base", per_variant=True)


def _number(value: float) -> str:
    """Axis values of a grid: 200,000 / 0.5 / 1,000."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _fit(label: str, inches: float, size: float = 10.0) -> str:
    """An axis label on two lines (at its '·' between Chinese and English) when one would not fit."""
    if text_width(label, size) <= inches * 72.0 or "·" not in label:
        return drawable(label)
    return drawable(re.sub(r"\s*·\s*", "\n", label, count=1))


# --------------------------------------------------------------------------- entry point


def comparison_plots(comparison: Comparison, out: str | Path, max_targets: int = MAX_TARGET_PLOTS) -> list[Path]:
    """Every comparison plot (PNG and SVG) into `out`; returns the files written."""
    out = Path(out)
    rows = comparison.rows()
    files = fan_overlay(comparison, out, rows)
    n_axes = len(comparison.experiment.grid_axes)
    for target_id in ["ALL", *moved_targets(comparison, max_targets)]:
        files += frontier_chart(comparison, target_id, out, rows)
        if n_axes == 2:
            files += grid_heatmap(comparison, target_id, out, rows)
        elif n_axes == 1:
            files += grid_line(comparison, target_id, out, rows)
    return files


# --------------------------------------------------------------------------- overlaid fan chart


def _snapshots(comparison: Comparison, name: str) -> tuple[list[int], np.ndarray]:
    """Year-end snapshots (a mid-year one would mix months, and halve a flow), as fractional years."""
    times = comparison.results[comparison.experiment.base_id].times
    keep = [i for i, (_, mo, _) in enumerate(times) if mo == 12]
    if len(keep) < 2 and name not in FLOW_FIELDS:
        keep = list(range(len(times)))
    return keep, np.array([times[i][0] + (times[i][1] - 12) / 12.0 for i in keep])


def _indicator_target(comparison: Comparison, name: str) -> Any:
    """The plan's target on the indicator itself (a level over the zones), if there is one: marked on the fan."""
    found = [t for t in comparison.experiment.base.scenario.targets
             if t.modelled and t.indicator == name and t.kind == "level" and t.scope == "zones"]
    return max(found, key=lambda t: (t.year, t.month)) if found else None


def fan_overlay(comparison: Comparison, out: Path, rows: list[dict] | None = None) -> list[Path]:
    """`compare_fan_<indicator>`: medians of every variant over the base's 5–95% band; below, the paired
    difference from the base (median, and the 5–95% band of the extreme variants). The plan's target on the
    indicator, if any, is marked, named under the title, and the base's P(hit) of it is in the box."""
    exp = comparison.experiment
    name = exp.indicator
    ind = ALL_INDICATORS[name]
    keep, x = _snapshots(comparison, name)
    values = {v.id: np.asarray(comparison.results[v.id].indicator(name), dtype=float)[:, keep]
              for v in exp.variants}
    base = values[exp.base_id]
    others = [v for v in exp.variants if v.id != exp.base_id]
    bands = {vid: percentile_bands(FanSeries(vid, x, vals)) for vid, vals in values.items()}
    diffs = {v.id: percentile_bands(FanSeries(v.id, x, values[v.id] - base)) for v in others}
    final = {v.id: _last_finite(bands[v.id].p50) for v in others}
    ranked = sorted(others, key=lambda v: final[v.id], reverse=True)
    extremes = {ranked[0].id, ranked[-1].id} if ranked else set()
    coloured = ranked if len(ranked) <= MAX_COLOURED else [v for v in ranked if v.id in extremes]
    colours = {v.id: _PALETTE[i % len(_PALETTE)] for i, v in enumerate(coloured)}
    percent = is_percent(ind.unit, np.concatenate([v.ravel() for v in values.values()]))
    integer = is_count_unit(ind.unit) and not percent
    target = _indicator_target(comparison, name)

    with chart_style():
        fig = new_figure((10.5, 5.8))
        ax, dax = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3.0, 1.45)})
        handles: list[Any] = []
        b = bands[exp.base_id]
        ax.fill_between(b.x, b.p5, b.p95, color=_BASE_COLOR, alpha=0.12, linewidth=0, zorder=1)
        (line,) = ax.plot(b.x, b.p50, color=_BASE_COLOR, linewidth=2.4, zorder=4, marker="o", markersize=3.5,
                          label=drawable(exp.base.name))
        handles.append(line)
        drawn = [b.p50]  # the base's and the coloured variants' medians
        for v in ranked:
            vb, db = bands[v.id], diffs[v.id]
            colour = colours.get(v.id, _OTHER_COLOR)
            width = 1.8 if v.id in colours else 1.0
            # A median already drawn (the base's, or another variant's) is dashed on top, so both show.
            same = v.id in colours and any(np.allclose(vb.p50, d, equal_nan=True) for d in drawn)
            style = (0, (4, 3)) if same else "-"
            z = 5 if same else 3 if v.id in colours else 2
            (line,) = ax.plot(vb.x, vb.p50, color=colour, linewidth=width, zorder=z, linestyle=style,
                              marker="o" if v.id in colours and vb.x.size <= 12 else None, markersize=3,
                              label=drawable(v.name))
            dax.plot(db.x, db.p50, color=colour, linewidth=width, zorder=z, linestyle=style)
            if v.id in colours:
                drawn.append(vb.p50)
            if v.id in colours:
                handles.append(line)
            if v.id in extremes:
                for edge in (vb.p5, vb.p95):
                    ax.plot(vb.x, edge, color=colour, linewidth=0.9, linestyle=(0, (3, 2)), alpha=0.8, zorder=2)
                dax.fill_between(db.x, db.p5, db.p95, color=colour, alpha=0.13, linewidth=0, zorder=1)
        hidden = len(ranked) - len(coloured)
        if hidden:
            handles.append(Line2D([], [], color=_OTHER_COLOR, linewidth=1.0,
                                  label=f"其他 {hidden} 个方案 · {hidden} other variants"))
        handles.append(Patch(facecolor=_BASE_COLOR, alpha=0.2, linewidth=0, label="基准 5–95% · base 5–95%"))
        if extremes:
            handles.append(Line2D([], [], color=MUTED_COLOR, linewidth=0.9, linestyle=(0, (3, 2)),
                                  label="最高/最低方案 5–95% · extreme variants 5–95%"))
        if target is not None:
            tx = target.year + (target.month - 12) / 12.0
            draw_target(ax, target.threshold, tx if x.min() <= tx <= x.max() + 1 else None, "目标",
                        target.comparison, percent)
        dax.axhline(0.0, color=_BASE_COLOR, linewidth=1.0, zorder=2)

        integer_years = bool(np.all(np.mod(x, 1) == 0) or np.ptp(x) >= 2)
        style_axes(ax, ylabel=drawable(f"{ind.unit}（高新区合计 · zones）"), percent=percent,
                   integer_years=integer_years, integer=integer)
        style_axes(dax, ylabel="与基准之差\nvs base (paired)", percent=percent, integer_years=integer_years,
                   integer=integer)
        ax.tick_params(labelbottom=False)
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  handlelength=1.8, borderaxespad=0.0)
        marked = f"目标 Target：{bilingual(target.name, target.name_en)}" if target is not None else ""
        note = _footnote(comparison, "upper: median of each variant over the base's 5–95% band; lower: the paired "
                                     "difference from the base, run by run (median; 5–95% for the extremes)")
        frame_figure(fig, title=f"{ind.zh}：各方案比较 · {ind.en}: variants compared",
                     subtitle=_subtitle(comparison, marked), note=note,
                     box=_base_box(comparison, target.id, rows or comparison.rows()) if target is not None else "")
        return save_figure(fig, out / f"compare_fan_{name}")


def _last_finite(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else -math.inf


# --------------------------------------------------------------------------- frontier


#: Money on charts is in 万元, as in the terminal table and every CSV (one unit across a comparison's outputs).
COST_SCALE, COST_UNIT = 1e4, "万元"


def frontier_chart(comparison: Comparison, target_id: str, out: Path, rows: list[dict] | None = None) -> list[Path]:
    """`compare_frontier_<target>`: P(hit) (Wilson 95%) against mean fiscal cost (5–95% of runs)."""
    exp = comparison.experiment
    by_variant = {r["variant"]: r for r in (rows or comparison.rows()) if r["target_id"] == target_id}
    variants = [v for v in exp.variants if v.id in by_variant]
    rs = [by_variant[v.id] for v in variants]
    scale, unit = COST_SCALE, COST_UNIT
    cost = np.array([r["cost_mean"] for r in rs]) / scale
    p = np.array([r["p_hit"] for r in rs]) * 100.0
    lo = np.array([r["p_hit_low"] for r in rs]) * 100.0
    hi = np.array([r["p_hit_high"] for r in rs]) * 100.0
    c05 = np.array([r["cost_p05"] for r in rs]) / scale
    c95 = np.array([r["cost_p95"] for r in rs]) / scale
    front = non_dominated(cost, p)
    is_base = np.array([v.id == exp.base_id for v in variants])
    zh, en = _target_names(comparison, target_id)
    sc = exp.base.scenario

    with chart_style():
        fig = new_figure((9.5, 5.0))
        ax = fig.add_subplot()
        for mask, colour, z in ((~front, _DOMINATED_COLOR, 2), (front, _FRONTIER_COLOR, 4)):
            if mask.any():
                ax.errorbar(cost[mask], p[mask], yerr=[p[mask] - lo[mask], hi[mask] - p[mask]],
                            xerr=[np.maximum(cost[mask] - c05[mask], 0), np.maximum(c95[mask] - cost[mask], 0)],
                            fmt="none", ecolor=colour, elinewidth=0.9, capsize=2.5, alpha=0.75, zorder=z)
        order = np.argsort(cost[front], kind="stable")
        ax.plot(cost[front][order], p[front][order], color=_FRONTIER_COLOR, linewidth=1.2,
                linestyle=(0, (4, 2)), zorder=3)
        ax.scatter(cost[~front & ~is_base], p[~front & ~is_base], s=42, facecolor="white",
                   edgecolor=_DOMINATED_COLOR, linewidth=1.4, zorder=5)
        ax.scatter(cost[front & ~is_base], p[front & ~is_base], s=56, color=_FRONTIER_COLOR,
                   edgecolor="white", linewidth=0.8, zorder=6)
        ax.scatter(cost[is_base], p[is_base], s=70, marker="s", zorder=7, linewidth=1.4,
                   color=_FRONTIER_COLOR if front[is_base].any() else "white", edgecolor=_BASE_COLOR)
        handles = [
            Line2D([], [], marker="o", linestyle=(0, (4, 2)), color=_FRONTIER_COLOR, markeredgecolor="white",
                   markersize=7, label="非劣方案（前沿）· non-dominated (frontier)"),
            Line2D([], [], marker="o", linestyle="none", markerfacecolor="white", markeredgecolor=_DOMINATED_COLOR,
                   markeredgewidth=1.4, markersize=7, label="劣势方案 · dominated"),
            Line2D([], [], marker="s", linestyle="none", markerfacecolor="white", markeredgecolor=_BASE_COLOR,
                   markeredgewidth=1.4, markersize=7, label="基准 · base"),
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  borderaxespad=0.0)
        ax.set_xlabel(drawable(f"平均财政成本（{unit}，{sc.base_year + 1}–{sc.end_year}合计）· "
                                f"mean fiscal cost of all levers, {sc.base_year + 1}–{sc.end_year} "
                                "(10k RMB)"))
        ax.set_ylabel("达标概率 · P(hit), %")
        ax.xaxis.set_major_formatter(ticker.StrMethodFormatter("{x:,.0f}"))  # 45,000 万元, not 4.5 ×10⁴
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.grid(color="#ececec", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.xaxis.set_major_formatter(ThousandsFormatter())
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:.0f}%"))
        _pad_limits(ax, np.concatenate([c05, c95, cost]), np.concatenate([lo, hi]))
        note = _footnote(comparison, "bars: P(hit) 95% Wilson interval; cost 5–95% of runs. Frontier on the "
                                     "estimates: no other variant is as cheap and as likely to hit, and better "
                                     "in one")
        frame = frame_figure(fig, title=bilingual(zh, en), note=note, box=_base_box(comparison, target_id, rs),
                             subtitle=_subtitle(comparison, "达标概率与财政成本 · P(hit) against fiscal cost"))
        labelled = [i for i in range(len(variants))
                    if len(variants) <= MAX_POINT_LABELS or front[i] or is_base[i]]
        names = [drawable(variants[i].name) for i in labelled]
        colours = [_FRONTIER_COLOR if front[i] else TEXT_COLOR for i in labelled]
        placed = _place_labels(fig, ax, cost, p, names, labelled, colours)
        if any(clash > 0 for clash, _ in placed):  # too crowded for names: numbers, and a key beside the legend
            for _, text in placed:
                text.remove()
            key = "\n".join(f"{k + 1:>2}  {name}" for k, name in enumerate(names))
            ax.text(1.01, 0.80, key, transform=ax.transAxes, ha="left", va="top", fontsize=8.5,
                    color=TEXT_COLOR, linespacing=1.55)
            frame.layout()
            _place_labels(fig, ax, cost, p, [str(k + 1) for k in range(len(names))], labelled, colours)
        return save_figure(fig, out / f"compare_frontier_{target_id}")


def _pad_limits(ax: Any, xs: np.ndarray, ys: np.ndarray) -> None:
    x0, x1 = float(np.nanmin(xs)), float(np.nanmax(xs))
    span = x1 - x0 if x1 > x0 else max(abs(x1), 1.0) * 0.2
    ax.set_xlim(x0 - 0.12 * span, x1 + 0.12 * span)
    y0, y1 = float(np.nanmin(ys)), float(np.nanmax(ys))
    yspan = max(y1 - y0, 4.0)
    ax.set_ylim(max(y0 - 0.12 * yspan, -3.0), min(y1 + 0.15 * yspan, 103.0))


#: Label positions tried in turn (points from the marker): close first (right, left, above, below, diagonals),
#: then further out, where a thin leader line joins the label to its point.
_OFFSETS = tuple((round(r * math.cos(math.radians(a))), round(r * math.sin(math.radians(a))))
                 for r in (8, 22, 38, 56) for a in (0, 180, 90, -90, 30, 150, -30, -150))


def _place_labels(fig: Figure, ax: Any, xs: np.ndarray, ys: np.ndarray, labels: list[str], which: list[int],
                  colours: list[str]) -> list[tuple[float, Any]]:
    """Label points without overlapping one another or the markers: each label takes the first free position
    of `_OFFSETS` inside the axes, or else the one overlapping the least. Returns (overlap, text) per label:
    an overlap of 0 is a free position."""
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    pts = ax.transData.transform(np.column_stack([xs, ys]))
    taken = [Bbox.from_bounds(px - 5, py - 5, 10, 10) for px, py in pts]

    def draw(label: str, i: int, colour: str, dx: float, dy: float) -> Any:
        far = math.hypot(dx, dy) > 10
        return ax.annotate(label, (xs[i], ys[i]), xytext=(dx, dy), textcoords="offset points",
                           ha="left" if dx > 2 else "right" if dx < -2 else "center",
                           va="bottom" if dy > 2 else "top" if dy < -2 else "center", fontsize=8.5, color=colour,
                           zorder=8, bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none",
                                           "alpha": 0.75},
                           arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 0.6, "alpha": 0.6,
                                       "shrinkA": 0, "shrinkB": 4} if far else None)

    def clash(ext: Bbox) -> float:
        outside = 0.0 if box.x0 <= ext.x0 and ext.x1 <= box.x1 and box.y0 <= ext.y0 and ext.y1 <= box.y1 else 1e9
        return outside + sum(max(0.0, min(ext.x1, t.x1) - max(ext.x0, t.x0)) *
                             max(0.0, min(ext.y1, t.y1) - max(ext.y0, t.y0)) for t in taken)

    placed = []
    for label, i, colour in zip(labels, which, colours, strict=True):
        best: tuple[float, tuple[int, int]] | None = None
        for dx, dy in _OFFSETS:
            text = draw(label, i, colour, dx, dy)
            ext = text.get_window_extent(renderer)
            cost = clash(ext)
            text.remove()
            if best is None or cost < best[0]:
                best = (cost, (dx, dy))
            if cost == 0:
                break
        assert best is not None
        text = draw(label, i, colour, *best[1])
        taken.append(text.get_window_extent(renderer))
        placed.append((best[0], text))
    return placed


# --------------------------------------------------------------------------- grids


def _grid_cells(comparison: Comparison, target_id: str, rows: list[dict]) -> tuple[list[Any], dict[str, dict]]:
    by_variant = {r["variant"]: r for r in rows if r["target_id"] == target_id}
    cells = [v for v in comparison.experiment.variants if v.grid and v.id in by_variant]
    return cells, by_variant


def grid_heatmap(comparison: Comparison, target_id: str, out: Path, rows: list[dict] | None = None) -> list[Path]:
    """`compare_heatmap_<target>`: P(hit) over a two-axis grid, each cell annotated with P and the paired Δ."""
    exp = comparison.experiment
    cells, by_variant = _grid_cells(comparison, target_id, rows or comparison.rows())
    (_, label_x), (_, label_y) = exp.grid_axes
    xs = sorted({v.grid[0] for v in cells})
    ys = sorted({v.grid[1] for v in cells})
    p = np.full((len(ys), len(xs)), np.nan)
    delta = np.full_like(p, np.nan)
    moved = np.zeros(p.shape, dtype=bool)
    for v in cells:
        r = by_variant[v.id]
        i, j = ys.index(v.grid[1]), xs.index(v.grid[0])
        p[i, j], delta[i, j] = r["p_hit"] * 100.0, r["delta"] * 100.0
        moved[i, j] = r["delta_low"] > 0 or r["delta_high"] < 0
    base = by_variant[exp.base_id]
    lo, hi = float(np.nanmin(p)), float(np.nanmax(p))
    if hi - lo < 10.0:  # never stretch a few points of noise over the whole colour scale
        lo = min(max(0.0, (lo + hi) / 2.0 - 5.0), 90.0)
        hi = lo + 10.0
    zh, en = _target_names(comparison, target_id)
    cmap = matplotlib.colormaps["YlGnBu"]
    annotate = len(xs) <= MAX_ANNOTATED_CELLS and len(ys) <= MAX_ANNOTATED_CELLS
    decimals = 1 if hi - lo < 20 else 0

    with chart_style():
        fig = new_figure((max(7.5, 2.6 + 0.95 * len(xs)), max(4.4, 1.8 + 0.62 * len(ys))))
        ax = fig.add_subplot()
        image = ax.imshow(p, origin="lower", cmap=cmap, vmin=lo, vmax=hi, aspect="auto", interpolation="nearest")
        ax.set_xticks(range(len(xs)), [_number(v) for v in xs])
        ax.set_yticks(range(len(ys)), [_number(v) for v in ys])
        ax.set_xlabel(_fit(label_x, fig.get_figwidth() * 0.75))
        ax.set_ylabel(_fit(label_y, fig.get_figheight() * 0.6))
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        if annotate:
            size = 10 if max(len(xs), len(ys)) <= 6 else 8
            for i in range(len(ys)):
                for j in range(len(xs)):
                    if not np.isfinite(p[i, j]):
                        continue
                    shade = cmap((p[i, j] - lo) / (hi - lo))
                    colour = "white" if 0.299 * shade[0] + 0.587 * shade[1] + 0.114 * shade[2] < 0.55 else "#222222"
                    ax.annotate(f"{p[i, j]:.{decimals}f}%", (j, i), xytext=(0, 1), textcoords="offset points",
                                ha="center", va="bottom", fontsize=size, color=colour)
                    ax.annotate(f"Δ {delta[i, j]:+.1f}{'*' if moved[i, j] else ''}", (j, i), xytext=(0, -1),
                                textcoords="offset points", ha="center", va="top", fontsize=size - 2.5,
                                color=colour)
        bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03, format=ticker.FuncFormatter(
            lambda v, _pos: f"{v:.0f}%"))
        bar.set_label("达标概率 · P(hit), %")
        bar.outline.set_visible(False)
        bar.ax.tick_params(length=0)
        note = _footnote(comparison, "Δ: points against the base, paired; * its 95% interval excludes 0")
        frame_figure(fig, title=bilingual(zh, en), note=note, box=_base_box(comparison, target_id, [base]),
                     subtitle=_subtitle(comparison, "各组合的达标概率 · P(hit) over the grid"))
        return save_figure(fig, out / f"compare_heatmap_{target_id}")


def grid_line(comparison: Comparison, target_id: str, out: Path, rows: list[dict] | None = None) -> list[Path]:
    """`compare_grid_<target>`: P(hit) with its Wilson interval against the values of a one-axis grid."""
    exp = comparison.experiment
    cells, by_variant = _grid_cells(comparison, target_id, rows or comparison.rows())
    cells = sorted(cells, key=lambda v: v.grid[0])
    (_, label), = exp.grid_axes
    x = np.array([v.grid[0] for v in cells])
    rs = [by_variant[v.id] for v in cells]
    p = np.array([r["p_hit"] for r in rs]) * 100.0
    lo = np.array([r["p_hit_low"] for r in rs]) * 100.0
    hi = np.array([r["p_hit_high"] for r in rs]) * 100.0
    moved = np.array([r["delta_low"] > 0 or r["delta_high"] < 0 for r in rs])
    base = by_variant[exp.base_id]
    zh, en = _target_names(comparison, target_id)

    with chart_style():
        fig = new_figure((9.0, 4.6))
        ax = fig.add_subplot()
        ax.axhspan(base["p_hit_low"] * 100, base["p_hit_high"] * 100, color=_BASE_COLOR, alpha=0.08, linewidth=0)
        ax.axhline(base["p_hit"] * 100, color=_BASE_COLOR, linewidth=1.0, linestyle=(0, (4, 3)))
        ax.errorbar(x, p, yerr=[p - lo, hi - p], color=_FRONTIER_COLOR, linewidth=1.8, marker="o", markersize=5,
                    capsize=3, elinewidth=1.0, zorder=4)
        if moved.any():
            ax.scatter(x[moved], p[moved], s=90, facecolor="none", edgecolor="#c0392b", linewidth=1.3, zorder=5)
        handles = [
            Line2D([], [], color=_FRONTIER_COLOR, marker="o", linewidth=1.8, label="P(hit), 95% Wilson"),
            Line2D([], [], color=_BASE_COLOR, linestyle=(0, (4, 3)), linewidth=1.0,
                   label=f"基准 · base {base['p_hit']:.1%}"),
        ]
        if moved.any():
            handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="none",
                                  markeredgecolor="#c0392b", markersize=9,
                                  label="与基准之差显著 · paired Δ excludes 0"))
        ax.legend(handles=handles, loc="best", frameon=False)
        style_axes(ax, ylabel="达标概率 · P(hit), %", percent=False, integer_years=False)
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: _number(v)))
        ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:.0f}%"))
        if len(x) <= 12:
            ax.set_xticks(x)
        ax.set_xlabel(_fit(label, fig.get_figwidth() * 0.8))
        _pad_limits(ax, x, np.concatenate([lo, hi, [base["p_hit_low"] * 100, base["p_hit_high"] * 100]]))
        frame_figure(fig, title=bilingual(zh, en), box=_base_box(comparison, target_id, [base]),
                     subtitle=_subtitle(comparison, "达标概率 · P(hit) along the grid"),
                     note=_footnote(comparison, "bars: 95% Wilson interval; band: the base's interval"))
        return save_figure(fig, out / f"compare_grid_{target_id}")
