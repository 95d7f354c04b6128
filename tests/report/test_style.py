"""sim.report.style: the shared look of every chart — the bundled CJK font registered once, text drawn as it can
be (never an empty box), scoped rcParams, figures without pyplot, PNG and date-free SVG files, percentile bands,
number formats and the target marker."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.report import style
from sim.report.style import FanSeries, assert_glyphs_available, cjk_font_family

YEARS = [2017, 2018, 2019, 2020]
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
        assert matplotlib.rcParams["text.parse_math"] is False and matplotlib.rcParams["svg.fonttype"] == "path"
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


def test_years_are_written_without_a_separator():
    assert style.format_x(2020.0) == "2020" and style.format_x(2019.5) == "2019.5"
    assert style.format_x(2019.25) == "2019.25"


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
