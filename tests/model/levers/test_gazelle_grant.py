"""Gazelle grants (sim.model.levers.gazelle_grant): each January exactly up to `grants_per_year` of last year's
gazelles in scope win a project; winners spend on R&D as if funded now and are paid `amount` after
`paid_after_months` if still alive, within that year's budget; a grant of zero changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.levers import gazelle_grant

from ..support import assert_same_runs, batch, lever, only, paid

AMOUNT, DELAY = 500_000.0, 12


def grant(n: int, **fields):
    return lever("gazelle_grant", "gazelle", amount=AMOUNT, grants_per_year=n, paid_after_months=DELAY, **fields)


def approved(bare, n: int, seed: int = 1, **fields):
    """A batch whose January approved `n` grants among hand-picked gazelles (every fifth living firm)."""
    g = grant(n, **fields)
    sim = batch(only(bare, g), seed, 4)
    sim.ledger.active[:] = True
    f = sim.state.firms
    sim.gazelles_last_year = f.alive & (np.arange(sim.W) % 5 == 0)
    before = f.voucher_intensity.copy()
    gazelle_grant.january(sim, g, 1)
    return sim, f.voucher_intensity > before


@pytest.mark.parametrize("n", [0, 3, 10**6])
def test_exactly_up_to_the_number_of_grants_go_to_gazelles(bare, n):
    sim, won = approved(bare, n)
    np.testing.assert_array_equal(won.sum(axis=1), np.minimum(n, sim.gazelles_last_year.sum(axis=1)))
    assert not (won & ~sim.gazelles_last_year).any()
    f = sim.state.firms
    np.testing.assert_allclose(f.voucher_intensity[won], AMOUNT / (f.revenue[won] * 1e6), rtol=1e-5)


def test_only_gazelles_in_scope_win(bare):
    sim, won = approved(bare, 10**6, scope="zones")
    assert won.any() and sim.firm_official[won].all()


def test_winners_are_paid_after_the_delay_if_still_alive(bare):
    sim, won = approved(bare, 4)
    assert (paid(sim, "gazelle") == 0).all()
    gone = np.zeros_like(won)
    gone[0, np.flatnonzero(won[0])[0]] = True  # one winner of run 0 exits before the payment
    sim.state.firms.alive &= ~gone
    sim.ledger.new_year(1)
    sim.env.run(until=1 + DELAY + 0.05)
    assert (paid(sim, "gazelle", 1) == 0).all()
    sim.env.run(until=1 + DELAY + 0.15)
    np.testing.assert_allclose(paid(sim, "gazelle", 1), AMOUNT * (won & ~gone).sum(axis=1))


def test_gazelle_grants_are_paid_after_the_delay_and_within_budget(tiny_batch, tiny):
    sim, res = tiny_batch
    li = [p.id for p in tiny.policies].index("gazelle")
    g = tiny.policies[li]
    costs = res.lever_costs[:, :, li]
    assert (costs[:, 0] == 0).all(), "grants approved in January 2018 are paid in January 2019, not before"
    assert costs[:, 1:].sum() > 0, "some gazelle in the tiny region should win a grant"
    assert (costs <= g.budget_per_year * (1 + 1e-9)).all()
    whole = np.isclose(costs / g.get("amount"), np.round(costs / g.get("amount")))
    assert np.all(whole | np.isclose(costs, g.budget_per_year)), "an uncapped year pays whole grants"


def test_a_grant_of_zero_changes_nothing(bare):
    zero = only(bare, lever("gazelle_grant", amount=0.0, grants_per_year=50, paid_after_months=6))
    assert_same_runs(zero, bare, runs=4)
