"""The shared look of every zonesim chart: fonts, colours, rcParams, figures, text, axes and percentile bands.

`sim.report.plots` (fan charts of a run or a back-test) and `sim.report.compare_plots` (plots of a comparison)
draw with these helpers, so that every chart has the same fonts, colours, number formats and files.

- Fonts: Chinese text uses Noto Sans CJK SC shipped by the ``mplfonts`` dependency (registered once, found
  without importing mplfonts), so charts render correctly on machines without any CJK system font; DejaVu Sans
  backs up symbols the CJK font lacks. `assert_glyphs_available` and `drawable` keep a label from turning into
  empty boxes.
- Style: `chart_style` scopes the rcParams (no global change); all text is drawn literally ('$x$' is not TeX).
- Figures: `new_figure` builds a :class:`matplotlib.figure.Figure` on the Agg canvas directly, so no global
  pyplot state is touched and no figure can leak; `save_figure` writes PNG (150 dpi) and SVG with its text kept
  as editable ``<text>`` (``svg.fonttype = "none"``) naming the bundled font and fallbacks (`SVG_FONT_FAMILIES`),
  and no date: identical inputs give identical files.
- Text that fits: `frame_figure` lays a chart out for a briefing — the title wrapped by display width
  (`wrap_text`, `text_width`: a Chinese character is about twice as wide as a Latin letter), the plan's name and
  other subtitles below it, a framed box in the top-right corner (`probability_text`: P(hit) with its 95%
  interval, in Chinese and English) and a footnote — and makes the figure taller by what they need, so nothing
  is clipped and the plot keeps its size.
- Numbers: counts (`is_count_unit`: 家, 个, 件, …) get whole-number ticks (`integer_ticks`); growth rates and
  shares are drawn in percent (`is_percent`, `ThousandsFormatter`, `format_value`), on the axis and on the
  target's label alike.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import math
import re
import unicodedata
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
from matplotlib.text import Text
from matplotlib.textpath import TextToPath

__all__ = [
    "BOX_SIZE", "CJK_FAMILY", "COMPARISON_SYMBOLS", "COUNT_UNITS", "FONT_FILE", "FONT_PACKAGE", "LATIN_FALLBACK",
    "MUTED_COLOR", "NOTE_SIZE", "SINGLE_SERIES_COLOR", "SUBTITLE_SIZE", "SVG_FONT_FAMILIES", "TARGET_COLOR",
    "TEXT_COLOR", "TITLE_SIZE", "Bands", "FanSeries", "Frame", "ThousandsFormatter", "assert_glyphs_available",
    "bilingual", "chart_style", "cjk_font_family", "cjk_font_path", "draw_target", "drawable", "format_value",
    "format_x", "frame_figure", "integer_ticks", "is_count_unit", "is_percent", "legend_columns", "new_figure",
    "percentile_bands", "plan_subtitle", "probability_text", "save_figure", "series_colors", "style_axes",
    "text_width", "wrap_text",
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
#: An axis label with one of these reads as a growth rate: always drawn in percent (it may be below 0 or above 1).
_GROWTH_HINTS = ("增长率", "growth")
#: Units of things counted one by one (firms, zones, incubators, patents, people, …): their axes tick on whole
#: numbers only (the units of `sim.measure.indicators` that count, and those of counted target kinds).
COUNT_UNITS = ("家", "个", "件", "人", "项", "所", "座", "次", "篇", "名")
#: Font sizes (points) of a chart's title, its subtitles (the plan's name), the P(hit) box and the footnote.
TITLE_SIZE = 13.0
SUBTITLE_SIZE = 9.5
BOX_SIZE = 10.0
NOTE_SIZE = 8.0
#: The font families an SVG names for its text, in order: the bundled font first, then the same design under its
#: other name, the CJK fonts of macOS, Windows and Linux desktops, the Latin fallback, and the generic family; an
#: editor or browser uses the first one installed, so labels stay editable and render without the bundled font.
SVG_FONT_FAMILIES = (CJK_FAMILY, "Source Han Sans SC", "Source Han Sans CN", "PingFang SC", "Hiragino Sans GB",
                     "Microsoft YaHei", "WenQuanYi Micro Hei", LATIN_FALLBACK, "sans-serif")
#: Margins of a chart, inches: around the figure, and between the header's rows.
_MARGIN = 0.16
_GAP = 0.07
#: The P(hit) box: its padding (in font sizes), face and edge colours.
_BOX_PAD = 0.45
_BOX_FACE = "#f3f7fb"
_BOX_EDGE = "#9fb9d3"


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
    """Scoped rcParams (no global change): CJK fonts, ASCII minus as specified, SVG text kept as text (named
    fonts, editable), every text drawn literally."""
    params: dict[str, Any] = {
        # the families themselves, not "sans-serif": only a list of families makes matplotlib fall back to the
        # next font for a glyph the first lacks (with the generic name, 'Ą' or 'ł' was an empty box)
        "font.family": cjk_font_family(),
        "font.sans-serif": cjk_font_family(),
        "axes.unicode_minus": False,
        "svg.fonttype": "none",  # <text> elements: editable; `save_figure` names the fonts to use
        "svg.hashsalt": "zonesim",
        "text.parse_math": False,  # names come from users' files: '$x$' is drawn as typed, never as TeX
        "text.usetex": False,
        "font.size": 10,
        "axes.titlesize": TITLE_SIZE,
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
    """Save `fig` as `<out_base>.png` (150 dpi) and `<out_base>.svg` on white, creating the folder. The SVG keeps
    its text as ``<text>`` elements whose font-family lists `SVG_FONT_FAMILIES` (so a label can be edited in
    Illustrator, Inkscape or PowerPoint, and renders wherever one of those fonts is installed) and carries no
    date, so the same chart gives the same bytes. Returns ``[png_path, svg_path]``."""
    out_base.parent.mkdir(parents=True, exist_ok=True)
    png, svg = out_base.with_suffix(".png"), out_base.with_suffix(".svg")
    fig.savefig(png, dpi=150, facecolor="white")
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", facecolor="white", metadata={"Date": None})
    families = ", ".join(f if f in font_manager.font_family_aliases else f"'{f}'" for f in SVG_FONT_FAMILIES)
    text = re.sub(r"font-family: [^;\"]*", f"font-family: {families}", buffer.getvalue())
    with open(svg, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
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
    """Percent axis when the label names a growth rate ('增长率', 'growth': a fraction of any sign and size), or
    a share ('占比', '比例', 'share', …) and every finite value is a fraction."""
    label = ylabel.lower()
    if any(hint in label for hint in _GROWTH_HINTS):
        return True
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return False
    return any(hint in label for hint in _PERCENT_HINTS) and bool(finite.min() >= 0.0 and finite.max() <= 1.0)


def is_count_unit(unit: str) -> bool:
    """True for a unit of things counted one by one — one of `COUNT_UNITS` ('家', '个', '件', …) alone, first
    ('家（园区）', '个市（区）') or in brackets ('新增（家）', '园区数 (家)') — whose axis ticks on whole numbers only;
    never for a rate ('件/万人')."""
    unit = unit.strip()
    if not unit or "/" in unit:
        return False
    return unit[0] in COUNT_UNITS or any(re.search(rf"[（(]\s*{u}\s*[）)]", unit) for u in COUNT_UNITS)


def integer_ticks(ax: Any, axis: str = "y") -> None:
    """Ticks on whole numbers only (counts: zones, firms, incubators, …) on `ax`'s `axis` ('x' or 'y'). A view
    holding fewer than four whole numbers is widened by half a unit beyond the outer ones, so that
    `MaxNLocator(integer=True)` never falls back to fractional ticks and no value sits on the frame. Call it once
    the limits are final."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(ticker.MaxNLocator(integer=True, min_n_ticks=2))
    get, set_ = (ax.get_ylim, ax.set_ylim) if axis == "y" else (ax.get_xlim, ax.set_xlim)
    low, high = sorted(get())
    first, last = math.ceil(low), math.floor(high)
    if last - first < 3:
        # the whole numbers nearest the values (inside the autoscale margin), then half a unit beyond
        first, last = math.floor(low + 0.2), math.ceil(high - 0.2)
        set_(first - 0.5, max(last, first + 1) + 0.5)


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
    """A chart's time axis value: a whole year is its year end, written without a separator (2020, not 2,020);
    between year ends, x = year + (month - 12) / 12 is that month, written '2019-10' (never 2018.83)."""
    if float(value).is_integer():
        return f"{value:.0f}"
    months = value * 12.0
    if abs(months - round(months)) < 1e-6:
        year, month = divmod(round(months) - 1, 12)  # x = year + (month - 12) / 12 → 12x = 12·year + month - 12
        return f"{year + 1}-{month + 1:02d}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def style_axes(ax: Any, *, ylabel: str, percent: bool, integer_years: bool, integer: bool = False) -> None:
    """Clean, low-ink axes: no top/right spines, faint horizontal grid, readable ticks; y ticks in percent with
    `percent`, on whole numbers with `integer` (call `integer_ticks` again if the y limits change later)."""
    ax.set_ylabel(ylabel)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.tick_params(length=3)
    if integer_years:
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True, nbins=12))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: f"{v:.0f}"))
    else:  # under two years of months: ticks on whole months (quarters, or every other month), as '2019-10'
        low, high = ax.get_xlim()
        step = 3 if high - low > 1 else 2 if high - low > 0.5 else 1
        ax.xaxis.set_major_locator(ticker.MultipleLocator(step / 12.0))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(  # a year end among months is '2018-12', not '2018'
            lambda v, _pos: f"{v:.0f}-12" if float(v).is_integer() else format_x(v)))
    ax.yaxis.set_major_formatter(ThousandsFormatter(percent=percent))
    if integer:
        integer_ticks(ax, "y")


def draw_target(ax: Any, value: float, x: float | None, label: str, comparison: str, percent: bool) -> None:
    """A plan's target on `ax`: a dashed reference line at `value`, and at (x, value) a starred, annotated point
    ('目标 ≥ 900 (2020)', '目标 ≥ 25% (2020)' with `percent`); with `x` None only the line and its annotation at
    the right edge. `label` replaces '目标': keep it short (the target's name belongs in the title). A target
    beyond the plotted years widens the x axis to show it."""
    ax.axhline(value, color=TARGET_COLOR, linewidth=0.9, linestyle=(0, (4, 3)), alpha=0.45, zorder=0)
    symbol = COMPARISON_SYMBOLS.get(comparison.strip(), comparison.strip())
    text = drawable(f"{label or '目标'} {symbol} {format_value(value, percent)}")
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


# --------------------------------------------------------------------------- text that fits: wrap, frame, box

#: Characters a line may not start with (closing punctuation) or end with (opening punctuation).
_NO_LINE_START = frozenset("，。、；：！？）》」』】〉〕,.;:!?)]}%‰…")
_NO_LINE_END = frozenset("（《「『【〈〔([{")
#: Widths are measured without hinting: keep a little slack for the hinted glyphs of the PNG.
_SLACK = 0.97


@functools.lru_cache(maxsize=4096)
def text_width(text: str, size: float) -> float:
    """Width in points of `text` at `size` points, measured with the chart fonts (the bundled CJK font, the
    Latin fallback for what it lacks); the widest line of a multi-line text. A Chinese character is about one em
    wide, a Latin letter about half: count characters and a Chinese title overflows."""
    prop = FontProperties(family=cjk_font_family(), size=size)
    measure = TextToPath()
    return max((measure.get_text_width_height_descent(line, prop, ismath=False)[0] if line else 0.0)
               for line in text.split("\n"))


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF"


def _atoms(text: str) -> list[str]:
    """The unbreakable pieces of a line: each wide (CJK) character, each run of other characters, each space;
    closing punctuation stays with what it closes and opening punctuation with what it opens."""
    atoms: list[str] = []
    word = ""
    for char in text:
        if char.isspace() or _wide(char):
            if word:
                atoms.append(word)
                word = ""
            atoms.append(" " if char.isspace() else char)
        else:
            word += char
    if word:
        atoms.append(word)
    merged: list[str] = []
    for atom in atoms:
        if merged and atom != " " and merged[-1] != " " and (atom[0] in _NO_LINE_START or merged[-1][-1] in
                                                              _NO_LINE_END):
            merged[-1] += atom
        else:
            merged.append(atom)
    return merged


def _split_long(atom: str, width: float, size: float) -> list[str]:
    """An atom wider than a line (a long word, a path) cut between characters."""
    pieces, current = [], ""
    for char in atom:
        if current and text_width(current + char, size) > width:
            pieces.append(current)
            current = char
        else:
            current += char
    return [*pieces, current] if current else pieces


def _greedy(text: str, width: float, size: float) -> list[str]:
    lines: list[str] = []
    current, space = "", False
    for atom in _atoms(text):
        if atom == " ":
            space = True
            continue
        candidate = f"{current}{' ' if space and current else ''}{atom}"
        space = False
        if text_width(candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        pieces = _split_long(atom, width, size) if text_width(atom, size) > width else [atom]
        lines.extend(pieces[:-1])
        current = pieces[-1]
    return [*lines, current] if current or not lines else lines


def wrap_text(text: str, width: float, size: float) -> str:
    """`text` broken into lines no wider than `width` points at `size` points, by measured display width.

    A bilingual 'zh · en' text that does not fit on one line breaks at its ' · ' first (Chinese above, English
    below); a part still too wide breaks between Chinese characters or between words, never before closing
    punctuation (，。）…) nor after opening punctuation (（《…), and a word wider than a line is cut. Existing line
    breaks are kept."""
    width *= _SLACK
    out: list[str] = []
    for paragraph in text.split("\n"):
        if text_width(paragraph, size) <= width:
            out.append(paragraph)
            continue
        current = ""
        for part in paragraph.split(" · "):
            joined = f"{current} · {part}" if current else part
            if text_width(joined, size) <= width:
                current = joined
                continue
            if current:
                out.append(current)
            lines = _greedy(part.strip(), width, size)
            out.extend(lines[:-1])
            current = lines[-1]
        out.append(current)
    return "\n".join(out)


def bilingual(zh: str, en: str = "") -> str:
    """'中文 · English', or the Chinese alone when there is no other English name."""
    return f"{zh} · {en}" if en and en != zh else zh


def plan_subtitle(name: str, name_en: str = "", what: tuple[str, str] = ("规划", "Plan")) -> str:
    """The line that names the plan on every chart: '规划 Plan：广西高新区 · Guangxi high-tech zones'; `what`
    names something else (('回测', 'Back-test'), ('方案比较', 'Experiment'))."""
    return f"{what[0]} {what[1]}：{bilingual(name, name_en)}"


def probability_text(p: float, low: float, high: float, runs: int, *, who: str = "",
                     per_variant: bool = False) -> str:
    """The P(hit) box of a chart, in Chinese and English: '达标概率 P(hit) = 69.0% [67.1%, 70.7%]' over
    '[ ]: 95% 区间 interval · 2,500 次运行 runs' (`per_variant`: 'runs per variant'); `who` names whose
    probability it is ('基准 base')."""
    head = f"{who} · " if who else ""
    runs_text = f"{runs:,} 次运行/方案 runs per variant" if per_variant else f"{runs:,} 次运行 runs"
    return f"{head}达标概率 P(hit) = {p:.1%} [{low:.1%}, {high:.1%}]\n[ ]: 95% 区间 interval · {runs_text}"


def legend_columns(labels: Sequence[str], width: float, size: float = 9.0) -> int:
    """The most legend columns (filled column by column, as matplotlib does) whose entries fit in `width`
    inches at `size` points: one row when they fit, fewer columns when not."""
    n = len(labels)
    extra = (1.6 + 0.8 + 1.2) * size  # handle, its gap to the text, and the gap between columns (em → points)
    widths = [text_width(label, size) + extra for label in labels]
    for ncol in range(n, 1, -1):
        rows = math.ceil(n / ncol)
        columns = [widths[c * rows:(c + 1) * rows] for c in range(ncol)]
        if sum(max(c) for c in columns if c) <= width * 72.0:
            return ncol
    return 1


@dataclass
class Frame:
    """What surrounds a chart's plot, made by `frame_figure`: the wrapped title, the subtitle block (the plan's
    name first) with the box beside it in the top-right corner (or below it when there is no room), and the
    footnote. `layout` makes the figure `body_height` inches plus what they need, places them and fits the
    axes (with their labels and legends) in between; it can be called again after the axes change."""

    fig: Figure
    body_height: float
    title: Text
    subtitle: Text | None
    box: Text | None
    note: Text | None
    box_beside: bool

    def _height(self, text: Text | None) -> float:
        if text is None:
            return 0.0
        return text.get_window_extent(self.fig.canvas.get_renderer()).height / self.fig.dpi

    def layout(self) -> None:
        """Size the figure and place the header, the box and the footnote; then `tight_layout` the axes into
        the space left between them."""
        pad = _BOX_PAD * BOX_SIZE / 72.0
        title_h, sub_h = self._height(self.title), self._height(self.subtitle)
        box_h = self._height(self.box) + 2 * pad if self.box is not None else 0.0
        stacked = sub_h + (_GAP if sub_h and box_h else 0.0) + box_h
        row_h = max(sub_h, box_h) if self.box_beside else stacked
        header = _MARGIN + title_h + (_GAP + row_h if row_h else 0.0) + _GAP
        footer = _MARGIN + self._height(self.note) + _GAP if self.note is not None else _MARGIN
        width = self.fig.get_figwidth()
        height = self.body_height + header + footer
        self.fig.set_figheight(height)
        top = height - _MARGIN
        self.title.set_position((_MARGIN, top))
        row = top - title_h - _GAP
        if self.subtitle is not None:
            self.subtitle.set_position((_MARGIN, row))
        if self.box is not None:
            box_top = row if self.box_beside or not sub_h else row - sub_h - _GAP
            self.box.set_position((width - _MARGIN - pad, box_top - pad))
        if self.note is not None:
            self.note.set_position((_MARGIN, _MARGIN))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "not compatible with tight_layout": fitted as far as can be
            self.fig.tight_layout(rect=(0.0, footer / height, 1.0, 1.0 - header / height), pad=0.5)


def frame_figure(fig: Figure, *, title: str, subtitle: str | Sequence[str] = "", box: str = "",
                 note: str = "") -> Frame:
    """Lay `fig` out for a briefing and return its `Frame` (already laid out).

    `title` (`TITLE_SIZE`), `subtitle` lines (`SUBTITLE_SIZE`, muted: the plan's name first, see `plan_subtitle`)
    and `note` (`NOTE_SIZE`, muted footnote) are wrapped to the figure's width by display width (`wrap_text`), so
    a long or Chinese title never runs off the edge; `box` (e.g. `probability_text`) is drawn framed in the
    top-right corner, beside the subtitle when both fit, otherwise below it. Every text goes through
    `drawable`. The figure grows by the header and footnote, so the plot keeps the size it was made with."""
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    lines = [line for line in lines if line]
    usable = (fig.get_figwidth() - 2 * _MARGIN) * 72.0
    trans = fig.dpi_scale_trans
    box_text = None
    box_w = 0.0
    if box:
        box_lines = wrap_text(drawable(box), usable - 2 * _BOX_PAD * BOX_SIZE, BOX_SIZE)
        box_w = text_width(box_lines, BOX_SIZE) + 2 * _BOX_PAD * BOX_SIZE
        box_text = fig.text(0, 0, box_lines, transform=trans, ha="right", va="top", fontsize=BOX_SIZE,
                            color=TEXT_COLOR, linespacing=1.45, multialignment="left",
                            bbox={"boxstyle": f"round,pad={_BOX_PAD}", "facecolor": _BOX_FACE,
                                  "edgecolor": _BOX_EDGE, "linewidth": 0.8})
    beside = usable - box_w - 18.0  # room left of the box for the subtitle (points)
    box_beside = bool(box) and (not lines or beside >= 0.45 * usable)
    sub_width = beside if box_beside and box else usable
    sub_text = None
    if lines:
        wrapped = "\n".join(wrap_text(drawable(line), sub_width, SUBTITLE_SIZE) for line in lines)
        sub_text = fig.text(0, 0, wrapped, transform=trans, ha="left", va="top", fontsize=SUBTITLE_SIZE,
                            color=MUTED_COLOR, linespacing=1.4)
    title_text = fig.text(0, 0, wrap_text(drawable(title), usable, TITLE_SIZE), transform=trans, ha="left",
                          va="top", fontsize=TITLE_SIZE, color=TEXT_COLOR, linespacing=1.3)
    note_text = None
    if note:
        note_text = fig.text(0, 0, wrap_text(drawable(note), usable, NOTE_SIZE), transform=trans, ha="left",
                             va="bottom", fontsize=NOTE_SIZE, color=MUTED_COLOR, linespacing=1.5)
    frame = Frame(fig, fig.get_figheight(), title_text, sub_text, box_text, note_text, box_beside)
    frame.layout()
    return frame
