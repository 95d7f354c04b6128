"""sim.report.html: one self-contained bilingual page — no address it could fetch, the charts embedded, names shown
as text whatever they hold, the targets grouped by P(hit), the back-test caveats, the levers' costs and the best
per yuan of a comparison, the assumed inputs, the not-modelled targets and the command that reproduces it all."""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import re

import pytest

from sim.report.folders import read_folder, read_folders
from sim.report.html import FONT_STACK, LIKELY, UNLIKELY, classify, render_html, report_context
from tests.report.conftest import TRICKY_NAME


@pytest.fixture(scope="module")
def page(run_folder, compare_folder, backtest_folder) -> str:
    return render_html(read_folders([run_folder, compare_folder, backtest_folder]), built="2026-01-01 00:00 UTC")


def test_names_holding_markup_or_template_syntax_are_shown_as_text(page):
    assert "<script>alert" not in page and "{{ 7*7 }}" in html_lib.unescape(page)
    assert html_lib.escape(TRICKY_NAME, quote=False) in page.replace("&#39;", "'")
    assert "49" not in re.findall(r"测试地区[^<]*", page)[0]  # the template syntax was not evaluated
    assert page.count("<script") == 1  # the language switch only


def test_the_page_needs_nothing_but_itself(page):
    # no address anywhere a browser would fetch: every src is data:, no link/stylesheet, a CSP that forbids the rest
    srcs = re.findall(r'\ssrc="([^"]*)"', page)
    assert srcs and all(s.startswith("data:image/svg+xml;base64,") for s in srcs)
    assert not re.search(r"<link\b|@import|url\(|https?://[^\s\"'<]*\.(?:js|css|woff2?)", page)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert "default-src 'none'" in csp and "img-src data:" in csp
    # the one inline script is the one the policy allows, by its hash
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    assert f"'sha256-{digest}'" in csp
    assert FONT_STACK in page and '"Noto Sans CJK SC"' in FONT_STACK and FONT_STACK.endswith("sans-serif")


def test_every_chart_of_every_folder_is_embedded_whole(page, run_folder, compare_folder, backtest_folder):
    embedded = [base64.b64decode(s.split(",", 1)[1]) for s in re.findall(r'\ssrc="([^"]*)"', page)]
    on_disk = [c.svg for f in (run_folder, compare_folder, backtest_folder) for c in read_folder(f).charts]
    assert embedded == on_disk and len(on_disk) >= 13


def test_targets_are_grouped_by_their_p_hit():
    assert classify(LIKELY) == "likely" and classify(UNLIKELY) == "unlikely" and classify(0.5) == "uncertain"
    assert classify(float("nan")) == "" and classify(LIKELY - 1e-9) == "uncertain"


def test_the_run_summary_counts_match_its_summary_table(run_folder):
    folder = read_folder(run_folder)
    view = report_context([folder])["folders"][0]
    rows = [r for r in folder.tables["summary.csv"] if r["status"] == "modelled" and r["target_id"] != "ALL"]
    for group in ("likely", "uncertain", "unlikely"):
        want = [r["target_id"] for r in rows if classify(float(r["p_hit"])) == group]
        assert [t["id"] for t in view["groups"][group]] == want
    assert sum(len(g) for g in view["groups"].values()) == len(rows)
    joint = next(r for r in folder.tables["summary.csv"] if r["target_id"] == "ALL")
    assert view["joint"]["p"] == int(joint["hits"]) / int(joint["runs"]) == pytest.approx(float(joint["p_hit"]),
                                                                                       abs=5e-5)
    # back-test caveats: each target whose summary row has one is marked † and listed with its text
    flagged = [r for r in rows if r["caution"]]
    assert flagged and [c["id"] for c in view["cautions"]] == [r["target_id"] for r in flagged]
    assert all(t["interval"].endswith("†") == bool(next(r for r in rows if r["target_id"] == t["id"])["caution"])
               for t in view["targets"])
    assert [t["id"] for t in view["not_modelled"]] == ["skip"] and view["not_modelled"][0]["reason"]


def test_the_run_section_holds_identity_command_assumptions_and_model_page(page, run_folder):
    folder = read_folder(run_folder)
    text = html_lib.unescape(page)
    for needle in (folder.scenario_sha256, "12", folder.command(), "alpha.firm_weight", "testing the not-modelled path",
                   "Monte Carlo error only", "does not include model error", "† Stronger than the back-tests support"):
        assert needle in text, needle
    assert text.count('class="zh" lang="zh-CN"') > 50 and text.count('class="en" lang="en"') > 50


def test_a_comparison_shows_its_levers_costs_against_caps_and_the_best_per_yuan(compare_folder):
    folder = read_folder(compare_folder)
    view = report_context([folder])["folders"][0]
    assert [v["id"] for v in view["variants"]] == ["base", "dear", "cheap"]
    # t0: dear gains 50 - 30ish points for 400 万元, cheap about half as much for 100 万元: cheap wins per yuan
    best = {b["id"]: b for b in view["best"]}
    assert best["t0"]["variant"] == "cheap" and "per 100 万元" in best["t0"]["en"]
    caps = [r["budget_per_year_wan"] for r in folder.tables["lever_costs.csv"]]
    assert len(view["costs"]) == len(caps) and any(caps)
    assert [c["cap"] for c in view["costs"]] == [f"{float(c):,.0f}" if c else "—" for c in caps]
    # the hand-made costs are all paid by the first lever in its first year: 400 万元 over a cap of 200 is flagged
    over = [(r["variant"], r["lever"], r["year"]) for r in folder.tables["lever_costs.csv"]
            if r["budget_per_year_wan"] and float(r["cost_max_wan"]) > float(r["budget_per_year_wan"])]
    assert over == [("dear", "award", "2018")]
    assert [(c["variant"], c["lever"], str(c["year"])) for c in view["costs"] if c["over"]] == over


def test_a_backtest_shows_its_gate_and_its_scores(backtest_folder):
    view = report_context([read_folder(backtest_folder)])["folders"][0]
    assert [s["in90"] for s in view["scores"]] == [True, False] and view["inside"] == 1
    assert view["unscored"] == ["zone_net_profit (not modelled)"]


def test_the_page_is_the_same_for_the_same_folders(run_folder):
    folders = [read_folder(run_folder)]
    assert render_html(folders, built="x") == render_html(folders, built="x")


class _Printed:
    """Just enough of `sim.runner.montecarlo.Results` for `format_table`: its summary rows."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows, self.runs, self.seed, self.workers, self.wall_seconds = rows, 100, 0, 1, 1.0
        self.scenario = type("S", (), {"name": "x"})()

    def summary(self) -> list[dict]:
        return self.rows

    def stopping_line(self) -> str:
        return "fixed"

    def diagnostic(self, name: str):
        import numpy as np

        return np.zeros(1) if name == "calibration_gap" else np.ones(1)


def test_intervals_and_bands_read_as_the_terminal_printed_them(run_folder, tmp_path):
    # 2 hits in 100 runs: Wilson's lower bound 0.00553 prints 0.6%; summary.csv holds 0.0055, which re-rounds to 0.5%
    import csv

    from sim.measure.stats import wilson
    from sim.report.files import format_table, write_summary_csv

    def row(tid, kind, indicator, count, hits, median, p05, p95):
        lo, hi = wilson(hits, 100)
        return {"target_id": tid, "name": "目标", "name_en": "target", "year": 2020, "month": 12,
                "indicator": indicator, "kind": kind, "comparison": ">=", "threshold": 1.0, "status": "modelled",
                "reason": "", "count": count, "runs": 100, "median": median, "p05": p05, "p95": p95,
                "p_hit": hits / 100, "p_hit_low": float(lo), "p_hit_high": float(hi), "hits": hits,
                "backtest": "untested", "caution": ""}

    rows = [row("money", "level", "output", False, 2, 12.3456, 0.123456, 1234.56),
            row("firms", "level", "hte", True, 17, 12.6, 3.2, 40.4),
            {**row("ALL", "joint", "", False, 1, float("nan"), float("nan"), float("nan")), "comparison": "",
             "threshold": float("nan")}]
    terminal = format_table(_Printed(rows))
    write_summary_csv(rows, tmp_path / "summary.csv")
    with open(tmp_path / "summary.csv", encoding="utf-8-sig", newline="") as fh:
        written = list(csv.DictReader(fh))
    folder = read_folder(run_folder)
    folder.tables["summary.csv"] = written
    view = report_context([folder])["folders"][0]
    shown = {t["id"]: t for t in view["targets"]}
    assert shown["money"]["interval"] == "2.0% [0.6%, 7.0%]" and shown["money"]["band"] == "12.3 [0.123, 1,235]"
    assert shown["firms"]["band"] == "13 [3, 40]"
    for t in view["targets"]:
        line = next(x for x in terminal.splitlines() if x.startswith(t["id"] + " "))
        assert t["interval"] in line and t["band"] in line, (t, line)
    all_line = next(x for x in terminal.splitlines() if x.startswith("ALL "))
    assert view["joint"]["interval"] in all_line and view["joint"]["p"] == 0.01


def test_the_costs_name_each_lever_with_its_id_in_small_print(run_folder):
    folder = read_folder(run_folder)
    page = render_html([folder], built="x")
    costs = re.search(r'<table class="costs">.*?</table>', page, re.S).group(0)
    assert "高企奖励" in costs and "研发补助" in costs  # the names of levers award and rd_sub in tiny.yaml
    assert re.search(r'<span class="zh" lang="zh-CN">高企奖励</span>.*?<span class="mono note">award</span>', costs)


def test_a_comparison_reads_as_the_terminal_printed_it(tmp_path):
    # 7 hits in 100 runs against none: Wilson's upper bound 0.13735 and Newcombe's 0.13735 print 13.7; compare.csv
    # holds 0.1374, which re-rounds to 13.8
    import numpy as np

    from sim.report.compare_files import format_comparison, write_comparison
    from tests.helpers import fake_comparison

    base = np.zeros((100, 1), bool)
    more = base.copy()
    more[:7, 0] = True
    c = fake_comparison({"base": base, "more": more}, {"base": np.zeros(100), "more": np.full(100, 1e6)})
    terminal = format_comparison(c)
    write_comparison(c, tmp_path / "c", plots=False)
    view = report_context([read_folder(tmp_path / "c")])["folders"][0]
    rows = {(g["id"], r["variant"]): r for g in view["groups"] for r in g["rows"]}
    assert rows[("t0", "more")]["interval"] == "7.0% [3.4%, 13.7%]"
    assert rows[("t0", "more")]["delta"] == "+7.0 [+1.9, +13.7]"
    for (tid, variant), r in rows.items():
        line = next(x for x in terminal.splitlines() if x.startswith(f"{tid} ") and f"({variant})" in x)
        assert r["interval"] in line and (variant == "base" or r["delta"] in line), (r, line)
    assert [b["variant"] for b in view["best"]] == ["more", "more"] and "+7.0 points" in view["best"][0]["en"]
