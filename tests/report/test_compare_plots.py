"""sim.report.compare_plots: comparison plots — files written, the heatmap only for two-axis grids, the frontier,
and Chinese glyphs; every chart fit for a briefing: every text inside the figure (a 200-character target name and
a long experiment name too), the plan's and the experiment's names, the base's P(hit) with its interval on the
chart, whole-number ticks for counts, editable SVG text."""

from __future__ import annotations

import dataclasses
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.input.experiment import load_experiment
from sim.report import compare_plots
from sim.report.compare_files import write_comparison
from sim.report.compare_plots import comparison_plots, moved_targets, non_dominated
from sim.runner.compare import run_experiment
from tests.conftest import DATA
from tests.report.test_style import all_texts, capture_figures, svg_problems, texts_outside, visible_ticks


@pytest.fixture(scope="module")
def award():
    return run_experiment(load_experiment(DATA / "tiny_experiment.yaml"), runs=12, workers=1)


@pytest.fixture(scope="module")
def grid():
    return run_experiment(load_experiment(DATA / "tiny_grid.yaml"), runs=8, workers=1)


def _plots(comparison, out: Path, **kwargs) -> list[Path]:
    """Every plot of a comparison, failing on any missing-glyph warning (as tests/report/test_plots.py does)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = comparison_plots(comparison, out, **kwargs)
    assert [str(w.message) for w in caught if "missing from" in str(w.message)] == []
    return files


def _names(files: list[Path]) -> set[str]:
    return {f.name for f in files}


def _check_written(files: list[Path]) -> None:
    stems = {f.stem for f in files}
    assert {f.name for f in files} == {f"{s}.png" for s in stems} | {f"{s}.svg" for s in stems}
    for f in files:
        assert f.is_file()
        if f.suffix == ".png":
            assert f.read_bytes().startswith(b"\x89PNG") and f.stat().st_size > 10_000
        else:
            text = f.read_text(encoding="utf-8")
            assert "<svg" in text and svg_problems(f) == []  # editable text, the font named


def test_two_axis_grid_gives_heatmaps(grid, tmp_path):
    files = _plots(grid, tmp_path, max_targets=0)
    _check_written(files)
    names = _names(files)
    assert {"compare_heatmap_ALL.png", "compare_heatmap_ALL.svg"} <= names
    heatmaps = {n for n in names if n.startswith("compare_heatmap_")}
    frontiers = {n for n in names if n.startswith("compare_frontier_")}
    assert {n.replace("heatmap", "frontier") for n in heatmaps} == frontiers
    assert not any(n.startswith("compare_grid_") for n in names)


def test_one_axis_grid_gives_a_line_plot_not_a_heatmap(tmp_path, monkeypatch):
    path = tmp_path / "one_axis.yaml"
    path.write_text(f"experiment:\n  id: one_axis\n  name: 测试：单轴网格\n  scenario: {DATA / 'tiny.yaml'}\n"
                    "grid:\n  - {path: policies.award.amount_new, values: [0, 300000], label: 首次认定奖励（元）}\n",
                    encoding="utf-8")
    comparison = run_experiment(load_experiment(path), runs=6, workers=1)
    figures = capture_figures(monkeypatch, compare_plots)
    files = _plots(comparison, tmp_path / "out", max_targets=0)
    _check_written(files)
    _check_briefing(comparison, figures)
    assert _names(files) == {f"compare_{k}.{s}" for k in ("fan_hte", "frontier_ALL", "grid_ALL")
                             for s in ("png", "svg")}


def test_variants_without_grid_give_fan_and_frontiers_but_no_heatmap(award, tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = write_comparison(award, tmp_path, plots=True)  # the way `zonesim compare` draws them
    assert [str(w.message) for w in caught if "missing from" in str(w.message)] == []
    plots = [f for f in files if f.name.startswith("compare_") and f.suffix in (".png", ".svg")]
    _check_written(plots)
    names = _names(files)
    assert {"compare.csv", "cost_effectiveness.csv", "compare_fan_hte.png", "compare_fan_hte.svg",
            "compare_frontier_ALL.png", "compare_frontier_ALL.svg"} <= names
    assert not any(n.startswith(("compare_heatmap_", "compare_grid_")) for n in names)
    moved = moved_targets(award)
    assert len(moved) <= compare_plots.MAX_TARGET_PLOTS and "ALL" not in moved
    assert {n for n in names if n.startswith("compare_frontier_")} == {
        f"compare_frontier_{t}.{s}" for t in ["ALL", *moved] for s in ("png", "svg")}
    capped = moved_targets(award, limit=1)
    assert len(capped) == min(1, len(moved)) and set(capped) <= set(moved)
    rows = [r for r in award.rows() if r["variant"] != "base"]
    for t in moved:  # every plotted target is moved by some variant: its paired interval excludes 0
        assert any(r["target_id"] == t and (r["delta_low"] > 0 or r["delta_high"] < 0) for r in rows)


def test_names_without_glyphs_never_warn(award, tmp_path):
    """A variant name with characters no font has is drawn with '?' instead of an empty box and a warning;
    '$' is not read as mathtext."""
    exp = award.experiment
    renamed = tuple(dataclasses.replace(v, name=f"{v.name} \ue000 $5k") for v in exp.variants)
    odd = dataclasses.replace(award, experiment=dataclasses.replace(exp, variants=renamed))
    _check_written(_plots(odd, tmp_path, max_targets=0))


def test_frontier_on_a_hand_made_case():
    #            cheap   same P, dearer   dominated   best   tie with 1   free and useless
    cost = [1.0, 2.0, 3.0, 4.0, 2.0, 0.0]
    p = [0.2, 0.3, 0.25, 0.6, 0.3, 0.0]
    assert non_dominated(cost, p).tolist() == [True, True, False, True, True, True]
    # The same P at a higher cost is dominated; so is a lower P at the same cost.
    assert non_dominated([1.0, 2.0], [0.5, 0.5]).tolist() == [True, False]
    assert non_dominated([1.0, 1.0], [0.4, 0.5]).tolist() == [False, True]
    assert non_dominated([], []).tolist() == []
    with pytest.raises(ValueError):
        non_dominated([1.0, 2.0], [0.5])


def _dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[0] and a[1] >= b[1] and (a[0] < b[0] or a[1] > b[1])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6).map(float), st.integers(0, 6).map(lambda k: k / 6)),
                min_size=1, max_size=30))
def test_frontier_points_are_not_dominated_and_the_others_are(points):
    front = non_dominated([c for c, _ in points], [p for _, p in points])
    for i, a in enumerate(points):
        dominated = any(_dominates(b, a) for j, b in enumerate(points) if j != i)
        assert front[i] == (not dominated)
    assert front.any()  # the cheapest of the most likely is always on the frontier
    best = max(p for _, p in points)
    assert front[int(np.argmin([c if p == best else np.inf for c, p in points]))]


def _check_briefing(comparison, figures) -> None:
    """Every chart: no text outside, the plan's and the experiment's names, the base's P(hit) and interval."""
    rows = {r["target_id"]: r for r in comparison.rows() if r["variant"] == comparison.experiment.base_id}
    assert figures
    for stem, fig in figures.items():
        assert texts_outside(fig) == [], stem
        texts = all_texts(fig)
        assert any("测试地区" in t and "Test region" in t for t in texts), stem
        assert any(comparison.experiment.name in t for t in texts), stem
        target = stem.split("_", 2)[-1] if not stem.startswith("compare_fan_") else "hte"  # tiny marks hte
        r = rows[target]
        [box] = [t for t in texts if "达标概率 P(hit)" in t]
        assert f"{r['p_hit']:.1%} [{r['p_hit_low']:.1%}, {r['p_hit_high']:.1%}]" in box and "基准 base" in box


def test_every_comparison_chart_is_fit_for_a_briefing(award, grid, tmp_path, monkeypatch):
    for name, comparison in (("award", award), ("grid", grid)):
        figures = capture_figures(monkeypatch, compare_plots)
        _plots(comparison, tmp_path / name)
        _check_briefing(comparison, figures)
        fig = figures["compare_fan_hte"]  # HTEs are counted: whole-number ticks on both panels
        fig.canvas.draw()
        for ax in fig.axes:
            ticks = visible_ticks(ax)
            assert len(ticks) >= 2 and all(float(v).is_integer() for v in ticks), ticks
        assert "目标 ≥ 80 (2020)" in all_texts(fig)
        frontier = figures["compare_frontier_ALL"]
        frontier.canvas.draw()
        assert all(t.get_text().endswith("%") for t in frontier.axes[0].get_yticklabels() if t.get_text())
        # money in 万元 as in the terminal and the CSVs, whatever the size of the costs
        assert "万元" in frontier.axes[0].get_xlabel() and "亿元" not in frontier.axes[0].get_xlabel()


def test_a_200_character_target_name_and_a_long_experiment_name_still_fit(award, tmp_path, monkeypatch):
    name = ("高新技术企业数量达到九百家以上，其中营业收入超亿元的高新技术企业占三成以上" * 4)[:120]
    name_en = ("High-tech enterprises reach 900 or more, a third of them with revenue above 100M " * 2)[:80]
    exp = award.experiment
    base = exp.base
    sc = dataclasses.replace(base.scenario, targets=tuple(
        dataclasses.replace(t, name=name, name_en=name_en) if t.id == "hte" else t for t in base.scenario.targets))
    variants = tuple(dataclasses.replace(v, scenario=sc) if v.id == base.id else v for v in exp.variants)
    long = dataclasses.replace(award, experiment=dataclasses.replace(
        exp, variants=variants, name="测试：奖励额度与创新券的组合方案比较（含首次认定奖励和重新认定奖励）" * 3))
    figures = capture_figures(monkeypatch, compare_plots)
    files = compare_plots.fan_overlay(long, tmp_path) + compare_plots.frontier_chart(long, "hte", tmp_path)
    _check_written(files)
    for stem in ("compare_fan_hte", "compare_frontier_hte"):
        fig = figures[stem]
        assert texts_outside(fig) == [], stem
        assert any(re.sub(r"[\s·]", "", name) in re.sub(r"[\s·]", "", t) for t in all_texts(fig)), stem


def test_frontier_keeps_wan_yuan_for_costs_of_hundreds_of_millions(award, tmp_path, monkeypatch):
    rows = [dict(r, cost_mean=r["cost_mean"] * 1e4 + 5e8, cost_p05=r["cost_p05"] * 1e4 + 4e8,
                 cost_p95=r["cost_p95"] * 1e4 + 6e8) for r in award.rows()]
    figures = capture_figures(monkeypatch, compare_plots)
    compare_plots.frontier_chart(award, "ALL", tmp_path, rows=rows)
    fig = figures["compare_frontier_ALL"]
    fig.canvas.draw()
    ax = fig.axes[0]
    assert "万元" in ax.get_xlabel() and "亿元" not in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all("e" not in s and "×" not in s for s in labels), labels
    assert any("," in s for s in labels), labels  # 50,000 万元 written out with separators
