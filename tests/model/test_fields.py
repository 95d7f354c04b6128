"""The recorded sums (sim.model.fields): the field list, and FieldCondition — a ratio of sums at least a value,
per zone, where a zero denominator fails."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.fields import (
    FIELD_INDEX,
    FIELDS,
    FLOW_FIELDS,
    INST_TYPES,
    N_INST_TYPES,
    N_RD_TYPES,
    FieldCondition,
)


def sums(**values: list[float]) -> np.ndarray:
    """(zones, FIELDS) with the given fields set per zone, the rest 0."""
    n = len(next(iter(values.values())))
    out = np.zeros((n, len(FIELDS)))
    for name, v in values.items():
        out[:, FIELD_INDEX[name]] = v
    return out


def test_fields_are_unique_and_flows_are_fields():
    assert len(set(FIELDS)) == len(FIELDS)
    assert set(FLOW_FIELDS) <= set(FIELDS)
    assert [FIELDS[i] for i in FIELD_INDEX.values()] == list(FIELD_INDEX)
    assert len(INST_TYPES) == N_INST_TYPES and 0 < N_RD_TYPES <= N_INST_TYPES


def test_a_count_condition_holds_from_its_threshold_on():
    cond = FieldCondition("hte", "hte", None, 1.0, 30.0)
    np.testing.assert_array_equal(cond.holds(sums(hte=[0.0, 29.0, 30.0, 31.0])), [False, False, True, True])


def test_a_ratio_condition_scales_the_ratio_and_fails_on_a_zero_denominator():
    share = FieldCondition("hte_share", "hte", "firms", 100.0, 10.0)  # HTEs as % of firms >= 10
    got = share.holds(sums(hte=[5.0, 10.0, 0.0, 3.0], firms=[100.0, 100.0, 0.0, 0.0]))
    np.testing.assert_array_equal(got, [False, True, False, False])


@given(num=st.lists(st.floats(0, 1e6), min_size=1, max_size=8), den=st.lists(st.floats(0, 1e6), min_size=8,
                                                                             max_size=8),
       scale=st.floats(0.01, 1e4), at_least=st.floats(0, 1e3))
@settings(max_examples=10, deadline=None)
def test_a_ratio_condition_is_the_ratio_times_scale_at_least_the_value(num, den, scale, at_least):
    den = den[: len(num)]
    cond = FieldCondition("x", "output", "firms", scale, at_least)
    got = cond.holds(sums(output=num, firms=den))
    for n, d, g in zip(num, den, got, strict=True):
        assert g == (d > 0 and n / d * scale >= at_least)


def test_conditions_hold_per_run_and_zone():
    cond = FieldCondition("firms", "firms", None, 1.0, 2.0)
    fields = np.zeros((3, 4, len(FIELDS)))
    fields[1, 2, FIELD_INDEX["firms"]] = 5.0
    got = cond.holds(fields)
    assert got.shape == (3, 4) and got.sum() == 1 and got[1, 2]
