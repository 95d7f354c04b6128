"""sim.report.workbook: the report as .xlsx, read back with openpyxl — sheets, bilingual frozen headers, numbers
stored as numbers with percent and 亿元/万元 formats, and the same values as the folders' tables."""

from __future__ import annotations

import openpyxl
import pytest

from sim.measure.stats import wilson
from sim.report.folders import read_folders
from sim.report.workbook import SHEETS, write_workbook


@pytest.fixture(scope="module")
def book(run_folder, compare_folder, backtest_folder, tmp_path_factory):
    folders = read_folders([run_folder, compare_folder, backtest_folder])
    path = write_workbook(folders, tmp_path_factory.mktemp("book") / "report.xlsx")
    return folders, openpyxl.load_workbook(path)


def rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, (c for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]


def test_the_sheets_have_bilingual_frozen_headers(book):
    _, wb = book
    assert wb.sheetnames == list(SHEETS.values())
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        for cell in ws[1]:
            zh, en = cell.value.split("\n")
            assert zh and en and cell.font.b
        assert any("\u4e00" <= ch <= "\u9fff" for ch in ws[1][1].value)


def test_the_summary_holds_every_target_with_probabilities_as_percent(book):
    folders, wb = book
    got = rows(wb[SHEETS["summary"]])
    want = folders[0].tables["summary.csv"]
    assert [r["目标\ntarget id"].value for r in got] == [r["target_id"] for r in want]
    for g, w in zip(got, want, strict=True):
        p = g["实现概率\nP(hit)"]
        if w["p_hit"]:  # as the terminal printed it: from hits and runs, not summary.csv's 4 decimals
            k, n = int(w["hits"]), int(w["runs"])
            low, high = (float(x) for x in wilson(k, n))
            assert p.value == pytest.approx(k / n, rel=1e-12) and p.number_format == "0.0%"
            got = (g["95% 区间下限\n95% CI low"].value, g["95% 区间上限\n95% CI high"].value)
            assert got == pytest.approx((low, high), rel=1e-12)  # Excel keeps 15-16 digits
        else:
            assert p.value is None
        assert g["运行\nruns"].value == int(w["runs"])


def test_bands_use_the_indicators_units(book):
    folders, wb = book
    got = rows(wb[SHEETS["bands"]])
    assert len(got) == len(folders[0].bands)
    output = next(r for r in got if r["指标\nindicator"].value == "output")
    assert output["单位\nunit"].value == "亿元" and "亿元" in output["中位数\nmedian"].number_format
    hte = next(r for r in got if r["指标\nindicator"].value == "hte")
    assert hte["中位数\nmedian"].number_format == "#,##0"
    assert all(r["5%\n5%"].value <= r["中位数\nmedian"].value <= r["95%\n95%"].value for r in got)


def test_comparison_costs_and_assumptions(book):
    folders, wb = book
    comparison = rows(wb[SHEETS["comparison"]])
    assert len(comparison) == len(folders[1].tables["compare.csv"])
    assert all(r["成本均值\nmean cost"].number_format.endswith('" 万元"') for r in comparison)
    for got, want in zip(comparison, folders[1].tables["compare.csv"], strict=True):  # as the terminal printed it
        k, n = int(want["hits"]), int(want["runs"])
        assert (got["实现概率\nP(hit)"].value, got["95% 区间下限\n95% CI low"].value,
                got["95% 区间上限\n95% CI high"].value) == pytest.approx((k / n, *map(float, wilson(k, n))), rel=1e-12)
    costs = rows(wb[SHEETS["costs"]])
    assert len(costs) == len(folders[0].costs) + len(folders[1].costs)
    capped = [r for r in costs if r["年度上限\ncap per year"].value]
    assert capped and all(r["均值占上限\nmean / cap"].number_format == "0.0%" for r in capped)
    assumed = rows(wb[SHEETS["assumptions"]])
    assert len(assumed) == len(folders[0].assumptions) + len(folders[2].assumptions)  # the comparison's is unknown
    scores = rows(wb[SHEETS["backtest"]])
    assert [r["在 90% 带内\nin 90% band"].value for r in scores] == ["是 yes", "否 no"]


def test_a_sheet_is_written_only_when_it_has_rows(run_folder, compare_folder, tmp_path):
    run, compare = read_folders([run_folder, compare_folder])
    run_book = openpyxl.load_workbook(write_workbook([run], tmp_path / "run.xlsx"))
    assert run_book.sheetnames == [SHEETS[k] for k in ("summary", "bands", "costs", "assumptions")]
    compare_book = openpyxl.load_workbook(write_workbook([compare], tmp_path / "compare.xlsx"))
    assert not compare.assumptions  # the hand-made comparison's experiment file is unknown: no assumptions
    assert compare_book.sheetnames == [SHEETS[k] for k in ("comparison", "costs")]
    for wb in (run_book, compare_book):
        for ws in wb:
            assert ws.max_row >= 2, ws.title


def test_money_and_figures_carry_no_float_noise(book):
    _, wb = book
    money = [c.value for ws in wb for r in ws.iter_rows(min_row=2) for c in r
             if isinstance(c.value, float) and c.number_format.endswith('" 万元"')]
    assert money and all(v == round(v, 2) for v in money)
    bands = [c.value for r in wb[SHEETS["bands"]].iter_rows(min_row=2) for c in r[7:12]]
    assert bands and all(v == float(f"{v:.4g}") for v in bands)  # 4 significant digits, as summary.csv
