"""Fan charts of Monte Carlo outcomes with Chinese labels (a run's targets, a back-test's series).

The fonts, colours, rcParams, figure handling and percentile bands are the shared ones of `sim.report.style`
(re-exported here: `FanSeries`, `cjk_font_family`, `assert_glyphs_available`), so no global pyplot state is
touched, no figure can leak and charts render Chinese on machines without any CJK system font.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.patches import Patch

from sim.report.style import (
    MUTED_COLOR,
    SINGLE_SERIES_COLOR,
    FanSeries,
    assert_glyphs_available,
    chart_style,
    cjk_font_family,
    draw_target,
    is_percent,
    new_figure,
    percentile_bands,
    save_figure,
    series_colors,
    style_axes,
)

__all__ = ["FanSeries", "assert_glyphs_available", "cjk_font_family", "fan_chart"]


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
) -> list[Path]:
    """Draw median + 25–75% + 5–95% bands per series and save PNG (150 dpi) and SVG.

    ``observed``: history points (x, value, low, high) drawn over the bands, with their observation error as a
    bar (a back-test's observed values).

    Fan charts show the spread of Monte Carlo outcomes rather than a misleading
    single line; an optional plan target is marked so the reader can judge the odds
    of meeting it. SVG text is stored as paths so it renders without the font.
    Returns ``[png_path, svg_path]``.
    """
    if not series:
        raise ValueError("fan_chart needs at least one series")
    out_base = Path(out_base)
    series_bands = [percentile_bands(s) for s in series]
    all_values = np.concatenate([np.asarray(s.values, dtype=float).ravel() for s in series])
    percent = is_percent(ylabel, all_values)
    all_x = np.concatenate([b.x for b in series_bands])
    finite_x = all_x[np.isfinite(all_x)]
    # Whole-year ticks for annual data, and for monthly data spanning 2+ years (2017.5 reads badly).
    integer_years = finite_x.size > 0 and bool(np.all(np.mod(finite_x, 1) == 0) or np.ptp(finite_x) >= 2)

    with chart_style():
        fig = new_figure((8.0, 4.8))
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
                label=s.label or None,
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

        style_axes(ax, ylabel=ylabel, percent=percent, integer_years=integer_years)
        ax.set_title(title, loc="left", pad=12)  # the bundled font has one weight only
        # One legend row when labels are short, otherwise two columns so it never overflows.
        label_chars = sum(len(h.get_label()) for h in handles)
        ncol = len(handles) if label_chars <= 60 else 2
        ax.legend(
            handles=handles,
            loc="upper left",
            frameon=False,
            ncol=ncol,
            handlelength=1.6,
            columnspacing=1.2,
        )
        # Leave headroom so the legend does not sit on the data.
        rows = math.ceil(len(handles) / ncol)
        low, high = ax.get_ylim()
        ax.set_ylim(low, high + (0.05 + 0.07 * rows) * (high - low))

        bottom = 0.06 if note else 0.0
        fig.tight_layout(rect=(0.0, bottom, 1.0, 1.0))
        if note:
            fig.text(0.012, 0.018, note, fontsize=8, color=MUTED_COLOR, ha="left", va="bottom")

        return save_figure(fig, out_base)
