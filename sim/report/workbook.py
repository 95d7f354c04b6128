"""The report as an Excel workbook (.xlsx, XlsxWriter) from finished results folders (`sim.report.folders`).

Sheets, each written only when it has rows (a run's workbook has no comparison sheet, a comparison's no summary or
bands), each with a frozen, bilingual header row and a `结果 result` column naming the folder, so several folders
share one workbook: 摘要 summary (targets, P(hit) and its interval as the terminal printed them, back-test status),
年度分布 bands (year-end percentiles of every indicator of a run), 比较 comparison (each variant × target of a
comparison), 成本 costs (each lever and year against its cap, 万元), 假设 assumptions (inputs marked assumed), and
for a back-test 回测 backtest (each scored observation). Probabilities are stored as fractions formatted as
percent; money in 万元 to 2 decimals; figures to 4 significant digits (as summary.csv); indicators in 亿元 carry that
unit in their format.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

from sim.report.files import significant
from sim.report.folders import ResultsFolder, delta_of, p_hit_of

__all__ = ["SHEETS", "write_workbook"]

#: Sheet names (Chinese and English, as Excel shows them on the tabs).
SHEETS = {"summary": "摘要 summary", "bands": "年度分布 bands", "comparison": "比较 comparison",
          "costs": "成本 costs", "assumptions": "假设 assumptions", "backtest": "回测 backtest"}


def _num(text: Any) -> float | None:
    """A number of a table cell, None when empty or not a number (written as an empty cell)."""
    if text is None or text == "":
        return None
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


class _Sheet:
    """A worksheet with a bilingual header row (frozen) and typed cells."""

    def __init__(self, book: Any, name: str, columns: list[tuple[str, str, int]], formats: dict[str, Any]) -> None:
        self.ws = book.add_worksheet(name)
        self.formats = formats
        self.row = 1
        for c, (zh, en, width) in enumerate(columns):
            self.ws.write(0, c, f"{zh}\n{en}", formats["header"])
            self.ws.set_column(c, c, width)
        self.ws.set_row(0, 32)
        self.ws.freeze_panes(1, 0)
        self.columns = len(columns)

    def add(self, cells: list[tuple[Any, str | None]]) -> None:
        """One row: (value, format name or None) per column; numbers as numbers, None as an empty cell."""
        for c, (value, fmt) in enumerate(cells):
            if value is None:
                continue
            style = self.formats[fmt] if fmt else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self.ws.write_number(self.row, c, value, style)
            else:
                self.ws.write_string(self.row, c, str(value), style)
        self.row += 1

    def close(self) -> None:
        if self.row > 1:
            self.ws.autofilter(0, 0, self.row - 1, self.columns - 1)


def _wan(value: float | None) -> float | None:
    """An amount of 万元 to 2 decimals (100 RMB), as the CSV tables have it (no float noise: 8357.499999999998)."""
    return None if value is None or not math.isfinite(value) else round(value, 2) + 0.0


def _figure(value: float | None) -> float | None:
    """A simulated figure to 4 significant digits, as summary.csv has it (`sim.report.files.significant`)."""
    return None if value is None or not math.isfinite(value) else float(significant(value))


def _unit_format(unit: str) -> str:
    count = "count" if unit in ("家", "个", "件", "人") else "num"
    return {"亿元": "yi", "万元": "wan", "比例": "pct"}.get(unit, count)


def write_workbook(folders: list[ResultsFolder], path: str | Path) -> Path:
    """Write the workbook of `folders` to `path` (see the module's docstring), whole or not at all
    (`sim.atomic.atomic_write`). Raises OSError when it cannot be written."""
    import xlsxwriter

    from sim.atomic import atomic_write

    path = Path(path)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                          "strings_to_urls": False})
    f = {"header": book.add_format({"bold": True, "bg_color": "#F0F4F8", "text_wrap": True, "valign": "top",
                                    "bottom": 1}),
         "pct": book.add_format({"num_format": "0.0%"}), "count": book.add_format({"num_format": "#,##0"}),
         "num": book.add_format({"num_format": "General"}),
         "yi": book.add_format({"num_format": '#,##0.00" 亿元"'}),
         "wan": book.add_format({"num_format": '#,##0.00" 万元"'}),
         "text": book.add_format({"text_wrap": False}), "wrap": book.add_format({"text_wrap": True})}
    columns = {"summary": [
        ("结果", "result", 16), ("目标", "target id", 18), ("名称", "name", 26), ("名称（英文）", "name (English)", 30),
        ("年份", "year", 7), ("指标", "indicator", 16), ("比较", "comparison", 6), ("阈值", "threshold", 12),
        ("中位数", "median", 12), ("5%", "5%", 12), ("95%", "95%", 12), ("实现概率", "P(hit)", 10),
        ("95% 区间下限", "95% CI low", 10), ("95% 区间上限", "95% CI high", 10), ("运行", "runs", 8),
        ("状态", "status", 12), ("回测", "back-test", 10), ("提示", "caution", 40), ("未建模原因", "reason", 40)],
        "bands": [
        ("结果", "result", 16), ("指标", "indicator", 24), ("名称", "name", 24), ("名称（英文）", "name (English)", 30),
        ("范围", "scope", 8), ("单位", "unit", 8), ("年份", "year", 7), ("5%", "5%", 13), ("25%", "25%", 13),
        ("中位数", "median", 13), ("75%", "75%", 13), ("95%", "95%", 13), ("运行", "runs", 8)],
        "comparison": [
        ("结果", "result", 16), ("方案", "variant", 16), ("方案名称", "variant name", 26), ("目标", "target id", 18),
        ("目标名称", "target name", 24), ("实现概率", "P(hit)", 10), ("95% 区间下限", "95% CI low", 10),
        ("95% 区间上限", "95% CI high", 10), ("与基准之差", "Δ vs base", 10), ("Δ 下限", "Δ low", 10),
        ("Δ 上限", "Δ high", 10), ("成本均值", "mean cost", 14), ("成本 5%", "cost 5%", 14),
        ("成本 95%", "cost 95%", 14)],
        "costs": [
        ("结果", "result", 16), ("方案", "variant", 16), ("政策", "lever", 18), ("年份", "year", 7),
        ("均值", "mean", 14), ("5%", "5%", 14), ("95%", "95%", 14), ("最大", "max", 14),
        ("年度上限", "cap per year", 14), ("均值占上限", "mean / cap", 10)],
        "assumptions": [
        ("结果", "result", 16), ("部分", "section", 12), ("名称", "name", 34), ("先验", "prior", 30),
        ("5%", "5%", 12), ("95%", "95%", 12), ("年份", "vintage", 8), ("说明", "note", 60)],
        "backtest": [
        ("结果", "result", 16), ("序列", "series", 18), ("指标", "indicator", 18), ("范围", "scope", 8),
        ("年份", "year", 7), ("观测值", "observed", 12), ("中位数", "median", 12), ("5%", "5%", 12),
        ("95%", "95%", 12), ("PIT", "PIT", 8), ("在 90% 带内", "in 90% band", 10)]}
    rows: dict[str, list[list[tuple[Any, str | None]]]] = {key: [] for key in SHEETS}
    for folder in folders:
        name = folder.path.name
        if folder.kind == "run":
            for r in folder.tables["summary.csv"]:
                p, lo, hi = (None if math.isnan(x) else x for x in p_hit_of(r))
                rows["summary"].append([
                    (name, None), (r["target_id"], None), (r["name"], None), (r["name_en"], None),
                    (_num(r["year"]), None), (r["indicator"], None), (r["comparison"], None),
                    (_num(r["threshold"]), "num"), (_num(r["median"]), "num"), (_num(r["p05"]), "num"),
                    (_num(r["p95"]), "num"), (p, "pct"), (lo, "pct"), (hi, "pct"), (_num(r["runs"]), "count"),
                    (r["status"], None), (r["backtest"], None), (r["caution"], None), (r["reason"], None)])
            for b in folder.bands:
                fmt = _unit_format(b["unit"])
                rows["bands"].append([(name, None), (b["indicator"], None), (b["zh"], None), (b["en"], None),
                                      (b["scope"], None), (b["unit"], None), (b["year"], None)]
                                     + [(_figure(b[k]), fmt) for k in ("p05", "p25", "p50", "p75", "p95")]
                                     + [(b["runs"], "count")])
        elif folder.kind == "compare":
            table = folder.tables["compare.csv"]
            base_id = folder.manifest.get("base", "base")
            base_rows = {r["target_id"]: r for r in table if r["variant"] == base_id}
            for r in table:
                p, lo, hi = (None if math.isnan(x) else x for x in p_hit_of(r))
                d, d_lo, d_hi = (None if math.isnan(x) else x for x in delta_of(r, base_rows.get(r["target_id"])))
                rows["comparison"].append([
                    (name, None), (r["variant"], None), (r["variant_name"], None), (r["target_id"], None),
                    (r["target_name"], None), (p, "pct"), (lo, "pct"), (hi, "pct"), (d, "pct"), (d_lo, "pct"),
                    (d_hi, "pct"), (_wan(_num(r["cost_mean_wan"])), "wan"),
                    (_wan(_num(r["cost_p05_wan"])), "wan"), (_wan(_num(r["cost_p95_wan"])), "wan")])
        else:
            for s in folder.tables["scores.csv"]:
                rows["backtest"].append([
                    (name, None), (s["series"], None), (s["indicator"], None), (s["scope"], None),
                    (_num(s["year"]), None), (_num(s["observed"]), "num"), (_num(s["median"]), "num"),
                    (_num(s["p05"]), "num"), (_num(s["p95"]), "num"), (_num(s["pit"]), "num"),
                    ("是 yes" if s["in90"] == "True" else "否 no", None)])
        for c in folder.costs:
            used = c["mean"] / c["cap"] if c["cap"] and c["mean"] is not None else None
            rows["costs"].append([(name, None), (c["variant"], None), (c["lever"], None), (c["year"], None),
                                  (_wan(c["mean"]), "wan"), (_wan(c["p05"]), "wan"), (_wan(c["p95"]), "wan"),
                                  (_wan(c["max"]), "wan"), (_wan(c["cap"]), "wan"), (used, "pct")])
        for a in folder.assumptions:
            rows["assumptions"].append([(name, None), (a.section, None), (a.name, None), (a.prior, None),
                                        (_figure(a.low), "num"), (_figure(a.high), "num"), (a.vintage, None),
                                        (a.note, None)])
    for key in SHEETS:  # a sheet only when it has rows: no empty comparison sheet for a run, and so on
        if rows[key]:
            sheet = _Sheet(book, SHEETS[key], columns[key], f)
            for cells in rows[key]:
                sheet.add(cells)
            sheet.close()
    book.close()
    atomic_write(path, buffer.getvalue())
    return path
