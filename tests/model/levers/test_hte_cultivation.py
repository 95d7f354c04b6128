"""The HTE cultivation programme (sim.model.levers.hte_cultivation): each January exactly up to
`firms_per_year` near-eligible firms in scope are enrolled, paid `amount` each within the budget, and prepare
for certification for sure — so certifications never fall; its money alone (an amount of zero) pays nothing."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.engine import BatchSim
from sim.model.mechanisms import certification

from ..support import batch, lever, only, paid, total

RUNS = np.arange(12)


def cultivation(firms_per_year: int, amount: float = 20_000.0, **fields):
    return lever("hte_cultivation", "cultivate", name="高企培育库", amount=amount, firms_per_year=firms_per_year,
                 **fields)


def with_cultivation(tiny, firms_per_year: int, amount: float = 20_000.0, budget: float | None = None):
    extra = {} if budget is None else {"budget_per_year": budget}
    return tiny.with_policies((*tiny.policies, cultivation(firms_per_year, amount, **extra)))


def enrolled(bare, n: int, seed: int = 4, **fields):
    """A batch after one January's preparation with the programme alone (nobody prepares on their own)."""
    sim = batch(only(bare, cultivation(n, **fields)).with_parameters({"hte_prepare_rate": 0.0}), seed, 4)
    sim.state.prepare_year[:] = 0.0
    sim.ledger.active[:] = True
    near = certification.preparable_now(sim)
    certification.prepare(sim)
    return sim, near


@pytest.mark.parametrize("n", [1, 5, 10**5])
def test_exactly_up_to_the_number_of_near_eligible_firms_are_enrolled_and_paid(bare, n):
    sim, near = enrolled(bare, n)
    prepared = sim.state.firms.prepared
    np.testing.assert_array_equal(prepared.sum(axis=1), np.minimum(n, near.sum(axis=1)))
    assert not (prepared & ~near).any()
    np.testing.assert_allclose(paid(sim, "cultivate"), 20_000.0 * prepared.sum(axis=1))


def test_only_firms_in_scope_are_enrolled(bare):
    sim, _ = enrolled(bare, 10**5, scope="zones")
    prepared = sim.state.firms.prepared
    assert prepared.any() and sim.firm_official[prepared].all()


def test_an_amount_of_zero_pays_nothing_but_still_enrols(bare):
    sim, _ = enrolled(bare, 10, amount=0.0)
    assert (paid(sim, "cultivate") == 0).all() and sim.state.firms.prepared.any()


def test_cultivation_never_lowers_certifications_and_pays_what_it_enrols(tiny):
    base = BatchSim(with_cultivation(tiny, 1, amount=0.0), 4, RUNS).run()
    cult = BatchSim(with_cultivation(tiny, 30), 4, RUNS).run()
    assert (total(cult, "hte_new").sum() >= 0).all()
    assert total(cult, "hte_certified")[:].sum() >= total(base, "hte_certified")[:].sum()
    costs = cult.lever_costs[:, :, -1]  # RMB per run and year
    assert (costs <= 30 * 20_000.0 + 1e-6).all()  # at most firms_per_year enrolled a year
    assert costs.sum() > 0


def test_a_cultivation_budget_caps_its_payments(tiny):
    result = BatchSim(with_cultivation(tiny, 30, budget=100_000.0), 4, RUNS).run()
    assert (result.lever_costs[:, :, -1] <= 100_000.0 + 1e-6).all()
