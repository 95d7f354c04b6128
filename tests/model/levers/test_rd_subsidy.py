"""The R&D subsidy (sim.model.levers.rd_subsidy): each month it pays `rate` × a twelfth of each eligible firm's
real R&D spending, within its budget; the rate it offers raises real R&D (by the additionality); a rate of zero
changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import calendar
from sim.model.levers import rd_subsidy
from sim.model.mechanisms import rd

from ..support import assert_same_runs, batch, lever, only, paid

RATE = 0.2


def january(scenario, seed: int = 1, runs: int = 3):
    sim = batch(scenario.with_parameters({"subsidy_additionality": 0.5}), seed, runs)
    calendar.open_windows(sim, 1)
    rd.decide(sim)
    return sim


@pytest.mark.parametrize(("eligible", "scope"), [("all", "region"), ("hte", "region"), ("all", "zones")])
def test_it_pays_the_rate_of_a_twelfth_of_eligible_firms_real_rd(bare, eligible, scope):
    sim = january(only(bare, lever("rd_subsidy", "sub", rate=RATE, eligible=eligible, scope=scope)))
    f = sim.state.firms
    rd.monthly(sim)
    who = sim.eligible(eligible, scope)
    expected = (RATE * f.rd_real.astype(np.float64) * f.revenue * 1e6 / 12.0 * who).sum(axis=1)
    np.testing.assert_allclose(paid(sim, "sub"), expected, rtol=1e-6)
    assert (expected > 0).all()


def test_a_budget_caps_the_years_payments(bare):
    sim = january(only(bare, lever("rd_subsidy", "sub", rate=RATE, eligible="all", budget_per_year=1e6)))
    for _ in range(12):
        rd.monthly(sim)
    np.testing.assert_allclose(paid(sim, "sub"), 1e6)  # claims exceed it: all of it, no more


def test_the_rate_offered_is_the_rate_for_eligible_firms_only(tiny):
    sim = batch(tiny, 2, 2)
    sub = lever("rd_subsidy", rate=RATE, eligible="hte", scope="zones")
    np.testing.assert_array_equal(rd_subsidy.rd_subsidy_rate(sim, sub), RATE * sim.eligible("hte", "zones"))


def test_the_subsidy_raises_real_rd_of_eligible_firms_only(bare):
    plain = january(bare).state.firms
    subsidised = january(only(bare, lever("rd_subsidy", rate=RATE, eligible="hte"))).state.firms
    doers = plain.alive & (plain.rd_propensity > 0)
    assert (subsidised.rd_real[doers & plain.hte] > plain.rd_real[doers & plain.hte]).all()
    np.testing.assert_array_equal(subsidised.rd_real[~plain.hte], plain.rd_real[~plain.hte])


def test_a_rate_of_zero_changes_nothing(bare):
    assert_same_runs(only(bare, lever("rd_subsidy", rate=0.0, eligible="all")), bare)
