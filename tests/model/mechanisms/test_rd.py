"""R&D (sim.model.mechanisms.rd): each January real R&D is the firm's propensity raised by certification and by
subsidies (by their additionality), and what it reports is at least what it spends (relabelling only adds)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import calendar, rules
from sim.model.mechanisms import rd

from ..support import batch, lever, only


def decided(scenario, seed: int = 1, runs: int = 3):
    """The batch after the first January's R&D decision (levers of month 1 active)."""
    sim = batch(scenario, seed, runs)
    calendar.open_windows(sim, 1)
    rd.decide(sim)
    return sim


def with_rd_subsidy(bare, rate: float, additionality: float):
    sc = bare.with_parameters({"subsidy_additionality": additionality})
    return only(sc, lever("rd_subsidy", rate=rate, eligible="all"))


@given(low=st.floats(0.0, 0.5), rise=st.floats(0.01, 0.5))
@settings(max_examples=10, deadline=None)
def test_real_rd_rises_with_the_rd_subsidy_rate(bare, low, rise):
    a = decided(with_rd_subsidy(bare, low, 0.5)).state.firms
    b = decided(with_rd_subsidy(bare, low + rise, 0.5)).state.firms
    doers = a.alive & (a.rd_propensity > 0)
    assert (b.rd_real[doers] >= a.rd_real[doers]).all()
    assert (b.rd_real[doers] > a.rd_real[doers]).any()
    assert (b.rd_real[a.alive & ~doers] == 0).all()


def test_a_negative_additionality_makes_a_subsidy_crowd_out_rd(bare):
    base = decided(with_rd_subsidy(bare, 0.0, -0.4)).state.firms
    crowded = decided(with_rd_subsidy(bare, 0.5, -0.4)).state.firms
    doers = base.alive & (base.rd_propensity > 0)
    assert (crowded.rd_real[doers] <= base.rd_real[doers]).all()
    np.testing.assert_allclose(crowded.rd_real[doers], np.clip(base.rd_real[doers] * 0.8, 0, 0.6), rtol=1e-5)


def test_without_levers_real_rd_is_the_propensity_raised_by_certification(bare):
    sim = decided(bare.with_parameters({"hte_real_rd_uplift": 0.1}))
    f = sim.state.firms
    expected = np.clip(f.rd_propensity * np.where(f.hte, 1.1, 1.0), 0.0, 0.6)
    np.testing.assert_allclose(f.rd_real, expected, rtol=1e-6)


def test_reported_rd_is_at_least_real_and_at_most_the_threshold_when_relabelled(tiny):
    sim = decided(tiny, seed=2, runs=4)
    f = sim.state.firms
    assert (f.rd_reported >= f.rd_real).all()
    relabelled = f.rd_reported > f.rd_real
    assert relabelled.any() and f.relabeller[relabelled].all()
    np.testing.assert_array_equal(f.rd_reported[relabelled], rules.rd_threshold(f.revenue)[relabelled])


def test_january_starts_the_years_funding_at_zero(tiny):
    sim = batch(tiny, 1, 2)
    sim.state.firms.voucher_intensity[:] = 0.3
    rd.year_start(sim)
    assert (sim.state.firms.voucher_intensity == 0).all()
