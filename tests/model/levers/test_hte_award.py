"""The HTE award (sim.model.levers.hte_award): it pays `amount_new` per first certification and `amount_renewal`
per re-certification in scope, within its budget; the award it offers raises preparation and applications, so a
larger award never lowers the HTE count; an award of zero changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from sim.measure.indicators import FIELD_INDEX
from sim.model.engine import run_batch
from sim.model.levers import hte_award
from sim.model.mechanisms import certification

from ..support import assert_same_runs, batch, lever, only, paid, to_first_round, with_award

NEW, AGAIN = 100_000.0, 40_000.0


def award(**fields):
    return lever("hte_award", "award", amount_new=NEW, amount_renewal=AGAIN, **fields)


@pytest.mark.parametrize("scope", ["region", "zones"])
def test_it_pays_each_certification_in_scope_its_amount(bare, scope):
    sim, m = to_first_round(only(bare, award(scope=scope)), seed=2, hte_pass_rate=1.0, hte_renew_apply=1.0)
    new, again, before = sim.flows["hte_new"].copy(), sim.flows["hte_renewed"].copy(), paid(sim, "award")
    certification.application_round(sim, m)
    in_scope = sim.in_scope_zone(scope)
    first = ((sim.flows["hte_new"] - new) * in_scope).sum(axis=1)
    renewed = ((sim.flows["hte_renewed"] - again) * in_scope).sum(axis=1)
    assert first.sum() > 0 and renewed.sum() > 0
    np.testing.assert_allclose(paid(sim, "award") - before, NEW * first + AGAIN * renewed)


def test_a_first_come_budget_caps_the_years_payments(bare):
    sim, m = to_first_round(only(bare, award(budget_per_year=150_000.0, when_exhausted="first_come")), seed=2,
                            hte_pass_rate=1.0, hte_renew_apply=1.0)
    certification.application_round(sim, m)
    assert (paid(sim, "award") <= 150_000.0 + 1e-6).all() and (paid(sim, "award") > 0).any()


def test_the_award_offered_is_the_first_amount_in_scope_only(tiny):
    sim = batch(tiny, 1, 2)
    f = sim.state.firms
    at = np.nonzero(f.alive)
    zoned = award(scope="zones")
    in_zone = sim.firm_official[at]
    np.testing.assert_array_equal(hte_award.preparation_award(sim, zoned, at), NEW * in_zone)
    first, again = hte_award.application_award(sim, zoned, at)
    np.testing.assert_array_equal(first, NEW * in_zone)
    np.testing.assert_array_equal(again, AGAIN * in_zone)
    assert (hte_award.preparation_award(sim, award(), at) == NEW).all()


def test_larger_award_never_lowers_the_mean_hte_count(tiny):
    means = []
    for amount in (0.0, 50_000.0, 100_000.0, 300_000.0, 1_000_000.0):
        res = run_batch(with_award(tiny, amount), 0, np.arange(16))
        means.append(res.snapshots[:, -1, :, FIELD_INDEX["hte"]].sum(axis=1).mean())
    assert all(b >= a for a, b in zip(means, means[1:], strict=False)), means
    assert means[-1] > means[0], "a very large award should certify more firms"


def test_an_award_of_zero_pays_nothing_and_changes_nothing(bare):
    zero = only(bare, lever("hte_award", "award", amount_new=0.0, amount_renewal=0.0))
    assert_same_runs(zero, bare)
    assert (run_batch(zero, 3, np.arange(2)).lever_costs == 0).all()
