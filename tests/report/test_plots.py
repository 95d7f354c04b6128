"""sim.report.plots: fan charts — PNG and SVG files are written, Chinese renders without a missing glyph, no
global state leaks, edge cases (NaN, one run, targets outside the range) do not crash."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from sim.report.plots import FanSeries, fan_chart

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
    assert "<svg" in text
    # svg.fonttype "path": glyphs are outlines, so no <text> elements depend on installed fonts.
    assert "<text" not in text


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


