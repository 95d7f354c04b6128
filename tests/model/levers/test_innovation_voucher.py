"""Innovation vouchers (sim.model.levers.innovation_voucher): each January exactly up to `vouchers_per_year`
eligible firms get one, paid `amount` within the budget; the money counts as funding for the year's R&D
decision, so voucher holders spend more; a voucher of zero changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import calendar
from sim.model.levers import innovation_voucher

from ..support import assert_same_runs, batch, lever, only, paid

AMOUNT = 50_000.0


def issued(scenario, n: int, eligible: str = "all", seed: int = 1, runs: int = 4, **fields):
    sim = batch(scenario.with_parameters({"subsidy_additionality": 0.5}), seed, runs)
    v = lever("innovation_voucher", "voucher", amount=AMOUNT, vouchers_per_year=n, eligible=eligible, **fields)
    sim.ledger.active[:] = True
    before = sim.state.firms.voucher_intensity.copy()
    innovation_voucher.january(sim, v, 1)
    return sim, sim.state.firms.voucher_intensity > before


@pytest.mark.parametrize("n", [0, 1, 7, 100000])
def test_exactly_up_to_the_number_of_vouchers_go_to_eligible_firms(bare, n):
    sc = only(bare, lever("innovation_voucher", "voucher", amount=AMOUNT, vouchers_per_year=n, eligible="hte"))
    sim, got = issued(sc, n, "hte")
    eligible = sim.eligible("hte", "region")
    np.testing.assert_array_equal(got.sum(axis=1), np.minimum(n, eligible.sum(axis=1)))
    assert not (got & ~eligible).any()
    np.testing.assert_allclose(paid(sim, "voucher"), AMOUNT * got.sum(axis=1))
    f = sim.state.firms
    np.testing.assert_allclose(f.voucher_intensity[got], AMOUNT / (f.revenue[got] * 1e6), rtol=1e-5)


def test_a_budget_caps_the_vouchers_paid(bare):
    sc = only(bare, lever("innovation_voucher", "voucher", amount=AMOUNT, vouchers_per_year=20, eligible="all",
                          budget_per_year=120_000.0))
    sim, got = issued(sc, 20, budget_per_year=120_000.0)
    np.testing.assert_allclose(paid(sim, "voucher"), 120_000.0)


def test_voucher_holders_spend_more_on_rd(bare):
    plain = batch(bare.with_parameters({"subsidy_additionality": 0.5}), 2, 3)
    with_v = batch(only(bare, lever("innovation_voucher", amount=500_000.0, vouchers_per_year=50, eligible="all"))
                   .with_parameters({"subsidy_additionality": 0.5}), 2, 3)
    for sim in (plain, with_v):
        calendar.open_windows(sim, 1)
        calendar.month(sim, 1)
    w = min(plain.W, with_v.W)
    got = with_v.state.firms.voucher_intensity[:, :w] > 0
    doers = got & (plain.state.firms.rd_propensity[:, :w] > 0)
    assert doers.any()
    assert (with_v.state.firms.rd_real[:, :w][doers] > plain.state.firms.rd_real[:, :w][doers]).all()
    others = ~got & plain.state.firms.alive[:, :w]
    np.testing.assert_array_equal(with_v.state.firms.rd_real[:, :w][others], plain.state.firms.rd_real[:, :w][others])


def test_a_voucher_of_zero_changes_nothing(bare):
    assert_same_runs(only(bare, lever("innovation_voucher", amount=0.0, vouchers_per_year=30, eligible="all")), bare)
