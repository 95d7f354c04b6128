"""Fan charts of Monte Carlo outcomes with Chinese labels.

Figures are built with :class:`matplotlib.figure.Figure` and the Agg canvas
directly, so no global pyplot state is touched and no figure can leak. Chinese
text uses Noto Sans CJK SC shipped by the ``mplfonts`` dependency, so charts
render correctly on machines without any CJK system font.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib import font_manager, ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Patch

__all__ = ["FanSeries", "assert_glyphs_available", "cjk_font_family", "fan_chart"]

_FONT_PACKAGE = "mplfonts"
_FONT_FILE = "NotoSansCJKsc-Regular.otf"
_CJK_FAMILY = "Noto Sans CJK SC"
_LATIN_FALLBACK = "DejaVu Sans"

_COMPARISON_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "=": "="}
_SINGLE_SERIES_COLOR = "#1f77b4"  # tab10 blue
_TEXT_COLOR = "#333333"
_MUTED_COLOR = "#777777"
_TARGET_COLOR = "#c0392b"
_PERCENT_HINTS = ("%", "share", "占比", "比例", "比重")


# --------------------------------------------------------------------------- fonts


@functools.lru_cache(maxsize=1)
def _cjk_font_path() -> Path:
    """Locate the bundled CJK font without importing mplfonts (its import has side effects)."""
    spec = importlib.util.find_spec(_FONT_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise RuntimeError(
            f"Package {_FONT_PACKAGE!r} is not installed; it provides the Chinese font for charts. "
            f"Reinstall it with: pip install --force-reinstall {_FONT_PACKAGE}"
        )
    path = Path(locations[0]) / "fonts" / _FONT_FILE
    if not path.is_file():
        raise RuntimeError(
            f"Chinese font {_FONT_FILE} not found at {path}; the {_FONT_PACKAGE!r} installation is "
            f"incomplete. Reinstall it with: pip install --force-reinstall {_FONT_PACKAGE}"
        )
    return path


@functools.lru_cache(maxsize=1)
def _register_cjk_font() -> Path:
    """Add the font to matplotlib's manager exactly once, so family lookup by name works."""
    path = _cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return path


def cjk_font_family() -> list[str]:
    """Register the bundled CJK font (once) and return the font family list to use.

    The CJK font comes first so Chinese never falls back to empty boxes; DejaVu Sans
    backs up any symbol the CJK font lacks.
    """
    _register_cjk_font()
    return [_CJK_FAMILY, _LATIN_FALLBACK]


@functools.lru_cache(maxsize=1)
def _cjk_charmap() -> frozenset[int]:
    """Code points covered by the CJK font, cached because the charmap has ~45k entries."""
    return frozenset(FT2Font(str(_register_cjk_font())).get_charmap())


def assert_glyphs_available(text: str) -> list[str]:
    """Return the distinct characters of ``text`` the CJK font cannot render (empty = all fine).

    Used to catch labels that would otherwise silently render as empty boxes.
    Whitespace is ignored since it is never drawn as a glyph.
    """
    charmap = _cjk_charmap()
    missing: list[str] = []
    for char in dict.fromkeys(text):
        if not char.isspace() and ord(char) not in charmap:
            missing.append(char)
    return missing


@contextmanager
def _chart_style() -> Iterator[None]:
    """Scoped rcParams (no global change): CJK fonts, ASCII minus as specified, path-only SVG text,
    every text drawn literally."""
    params: dict[str, Any] = {
        "font.family": "sans-serif",
        "font.sans-serif": cjk_font_family(),
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": "zonesim",
        "text.parse_math": False,  # names come from users' files: '$x$' is drawn as typed, never as TeX
        "text.usetex": False,
        "font.size": 10,
        "axes.titlesize": 13,
        "axes.labelsize": 10,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "axes.edgecolor": "#999999",
        "axes.labelcolor": _TEXT_COLOR,
        "xtick.color": "#555555",
        "ytick.color": "#555555",
        "text.color": _TEXT_COLOR,
    }
    with matplotlib.rc_context(params):
        yield


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class FanSeries:
    """One simulated quantity over time: ``values[run, t]`` at time points ``x``.

    ``values`` may hold NaN where a run leaves the quantity undefined; NaNs are
    ignored per column when computing percentiles.
    """

    label: str
    x: Sequence[float]
    values: np.ndarray


@dataclass(frozen=True)
class _Bands:
    x: np.ndarray
    p5: np.ndarray
    p25: np.ndarray
    p50: np.ndarray
    p75: np.ndarray
    p95: np.ndarray


def _bands(series: FanSeries) -> _Bands:
    """Per-column percentiles ignoring NaN; all-NaN columns yield NaN (drawn as a gap)."""
    x = np.asarray(series.x, dtype=float)
    values = np.atleast_2d(np.asarray(series.values, dtype=float))
    if x.ndim != 1 or values.ndim != 2 or values.shape[1] != x.size:
        raise ValueError(
            f"FanSeries {series.label!r}: values must have shape (runs, {x.size}), got {values.shape}"
        )
    if values.shape[0] == 0:
        raise ValueError(f"FanSeries {series.label!r}: values has no runs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "All-NaN slice encountered"
        p5, p25, p50, p75, p95 = np.nanpercentile(values, [5, 25, 50, 75, 95], axis=0)
    return _Bands(x, p5, p25, p50, p75, p95)


# --------------------------------------------------------------------------- formatting


def _is_percent(ylabel: str, values: np.ndarray) -> bool:
    """Percent axis only when the label says so and every finite value is a fraction."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return False
    label = ylabel.lower()
    return any(hint in label for hint in _PERCENT_HINTS) and bool(finite.min() >= 0.0 and finite.max() <= 1.0)


class _ThousandsFormatter(ticker.Formatter):
    """Thousands separators (or percent) with just enough decimals for the current tick step."""

    def __init__(self, percent: bool = False) -> None:
        self._scale = 100.0 if percent else 1.0
        self._suffix = "%" if percent else ""
        self._decimals = 0

    def set_locs(self, locs: Sequence[float]) -> None:
        """As many decimals as the ticks need to be told apart exactly (called by the axis before labelling):
        ticks 0.75, 1.0, 1.25 read 0.75, 1.00, 1.25, not 0.8, 1.0, 1.2."""
        arr = np.asarray(locs, dtype=float) * self._scale
        arr = arr[np.isfinite(arr)]
        tol = 1e-9 * max(1.0, float(np.abs(arr).max())) if arr.size else 0.0
        self._decimals = next((d for d in range(7) if np.allclose(np.round(arr, d), arr, rtol=0, atol=tol)), 6)

    def __call__(self, x: float, pos: int | None = None) -> str:
        text = f"{x * self._scale:,.{self._decimals}f}"
        if text.lstrip("-").strip("0.,") == "":
            text = "0"
        return text + self._suffix


def _format_value(value: float, percent: bool) -> str:
    """Human-readable number for the target annotation."""
    if percent:
        return f"{value * 100:,.4g}%"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"


def _format_x(value: float) -> str:
    """Years without a thousands separator (2020, not 2,020)."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def _series_colors(n: int) -> list[Any]:
    """Qualitative hues; the single-series case uses the conventional blue."""
    if n == 1:
        return [_SINGLE_SERIES_COLOR]
    cmap = matplotlib.colormaps["tab10"]
    return [cmap(i % cmap.N) for i in range(n)]


# --------------------------------------------------------------------------- chart


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
    bands = [_bands(s) for s in series]
    all_values = np.concatenate([np.asarray(s.values, dtype=float).ravel() for s in series])
    percent = _is_percent(ylabel, all_values)
    all_x = np.concatenate([b.x for b in bands])
    finite_x = all_x[np.isfinite(all_x)]
    # Whole-year ticks for annual data, and for monthly data spanning 2+ years (2017.5 reads badly).
    integer_years = finite_x.size > 0 and bool(np.all(np.mod(finite_x, 1) == 0) or np.ptp(finite_x) >= 2)

    with _chart_style():
        fig = Figure(figsize=(8.0, 4.8))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()

        # Overlaid series need lighter bands, otherwise the overlaps turn muddy.
        outer_alpha, inner_alpha = (0.13, 0.30) if len(series) == 1 else (0.08, 0.20)
        handles: list[Any] = []
        for s, b, color in zip(series, bands, _series_colors(len(series)), strict=True):
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
        band_color = _SINGLE_SERIES_COLOR if len(series) == 1 else "#7f7f7f"
        handles.append(Patch(facecolor=band_color, alpha=0.45, linewidth=0, label="25–75%"))
        handles.append(Patch(facecolor=band_color, alpha=0.16, linewidth=0, label="5–95%"))

        if target_value is not None:
            _draw_target(ax, target_value, target_x, target_label, comparison, percent)

        _style_axes(ax, ylabel=ylabel, percent=percent, integer_years=integer_years)
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
            fig.text(0.012, 0.018, note, fontsize=8, color=_MUTED_COLOR, ha="left", va="bottom")

        out_base.parent.mkdir(parents=True, exist_ok=True)
        png = out_base.with_suffix(".png")
        svg = out_base.with_suffix(".svg")
        fig.savefig(png, dpi=150, facecolor="white")
        fig.savefig(svg, facecolor="white", metadata={"Date": None})
    return [png, svg]


def _draw_target(ax: Any, value: float, x: float | None, label: str, comparison: str, percent: bool) -> None:
    """Dashed reference line plus a starred, annotated target point."""
    ax.axhline(value, color=_TARGET_COLOR, linewidth=0.9, linestyle=(0, (4, 3)), alpha=0.45, zorder=0)
    symbol = _COMPARISON_SYMBOLS.get(comparison.strip(), comparison.strip())
    text = f"{label or '目标'} {symbol} {_format_value(value, percent)}"
    if x is None:
        ax.annotate(
            text,
            xy=(1.0, value),
            xycoords=("axes fraction", "data"),
            xytext=(-2, 4),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=9,
            color=_TARGET_COLOR,
        )
        return
    text += f" ({_format_x(x)})"
    ax.plot(
        [x],
        [value],
        marker="*",
        markersize=13,
        color=_TARGET_COLOR,
        markeredgecolor="white",
        markeredgewidth=0.8,
        zorder=5,
        linestyle="none",
    )
    ax.annotate(
        text,
        xy=(x, value),
        xytext=(-10, 8),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=9,
        color=_TARGET_COLOR,
        zorder=6,
        bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
    )
    low, high = ax.get_xlim()
    if not low <= x <= high:  # target year beyond the simulated horizon: widen with a small margin
        pad = 0.03 * (max(high, x) - min(low, x))
        ax.set_xlim(min(low, x - pad), max(high, x + pad))


def _style_axes(ax: Any, *, ylabel: str, percent: bool, integer_years: bool) -> None:
    """Clean, low-ink axes: no top/right spines, faint horizontal grid, readable ticks."""
    ax.set_ylabel(ylabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(length=3)
    if integer_years:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=12))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:.0f}"))
    else:
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: _format_x(v)))
    ax.yaxis.set_major_formatter(_ThousandsFormatter(percent=percent))
