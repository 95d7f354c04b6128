"""Properties of the pure rules (hypothesis), independent of any scenario."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.measure.stats import wilson
from sim.model import rules as mech
from sim.model.population import allocate

probs = st.floats(0.0, 1.0, allow_nan=False)


@given(st.floats(0.0, 50.0))
@settings(max_examples=40, deadline=None)
def test_poisson_from_uniform_is_nonnegative_with_the_right_mean(lam):
    u = (np.arange(20000, dtype=np.float64) + 0.5) / 20000  # a stratified uniform sample
    k = mech.poisson_from_uniform(u, np.full(u.shape, lam))
    assert (k >= 0).all() and np.allclose(k, np.round(k))
    assert abs(k.mean() - lam) <= 0.01 + 0.002 * lam


@given(st.floats(0.0, 800.0), probs)
@settings(max_examples=80, deadline=None)
def test_poisson_exact_matches_scipy(lam, u):
    u = min(max(u, 1e-9), 1 - 1e-9)  # scipy's ppf(0) is -1 by convention
    got = int(mech.poisson_exact(np.array([u]), np.array([lam]))[0])
    want = int(stats.poisson.ppf(u, lam))
    assert abs(got - want) <= (0 if lam <= 500 else max(2, 0.02 * lam))


@given(st.floats(-0.5, 0.5), st.floats(0.01, 1.0))
@settings(max_examples=40, deadline=None)
def test_laplace_growth_median_is_the_mean(mean, sigma):
    assert abs(float(mech.laplace_growth(np.array([0.5]), np.float32(mean), np.float32(sigma))[0]) - mean) < 1e-5
    u = np.linspace(0.001, 0.999, 999)
    g = mech.laplace_growth(u, np.float32(mean), np.float32(sigma))
    assert (np.diff(g) >= -1e-6).all(), "growth must increase with the uniform (inverse CDF)"


@given(st.lists(st.floats(0, 1e6), min_size=2, max_size=2), st.floats(0.1, 1e4), probs, st.floats(0.0, 1.0))
@settings(max_examples=60, deadline=None)
def test_more_award_never_lowers_the_application_probability(awards, revenue, base, elasticity):
    low, high = sorted(awards)
    p = {"profit_margin": np.float32(0.08), "hte_award_elasticity": np.float32(elasticity)}
    a = mech.apply_probability(np.array([base]), 2, np.array([low]), np.array([revenue]), p)
    b = mech.apply_probability(np.array([base]), 2, np.array([high]), np.array([revenue]), p)
    assert 0.0 <= a[0] <= b[0] + 1e-12 <= 1.0 + 1e-9


def test_no_award_keeps_the_base_rate_over_a_year():
    p = {"profit_margin": np.float32(0.08), "hte_award_elasticity": np.float32(0.3)}
    per_round = mech.apply_probability(np.array([0.4]), 3, np.array([0.0]), np.array([20.0]), p)
    assert abs(1 - (1 - per_round[0]) ** 3 - 0.4) < 1e-9


@given(st.floats(1, 5000), st.floats(1, 5000), st.floats(0.001, 0.999))
@settings(max_examples=50, deadline=None)
def test_upgrade_chance_rises_with_readiness(hte_a, hte_b, base):
    r = mech.readiness(np.array([hte_a, hte_b]), np.array([100.0, 100.0]), 50.0, 100.0)
    p = mech.upgrade_probability(r, base, 1.0)
    assert (p[0] <= p[1]) == (hte_a <= hte_b) or abs(p[0] - p[1]) < 1e-12
    assert abs(mech.upgrade_probability(np.array([0.0]), base, 1.5)[0] - base) < 1e-9


@given(st.integers(200, 20000), st.floats(0.01, 0.3), st.floats(5, 500))
@settings(max_examples=40, deadline=None)
def test_lognormal_fit_puts_the_right_share_above_the_level(n, share, mean_revenue):
    mu, sigma = mech.lognormal_fit(n, n * mean_revenue, share, 100.0)
    got = 1 - stats.norm.cdf((np.log(100.0) - mu) / sigma)
    assert abs(got - share) < 1e-6 or sigma in (0.5, 3.5)


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


def test_rd_threshold_bands():
    assert list(mech.rd_threshold(np.array([10.0, 50.0, 51.0, 200.0, 201.0]))) == pytest_approx([0.05, 0.05, 0.04,
                                                                                                  0.04, 0.03])


def pytest_approx(values):
    import pytest

    return pytest.approx(values, abs=1e-7)


def test_bunching_only_reaches_the_threshold_within_the_relabelling_cap():
    rd = np.array([0.045, 0.030, 0.049, 0.049], dtype=np.float32)
    rev = np.array([10.0, 10.0, 10.0, 10.0])
    wants = np.array([True, True, False, True])
    relabeller = np.array([True, True, True, False])
    out = mech.reported_rd(rd, rev, wants, relabeller, np.float32(0.24))
    assert out[0] == np.float32(0.05)          # within 24%: bunches at the 5% threshold
    assert out[1] == np.float32(0.030)         # too far below: reports the truth
    assert out[2] == np.float32(0.049)         # does not want the certificate
    assert out[3] == np.float32(0.049)         # not a relabeller
    assert (out >= rd).all()
