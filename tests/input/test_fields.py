"""sim.input.fields: the value types of input files — numbers within bounds, texts, ids, months, and quantities (a
sourced number or a scipy prior, with provenance and vintage) — refused in zonesim's own words."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from sim.input.fields import (
    ABSURD,
    ARG_RULES,
    DISTRIBUTIONS,
    MAX_ID,
    Id,
    Text,
    YearMonth,
    dist_arg_names,
    frozen_dist,
    number,
    parse_year_month,
    quantity,
)
from tests.helpers import problems_for, tiny_text

PROVENANCE = {"assumed": True, "vintage": 2017}


def errors(adapter: TypeAdapter, value: object) -> list[dict]:
    """The validation errors of `value` (it must be refused)."""
    with pytest.raises(ValidationError) as info:
        adapter.validate_python(value)
    return info.value.errors(include_url=False)


def ours(adapter: TypeAdapter, value: object) -> dict:
    """The one error of `value`, which must be in zonesim's words: its found / expected / hint."""
    [err] = errors(adapter, value)
    assert err["type"] == "zonesim"
    return err["ctx"]


# --- numbers, texts, months ---------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(-100, 100), st.floats(0, 100))
def test_a_number_is_accepted_exactly_when_finite_and_within_its_bounds(x, lo, width):
    hi = lo + width
    adapter = TypeAdapter(number(lo, hi))
    if math.isfinite(x) and lo <= x <= hi:
        assert adapter.validate_python(x) == x
    else:
        errors(adapter, x)


def test_a_whole_number_refuses_a_fraction_in_its_own_words():
    adapter = TypeAdapter(number(0, 10, whole=True))
    assert adapter.validate_python(3.0) == 3.0
    assert ours(adapter, 3.5) == {"found": "3.5", "expected": "a whole number", "hint": ""}


def test_numbers_are_strict():
    adapter = TypeAdapter(number(0, 10))
    for value in ("3", True, None):  # no silent coercion of a text or a flag into a number
        errors(adapter, value)


def test_a_lower_bound_can_be_exclusive():
    adapter = TypeAdapter(number(0, 1, gt=True))
    assert adapter.validate_python(0.5) == 0.5
    errors(adapter, 0.0)


def test_texts_are_not_blank_and_ids_are_lower_snake_case():
    text = TypeAdapter(Text)
    assert text.validate_python("高新区") == "高新区"
    assert ours(text, "   ")["expected"] == "a non-empty text"
    ids = TypeAdapter(Id)
    assert ids.validate_python("guangxi_2020") == "guangxi_2020"
    for bad in ("Guangxi", "2020_plan", "a-b", "a" * (MAX_ID + 1), ""):
        errors(ids, bad)


@settings(max_examples=40, deadline=None)
@given(st.integers(1800, 2300), st.integers(-1, 14))
def test_a_month_is_yyyy_mm_within_range(year, month):
    parsed = parse_year_month(f"{year}-{month:02d}")
    if 1900 <= year <= 2200 and 1 <= month <= 12:
        assert parsed == (year, month)
    else:
        assert parsed is None


def test_a_month_that_is_not_text_is_none_and_is_refused():
    assert parse_year_month(201801) is None and parse_year_month("2018/01") is None
    adapter = TypeAdapter(YearMonth)
    assert adapter.validate_python("2018-01") == "2018-01"
    assert "YYYY-MM" in ours(adapter, "2018-1x")["expected"]


# --- quantities ---------------------------------------------------------------------------------------------------

def test_a_quantity_is_a_sourced_number_or_a_prior():
    adapter = TypeAdapter(quantity(0, 1))
    assert adapter.validate_python({"value": 0.5, "source": "a report", "vintage": 2017}).value == 0.5
    prior = adapter.validate_python({"dist": "uniform", "loc": 0.2, "scale": 0.5, **PROVENANCE})
    assert prior.dist == "uniform" and prior.args == (("loc", 0.2), ("scale", 0.5))
    errors(adapter, 0.5)  # a bare number has no provenance


def test_a_quantity_needs_a_source_or_an_assumption_and_a_vintage():
    adapter = TypeAdapter(quantity(0, 1))
    assert ours(adapter, {"value": 0.5, "vintage": 2017})["found"] == "no provenance"
    errors(adapter, {"value": 0.5, "assumed": True})  # no vintage
    errors(adapter, {"value": 0.5, "assumed": True, "vintage": 1800})  # a vintage out of range


def test_a_share_written_in_percent_is_refused_with_the_fraction_to_write():
    err = ours(TypeAdapter(quantity(0, 1)), {"value": 70, **PROVENANCE})
    assert err["found"] == "70" and "<= 1" in err["expected"] and "write 0.7 for 70%" in err["hint"]
    small = ours(TypeAdapter(quantity(0, 1)), {"value": 1.2, **PROVENANCE})
    assert "write 0.012 for 1.2%" in small["hint"]  # rounded to two decimals, it had said 0.01


def test_a_count_must_be_whole_and_not_absurd():
    adapter = TypeAdapter(quantity(0, ABSURD, whole=True))
    assert "whole" in ours(adapter, {"value": 2.5, **PROVENANCE})["expected"]
    assert ours(adapter, {"value": 1e12, **PROVENANCE})["found"] == "1000000000000"


def test_a_prior_must_lie_within_the_bounds_of_its_quantity():
    adapter = TypeAdapter(quantity(0, 1))
    err = ours(adapter, {"dist": "norm", "loc": 0.5, "scale": 0.1, **PROVENANCE})
    assert err["found"] == "support [-inf, inf]" and "within [0, 1]" in err["expected"]
    assert adapter.validate_python({"dist": "beta", "a": 2.0, "b": 3.0, **PROVENANCE}).dist == "beta"


def test_a_priors_arguments_are_those_of_its_scipy_distribution():
    adapter = TypeAdapter(quantity(None, None))
    err = ours(adapter, {"dist": "uniform", "s": 1.0, **PROVENANCE})
    assert "'s'" in err["found"] and "loc, scale" in err["expected"]
    assert "'a'" in ours(adapter, {"dist": "beta", "loc": 0.0, **PROVENANCE})["found"]
    err = ours(adapter, {"dist": "loguniform", "a": 0.3, "b": 0.1, **PROVENANCE})
    assert err["found"].startswith("loguniform(") and ARG_RULES["loguniform"] in err["expected"]
    errors(adapter, {"dist": "unifrom", "loc": 0.0, "scale": 1.0, **PROVENANCE})


@pytest.mark.parametrize("name", DISTRIBUTIONS)
def test_every_distribution_names_its_arguments_and_a_rule_for_them(name):
    names = dist_arg_names(name)
    assert names[-2:] == ("loc", "scale") and name in ARG_RULES


def test_a_frozen_distribution_is_made_once():
    args = (("loc", 1.0), ("scale", 2.0))
    assert frozen_dist("uniform", args) is frozen_dist("uniform", args)
    assert frozen_dist("uniform", args).support() == (1.0, 3.0)


# --- the same checks, located in a scenario file ------------------------------------------------------------------

def test_base_facts_need_provenance():
    probs = problems_for(tiny_text(**{"hte_outside: {value: 20, assumed: true, vintage: 2017}":
                                      "hte_outside: {value: 20, vintage: 2017}"}))
    assert any(p.key == "firms.hte_outside" and "assumed" in p.expected for p in probs)


def test_every_input_records_its_vintage():
    probs = problems_for(tiny_text(**{"hte_outside: {value: 20, assumed: true, vintage: 2017}":
                                      "hte_outside: {value: 20, assumed: true}"}))
    assert any(p.key == "firms.hte_outside" and "vintage" in p.found for p in probs)


def test_bad_distribution_is_named():
    probs = problems_for(tiny_text(**{"count_in_zones: {dist: uniform, loc: 500, scale: 200, assumed: true,":
                                      "count_in_zones: {dist: unifrom, loc: 500, scale: 200, assumed: true,"}))
    assert any("uniform" in p.hint for p in probs)
    probs = problems_for(tiny_text(**{"rd_zero_share: {value: 0.2, assumed: true,":
                                      "rd_zero_share: {dist: norm, loc: 0.2, scale: 0.1, assumed: true,"}))
    assert any(p.key == "firms.rd_zero_share" and "within [0, 1]" in p.expected for p in probs)


def test_absurd_and_non_finite_numbers():
    probs = problems_for(tiny_text(**{"count_outside: {value: 200, assumed: true,":
                                      "count_outside: {value: 1e12, assumed: true,",
                                      "threshold: 80,": "threshold: .nan,"}))
    keys = {p.key for p in probs}
    assert "targets[0].threshold" in keys and any(k.startswith("firms.count_outside") for k in keys)
