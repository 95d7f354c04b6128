"""Properties of the pure rules (hypothesis), independent of any scenario."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.measure.stats import wilson
from sim.model.population import allocate


@given(st.lists(st.floats(0.0, 10.0), min_size=1, max_size=12), st.integers(0, 100000))
@settings(max_examples=60, deadline=None)
def test_allocate_splits_exactly(weights, total):
    w = np.array([weights]) + 1e-3
    out = allocate(np.array([total]), w)
    assert out.sum() == total and (out >= 0).all()


@given(st.integers(0, 5000), st.integers(1, 5000))
def test_wilson_interval_is_a_proper_interval(k, n):
    k = min(k, n)
    lo, hi = wilson(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
