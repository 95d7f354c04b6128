"""Wilson intervals (sim.measure.stats): what is left of the old tests of the pure rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sim.measure.stats import wilson


@given(st.integers(0, 5000), st.integers(1, 5000))
def test_wilson_interval_is_a_proper_interval(k, n):
    k = min(k, n)
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
