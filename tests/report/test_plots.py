"""sim.report.plots: fan charts — PNG and SVG files are written, Chinese renders without a missing glyph, no
global state leaks, edge cases (NaN, one run, targets outside the range) do not crash; a run's charts (from small
runs of tests/data/tiny.yaml) are fit for a briefing: every text inside the figure (a 200-character target name
too), whole-number ticks for counts, growth rates and shares in %, P(hit) with its interval on the chart, the
plan's name, the weakest zone named, and SVG text kept as text with the font named."""

from __future__ import annotations

import dataclasses
import re
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from sim.input.scenario import load_scenario
from sim.report import plots
from sim.report.plots import FanSeries, fan_chart, target_fan_charts
from sim.runner.montecarlo import run_scenario
from tests.conftest import TINY
from tests.report.test_style import all_texts, capture_figures, svg_problems, texts_outside, visible_ticks

YEARS = [2017, 2018, 2019, 2020]
CHINESE_SAMPLE = "高新技术企业 高新技術企業 孵化器 眾創空間 每万人发明专利拥有量"


def _values(runs: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 600 + 100 * np.arange(len(YEARS)) + rng.normal(0, 40, size=(runs, len(YEARS)))


def _render(tmp_path: Path, series: list[FanSeries], **kwargs: object) -> list[Path]:
    """Render while recording every warning, failing on any missing-glyph warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = fan_chart(
            series,
            title=kwargs.pop("title", "高新技术企业数 · High-tech enterprises"),  # type: ignore[arg-type]
            ylabel=kwargs.pop("ylabel", "企业数 (家)"),  # type: ignore[arg-type]
            out_base=tmp_path / "charts" / "fan",
            **kwargs,  # type: ignore[arg-type]
        )
    glyph_warnings = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert glyph_warnings == []
    return paths


def test_fan_chart_writes_png_and_svg(tmp_path: Path) -> None:
    paths = _render(
        tmp_path,
        [FanSeries("基准情景 · 眾創空間", YEARS, _values())],
        target_value=900,
        target_x=2020,
        target_label="规划目标",
        note="200 runs, seed 0; bands: 25–75%, 5–95%",
    )
    png, svg = paths
    assert png == tmp_path / "charts" / "fan.png"
    assert svg == tmp_path / "charts" / "fan.svg"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert png.stat().st_size > 10_000
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "规划目标" in text  # svg.fonttype "none": labels are <text>, editable
    assert svg_problems(svg) == []


def test_fan_chart_does_not_leak_global_state(tmp_path: Path) -> None:
    before_family = list(matplotlib.rcParams["font.sans-serif"])
    before_minus = matplotlib.rcParams["axes.unicode_minus"]
    _render(tmp_path, [FanSeries("A", YEARS, _values())])
    assert matplotlib.rcParams["font.sans-serif"] == before_family
    assert matplotlib.rcParams["axes.unicode_minus"] == before_minus
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:  # another test may have imported it; we must not have added figures
        assert pyplot.get_fignums() == []


def test_nan_values_and_an_all_nan_column_still_draw(tmp_path: Path) -> None:
    values = _values()
    values[::3, 1] = np.nan
    values[:, 2] = np.nan  # undefined in every run
    paths = _render(tmp_path, [FanSeries("孵化器", YEARS, values)], target_value=900, target_x=2020)
    assert all(p.exists() for p in paths)


def test_a_single_run_draws(tmp_path: Path) -> None:
    values = _values(runs=1)
    paths = _render(tmp_path, [FanSeries("单次运行", YEARS, values[0])])  # 1-D also accepted
    assert all(p.exists() for p in paths)


def test_several_series_draw_with_a_legend(tmp_path: Path) -> None:
    series = [
        FanSeries("基准情景", YEARS, _values(seed=1)),
        FanSeries("加大孵化器投入", YEARS, _values(seed=2) * 1.1),
        FanSeries("人才政策 · Talent policy", YEARS, _values(seed=3) * 0.95),
    ]
    paths = _render(tmp_path, series, target_value=900, target_x=2020, comparison=">=")
    assert paths[0].stat().st_size > 10_000


def test_a_percent_axis_and_fractional_years_draw(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    months = [2017 + i / 12 for i in range(24)]
    share = np.clip(rng.normal(0.3, 0.05, size=(100, len(months))), 0, 1)
    paths = _render(
        tmp_path,
        [FanSeries("占比", months, share)],
        title="高新技术产业增加值占比",
        ylabel="share of GDP (%)",
        target_value=0.4,
        target_x=2019,
        comparison="<=",
    )
    assert all(p.exists() for p in paths)


def test_a_target_without_x_or_outside_the_range_still_draws(tmp_path: Path) -> None:
    _render(tmp_path, [FanSeries("A", YEARS, _values())], target_value=900)
    _render(tmp_path, [FanSeries("A", YEARS, _values())], target_value=1500, target_x=2025)


def test_a_bad_shape_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shape"):
        fan_chart([FanSeries("A", YEARS, np.zeros((5, 3)))], title="t", ylabel="y", out_base=tmp_path / "x")
    with pytest.raises(ValueError):
        fan_chart([], title="t", ylabel="y", out_base=tmp_path / "x")




# --------------------------------------------------------------------------- a run's charts, for a briefing


@pytest.fixture(scope="module")
def tiny_results():
    return run_scenario(load_scenario(TINY), runs=12, workers=1)


@pytest.fixture(scope="module")
def run_charts(tiny_results, tmp_path_factory):
    """The fan charts of a small run of tiny.yaml: {target id: (figure, files)}, drawn once."""
    out = tmp_path_factory.mktemp("run_charts")
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figures = capture_figures(mp, plots)
        files = target_fan_charts(tiny_results, out)
    assert [str(w.message) for w in caught if "missing from" in str(w.message)] == []
    return {stem.removeprefix("fan_"): (fig, [f for f in files if f.stem == stem]) for stem, fig in figures.items()}


def test_a_chart_per_modelled_target(tiny_results, run_charts):
    modelled = {t.id for t in tiny_results.scenario.targets if t.modelled}
    assert set(run_charts) == modelled
    for _, files in run_charts.values():
        assert sorted(f.suffix for f in files) == [".png", ".svg"] and all(f.is_file() for f in files)


def test_every_text_of_every_run_chart_is_inside_the_figure(run_charts):
    for tid, (fig, _) in run_charts.items():
        assert texts_outside(fig) == [], tid


def test_counts_tick_on_whole_numbers(tiny_results, run_charts):
    counted = {"hte", "hte_mid", "each_nat", "zones_big", "zones_n"}  # 家: HTEs, incubators, zones
    assert counted <= set(run_charts)
    for tid in counted:
        fig, _ = run_charts[tid]
        fig.canvas.draw()
        ticks = visible_ticks(fig.axes[0])
        assert len(ticks) >= 2 and all(float(v).is_integer() for v in ticks), (tid, ticks)


def test_growth_rates_and_shares_are_in_percent_on_the_axis_and_the_target(run_charts):
    for tid in ("growth_c", "growth_e", "share"):
        fig, _ = run_charts[tid]
        fig.canvas.draw()
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
        assert labels and all(label.endswith("%") for label in labels), (tid, labels)
        [target] = [t.get_text() for t in ax.texts if t.get_text().startswith("目标")]
        assert re.fullmatch(r"目标 [≥≤<>=] -?[\d.,]+% \(\d{4}(\.\d+)?\)", target), target
    assert "目标 ≥ 5% (2020)" in all_texts(run_charts["growth_c"][0])  # a threshold of 0.05
    assert "目标 ≥ 70% (2020)" in all_texts(run_charts["share"][0])


def test_p_hit_with_its_interval_and_the_plan_are_on_every_chart(tiny_results, run_charts):
    rows = {r["target_id"]: r for r in tiny_results.summary()}
    for tid, (fig, _) in run_charts.items():
        r = rows[tid]
        texts = all_texts(fig)
        [box] = [t for t in texts if "P(hit)" in t]
        assert "达标概率" in box and f"{r['p_hit']:.1%} [{r['p_hit_low']:.1%}, {r['p_hit_high']:.1%}]" in box
        assert "95%" in box and "12 次运行 runs" in box
        assert any("测试地区" in t and "Test region" in t for t in texts), tid


def test_a_target_on_each_zone_names_the_weakest_zone(run_charts):
    texts = all_texts(run_charts["each_nat"][0])
    assert any("最弱" in t and "weakest" in t and "national" in t for t in texts)  # the subtitle
    assert any("最弱园区 weakest zone" in t for t in texts if "中位数" in t)  # the legend
    assert not any("weakest" in t for t in all_texts(run_charts["hte"][0]))


def test_svg_text_stays_text_with_the_font_named(run_charts):
    for tid, (_, files) in run_charts.items():
        svg = next(f for f in files if f.suffix == ".svg")
        assert svg_problems(svg) == [], tid
        assert "测试地区" in svg.read_text(encoding="utf-8")


def test_a_200_character_target_name_still_fits(tiny_results, tmp_path, monkeypatch):
    name = ("每个国家级高新区的科技企业孵化器数量达到两家以上，并建成一批众创空间和公共技术服务平台" * 4)[:120]
    name_en = ("Each national high-tech zone has two or more technology business incubators " * 2)[:80]
    assert len(name) + len(name_en) == 200
    sc = tiny_results.scenario
    targets = tuple(dataclasses.replace(t, name=name, name_en=name_en) if t.id in ("each_nat", "growth_c") else t
                    for t in sc.targets)
    long = dataclasses.replace(tiny_results, scenario=dataclasses.replace(sc, targets=targets,
                                                                           name=sc.name * 20, name_en=sc.name_en * 8))
    figures = capture_figures(monkeypatch, plots)
    target_fan_charts(long, tmp_path)
    for stem in ("fan_each_nat", "fan_growth_c"):
        fig = figures[stem]
        assert texts_outside(fig) == [], stem
        [title] = [t for t in fig.texts if name[:10] in t.get_text()]
        assert title.get_text().count("\n") >= 3
        assert re.sub(r"[\s·]", "", title.get_text()) == re.sub(r"[\s·]", "", f"{name}{name_en}")  # all there


def test_a_dated_target_is_written_as_year_and_month(run_charts):
    """hte_mid is due in October 2019: its label and the axis read months, never fractional years."""
    fig, _ = run_charts["hte_mid"]
    fig.canvas.draw()
    assert "目标 ≥ 70 (2019-10)" in all_texts(fig)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert labels and all(re.fullmatch(r"\d{4}(-\d{2})?", label) for label in labels), labels
