"""sim.measure.stats: the Wilson interval of a proportion and Newcombe's interval of a difference of two
proportions (paired and unpaired)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.measure.stats import Z95, newcombe_difference, wilson

COUNTS = st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@settings(max_examples=60, deadline=None)
@given(COUNTS)
def test_the_wilson_interval_contains_the_estimate_within_0_and_1(counts):
    k, n = counts
    lo, hi = (float(x) for x in wilson(k, n))
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    assert lo < hi


def test_the_wilson_interval_is_exact_at_0_and_n_hits():
    for n in (1, 10, 100, 2500):
        lo, hi = wilson(0, n)
        assert lo == 0.0 and hi == pytest.approx(Z95**2 / (n + Z95**2))  # Wilson's closed form at p = 0
        lo, hi = wilson(n, n)
        assert hi == 1.0 and lo == pytest.approx(n / (n + Z95**2))


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(10, 2000))
def test_the_wilson_interval_shrinks_as_runs_grow(p, n):
    k = round(p * n)
    lo1, hi1 = wilson(k, n)
    lo4, hi4 = wilson(4 * k, 4 * n)  # the same proportion from four times the runs
    assert hi4 - lo4 < hi1 - lo1


def test_the_wilson_interval_matches_its_textbook_value():
    lo, hi = wilson(81, 263)  # Newcombe (1998) Table I: 81/263 → 0.2553 to 0.3662
    assert (float(lo), float(hi)) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert pytest.approx(stats.norm.ppf(0.975)) == Z95


def test_wilson_works_on_arrays():
    lo, hi = wilson(np.array([0, 5, 10]), np.array([10, 10, 10]))
    assert lo.shape == hi.shape == (3,)
    assert lo[0] == 0.0 and hi[2] == 1.0 and lo[1] < 0.5 < hi[1]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=300))
def test_newcombe_interval_contains_the_estimate(pairs):
    x = np.array([a for a, _ in pairs])
    y = np.array([b for _, b in pairs])
    for paired in (True, False):
        delta, lo, hi = newcombe_difference(x, y, paired)
        assert delta == pytest.approx(x.mean() - y.mean())
        assert -1.0 <= lo <= delta + 1e-12 and delta - 1e-12 <= hi <= 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=300))
def test_the_paired_interval_is_never_wider_than_the_unpaired_one_when_pairs_agree(pairs):
    """Common random numbers couple the variants: with φ ≥ 0 the paired interval is at most as wide."""
    x = np.array([a for a, _ in pairs])
    y = np.array([b for _, b in pairs])
    _, lo_p, hi_p = newcombe_difference(x, y, paired=True)
    _, lo_u, hi_u = newcombe_difference(x, y, paired=False)
    if (x != y).any():  # with no discordant pair the paired interval is bounded by the discordance rate instead
        assert hi_p - lo_p <= hi_u - lo_u + 1e-12


def test_identical_variants_give_a_zero_difference_bounded_by_the_discordance_rate():
    x = np.array([True] * 30 + [False] * 70)
    delta, lo, hi = newcombe_difference(x, x.copy(), paired=True)
    bound = float(wilson(0, 100)[1])
    assert (delta, lo, hi) == (0.0, -bound, bound)


def test_the_unpaired_difference_matches_newcombes_worked_example():
    # Newcombe (1998), Table II, example (a): 56/70 − 48/80 → 0.0524 to 0.3339 (method 10)
    x = np.array([True] * 56 + [False] * 14)
    y = np.array([True] * 48 + [False] * 32)
    delta, lo, hi = newcombe_difference(x, y, paired=False)
    assert delta == pytest.approx(0.2)
    assert (lo, hi) == pytest.approx((0.0524, 0.3339), abs=5e-5)
