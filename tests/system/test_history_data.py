"""sim/data/history.csv and history_sources.csv: the historical series for calibration (docs/history.md).

Checks the header, regions, vintage cut-offs, numbers, units, sources, derived notes, minimum coverage, duplicate
keys, and that docs/history.md documents every series id and its row-count table matches the file."""

from __future__ import annotations

import csv
import math
import re
from collections import Counter

import pytest

from tests.conftest import ROOT

DATA = ROOT / "sim" / "data"
HISTORY = DATA / "history.csv"
SOURCES = DATA / "history_sources.csv"
DOC = ROOT / "docs" / "history.md"

HEADER = ["series", "region", "unit", "year", "period", "value", "source", "derived", "uncertain", "vintage_ok", "note"]
CUTOFF = {"national": 2016, "guangxi": 2017, "hunan": 2016, "meizhou": 2016, "taizhou": 2016, "zengcheng": 2015}
UNITS = {"firms", "zones", "count", "亿元", "亿美元", "share", "patents_per_10k", "m2", "km2", "projects", "products",
         "flag"}
PERIODS = {"year", "q1_q3", "month"}
SERIES_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def read(path):
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


def source_ids(cell: str) -> list[str]:
    """Several source ids are separated by ';' (an id itself may contain a space, e.g. 'DOMAIN §8')."""
    return [s.strip() for s in cell.split(";")]


@pytest.fixture(scope="module")
def rows():
    header, rows = read(HISTORY)
    assert header == HEADER
    assert rows, "history.csv has no rows"
    return rows


def test_headers():
    assert read(HISTORY)[0] == HEADER
    assert read(SOURCES)[0] == ["id", "title", "url", "date", "note"]


def test_fields(rows):
    for i, r in enumerate(rows, start=2):
        where = f"history.csv line {i}: {r}"
        assert SERIES_ID.match(r["series"]), where
        assert r["region"] in CUTOFF, where
        assert r["unit"] in UNITS, where
        assert r["period"] in PERIODS, where
        assert re.fullmatch(r"\d{4}", r["year"]), where
        assert int(r["year"]) <= CUTOFF[r["region"]], f"after the {r['region']} cut-off: {where}"
        for flag in ("derived", "uncertain", "vintage_ok"):
            assert r[flag] in ("0", "1"), where
        assert r["vintage_ok"] == "1", where
        value = float(r["value"])
        assert math.isfinite(value), where
        if r["unit"] == "share":
            assert 0.0 <= value <= 1.0, f"share not a fraction: {where}"
        if r["unit"] == "flag":
            assert value in (0.0, 1.0), where
        if r["derived"] == "1":
            assert r["note"].strip(), f"derived row without its formula: {where}"
        if r["period"] == "month":
            assert re.match(r"month \d{4}-\d{2}\b", r["note"]), f"month row must name its month first: {where}"
            assert r["note"][6:10] == r["year"], where


def test_one_unit_per_series(rows):
    units: dict[str, set[str]] = {}
    for r in rows:
        units.setdefault(r["series"], set()).add(r["unit"])
    assert {s: u for s, u in units.items() if len(u) > 1} == {}


def test_every_source_is_listed(rows):
    header, sources = read(SOURCES)
    ids = [s["id"] for s in sources]
    assert len(ids) == len(set(ids)), "duplicate id in history_sources.csv"
    assert all(s["id"] and s["title"] for s in sources)
    used = set()
    for r in rows:
        for sid in source_ids(r["source"]):
            assert sid in ids, f"unknown source id {sid!r} in {r}"
            used.add(sid)
    assert set(ids) - used == set(), "history_sources.csv lists ids no row uses"


def test_coverage(rows):
    def years(series, region):
        return {int(r["year"]) for r in rows if r["series"] == series and r["region"] == region}

    assert len(years("hte_stock", "guangxi") & {2005, 2010, 2015, 2016, 2017}) >= 3
    assert len(years("hte_stock", "hunan")) >= 2


def test_no_duplicate_keys(rows):
    keys = Counter((r["series"], r["region"], r["year"], r["period"], r["source"]) for r in rows)
    assert [k for k, n in keys.items() if n > 1] == []


def test_no_path_outside_the_project():
    for path in (HISTORY, SOURCES, DOC):
        assert "../shared" not in path.read_text(encoding="utf-8"), path


def test_docs_list_every_series_and_count_rows(rows):
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \| [^|]+ \| [^|]+ \| [^|]+ \|$", text, flags=re.M))
    series = {r["series"] for r in rows}
    assert series - documented == set(), "series ids missing from the controlled list in docs/history.md"
    assert documented - series == set(), "docs/history.md lists series ids the data does not use"

    table = text.split("## Rows per region and series", 1)[1]
    regions = list(CUTOFF)
    counts = Counter((r["series"], r["region"]) for r in rows)
    shown = {}
    for line in table.splitlines():
        if m := re.match(r"^\| `([a-z0-9_]+)` \|(.*)\|$", line):
            cells = [c.strip() for c in m.group(2).split("|")]
            assert len(cells) == len(regions) + 1, line
            shown[m.group(1)] = [int(c or 0) for c in cells]
    expected = {s: [counts[(s, g)] for g in regions] + [sum(counts[(s, g)] for g in regions)] for s in series}
    assert shown == expected, "docs/history.md row-count table is out of date"
