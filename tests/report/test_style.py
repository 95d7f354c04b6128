"""sim.report.style: the shared look of every chart — the bundled CJK font registered once, text drawn as it can
be (never an empty box), scoped rcParams, figures without pyplot, PNG and date-free SVG files with editable text,
percentile bands, number formats, whole-number ticks, the target marker, text wrapped by display width and the
frame (title, plan, P(hit) box, footnote) that keeps every text inside the figure.

`capture_figures`, `texts_outside` and `svg_problems` are shared with the tests of the charts that use them."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from sim.report import style
from sim.report.style import FanSeries, assert_glyphs_available, cjk_font_family

YEARS = [2017, 2018, 2019, 2020]


# --------------------------------------------------------------------------- helpers shared with the chart tests


def capture_figures(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> dict[str, Figure]:
    """Record every figure `module` saves (by file stem), still writing its files."""
    figures: dict[str, Figure] = {}
    original = module.save_figure

    def save(fig: Figure, out_base: Path) -> list[Path]:
        figures[Path(out_base).name] = fig
        return original(fig, out_base)

    monkeypatch.setattr(module, "save_figure", save)
    return figures


def texts_outside(fig: Figure) -> list[str]:
    """The texts of `fig` whose drawn box is not wholly inside the figure: every figure text (and the frame of a
    boxed one), every text, axis label and legend of every axes, and each axes with its tick labels."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    bounds = fig.bbox
    boxes: list[tuple[str, Any]] = []
    for ax in fig.axes:
        boxes.append((f"axes {ax.get_ylabel()!r} with its tick labels", ax.get_tightbbox(renderer)))
        texts = [*ax.texts, ax.xaxis.label, ax.yaxis.label, ax.title]
        legend = ax.get_legend()
        if legend is not None:
            boxes.append(("legend", legend.get_window_extent(renderer)))
            texts += legend.get_texts()
        boxes += [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_text() and t.get_visible()]
    for t in fig.texts:
        boxes.append((t.get_text(), t.get_window_extent(renderer)))
        if t.get_bbox_patch() is not None:
            boxes.append((f"the box of {t.get_text()!r}", t.get_bbox_patch().get_window_extent(renderer)))
    tol = 0.5
    return [name for name, b in boxes if not (b.x0 >= bounds.x0 - tol and b.y0 >= bounds.y0 - tol
                                              and b.x1 <= bounds.x1 + tol and b.y1 <= bounds.y1 + tol)]


def all_texts(fig: Figure) -> list[str]:
    """Every text of `fig` (figure texts, axes texts and labels, legend entries)."""
    texts = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        texts += [t.get_text() for t in ax.texts] + [ax.get_xlabel(), ax.get_ylabel()]
        if ax.get_legend() is not None:
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return texts


def visible_ticks(ax: Any) -> list[float]:
    """The y tick positions inside the view."""
    low, high = sorted(ax.get_ylim())
    return [v for v in ax.get_yticks() if low - 1e-9 <= v <= high + 1e-9]


def svg_problems(path: Path) -> list[str]:
    """What keeps an SVG's labels from being edited as text: no <text> element, glyphs drawn as paths, or the
    font not named (the bundled CJK font first, then fallbacks)."""
    svg = path.read_text(encoding="utf-8")
    problems = []
    if svg.count("<text") < 3:
        problems.append("fewer than three <text> elements")
    if re.search(r'<path id="[A-Za-z]+[A-Za-z-]*-[0-9a-f]+"', svg):
        problems.append("glyph outlines (<path id='Font-xx'>)")
    families = re.findall(r"font-family: ([^;\"]*)", svg)
    if not families or any(not f.startswith(f"'{style.CJK_FAMILY}'") for f in families):
        problems.append("a text without the CJK font first in its font-family")
    if families and any("sans-serif" not in f or style.LATIN_FALLBACK not in f for f in families):
        problems.append("a text without fallback fonts")
    return problems
CHINESE_SAMPLE = "高新技术企业 高新技術企業 孵化器 眾創空間 每万人发明专利拥有量"


def _values(runs: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 600 + 100 * np.arange(len(YEARS)) + rng.normal(0, 40, size=(runs, len(YEARS)))


def test_the_cjk_font_is_registered_once_and_comes_first() -> None:
    family = cjk_font_family()
    assert family == ["Noto Sans CJK SC", "DejaVu Sans"]
    names = {f.name for f in matplotlib.font_manager.fontManager.ttflist}
    assert "Noto Sans CJK SC" in names
    # Cached: registering again must not duplicate entries.
    before = len(matplotlib.font_manager.fontManager.ttflist)
    cjk_font_family()
    assert len(matplotlib.font_manager.fontManager.ttflist) == before


def test_glyphs_available_for_simplified_and_traditional() -> None:
    assert assert_glyphs_available(CHINESE_SAMPLE) == []
    assert assert_glyphs_available("目标 ≥ 900 (2020) 25–75% · share") == []


def test_glyphs_missing_are_reported() -> None:
    # Private-use code points are not in the font.
    assert assert_glyphs_available("高\ue000新\ue000") == ["\ue000"]


def test_a_missing_font_says_how_to_reinstall_it(monkeypatch: pytest.MonkeyPatch) -> None:
    style.cjk_font_path.cache_clear()
    monkeypatch.setattr(style, "FONT_FILE", "does-not-exist.otf")
    try:
        with pytest.raises(RuntimeError, match="mplfonts"):
            style.cjk_font_path()
    finally:
        style.cjk_font_path.cache_clear()


def test_values_are_formatted_with_separators_and_percent() -> None:
    assert style.format_value(900, percent=False) == "900"
    assert style.format_value(12500, percent=False) == "12,500"
    assert style.format_value(0.4, percent=True) == "40%"
    assert style.format_x(2020.0) == "2020"
    formatter = style.ThousandsFormatter()
    formatter.set_locs([0, 5000, 10000])
    assert formatter(10000) == "10,000"
    formatter.set_locs([0.0, 0.5, 1.0])
    assert formatter(0.5) == "0.5"
    pct = style.ThousandsFormatter(percent=True)
    pct.set_locs([0.0, 0.05, 0.10])
    assert pct(0.05) == "5%"



def test_single_run_bands_collapse() -> None:
    values = _values(runs=1)
    bands = style.percentile_bands(FanSeries("one", YEARS, values))
    np.testing.assert_allclose(bands.p5, bands.p95)
    np.testing.assert_allclose(bands.p50, values[0])


def test_percent_axis_only_for_a_share_label_and_fractions() -> None:
    share = np.clip(np.random.default_rng(0).normal(0.3, 0.05, size=(100, 24)), 0, 1)
    assert style.is_percent("share of GDP (%)", share)
    assert not style.is_percent("企业数", share)
    assert not style.is_percent("share", share * 10)


def test_tick_labels_have_the_decimals_the_ticks_need():
    fmt = style.ThousandsFormatter()
    fmt.set_locs([0.75, 1.0, 1.25])
    assert [fmt(v) for v in (0.75, 1.0, 1.25)] == ["0.75", "1.00", "1.25"]
    fmt.set_locs([0, 5000, 10000])
    assert fmt(10000) == "10,000"


def test_a_character_no_font_has_is_drawn_as_a_question_mark() -> None:
    assert style.drawable("奖励\ue000 $5k ≥ Δ") == "奖励? $5k ≥ Δ"


def glyph_warnings(text: str) -> list[str]:
    """The missing-glyph warnings of drawing `text` in the chart style."""
    with warnings.catch_warnings(record=True) as caught, style.chart_style():
        warnings.simplefilter("always")
        fig = style.new_figure((3, 1))
        fig.text(0.1, 0.5, text)
        fig.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


@settings(max_examples=15, deadline=None)
@given(st.text(max_size=12))
def test_drawable_text_never_warns_of_a_missing_glyph(text):
    drawn = style.drawable(text)
    assert len(drawn) == len(text) and style.drawable(drawn) == drawn
    assert all(a == b or b == "?" or (a.isspace() and b == " ") for a, b in zip(text, drawn, strict=True))
    assert glyph_warnings(drawn) == []


def test_a_space_no_font_has_is_drawn_as_a_plain_space():
    assert style.drawable("甲\x85乙") == "甲 乙"
    assert glyph_warnings(style.drawable("甲\x85乙\u2028丙\u1680丁")) == []


def test_a_character_only_the_latin_font_has_is_drawn_by_it():
    """The CJK font lacks 'Ą', 'ł', 'ő'; the fallback font draws them (no empty box, no warning)."""
    text = "Łódź Ąb ő 高新区"
    assert assert_glyphs_available(text) != [] and style.drawable(text) == text
    assert glyph_warnings(text) == []


def test_drawable_keeps_chinese_and_what_the_latin_font_has():
    assert style.drawable(CHINESE_SAMPLE) == CHINESE_SAMPLE
    assert style.drawable("目标 ≥ 900 (2020) 25–75% · share") == "目标 ≥ 900 (2020) 25–75% · share"


def test_the_chart_style_is_scoped_and_draws_text_literally():
    before = dict(matplotlib.rcParams)
    with style.chart_style():
        assert matplotlib.rcParams["font.sans-serif"][:2] == cjk_font_family()
        assert matplotlib.rcParams["text.parse_math"] is False and matplotlib.rcParams["svg.fonttype"] == "none"
    assert dict(matplotlib.rcParams) == before


def test_a_figure_is_made_without_pyplot_and_saved_as_png_and_date_free_svg(tmp_path: Path):
    import sys

    def draw(base: Path) -> list[Path]:
        with style.chart_style():
            fig = style.new_figure((4, 3))
            ax = fig.add_subplot()
            ax.plot(YEARS, [1, 2, 3, 4])
            fig.suptitle("高新技术企业数")
            return style.save_figure(fig, base)

    png, svg = draw(tmp_path / "a" / "chart")
    assert (png.name, svg.name) == ("chart.png", "chart.svg")
    assert png.read_bytes().startswith(b"\x89PNG") and "<svg" in svg.read_text(encoding="utf-8")
    assert "高新技术企业数" in svg.read_text(encoding="utf-8") and svg_problems(svg) == []
    _, again = draw(tmp_path / "b" / "chart")
    assert svg.read_bytes() == again.read_bytes()  # no date: the same chart gives the same bytes
    pyplot = sys.modules.get("matplotlib.pyplot")
    assert pyplot is None or pyplot.get_fignums() == []


def test_series_colours():
    assert style.series_colors(1) == [style.SINGLE_SERIES_COLOR]
    five = style.series_colors(5)
    assert len(five) == 5 and len({tuple(c) for c in five}) == 5


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 30).flatmap(lambda runs: st.lists(
    st.lists(st.floats(-1e6, 1e6) | st.just(float("nan")), min_size=4, max_size=4), min_size=runs, max_size=runs)))
def test_percentile_bands_are_ordered_and_nan_only_where_a_column_has_no_value(rows):
    values = np.array(rows, dtype=float)
    bands = style.percentile_bands(FanSeries("s", YEARS, values))
    stacked = np.array([bands.p5, bands.p25, bands.p50, bands.p75, bands.p95])
    empty = np.isnan(values).all(axis=0)
    assert (np.isnan(stacked).any(axis=0) == empty).all()
    ok = stacked[:, ~empty]
    assert (np.diff(ok, axis=0) >= -1e-9 * np.maximum(1, np.abs(ok[:-1]))).all()


def test_percentile_bands_refuse_values_of_another_shape():
    with pytest.raises(ValueError, match="shape"):
        style.percentile_bands(FanSeries("A", YEARS, np.zeros((5, 3))))
    with pytest.raises(ValueError):
        style.percentile_bands(FanSeries("A", YEARS, np.zeros((0, 4))))


def test_years_are_written_without_a_separator_and_months_as_year_month():
    """x = year + (month - 12) / 12: a whole year is its year end, a month between is written '2019-10'."""
    assert style.format_x(2020.0) == "2020"
    assert style.format_x(2019 + (10 - 12) / 12) == "2019-10" and style.format_x(2019 + (1 - 12) / 12) == "2019-01"
    assert style.format_x(2019.5) == "2020-06" and style.format_x(2019.123) == "2019.12"


def test_the_target_marker_names_the_comparison_and_widens_the_axis_to_its_year():
    with style.chart_style():
        fig = style.new_figure((4, 3))
        ax = fig.add_subplot()
        ax.plot(YEARS, [1, 2, 3, 4])
        style.draw_target(ax, 900, 2025, "规划目标", ">=", percent=False)
        texts = [t.get_text() for t in ax.texts]
        assert texts == ["规划目标 ≥ 900 (2025)"]
        assert ax.get_xlim()[1] > 2025
        style.draw_target(ax, 0.4, None, "", "<=", percent=True)
        assert ax.texts[-1].get_text() == "目标 ≤ 40%"


# --------------------------------------------------------------------------- text that fits


def _widths(text: str, size: float) -> list[float]:
    return [style.text_width(line, size) for line in text.split("\n")]


def test_text_is_measured_by_display_width():
    """A Chinese character is about twice as wide as a Latin letter: counting characters would clip titles."""
    assert style.text_width("高新技术企业", 10) > 1.6 * style.text_width("abcdef", 10)
    assert style.text_width("abc", 20) == pytest.approx(2 * style.text_width("abc", 10))
    assert style.text_width("短\n长长长长", 10) == style.text_width("长长长长", 10)


def test_a_bilingual_title_breaks_at_its_dot_first():
    title = "高新技术企业数达到九百家以上 · High-tech enterprises reach 900 or more"
    width = style.text_width(title, 13) * 0.8
    assert style.wrap_text(title, width, 13) == "高新技术企业数达到九百家以上\nHigh-tech enterprises reach 900 or more"
    assert style.wrap_text(title, style.text_width(title, 13) * 1.1, 13) == title  # fits: unchanged


@settings(max_examples=40, deadline=None)
@given(st.text(st.sampled_from(list("高新区企业孵化器，。（）《》 abcdefghij·-%0123456789")), max_size=120),
       st.floats(40, 400))
def test_wrapped_lines_fit_and_keep_every_character(text, width):
    wrapped = style.wrap_text(text, width, 10)
    assert all(w <= width + 1e-6 for w in _widths(wrapped, 10)) or max(len(x) for x in wrapped.split("\n")) == 1
    # nothing lost but the spaces (and ' · ' separators) where lines break
    assert re.sub(r"[\s·]", "", wrapped) == re.sub(r"[\s·]", "", text)


def test_lines_never_start_with_closing_nor_end_with_opening_punctuation():
    text = "各高新区（含筹建）的孵化器数量，到二〇二〇年达到三十五家以上。《规划》要求每个国家级高新区至少两家。"
    for width in (60, 90, 120, 150):
        lines = style.wrap_text(text, width, 10).split("\n")
        assert len(lines) > 1
        assert not any(line[0] in "，。）》" for line in lines[1:])
        assert not any(line[-1] in "（《" for line in lines)


def test_a_word_wider_than_the_line_is_cut():
    lines = style.wrap_text("x" * 200, 100, 10).split("\n")
    assert len(lines) > 1 and "".join(lines) == "x" * 200
    assert all(style.text_width(line, 10) <= 100 for line in lines)


def test_count_units_are_recognised():
    for unit in ("家", "个", "件", "人", "家（园区）", "个市（区）", "新增（家）", "新增 added（家）", "园区数 (家)"):
        assert style.is_count_unit(unit), unit
    for unit in ("亿元", "万元", "比例", "件/万人", "倍", "增长率", "平方米", ""):
        assert not style.is_count_unit(unit), unit


def test_growth_rates_are_percent_whatever_their_range():
    growth = np.array([-0.2, 0.1, 1.5])
    assert style.is_percent("增长率", growth) and style.is_percent("yearly growth (%)", growth)
    assert not style.is_percent("亿元", growth)


@pytest.mark.parametrize("values", [[3.0, 4.0], [4.0, 4.0], [0.0, 0.3], [3.4, 3.6], [0, 120], [-2.0, 5.0]])
def test_integer_ticks_are_whole_numbers_and_at_least_two(values):
    with style.chart_style():
        fig = style.new_figure((4, 3))
        ax = fig.add_subplot()
        ax.plot([0, 1], values)
        style.style_axes(ax, ylabel="家", percent=False, integer_years=False, integer=True)
        fig.canvas.draw()
        ticks = visible_ticks(ax)
        assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
        low, high = ax.get_ylim()
        assert low <= min(values) and high >= max(values)
        assert all(label.get_text().lstrip("-").isdigit() or "," in label.get_text()
                   for label in ax.get_yticklabels() if label.get_text())


def test_the_probability_box_gives_the_interval_in_chinese_and_english():
    text = style.probability_text(0.69, 0.671, 0.707, 2500)
    assert text.startswith("达标概率 P(hit) = 69.0% [67.1%, 70.7%]")
    assert "95%" in text and "2,500" in text and "runs" in text and "次运行" in text
    assert style.probability_text(0.5, 0.4, 0.6, 12, who="基准 base", per_variant=True).startswith("基准 base")
    assert style.plan_subtitle("测试地区", "Test region") == "规划 Plan：测试地区 · Test region"
    assert style.plan_subtitle("测试地区", "测试地区") == "规划 Plan：测试地区"


def test_legend_columns_fit_the_width():
    labels = ["模拟中位数 · simulated median", "25–75%", "5–95%"]
    assert style.legend_columns(labels, 7.0) == 3
    assert style.legend_columns(labels, 3.0) < 3
    assert style.legend_columns(["x" * 300], 2.0) == 1


@pytest.mark.parametrize("width", [4.0, 8.0])
def test_a_framed_figure_keeps_every_text_inside_and_the_plot_its_height(width):
    title = ("每个国家级高新区的科技企业孵化器数量达到两家以上，省级高新区至少一家 · " * 3
             + "Each national zone has two or more incubators " * 2)[:200]
    with style.chart_style():
        fig = style.new_figure((width, 3.0))
        ax = fig.add_subplot()
        ax.plot(YEARS, [1, 2, 3, 4])
        frame = style.frame_figure(fig, title=title, subtitle=[style.plan_subtitle("测试地区", "Test region")],
                                   box=style.probability_text(0.69, 0.671, 0.707, 2500), note="note " * 60)
        assert texts_outside(fig) == []
        assert frame.title.get_text().count("\n") >= 2 and fig.get_figheight() > 3.0
        plot = ax.get_position().height * fig.get_figheight()
        frame.layout()  # again: the same figure
        assert ax.get_position().height * fig.get_figheight() == pytest.approx(plot)
        assert texts_outside(fig) == []
