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
    assert view["joint"]["p"] == float(joint["p_hit"])
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
