"""The shared look of every zonesim chart: fonts, colours, rcParams, figures, text, axes and percentile bands.

`sim.report.plots` (fan charts of a run or a back-test) and `sim.report.compare_plots` (plots of a comparison)
draw with these helpers, so that every chart has the same fonts, colours, number formats and files.

- Fonts: Chinese text uses Noto Sans CJK SC shipped by the ``mplfonts`` dependency (registered once, found
  without importing mplfonts), so charts render correctly on machines without any CJK system font; DejaVu Sans
  backs up symbols the CJK font lacks. `assert_glyphs_available` and `drawable` keep a label from turning into
  empty boxes.
- Style: `chart_style` scopes the rcParams (no global change); all text is drawn literally ('$x$' is not TeX).
- Figures: `new_figure` builds a :class:`matplotlib.figure.Figure` on the Agg canvas directly, so no global
  pyplot state is touched and no figure can leak; `save_figure` writes PNG (150 dpi) and SVG (text as paths,
  no date: identical inputs give identical files).
"""

from __future__ import annotations

import functools
import importlib.util
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
from matplotlib.font_manager import FontProperties
from matplotlib.ft2font import FT2Font

__all__ = [
    "CJK_FAMILY", "COMPARISON_SYMBOLS", "FONT_FILE", "FONT_PACKAGE", "LATIN_FALLBACK", "MUTED_COLOR",
    "SINGLE_SERIES_COLOR", "TARGET_COLOR", "TEXT_COLOR", "Bands", "FanSeries", "ThousandsFormatter",
    "assert_glyphs_available", "chart_style", "cjk_font_family", "cjk_font_path", "draw_target", "drawable",
    "format_value", "format_x", "is_percent", "new_figure", "percentile_bands", "save_figure", "series_colors",
    "style_axes",
]

#: The package that ships the CJK font, the font file in its ``fonts/`` folder, and the family names used.
FONT_PACKAGE = "mplfonts"
FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FAMILY = "Noto Sans CJK SC"
LATIN_FALLBACK = "DejaVu Sans"

#: How a target's comparison is written on a chart.
COMPARISON_SYMBOLS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "=", "=": "="}
#: Colours (hex): one series alone (tab10 blue), text, muted text (notes, subtitles), a plan's target.
SINGLE_SERIES_COLOR = "#1f77b4"
TEXT_COLOR = "#333333"
MUTED_COLOR = "#777777"
TARGET_COLOR = "#c0392b"
#: An axis label with one of these reads as a share (drawn in percent when every value is a fraction).
_PERCENT_HINTS = ("%", "share", "占比", "比例", "比重")


# --------------------------------------------------------------------------- fonts and text


@functools.lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """The bundled CJK font file, located without importing mplfonts (its import has side effects).

    Raises RuntimeError, saying how to reinstall it, when the package or its font file is missing."""
    spec = importlib.util.find_spec(FONT_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise RuntimeError(
            f"Package {FONT_PACKAGE!r} is not installed; it provides the Chinese font for charts. "
            f"Reinstall it with: pip install --force-reinstall {FONT_PACKAGE}"
        )
    path = Path(locations[0]) / "fonts" / FONT_FILE
    if not path.is_file():
        raise RuntimeError(
            f"Chinese font {FONT_FILE} not found at {path}; the {FONT_PACKAGE!r} installation is "
            f"incomplete. Reinstall it with: pip install --force-reinstall {FONT_PACKAGE}"
        )
    return path


@functools.lru_cache(maxsize=1)
def _register_cjk_font() -> Path:
    """Add the font to matplotlib's manager exactly once, so family lookup by name works."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return path


def cjk_font_family() -> list[str]:
    """Register the bundled CJK font (once) and return the font family list to use.

    The CJK font comes first so Chinese never falls back to empty boxes; DejaVu Sans
    backs up any symbol the CJK font lacks.
    """
    _register_cjk_font()
    return [CJK_FAMILY, LATIN_FALLBACK]


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


@functools.lru_cache(maxsize=1)
def _fallback_charmap() -> frozenset[int]:
    """Code points of the Latin fallback font (drawn where the CJK font has no glyph)."""
    path = font_manager.findfont(FontProperties(family=cjk_font_family()[-1]), fallback_to_default=True)
    return frozenset(FT2Font(path).get_charmap())


def drawable(text: str) -> str:
    """Text as it can be drawn: characters neither font has become '?' (never an empty box or a missing-glyph
    warning); '$' needs no escape, as `chart_style` draws all text literally."""
    for char in assert_glyphs_available(text):
        if ord(char) not in _fallback_charmap():
            text = text.replace(char, "?")
    for char in set(text):  # a space neither font has (U+0085, U+2028, ...) is drawn as a glyph: a plain space
        if char.isspace() and char != "\n" and ord(char) not in _cjk_charmap() \
                and ord(char) not in _fallback_charmap():
            text = text.replace(char, " ")
    return text


# --------------------------------------------------------------------------- style and figures


@contextmanager
def chart_style() -> Iterator[None]:
    """Scoped rcParams (no global change): CJK fonts, ASCII minus as specified, path-only SVG text,
    every text drawn literally."""
    params: dict[str, Any] = {
        # the families themselves, not "sans-serif": only a list of families makes matplotlib fall back to the
        # next font for a glyph the first lacks (with the generic name, 'Ą' or 'ł' was an empty box)
        "font.family": cjk_font_family(),
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
        "axes.labelcolor": TEXT_COLOR,
        "xtick.color": "#555555",
        "ytick.color": "#555555",
        "text.color": TEXT_COLOR,
    }
    with matplotlib.rc_context(params):
        yield


def new_figure(size: tuple[float, float]) -> Figure:
    """A figure of `size` inches (width, height) on its own Agg canvas: no pyplot, nothing global to leak."""
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, out_base: Path) -> list[Path]:
    """Save `fig` as `<out_base>.png` (150 dpi) and `<out_base>.svg` on white, creating the folder; the SVG
    carries no date, so the same chart gives the same bytes. Returns ``[png_path, svg_path]``."""
    out_base.parent.mkdir(parents=True, exist_ok=True)
    png, svg = out_base.with_suffix(".png"), out_base.with_suffix(".svg")
    fig.savefig(png, dpi=150, facecolor="white")
    fig.savefig(svg, facecolor="white", metadata={"Date": None})
    return [png, svg]


def series_colors(n: int) -> list[Any]:
    """Qualitative hues for `n` series; the single-series case uses the conventional blue."""
    if n == 1:
        return [SINGLE_SERIES_COLOR]
    cmap = matplotlib.colormaps["tab10"]
    return [cmap(i % cmap.N) for i in range(n)]


# --------------------------------------------------------------------------- data: percentile bands


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
class Bands:
    """The 5th, 25th, 50th, 75th and 95th percentiles over runs of a `FanSeries`, each of shape (len(x),)."""

    x: np.ndarray
    p5: np.ndarray
    p25: np.ndarray
    p50: np.ndarray
    p75: np.ndarray
    p95: np.ndarray


def percentile_bands(series: FanSeries) -> Bands:
    """Per-column percentiles ignoring NaN; all-NaN columns yield NaN (drawn as a gap). A 1-D ``values`` is one
    run. Raises ValueError when ``values`` is not (runs, len(x)) or has no run."""
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
    return Bands(x, p5, p25, p50, p75, p95)


# --------------------------------------------------------------------------- numbers and axes


def is_percent(ylabel: str, values: np.ndarray) -> bool:
    """Percent axis only when the label says so and every finite value is a fraction."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return False
    label = ylabel.lower()
    return any(hint in label for hint in _PERCENT_HINTS) and bool(finite.min() >= 0.0 and finite.max() <= 1.0)


class ThousandsFormatter(ticker.Formatter):
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


def format_value(value: float, percent: bool) -> str:
    """Human-readable number for the target annotation."""
    if percent:
        return f"{value * 100:,.4g}%"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.1f}"


def format_x(value: float) -> str:
    """Years without a thousands separator (2020, not 2,020)."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def style_axes(ax: Any, *, ylabel: str, percent: bool, integer_years: bool) -> None:
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
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: format_x(v)))
    ax.yaxis.set_major_formatter(ThousandsFormatter(percent=percent))


def draw_target(ax: Any, value: float, x: float | None, label: str, comparison: str, percent: bool) -> None:
    """A plan's target on `ax`: a dashed reference line at `value`, and at (x, value) a starred, annotated point
    ('目标 ≥ 900 (2020)'); with `x` None only the line and its annotation at the right edge. A target beyond
    the plotted years widens the x axis to show it."""
    ax.axhline(value, color=TARGET_COLOR, linewidth=0.9, linestyle=(0, (4, 3)), alpha=0.45, zorder=0)
    symbol = COMPARISON_SYMBOLS.get(comparison.strip(), comparison.strip())
    text = f"{label or '目标'} {symbol} {format_value(value, percent)}"
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
            color=TARGET_COLOR,
        )
        return
    text += f" ({format_x(x)})"
    ax.plot(
        [x],
        [value],
        marker="*",
        markersize=13,
        color=TARGET_COLOR,
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
        color=TARGET_COLOR,
        zorder=6,
        bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
    )
    low, high = ax.get_xlim()
    if not low <= x <= high:  # target year beyond the simulated horizon: widen with a small margin
        pad = 0.03 * (max(high, x) - min(low, x))
        ax.set_xlim(min(low, x - pad), max(high, x + pad))
