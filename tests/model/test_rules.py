"""The model's pure formulas (sim.model.rules): Poisson draws by inverse CDF, hazards, growth, the 2016 HTE
rules, R&D decisions and bunching, application probabilities, tech-SME scores, zone readiness, lognormal fits —
properties over ranges of inputs (hypothesis), independent of any scenario."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.model import rules as mech

probs = st.floats(0.0, 1.0, allow_nan=False)
F32 = np.float32


# --- random draws ------------------------------------------------------------------------------------------

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


def test_poisson_counts_rise_with_the_uniform_and_a_zero_rate_draws_nothing():
    u = np.linspace(0.0, 1.0 - 1e-9, 201)
    for draw in (mech.poisson_exact, mech.poisson_from_uniform):
        k = draw(u, np.full(u.shape, 3.0))
        assert (np.diff(k) >= 0).all(), draw.__name__  # inverse CDF: one uniform, one count, in order
        assert (draw(u, np.zeros(u.shape)) == 0).all(), draw.__name__


@given(probs)
@settings(max_examples=10, deadline=None)
def test_a_monthly_probability_compounds_to_the_yearly_one(p_year):
    p_year = min(p_year, 0.999)
    m = mech.monthly_from_yearly(p_year)
    assert 0.0 <= m <= p_year + 1e-12
    assert 1.0 - (1.0 - m) ** 12 == pytest.approx(p_year, abs=1e-9)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40), st.integers(1, 100))
@settings(max_examples=10, deadline=None)
def test_row_sums_do_not_move_with_a_batchs_padding(values, pad):
    """A run's sums are the same whatever the width of its batch: trailing zeros change nothing, bit for bit."""
    row = np.array([values])
    padded = np.concatenate([row, np.zeros((1, pad))], axis=1)
    assert mech.row_sum(row)[0] == mech.row_sum(padded)[0]
    assert mech.row_sum(row)[0] == pytest.approx(sum(values), abs=1e-6 * (1 + sum(abs(v) for v in values)))


# --- firm life ----------------------------------------------------------------------------------------------

@given(st.floats(0.08, 0.12), st.floats(0.03, 0.05), st.floats(0.0, 0.3))
@settings(max_examples=10, deadline=None)
def test_exit_hazard_follows_age_and_falls_with_size(peak, old, elasticity):
    ages = np.array([6.0, 24.0, 48.0, 84.0, 102.0, 120.0, 240.0])  # months
    h = mech.exit_hazard_year(ages, np.full(ages.shape, 10.0), peak, old, elasticity)  # at 10M: no size effect
    assert h[0] == pytest.approx(0.7 * peak, rel=1e-5)               # the first year: lower
    assert h[1:4] == pytest.approx([peak] * 3, rel=1e-5)               # years 2-7: the peak
    assert old - 1e-6 <= h[4] <= peak + 1e-6                           # years 7-10: declining
    assert h[5:] == pytest.approx([old] * 2, rel=1e-5)                 # after year 10: the old firms' hazard
    sizes = np.array([0.5, 5.0, 50.0, 500.0, 5000.0])
    by_size = mech.exit_hazard_year(np.full(sizes.shape, 48.0), sizes, peak, old, elasticity)
    assert (np.diff(by_size) <= 1e-7).all()                             # larger firms exit less
    assert (by_size <= 1.5 * peak + 1e-6).all()                         # capped at 1.5 × the peak


@given(st.floats(-0.5, 0.5), st.floats(0.01, 1.0))
@settings(max_examples=40, deadline=None)
def test_laplace_growth_median_is_the_mean(mean, sigma):
    assert abs(float(mech.laplace_growth(np.array([0.5]), np.float32(mean), np.float32(sigma))[0]) - mean) < 1e-5
    u = np.linspace(0.001, 0.999, 999)
    g = mech.laplace_growth(u, np.float32(mean), np.float32(sigma))
    assert (np.diff(g) >= -1e-6).all(), "growth must increase with the uniform (inverse CDF)"
    assert (np.abs(g) <= 3.0).all()


def test_growth_spread_falls_with_size_and_only_rd_above_the_median_raises_the_mean():
    p = {"growth_mean": F32(0.05), "rd_growth_effect": F32(0.02), "growth_sigma0": F32(0.35),
         "growth_size_beta": F32(0.2)}
    revenue = np.array([1.0, 10.0, 100.0, 1000.0])
    mean, sigma = mech.growth_mean_and_sigma(revenue, np.full(4, 0.02, F32), F32(0.02), p)
    assert (np.diff(sigma) < 0).all() and sigma[1] == pytest.approx(0.35, rel=1e-6)
    assert mean == pytest.approx([0.05] * 4, abs=1e-7)  # at the median: no R&D effect
    rd = np.array([0.0, 0.005, 0.02, 0.08], F32)
    mean, _ = mech.growth_mean_and_sigma(np.full(4, 10.0), rd, F32(0.02), p)
    assert mean[:3] == pytest.approx([0.05] * 3, abs=1e-7)  # none, below or at the median: the plain mean
    assert mean[3] == pytest.approx(0.05 + 0.02 * np.log(4.0), rel=1e-5)


# --- the 2016 HTE rules -------------------------------------------------------------------------------------

def test_rd_threshold_bands():
    got = mech.rd_threshold(np.array([10.0, 50.0, 51.0, 200.0, 201.0]))
    assert list(got) == pytest.approx([0.05, 0.05, 0.04, 0.04, 0.03], abs=1e-7)


def test_growth_points_follow_the_bands_and_never_exceed_twenty():
    ratios = np.array([0.8, 1.04, 1.06, 1.16, 1.26, 1.36, 3.0])
    pts = mech.growth_points(ratios)
    assert list(pts) == [0, 0, 3, 8, 13, 18, 18]
    assert (pts <= 20).all()


@given(st.floats(0.0, 20.0), st.floats(0.0, 50.0))
@settings(max_examples=10, deadline=None)
def test_ip_points_are_at_most_thirty_and_rise_with_ip(inventions, other):
    pts = mech.ip_points(np.array([inventions, inventions + 1]), np.array([other, other]))
    assert 0.0 <= pts[0] <= pts[1] <= 30.0


def test_one_invention_earns_thirty_ip_points_and_five_other_rights_twenty_four():
    pts = mech.ip_points(np.array([1.0, 0.0, 0.0]), np.array([0.0, 5.0, 0.0]))
    assert list(pts) == pytest.approx([30.0, 24.0, 0.0])


#: A firm that meets every 2016 criterion but R&D: age, core IP, staff and revenue shares, score > 70.
GOOD = {"age": 36.0, "inventions": 1.0, "other_ip": 0.0, "tech_share": 0.2, "hightech_share": 0.7,
        "capability": 35.0, "growth_pts": 8.0}


def criteria(**changes: float) -> bool:
    firm = {k: np.array([v], F32) for k, v in {**GOOD, **changes}.items()}
    return bool(mech.hte_criteria_except_rd(**firm)[0])


@pytest.mark.parametrize("change", [{"age": 11.0}, {"inventions": 0.0, "other_ip": 3.0}, {"tech_share": 0.09},
                                    {"hightech_share": 0.59}, {"capability": 30.0, "growth_pts": 0.0}])
def test_each_hte_criterion_is_necessary(change):
    assert criteria()
    assert not criteria(**change)


def test_four_other_ip_rights_count_as_core_ip():
    assert criteria(inventions=0.0, other_ip=4.0, capability=45.0)


def test_an_eligible_firm_is_not_preparable_and_one_missing_core_ip_is():
    def prep(**changes):
        firm = {k: np.array([v], F32) for k, v in {**GOOD, **changes}.items()}
        return bool(mech.preparable(**firm, rd_real=np.array([0.05], F32), revenue=np.array([20.0]),
                                    relabeller=np.array([False]), relabel_max=F32(0.24))[0])

    assert not prep()                                     # eligible already: nothing to prepare
    assert prep(inventions=0.0, other_ip=1.0, capability=45.0)  # core IP is one step away
    assert not prep(age=6.0, inventions=0.0)              # too young: a hard criterion


@given(st.floats(0.0, 3.0), st.floats(0.0, 10.0), st.sampled_from([0.0, 3.0, 8.0, 13.0, 18.0]))
@settings(max_examples=10, deadline=None)
def test_a_prepared_firm_with_the_capability_needed_passes_the_score(inventions, other_ip, growth):
    need = float(mech.capability_needed(np.array([inventions], F32), np.array([other_ip], F32),
                                        np.array([growth], F32))[0])
    if need > 50.0:
        return  # more than capability can give: such a firm is never preparable on the score
    assert criteria(inventions=inventions, other_ip=max(other_ip, mech.PREPARED_OTHER_IP), growth_pts=growth,
                    capability=max(need, 0.0))


# --- R&D ----------------------------------------------------------------------------------------------------

RD_P = {"hte_real_rd_uplift": F32(0.1), "subsidy_additionality": F32(0.5)}


@given(st.floats(0.0, 0.3), st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 0.2), st.booleans())
@settings(max_examples=10, deadline=None)
def test_real_rd_rises_with_subsidy_and_vouchers_and_stays_bounded(prop, rate_a, rate_b, voucher, hte):
    lo, hi = sorted((rate_a, rate_b))

    def rd(rate, v):
        return float(mech.rd_decision(np.array([prop], F32), np.array([hte]), np.array([rate], F32),
                                      np.array([v], F32), RD_P)[0])

    assert rd(lo, 0.0) <= rd(hi, 0.0) + 1e-7
    assert rd(lo, 0.0) <= rd(lo, voucher) + 1e-7
    assert 0.0 <= rd(hi, voucher) <= 0.6
    assert rd(0.0, 0.0) == pytest.approx(prop * (1.1 if hte else 1.0), rel=1e-5) or prop * 1.1 > 0.6


def test_a_firm_without_rd_does_not_start_because_of_a_voucher():
    out = mech.rd_decision(np.array([0.0], F32), np.array([False]), np.array([0.5], F32), np.array([0.1], F32), RD_P)
    assert out[0] == 0.0


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


# --- applications ---------------------------------------------------------------------------------------------

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


# --- tech SMEs -------------------------------------------------------------------------------------------------

def test_tech_sme_rules_cap_staff_and_revenue_and_need_tech_points():
    def ok(employees=100.0, revenue=50.0, tech=0.3, rd=0.06, inventions=1.0, other=0.0):
        return bool(mech.tech_sme_qualifies(*(np.array([v]) for v in (employees, revenue, tech, rd, inventions,
                                                                      other)))[0])

    assert ok()
    assert not ok(employees=501.0)
    assert not ok(revenue=201.0)
    assert not ok(tech=0.05)                      # no tech-staff points: never, whatever the rest
    assert not ok(rd=0.0, inventions=0.0, other=0.0, tech=0.1)  # a score under 60


# --- zones ----------------------------------------------------------------------------------------------------

@given(st.floats(1, 5000), st.floats(1, 5000), st.floats(0.001, 0.999))
@settings(max_examples=50, deadline=None)
def test_upgrade_chance_rises_with_readiness(hte_a, hte_b, base):
    r = mech.readiness(np.array([hte_a, hte_b]), np.array([100.0, 100.0]), 50.0, 100.0)
    p = mech.upgrade_probability(r, base, 1.0)
    assert (p[0] <= p[1]) == (hte_a <= hte_b) or abs(p[0] - p[1]) < 1e-12
    assert abs(mech.upgrade_probability(np.array([0.0]), base, 1.5)[0] - base) < 1e-9


def test_a_zone_as_strong_as_the_reference_has_readiness_zero_and_readiness_is_bounded():
    assert mech.readiness(np.array([40.0]), np.array([300.0]), 40.0, 300.0)[0] == pytest.approx(0.0)
    strong = mech.readiness(np.array([1e9]), np.array([1e12]), 1.0, 1.0)
    weak = mech.readiness(np.array([0.0]), np.array([0.0]), 1e6, 1e9)
    assert strong[0] == 5.0 and weak[0] == -5.0


@given(st.integers(200, 20000), st.floats(0.01, 0.3), st.floats(5, 500))
@settings(max_examples=40, deadline=None)
def test_lognormal_fit_puts_the_right_share_above_the_level(n, share, mean_revenue):
    mu, sigma = mech.lognormal_fit(n, n * mean_revenue, share, 100.0)
    got = 1 - stats.norm.cdf((np.log(100.0) - mu) / sigma)
    assert abs(got - share) < 1e-6 or sigma in (0.5, 3.5)
