"""Revenue growth (sim.model.mechanisms.growth): a year's log growth is a Laplace draw around a mean (raised by
R&D and growth levers) plus a shock common to the run, applied to revenue month by month; each January the
revenue history moves on and last year's growth sets the score's growth points."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import calendar, rules
from sim.model.mechanisms import growth

from ..support import batch

QUIET = {"macro_sd": 0.0, "rd_growth_effect": 0.0}


def year_growth(scenario, seed: int = 1, runs: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Each slot's log growth for the first year, and the living mask."""
    sim = batch(scenario, seed, runs)
    growth.draw_year(sim)
    f = sim.state.firms
    return 12.0 * np.log(f.growth_factor.astype(np.float64)), f.alive


@given(low=st.floats(0.0, 0.08), rise=st.floats(0.005, 0.1))
@settings(max_examples=10, deadline=None)
def test_the_median_log_growth_rises_with_growth_mean(bare, low, rise):
    g_lo, alive = year_growth(bare.with_parameters({**QUIET, "growth_mean": low}))
    g_hi, _ = year_growth(bare.with_parameters({**QUIET, "growth_mean": low + rise}))
    assert abs(np.median(g_lo[alive]) - low) < 0.02  # each firm's draw is centred on the mean
    assert np.median(g_hi[alive]) > np.median(g_lo[alive])
    inside = alive & (np.abs(g_hi) < 2.9) & (np.abs(g_lo) < 2.9)  # away from the ±3 clip
    np.testing.assert_allclose((g_hi - g_lo)[inside], rise, atol=2e-4)  # the same uniform, shifted


def test_the_macro_shock_is_common_to_the_firms_of_a_run(bare):
    still, alive = year_growth(bare.with_parameters({"macro_sd": 0.0}), seed=2, runs=4)
    shaken, _ = year_growth(bare.with_parameters({"macro_sd": 0.04}), seed=2, runs=4)
    shift = shaken - still
    for b in range(4):
        np.testing.assert_allclose(shift[b][alive[b]], shift[b][alive[b]][0], atol=2e-4)
    assert np.abs(shift[:, 0]).max() > 0


def test_the_spread_of_growth_falls_with_size(bare):
    g, alive = year_growth(bare.with_parameters(QUIET), seed=3, runs=6)
    sim = batch(bare, 3, 6)
    revenue = sim.state.firms.revenue
    small = alive & (revenue < 5.0)
    large = alive & (revenue > 100.0)
    iqr = [np.subtract(*np.percentile(g[m], [75, 25])) for m in (small, large)]
    assert iqr[0] > iqr[1]


def test_revenue_grows_by_the_years_factor_each_month_and_firms_age(tiny):
    sim = batch(tiny, 4, 3)
    growth.draw_year(sim)
    f = sim.state.firms
    revenue, age, factor = f.revenue.copy(), f.age.copy(), f.growth_factor.copy()
    growth.monthly(sim)
    np.testing.assert_allclose(f.revenue, revenue * factor, rtol=1e-12)
    np.testing.assert_array_equal(f.age, age + f.alive)
    for _ in range(11):
        growth.monthly(sim)
    np.testing.assert_allclose(f.revenue[f.alive], (revenue * factor.astype(np.float64) ** 12)[f.alive], rtol=1e-5)


def test_each_january_the_revenue_history_moves_on(tiny):
    sim = batch(tiny, 5, 3)
    f = sim.state.firms
    for _ in range(12):
        f.revenue *= 1.3  # twelve months of 30% growth, by hand
        f.age += f.alive
    f.age[:, 0] = 5.0  # a firm under a year old keeps its points
    start, ago2, now = f.revenue_year_start.copy(), f.revenue_ago2.copy(), f.revenue.copy()
    old_pts = f.growth_pts.copy()
    growth.year_start(sim, 13)
    f = sim.state.firms
    np.testing.assert_array_equal(f.revenue_ago3, ago2)
    np.testing.assert_array_equal(f.revenue_ago2, start)
    np.testing.assert_array_equal(f.revenue_year_start, now)
    ratio = np.where(start > 0, now / np.maximum(start, 1e-9), 1.0)
    adult = f.age >= 12  # a firm a year old has a year's growth to score
    assert adult[f.alive].any() and (~adult[f.alive]).any()
    np.testing.assert_array_equal(f.growth_pts[adult], rules.growth_points(ratio[adult]))
    np.testing.assert_array_equal(f.growth_pts[~adult], old_pts[~adult])
    np.testing.assert_allclose(f.employees[f.alive], np.maximum(3.0, now / f.productivity)[f.alive], rtol=1e-5)


def test_first_january_keeps_the_base_years_growth_points(tiny):
    """Regression: at month 1 no revenue has moved yet, so last year's growth must come from initialisation."""
    sim = batch(tiny, 2, 3)
    f = sim.state.firms
    before = f.growth_pts.copy()
    alive = f.alive.copy()
    assert (before[alive] > 0).any()
    calendar.month(sim, 1)
    w = before.shape[1]
    np.testing.assert_array_equal(sim.state.firms.growth_pts[:, :w][alive], before[alive])
