"""sim.measure.indicators: every indicator is a ratio of recorded per-zone sums (fields) — or one sum — with a
scale, a unit and its Chinese and English names; the zone counts come from zone levels."""

from __future__ import annotations

import pytest

from sim.measure.indicators import (
    ALL_INDICATORS,
    FIELD_INDEX,
    FIELDS,
    FLOW_FIELDS,
    INDICATORS,
    ZONE_COUNT_INDICATORS,
    Indicator,
)


@pytest.mark.parametrize("name", sorted(INDICATORS))
def test_an_indicators_numerator_and_denominator_are_fields(name):
    ind = INDICATORS[name]
    assert ind.name == name
    assert ind.numerator in FIELD_INDEX
    assert ind.denominator is None or (ind.denominator in FIELD_INDEX and ind.denominator != ind.numerator)
    assert ind.is_ratio() == (ind.denominator is not None)
    assert ind.scale > 0


@pytest.mark.parametrize("name", sorted(ALL_INDICATORS))
def test_an_indicator_has_a_unit_and_both_names(name):
    ind = ALL_INDICATORS[name]
    assert ind.unit and ind.zh and ind.en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in ind.zh), ind.zh  # a Chinese name, for charts and tables


def test_every_field_is_also_an_indicator_of_itself():
    for field in FIELDS:
        ind = INDICATORS[field]
        assert (ind.numerator, ind.denominator, ind.scale) == (field, None, 1.0)
    assert set(FLOW_FIELDS) <= set(FIELDS)


def test_ratio_indicators_are_shares_or_per_capita_figures():
    ratios = {n: i for n, i in INDICATORS.items() if i.is_ratio()}
    assert {"rd_to_gdp", "hightech_va_share", "hightech_product_share", "patents_per_10k"} <= set(ratios)
    for name, ind in ratios.items():
        assert ind.unit == "比例" or ind.scale != 1.0, name
    assert INDICATORS["patents_per_10k"].scale == 1e4 and INDICATORS["patents_per_10k"].denominator == "population"


def test_zone_counts_are_not_sums_of_fields():
    assert set(ZONE_COUNT_INDICATORS) == {"zones", "zones_national", "zones_provincial"}
    assert not set(ZONE_COUNT_INDICATORS) & set(INDICATORS)
    assert ALL_INDICATORS == {**INDICATORS, **ZONE_COUNT_INDICATORS}
    assert all(i.numerator == "" and not i.is_ratio() for i in ZONE_COUNT_INDICATORS.values())


def test_names_are_unique_and_indicators_are_frozen():
    assert len({i.zh for i in ALL_INDICATORS.values()}) == len(ALL_INDICATORS)
    assert len({i.en for i in ALL_INDICATORS.values()}) == len(ALL_INDICATORS)
    ind = Indicator("x", "hte", None, 1.0, "家", "某", "X")
    with pytest.raises(AttributeError):
        ind.scale = 2.0  # type: ignore[misc]
