"""The fiscal ledger (sim.model.levers.ledger): payments never exceed claims or the yearly budget, pro rata and
first come, every payment booked per lever and year and per zone, and levers pay only inside their windows."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.levers.ledger import Ledger, active_window, month_index

from ..support import field, lever, only


def one_lever_ledger(tiny, budget, rule):
    pol = dataclasses.replace(tiny.policies[0], budget_per_year=budget, when_exhausted=rule)
    sc = tiny.with_policies((pol,))
    return Ledger(sc, 2), pol.id


claims_st = st.lists(st.one_of(st.just(0.0), st.floats(0.01, 1e6)), min_size=1, max_size=30)  # RMB: 0 or >= 1 fen


@given(claims_st, st.floats(0, 5e6), st.sampled_from(["pro_rata", "first_come"]))
@settings(max_examples=80, deadline=None)
def test_payments_respect_claims_and_budget(tiny, claims, budget, rule):
    ledger, pid = one_lever_ledger(tiny, budget, rule)
    c = np.array([claims, claims[::-1]])
    zone = np.zeros_like(c, dtype=np.int16)
    order = np.random.default_rng(0).random(c.shape)
    paid = ledger.pay(pid, c, zone, order)
    assert (paid <= c + 1e-6).all() and (paid >= 0).all()
    assert (paid.sum(1) <= budget * (1 + 1e-9) + 1e-6).all()
    assert np.allclose(paid.sum(1), np.minimum(c.sum(1), budget))
    assert np.allclose(ledger.zone_flow.sum(1), paid.sum(1))
    if rule == "pro_rata":
        frac = paid / np.where(c > 0, c, 1)
        for row, crow in zip(frac, c, strict=True):
            vals = row[crow > 0]
            assert np.allclose(vals, vals[0]) if vals.size else True


def test_first_come_pays_in_queue_order(tiny):
    ledger, pid = one_lever_ledger(tiny, 250.0, "first_come")
    c = np.array([[100.0, 100.0, 100.0], [100.0, 100.0, 100.0]])
    order = np.array([[0.3, 0.1, 0.2], [0.9, 0.5, 0.1]])
    paid = ledger.pay(pid, c, np.zeros((2, 3), np.int16), order)
    assert paid[0].tolist() == [50.0, 100.0, 100.0]
    assert paid[1].tolist() == [50.0, 100.0, 100.0]


def test_budget_is_per_year(tiny):
    ledger, pid = one_lever_ledger(tiny, 100.0, "pro_rata")
    c = np.full((2, 1), 80.0)
    z = np.zeros((2, 1), np.int16)
    assert ledger.pay(pid, c, z).sum() == 160.0
    assert np.allclose(ledger.pay(pid, c, z), 20.0)
    ledger.new_year(1)
    assert np.allclose(ledger.pay(pid, c, z), 80.0)
    assert np.allclose(ledger.by_year[:, 0, 0], 100.0) and np.allclose(ledger.by_year[:, 1, 0], 80.0)


def test_an_uncapped_lever_pays_every_claim_and_books_it_by_zone(tiny):
    ledger, pid = one_lever_ledger(tiny, None, "pro_rata")
    claims = np.array([[10.0, 20.0, np.nan, -5.0], [1.0, 0.0, 0.0, 4.0]])
    zone = np.array([[0, 1, 1, 2], [4, 4, 0, 3]], np.int16)
    paid = ledger.pay(pid, claims, zone)
    np.testing.assert_array_equal(paid, [[10.0, 20.0, 0.0, 0.0], [1.0, 0.0, 0.0, 4.0]])  # no NaN, no negative
    flow = ledger.take_zone_flow()
    np.testing.assert_array_equal(flow[0], [10.0, 20.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(flow[1], [0.0, 0.0, 0.0, 4.0, 1.0])
    assert (ledger.zone_flow == 0).all(), "taking the year's flow resets it"
    np.testing.assert_array_equal(ledger.by_year[:, 0, 0], [30.0, 5.0])


def test_windows_are_clipped_to_the_simulated_months(tiny):
    early = lever("hte_award", amount_new=1.0, amount_renewal=1.0, start="2015-03", end="2019-02")
    late = lever("hte_award", amount_new=1.0, amount_renewal=1.0, start="2019-07", end="2030-12")
    assert month_index(tiny, tiny.base_year + 1, 1) == 1
    assert active_window(tiny, early) == (1, 14)
    assert active_window(tiny, late) == (19, tiny.months)


def test_active_of_kind_lists_the_active_levers_of_a_kind(tiny):
    ledger = Ledger(tiny, 1)
    ledger.active[:] = [p.kind == "institution_award" for p in tiny.policies]
    assert [p.id for p in ledger.active_of_kind("institution_award")] == ["inst_award", "fund_award"]
    assert ledger.active_of_kind("hte_award") == []


# --- on real runs ---------------------------------------------------------------------------------------

def test_fiscal_cost_is_the_sum_of_payments(tiny_batch):
    sim, res = tiny_batch
    year_ends = [i for i, (_, mo, m) in enumerate(sim.times) if mo == 12 and m > 0]
    by_year = res.lever_costs.sum(axis=2) / 1e4  # 万元
    for y, i in enumerate(year_ends):
        np.testing.assert_allclose(field(res, "fiscal_cost")[:, i].sum(1), by_year[:, y], rtol=1e-9)
    assert by_year.sum() > 0, "the tiny scenario's levers should pay something"


def test_budget_caps_are_honoured(tiny_batch, tiny):
    _, res = tiny_batch
    for li, policy in enumerate(tiny.policies):
        if policy.budget_per_year is not None:
            assert (res.lever_costs[:, :, li] <= policy.budget_per_year * (1 + 1e-9)).all(), policy.id


def test_lever_outside_its_window_pays_nothing(tiny_batch, tiny):
    _, res = tiny_batch
    li = [p.id for p in tiny.policies].index("rd_sub")  # ends 2019-12
    assert (res.lever_costs[:, 2, li] == 0).all()


def test_a_lever_that_starts_later_pays_nothing_before(bare):
    from sim.model.engine import run_batch

    late = only(bare, lever("rd_subsidy", rate=0.3, eligible="all", start="2019-01", end="2020-12"))
    res = run_batch(late, 1, np.arange(2))
    assert (res.lever_costs[:, 0] == 0).all() and (res.lever_costs[:, 1:] > 0).all()
