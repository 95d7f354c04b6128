"""sim.measure.targets: each target kind evaluated on hand-made snapshots, where the right answer is known."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.input.scenario import LEVEL_CODE
from sim.measure.indicators import FIELD_INDEX, FIELDS
from sim.measure.targets import evaluate
from tests.helpers import make_target

TIMES = [(2017, 12, 0), (2018, 12, 12), (2019, 10, 22), (2019, 12, 24), (2020, 12, 36)]
NAT, PROV, OUT = LEVEL_CODE["national"], LEVEL_CODE["provincial"], LEVEL_CODE["outside"]


def state(values: dict[str, list[list[float]]], levels=(NAT, PROV, OUT)):
    """One run; values[name][snapshot][zone]."""
    snaps = np.zeros((1, len(TIMES), len(levels), len(FIELDS)))
    for name, rows in values.items():
        snaps[0, :, :, FIELD_INDEX[name]] = rows
    lv = np.tile(np.array(levels, dtype=np.int8), (1, len(TIMES), 1))
    return snaps, lv


HTE = [[10, 5, 100], [12, 6, 100], [13, 7, 100], [14, 7, 100], [20, 10, 100]]


@pytest.mark.parametrize("threshold,comparison,hit", [(30, ">=", True), (31, ">=", False), (30, ">", False),
                                                       (30, "<=", True), (29, "<", False)])
def test_level_counts_official_zones_only(threshold, comparison, hit):
    v, h = evaluate(make_target(threshold=threshold, comparison=comparison), *state({"hte": HTE}), TIMES)
    assert v[0] == 30 and h[0] == hit


def test_region_scope_includes_the_outside():
    v, _ = evaluate(make_target(scope="region"), *state({"hte": HTE}), TIMES)
    assert v[0] == 130


def test_dated_milestone_reads_its_month():
    v, h = evaluate(make_target(year=2019, month=10, threshold=20), *state({"hte": HTE}), TIMES)
    assert v[0] == 20 and h[0]


def test_a_multiple_is_of_the_base_year_value():
    v, h = evaluate(make_target(kind="multiple", threshold=2.0), *state({"hte": HTE}), TIMES)
    assert v[0] == pytest.approx(2.0) and h[0]


def test_compound_growth_over_the_period():
    v, h = evaluate(make_target(kind="growth", mode="compound", threshold=0.25), *state({"hte": HTE}), TIMES)
    assert v[0] == pytest.approx(2.0 ** (1 / 3) - 1) and h[0]


def test_growth_each_year_needs_every_year():
    t = make_target(kind="growth", mode="each_year", threshold=0.10)
    v, h = evaluate(t, *state({"hte": HTE}), TIMES)  # 15→18 (+20%), 18→21 (+16.7%), 21→30 (+42.9%)
    assert v[0] == pytest.approx(21 / 18 - 1) and h[0]
    v, h = evaluate(dataclasses.replace(t, threshold=0.18), *state({"hte": HTE}), TIMES)
    assert not h[0]


def test_share_of_the_region():
    t = make_target(kind="share", of_indicator="hte", of_scope="region", threshold=0.2)
    v, h = evaluate(t, *state({"hte": HTE}), TIMES)
    assert v[0] == pytest.approx(30 / 130) and h[0]


def test_per_10k_people_divides_by_the_population():
    pats = [[0, 0, 0]] * 4 + [[3000, 1000, 999]]
    pop = [[1e6, 1e6, 1e6]] * 5
    v, h = evaluate(make_target(kind="per_10k", indicator="invention_patents", threshold=20),
                    *state({"invention_patents": pats, "population": pop}), TIMES)
    assert v[0] == pytest.approx(4000 / 2e6 * 1e4) and h[0]


def test_per_zone_rule_is_decided_by_the_weakest_zone():
    inc = [[0, 0, 0]] * 4 + [[3, 1, 9]]
    t = make_target(kind="per_zone", indicator="incubators", threshold=2)
    v, h = evaluate(t, *state({"incubators": inc}), TIMES)
    assert v[0] == 1 and not h[0]
    v, h = evaluate(dataclasses.replace(t, zone_level="national"), *state({"incubators": inc}), TIMES)
    assert v[0] == 3 and h[0]


def test_count_of_zones_meeting_a_level():
    out = [[0, 0, 0]] * 4 + [[1500, 999, 5000]]
    t = make_target(kind="zones_meeting", indicator="output", level=1000, threshold=1)
    v, h = evaluate(t, *state({"output": out}), TIMES)
    assert v[0] == 1 and h[0]  # the outside region does not count as a zone


def test_ratio_indicator_is_a_ratio_of_sums():
    rd = [[1, 1, 0]] * 5
    gdp = [[100, 10, 1]] * 5
    v, _ = evaluate(make_target(indicator="rd_to_gdp", threshold=0.0), *state({"rd_reported": rd,
                                                                              "gdp": gdp}), TIMES)
    assert v[0] == pytest.approx(2 / 110)


def test_zone_counts_follow_levels():
    snaps, lv = state({"hte": HTE}, levels=(NAT, PROV, LEVEL_CODE["candidate"]))
    lv[0, -1, 2] = PROV  # the candidate is established by 2020
    v, _ = evaluate(make_target(indicator="zones"), snaps, lv, TIMES)
    assert v[0] == 3
    v, _ = evaluate(make_target(indicator="zones_national"), snaps, lv, TIMES)
    assert v[0] == 1


def test_undefined_value_is_a_miss():
    t = make_target(kind="share", of_indicator="hte", of_scope="zones", threshold=0.0)
    v, h = evaluate(t, *state({"hte": [[0, 0, 0]] * 5}), TIMES)
    assert np.isnan(v[0]) and not h[0]


def test_hightech_product_share_is_output_weighted():
    prod = [[30, 10, 99]] * 5
    out = [[60, 40, 1]] * 5
    v, h = evaluate(make_target(indicator="hightech_product_share", threshold=0.4),
                    *state({"hightech_product_output": prod, "above_size_output": out}), TIMES)
    assert v[0] == pytest.approx(40 / 100) and h[0]


# --- kinds and selectors added for the five plans --------------------------------------------------------------

def test_added_total_and_each_year():
    snaps, lv = state({"hte": HTE})
    total = make_target(kind="added", mode="total", threshold=15)  # 30 - 15 over official zones
    value, hit = evaluate(total, snaps, lv, TIMES)
    assert value[0] == 15 and hit[0]
    each = make_target(kind="added", mode="each_year", threshold=3)  # +3, +3 (to 2019-12), +9
    value, hit = evaluate(each, snaps, lv, TIMES)
    assert value[0] == 3 and hit[0]
    value, hit = evaluate(dataclasses.replace(each, threshold=4), snaps, lv, TIMES)
    assert not hit[0]


def test_each_zone_growth_is_decided_by_the_weakest_zone():
    snaps, lv = state({"hte": HTE})
    # national 10 -> 20 (+26% a year), provincial 5 -> 10 (same): both double over three years
    t = make_target(kind="growth", mode="compound", threshold=0.25, each_zone=True)
    value, hit = evaluate(t, snaps, lv, TIMES)
    assert value[0] == pytest.approx(2 ** (1 / 3) - 1) and hit[0]
    slow = [[10, 5, 100], [12, 6, 100], [13, 7, 100], [14, 7, 100], [20, 6, 100]]
    snaps, lv = state({"hte": slow})
    value, hit = evaluate(t, snaps, lv, TIMES)
    assert value[0] == pytest.approx(1.2 ** (1 / 3) - 1) and not hit[0]
    national_only = dataclasses.replace(t, zone_level="national")
    assert evaluate(national_only, snaps, lv, TIMES)[1][0]


def test_named_zones_restrict_every_kind():
    snaps, lv = state({"hte": HTE})
    t = make_target(threshold=20, zones=("b",), zone_index=(1,))  # the provincial zone alone: 10
    value, hit = evaluate(t, snaps, lv, TIMES)
    assert value[0] == 10 and not hit[0]
    per = make_target(kind="per_zone", threshold=10, zones=("a",), zone_index=(0,))
    assert evaluate(per, snaps, lv, TIMES)[0][0] == 20


def test_districts_covered_counts_districts_with_an_official_zone():
    snaps, lv = state({"hte": HTE}, levels=(NAT, PROV, OUT))
    # zones a and b in district 0, the outside area in district 1 (not a zone): one district covered
    t = make_target(kind="districts_covered", threshold=2, district_of=(0, 0, 1))
    value, hit = evaluate(t, snaps, lv, TIMES)
    assert value[0] == 1 and not hit[0]
    lv[0, -1, 2] = LEVEL_CODE["municipal"]  # the outside park becomes a zone in the last year
    value, hit = evaluate(t, snaps, lv, TIMES)
    assert value[0] == 2 and hit[0]


# --- indicators over a set of zones -------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1e4), st.floats(0.01, 1e5)), min_size=3, max_size=3))
def test_a_ratio_over_zones_is_the_ratio_of_sums_between_the_zones_own_ratios(zones):
    from sim.measure.targets import indicator_series, per_zone_series

    rd = [[r for r, _ in zones]] * len(TIMES)
    gdp = [[g for _, g in zones]] * len(TIMES)
    snaps, lv = state({"rd_reported": rd, "gdp": gdp})
    total = indicator_series("rd_to_gdp", snaps, lv, "zones")[0, 0]
    official = zones[:2]  # the outside region is not a zone
    assert total == pytest.approx(sum(r for r, _ in official) / sum(g for _, g in official))
    own = per_zone_series("rd_to_gdp", snaps)[0, 0, :2]
    assert own.min() * (1 - 1e-9) <= total <= own.max() * (1 + 1e-9)
    region = indicator_series("rd_to_gdp", snaps, lv, "region")[0, 0]
    assert region == pytest.approx(sum(r for r, _ in zones) / sum(g for _, g in zones))
