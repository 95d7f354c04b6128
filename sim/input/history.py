"""Sourced history before each plan's base year, as data (`sim/data/history.csv`, described in docs/history.md).

One row per (series, region, year, period, source): where two sources disagree, both rows are kept, and the
disagreement becomes observation error (`observed`). Nothing here looks past a region's cut-off year: the file
holds no later value, and `observed` refuses to return values dated after the `until` year it is given.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: The latest year of history kept per region (the vintage of its plan; national: the latest plan's).
CUTOFF = {"national": 2016, "guangxi": 2017, "hunan": 2016, "meizhou": 2016, "taizhou": 2016, "zengcheng": 2015}
#: Relative observation error of a value, by its flags [assumption]: official statistics are revised by a few
#: percent; a derived or doubtful value (近, 约, preliminary, a ratio to a rounded figure) by about ten.
SIGMA_EXACT = 0.03
SIGMA_UNCERTAIN = 0.10


@dataclass(frozen=True)
class Row:
    series: str
    region: str
    unit: str
    year: int
    period: str
    value: float
    source: str
    derived: bool
    uncertain: bool
    note: str


@cache
def rows() -> tuple[Row, ...]:
    """Every row of sim/data/history.csv."""
    text = resources.files("sim").joinpath("data/history.csv").read_text(encoding="utf-8")
    out = []
    for r in csv.DictReader(text.splitlines()):
        out.append(Row(r["series"], r["region"], r["unit"], int(r["year"]), r["period"], float(r["value"]),
                       r["source"], r["derived"] == "1", r["uncertain"] == "1", r["note"]))
    return tuple(out)


@dataclass(frozen=True)
class Observation:
    """One observed value for a (series, region, year, period), with its error on the log scale: the sources'
    own flags, widened to cover every source's value when they disagree."""

    series: str
    region: str
    year: int
    period: str
    value: float          # geometric mean of the sources' values
    log_sigma: float      # observation error, log scale
    sources: tuple[str, ...]
    values: tuple[float, ...]
    derived: bool
    uncertain: bool
    note: str


def observed(series: str, region: str, until: int, since: int = 0, period: str = "year") -> list[Observation]:
    """The observations of a series in a region from `since` to `until` (inclusive), one per year, combining
    disagreeing sources. Raises ValueError if `until` is after the region's cut-off (no such history is kept)."""
    if until > CUTOFF.get(region, until):
        raise ValueError(f"history of {region} ends in {CUTOFF[region]}; {until} asks for later information")
    by_year: dict[int, list[Row]] = {}
    for r in rows():
        if r.series == series and r.region == region and r.period == period and since <= r.year <= until \
                and r.value > 0:
            by_year.setdefault(r.year, []).append(r)
    out = []
    for year in sorted(by_year):
        group = by_year[year]
        logs = [math.log(r.value) for r in group]
        mean = sum(logs) / len(logs)
        flag = SIGMA_UNCERTAIN if any(r.uncertain or r.derived for r in group) else SIGMA_EXACT
        spread = (max(logs) - min(logs)) / 2.0
        out.append(Observation(series, region, year, period, math.exp(mean), max(flag, spread),
                               tuple(r.source for r in group), tuple(r.value for r in group),
                               any(r.derived for r in group), any(r.uncertain for r in group),
                               " | ".join(r.note for r in group if r.note)))
    return out


def series_names() -> set[str]:
    return {r.series for r in rows()}


def regions() -> set[str]:
    return {r.region for r in rows()}
