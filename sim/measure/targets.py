"""Targets: turn per-zone snapshots into each target's series and a hit per run.

A target's *series* is what its fan chart shows (the indicator itself, its multiple of the base, its growth
rate, a share, a per-10,000 figure, the weakest zone, or the number of zones meeting a level), one value a
snapshot; the *hit* compares the series at the target's date with the threshold.
"""

from __future__ import annotations

import operator
import warnings

import numpy as np

from sim.input.scenario import LEVEL_CODE, OFFICIAL_MIN_LEVEL, Target
from sim.measure.indicators import FIELD_INDEX, INDICATORS, ZONE_COUNT_INDICATORS

COMPARE = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def is_count(t: Target) -> bool:
    """Whether a target's value is a whole number of things: a count indicator's level, increment or weakest zone
    (unit 家, 个, 件 …, `sim.measure.indicators.COUNT_UNITS`), or a number of zones or districts. Reports print
    such values, thresholds and bands without decimals."""
    return counts_things(t.kind, t.indicator)


def counts_things(kind: str, indicator: str) -> bool:
    """`is_count` from a target's kind and indicator name (as summary.csv has them; False for an unknown one)."""
    if kind in ("zones_meeting", "districts_covered"):
        return True
    if kind in ("level", "added", "per_zone"):
        ind = ZONE_COUNT_INDICATORS.get(indicator) or INDICATORS.get(indicator)
        return ind is not None and ind.is_count
    return False


def zone_mask(levels: np.ndarray, scope: str, zone_level: str = "any", zones: np.ndarray | None = None
              ) -> np.ndarray:
    """(runs, snaps, zones) zones counted by a target: official zones (optionally of one level) or all, and
    only the named ones when the target names zones."""
    mask = np.ones(levels.shape, bool) if scope == "region" else levels >= OFFICIAL_MIN_LEVEL
    if zone_level != "any":
        mask &= levels == LEVEL_CODE[zone_level]
    if zones is not None:
        mask &= zones
    return mask


def indicator_series(name: str, snapshots: np.ndarray, levels: np.ndarray, scope: str = "zones",
                     zone_level: str = "any", zones: np.ndarray | None = None) -> np.ndarray:
    """(runs, snaps) value of an indicator over the zones in scope (a ratio of sums for ratio indicators)."""
    if name in ZONE_COUNT_INDICATORS:
        code = {"zones": None, "zones_national": LEVEL_CODE["national"],
                "zones_provincial": LEVEL_CODE["provincial"]}[name]
        official = levels >= OFFICIAL_MIN_LEVEL
        counted = official if code is None else levels == code
        if zones is not None:
            counted = counted & zones
        return counted.sum(axis=2).astype(float)
    ind = INDICATORS[name]
    mask = zone_mask(levels, scope, zone_level, zones)
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


def named_zones(t: Target, n_zones: int) -> np.ndarray | None:
    """(zones,) mask of the zones a target names, or None when it names none."""
    if not t.zone_index:
        return None
    mask = np.zeros(n_zones, bool)
    mask[list(t.zone_index)] = True
    return mask


def _over_time(kind: str, mode: str | None, values: np.ndarray, base: np.ndarray,
               times: list[tuple[int, int, int]], from_year: int) -> np.ndarray:
    """A level, a multiple of the base, a growth rate or an increment, along the snapshot axis (axis 1)."""
    years = np.array([y for y, _, _ in times], dtype=float)
    months = np.array([mo for _, mo, _ in times], dtype=float)
    shape = (1, -1) + (1,) * (values.ndim - 2)
    if kind == "level":
        return values
    if kind == "added":
        return values - base if mode != "each_year" else _yearly(values, times, lambda now, prev: now - prev)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(base > 0, values / base, np.nan)
        if kind == "multiple":
            return ratio
        if mode == "compound":
            span = (years + (months - 12) / 12.0 - from_year).reshape(shape)
            return np.where(span > 0, np.power(ratio, 1.0 / np.where(span > 0, span, 1.0)) - 1.0, np.nan)
        return _yearly(values, times, lambda now, prev: np.where(prev > 0, now / prev - 1.0, np.nan))


def target_series(t: Target, snapshots: np.ndarray, levels: np.ndarray, times: list[tuple[int, int, int]]
                  ) -> np.ndarray:
    """(runs, snaps) the quantity a target is about, at every snapshot. A target `each_zone` (and every
    per_zone target) is the weakest zone's value: "each zone has ..." holds when the weakest zone meets it."""
    names = named_zones(t, snapshots.shape[2])
    base_i = _index(times, t.from_year, 12)
    if t.kind in ("level", "multiple", "growth", "added") and not t.each_zone:
        values = indicator_series(t.indicator, snapshots, levels, t.scope, "any", names)
        return _over_time(t.kind, t.mode, values, values[:, [base_i]], times, t.from_year)
    if t.kind == "share":
        num = indicator_series(t.indicator, snapshots, levels, t.scope, "any", names)
        den = indicator_series(t.of_indicator or t.indicator, snapshots, levels, t.of_scope)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / den, np.nan)
    if t.kind == "per_10k":
        num = indicator_series(t.indicator, snapshots, levels, t.scope, "any", names)
        pop = indicator_series("population", snapshots, levels, t.scope, "any", names)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(pop > 0, num / pop * 1e4, np.nan)
    if t.kind == "districts_covered":  # districts (市、区) with at least one official zone
        groups = np.array(t.district_of)
        counted = zone_mask(levels, "zones", t.zone_level, names) & (groups >= 0)
        return sum(counted[:, :, groups == g].any(axis=2) for g in range(groups.max() + 1)).astype(float)
    per_zone = per_zone_series(t.indicator, snapshots)
    mask = zone_mask(levels, t.scope, t.zone_level, names)
    if t.kind == "zones_meeting":
        meets = COMPARE[">="](per_zone, t.level) & mask
        return meets.sum(axis=2).astype(float)
    kind = "level" if t.kind == "per_zone" else t.kind
    if kind != "level" and t.mode == "each_year":  # a zone counts from its first full year in scope
        mask = mask & _previous_year_end(mask, times)
    elif kind != "level":  # a zone's multiple, growth or increment needs the zone in scope at from_year too
        mask = mask & mask[:, [base_i]]
    values = _over_time(kind, t.mode, per_zone, per_zone[:, [base_i]], times, t.from_year)
    lower_is_worse = t.comparison in (">=", ">")
    worst = np.where(mask & ~np.isnan(values), values, np.inf if lower_is_worse else -np.inf)
    agg = worst.min(axis=2) if lower_is_worse else worst.max(axis=2)
    return np.where(np.isfinite(agg), agg, np.nan)


def _index(times: list[tuple[int, int, int]], year: int, month: int) -> int:
    for i, (y, mo, _) in enumerate(times):
        if (y, mo) == (year, month):
            return i
    raise KeyError((year, month))


def _previous_year_end(mask: np.ndarray, times: list[tuple[int, int, int]]) -> np.ndarray:
    """The mask at the previous year end, at each year end (False elsewhere)."""
    out = np.zeros(mask.shape, bool)
    ends = {y: i for i, (y, mo, _) in enumerate(times) if mo == 12}
    for y, i in ends.items():
        if y - 1 in ends:
            out[:, i] = mask[:, ends[y - 1]]
    return out


def _yearly(values: np.ndarray, times: list[tuple[int, int, int]], change) -> np.ndarray:
    """Change over the previous year end, at each year end (NaN elsewhere); works per zone too."""
    out = np.full(values.shape, np.nan)
    ends = {y: i for i, (y, mo, _) in enumerate(times) if mo == 12}
    for y, i in ends.items():
        if y - 1 in ends:
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, i] = change(values[:, i], values[:, ends[y - 1]])
    return out


def evaluate(t: Target, snapshots: np.ndarray, levels: np.ndarray, times: list[tuple[int, int, int]]
             ) -> tuple[np.ndarray, np.ndarray]:
    """(value at the target date, hit) per run. `each_year` growth must hold in every year up to the date;
    a value that cannot be computed (e.g. a share of nothing) counts as a miss."""
    series = target_series(t, snapshots, levels, times)
    i = _index(times, t.year, t.month)
    value = series[:, i]
    cmp = COMPARE[t.comparison]
    if t.kind in ("growth", "added") and t.mode == "each_year":
        cols = [j for j, (y, mo, _) in enumerate(times) if mo == 12 and t.from_year < y
                and (y < t.year or (y == t.year and t.month == 12))]
        window = series[:, cols]
        hit = np.all(cmp(np.nan_to_num(window, nan=-np.inf if t.comparison in (">=", ">") else np.inf),
                         t.threshold), axis=1)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a run where no year could be computed: NaN, a miss
            value = np.nanmin(window, axis=1) if t.comparison in (">=", ">") else np.nanmax(window, axis=1)
        return value, hit
    with np.errstate(invalid="ignore"):
        hit = np.where(np.isnan(value), False, cmp(value, t.threshold))
    return value, hit
