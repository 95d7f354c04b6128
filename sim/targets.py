"""Targets: turn per-zone snapshots into each target's series and a hit per run.

A target's *series* is what its fan chart shows (the indicator itself, its multiple of the base, its growth
rate, a share, a per-10,000 figure, the weakest zone, or the number of zones meeting a level), one value a
snapshot; the *hit* compares the series at the target's date with the threshold.
"""

from __future__ import annotations

import operator

import numpy as np

from sim.indicators import FIELD_INDEX, INDICATORS, ZONE_COUNT_INDICATORS
from sim.scenario import LEVEL_CODE, OFFICIAL_MIN_LEVEL, Target

COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def zone_mask(levels: np.ndarray, scope: str, zone_level: str = "any") -> np.ndarray:
    """(runs, snaps, zones) zones counted by a target: official zones (optionally of one level) or all."""
    if scope == "region":
        return np.ones(levels.shape, bool)
    mask = levels >= OFFICIAL_MIN_LEVEL
    if zone_level != "any":
        mask &= levels == LEVEL_CODE[zone_level]
    return mask


def indicator_series(name: str, snapshots: np.ndarray, levels: np.ndarray, scope: str = "zones",
                     zone_level: str = "any") -> np.ndarray:
    """(runs, snaps) value of an indicator over the zones in scope (a ratio of sums for ratio indicators)."""
    if name in ZONE_COUNT_INDICATORS:
        code = {"zones": None, "zones_national": LEVEL_CODE["national"],
                "zones_provincial": LEVEL_CODE["provincial"]}[name]
        official = levels >= OFFICIAL_MIN_LEVEL
        return (official if code is None else levels == code).sum(axis=2).astype(float)
    ind = INDICATORS[name]
    mask = zone_mask(levels, scope, zone_level)
    num = (snapshots[..., FIELD_INDEX[ind.numerator]] * mask).sum(axis=2)
    if ind.denominator is None:
        return num * ind.scale
    den = (snapshots[..., FIELD_INDEX[ind.denominator]] * mask).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den * ind.scale, np.nan)


def per_zone_series(name: str, snapshots: np.ndarray) -> np.ndarray:
    """(runs, snaps, zones) value of an indicator in each zone alone."""
    ind = INDICATORS[name]
    num = snapshots[..., FIELD_INDEX[ind.numerator]]
    if ind.denominator is None:
        return num * ind.scale
    den = snapshots[..., FIELD_INDEX[ind.denominator]]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den * ind.scale, np.nan)


def target_series(t: Target, snapshots: np.ndarray, levels: np.ndarray, times: list[tuple[int, int, int]]
                  ) -> np.ndarray:
    """(runs, snaps) the quantity a target is about, at every snapshot."""
    years = np.array([y for y, _, _ in times])
    months = np.array([mo for _, mo, _ in times])
    if t.kind in ("level", "multiple", "growth"):
        values = indicator_series(t.indicator, snapshots, levels, t.scope)
        base_i = _index(times, t.from_year, 12)
        base = values[:, [base_i]]
        if t.kind == "level":
            return values
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(base > 0, values / base, np.nan)
            if t.kind == "multiple":
                return ratio
            span = years + (months - 12) / 12.0 - t.from_year
            if t.mode == "compound":
                return np.where(span > 0, np.power(ratio, 1.0 / np.where(span > 0, span, 1.0)) - 1.0, np.nan)
            return _yearly_growth(values, times)
    if t.kind == "share":
        num = indicator_series(t.indicator, snapshots, levels, t.scope)
        den = indicator_series(t.of_indicator or t.indicator, snapshots, levels, t.of_scope)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den, np.nan)
    if t.kind == "per_10k":
        num = indicator_series(t.indicator, snapshots, levels, t.scope)
        pop = indicator_series("population", snapshots, levels, t.scope)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(pop > 0, num / pop * 1e4, np.nan)
    per_zone = per_zone_series(t.indicator, snapshots)
    mask = zone_mask(levels, "zones", t.zone_level)
    if t.kind == "per_zone":  # the weakest zone decides "each zone has ..."
        worst = np.where(mask, per_zone, np.inf if t.comparison in (">=", ">") else -np.inf)
        agg = worst.min(axis=2) if t.comparison in (">=", ">") else worst.max(axis=2)
        return np.where(mask.any(axis=2), agg, np.nan)
    if t.kind == "zones_meeting":
        meets = COMPARE[">="](per_zone, t.level) & mask
        return meets.sum(axis=2).astype(float)
    raise ValueError(f"unknown target kind {t.kind}")


def _index(times: list[tuple[int, int, int]], year: int, month: int) -> int:
    for i, (y, mo, _) in enumerate(times):
        if (y, mo) == (year, month):
            return i
    raise KeyError((year, month))


def _yearly_growth(values: np.ndarray, times: list[tuple[int, int, int]]) -> np.ndarray:
    """Growth over the previous year end, at each year end (NaN elsewhere)."""
    out = np.full(values.shape, np.nan)
    ends = {y: i for i, (y, mo, _) in enumerate(times) if mo == 12}
    for y, i in ends.items():
        if y - 1 in ends:
            prev = values[:, ends[y - 1]]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, i] = np.where(prev > 0, values[:, i] / prev - 1.0, np.nan)
    return out


def evaluate(t: Target, snapshots: np.ndarray, levels: np.ndarray, times: list[tuple[int, int, int]]
             ) -> tuple[np.ndarray, np.ndarray]:
    """(value at the target date, hit) per run. `each_year` growth must hold in every year up to the date;
    a value that cannot be computed (e.g. a share of nothing) counts as a miss."""
    series = target_series(t, snapshots, levels, times)
    i = _index(times, t.year, t.month)
    value = series[:, i]
    cmp = COMPARE[t.comparison]
    if t.kind == "growth" and t.mode == "each_year":
        cols = [j for j, (y, mo, _) in enumerate(times) if mo == 12 and t.from_year < y
                and (y < t.year or (y == t.year and t.month == 12))]
        window = series[:, cols]
        hit = np.all(cmp(np.nan_to_num(window, nan=-np.inf if t.comparison in (">=", ">") else np.inf),
                         t.threshold), axis=1)
        value = np.nanmin(window, axis=1) if t.comparison in (">=", ">") else np.nanmax(window, axis=1)
        return value, hit
    with np.errstate(invalid="ignore"):
        hit = np.where(np.isnan(value), False, cmp(value, t.threshold))
    return value, hit
