"""The loan-interest subsidy (贷款贴息, sim.model.levers.loan_subsidy): what it pays, within its budget, and that
it raises growth — only the borrowers' and never anyone else's draws."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.input.scenario import Scenario, policy_from_raw
from sim.model import calendar
from sim.model.engine import BatchSim

RUNS = np.arange(4)
FIXED = {"loan_interest_rate": 0.06, "loan_to_revenue": 0.2}


def with_loan(scenario: Scenario, **fields) -> Scenario:
    raw = {"id": "loan", "kind": "loan_subsidy", "name": "科技贷款贴息", "start": "2018-01", "end": "2020-12",
           "scope": "region", "share": 0.5, "eligible": "all", **fields}
    # the tiny scenario's own levers are removed so that only this one pays and moves growth
    return dataclasses.replace(scenario, policies=(policy_from_raw(raw),))


def january(scenario: Scenario, seed: int = 3) -> tuple[BatchSim, np.ndarray, np.ndarray]:
    """The batch after the first January's steps, with each slot's revenue and aliveness before them."""
    sim = BatchSim(scenario, seed, RUNS, check_invariants=False)
    revenue, alive = sim.state.firms.revenue.copy(), sim.state.firms.alive.copy()
    calendar.open_windows(sim, 1)
    calendar.month(sim, 1)
    return sim, revenue, alive


def paid(sim: BatchSim) -> np.ndarray:
    """(runs,) RMB the loan lever paid in the first simulated year."""
    return sim.ledger.by_year[:, 0, sim.ledger.index["loan"]]


def test_every_borrower_gets_the_share_of_its_interest(tiny):
    sc = with_loan(tiny.with_parameters({**FIXED, "loan_borrowing_share": 1.0}), share=0.5)
    sim, revenue, alive = january(sc)
    expected = (0.5 * 0.06 * 0.2 * revenue * 1e6 * alive).sum(axis=1)  # every living firm borrows
    np.testing.assert_allclose(paid(sim), expected, rtol=1e-6)  # float32 parameters


def test_the_cap_per_firm_and_the_budget_hold(tiny):
    sc = with_loan(tiny.with_parameters({**FIXED, "loan_borrowing_share": 1.0}), share=0.5, max_per_firm=20_000)
    sim, revenue, alive = january(sc)
    expected = np.minimum(0.5 * 0.06 * 0.2 * revenue * 1e6, 20_000.0) * alive
    np.testing.assert_allclose(paid(sim), expected.sum(axis=1), rtol=1e-6)  # float32 parameters
    budget = float(expected.sum(axis=1).min() / 2)
    capped = with_loan(tiny.with_parameters({**FIXED, "loan_borrowing_share": 1.0}), share=0.5,
                       max_per_firm=20_000, budget_per_year=budget)
    sim, _, _ = january(capped)
    np.testing.assert_allclose(paid(sim), budget, rtol=1e-6)  # claims exceed it: all of it, no more


def test_only_eligible_firms_are_paid(tiny):
    sc = with_loan(tiny.with_parameters({**FIXED, "loan_borrowing_share": 1.0}), eligible="hte")
    sim, revenue, _ = january(sc)
    holders = BatchSim(sc, 3, RUNS, check_invariants=False).state.firms.hte  # holders at the start of January
    expected = (0.5 * 0.06 * 0.2 * revenue * 1e6 * holders).sum(axis=1)
    np.testing.assert_allclose(paid(sim), expected, rtol=1e-6)  # float32 parameters


@settings(max_examples=8, deadline=None)
@given(effect=st.floats(0.5, 3.0), share=st.floats(0.1, 1.0), seed=st.integers(0, 50))
def test_the_subsidy_raises_growth_of_borrowers_and_changes_no_other_draw(tiny, effect, share, seed):
    params = {**FIXED, "loan_subsidy_growth_effect": effect}
    off, _, alive = january(with_loan(tiny.with_parameters(params), share=0.0), seed)
    on, _, _ = january(with_loan(tiny.with_parameters(params), share=share), seed)
    w = min(off.W, on.W)
    g_off, g_on = off.state.firms.growth_factor[:, :w], on.state.firms.growth_factor[:, :w]
    live = alive[:, :w] if alive.shape[1] >= w else off.state.firms.alive[:, :w]
    assert (g_on[live] >= g_off[live]).all()  # the same uniforms, a higher mean: never lower
    assert (g_on[live] > g_off[live]).any()   # some firms borrow
    # the lever draws from its own stream only: exits and entries of the month are the same in both
    np.testing.assert_array_equal(off.flows["entries"], on.flows["entries"])


def test_a_zero_share_pays_nothing_and_moves_nothing(tiny):
    params = {**FIXED, "loan_subsidy_growth_effect": 2.0}
    zero, _, _ = january(with_loan(tiny.with_parameters(params), share=0.0))
    none, _, _ = january(dataclasses.replace(tiny.with_parameters(params), policies=()))
    assert (paid(zero) == 0).all()
    np.testing.assert_array_equal(zero.state.firms.growth_factor, none.state.firms.growth_factor)


@pytest.mark.parametrize("bad", [{"share": 1.5}, {"share": -0.1}, {"eligible": "banks"}, {"max_per_firm": -1}])
def test_bad_fields_are_refused(tiny, bad):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        with_loan(tiny, **bad)
