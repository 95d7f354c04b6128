"""The institution award (sim.model.levers.institution_award): it pays `amount` per new organisation of the
chosen types in scope (the four R&D kinds by default), and the award on offer raises their formation; an award
of zero changes nothing."""

from __future__ import annotations

import numpy as np

from sim.model import calendar
from sim.model.engine import run_batch
from sim.model.fields import FIELD_INDEX, INST_TYPES, N_RD_TYPES
from sim.model.levers import institution_award
from sim.model.mechanisms import organisations

from ..support import assert_same_runs, batch, lever, only, paid

BUSY = {f"{name}_formation": 3.0 for name in INST_TYPES}


def test_it_pays_each_new_organisation_of_the_awarded_types_in_scope(bare):
    award = lever("institution_award", "inst", amount=1_000_000.0, types=["platform", "service_org"], scope="zones")
    sim = batch(only(bare, award).with_parameters(BUSY), 2, 4)
    calendar.open_windows(sim, 1)
    before = sim.state.institutions.sum(axis=3).copy()
    for _ in range(3):
        organisations.formation(sim)
    new = sim.state.institutions.sum(axis=3) - before
    awarded = [INST_TYPES.index("platform"), INST_TYPES.index("service_org")]
    expected = (new[:, :, awarded].sum(axis=2) * sim.official_zones()).sum(axis=1) * 1_000_000.0
    assert expected.sum() > 0
    np.testing.assert_allclose(paid(sim, "inst"), expected)


def test_the_award_on_offer_is_for_the_chosen_types_and_by_default_the_rd_kinds(tiny):
    sim = batch(tiny, 1, 2)
    default = institution_award.founding_award(sim, lever("institution_award", amount=10.0))
    assert (default[:, :, :N_RD_TYPES] == 10.0).all() and (default[:, :, N_RD_TYPES:] == 0).all()
    funds = institution_award.founding_award(sim, lever("institution_award", amount=10.0, types=["venture_fund"],
                                                        scope="zones"))
    fund = INST_TYPES.index("venture_fund")
    np.testing.assert_array_equal(funds[:, :, fund], 10.0 * sim.official_zones())
    assert (np.delete(funds, fund, axis=2) == 0).all()


def test_founding_award_for_funds_never_lowers_the_fund_count(tiny):
    """Common random numbers: the same uniforms meet a higher founding rate, so no run has fewer funds."""
    base = tiny.with_policies(tuple(p for p in tiny.policies if p.id != "fund_award"))
    funds_with = run_batch(tiny, 5, np.arange(16)).snapshots[:, -1, :, FIELD_INDEX["venture_funds"]].sum(axis=1)
    funds_without = run_batch(base, 5, np.arange(16)).snapshots[:, -1, :, FIELD_INDEX["venture_funds"]].sum(axis=1)
    assert (funds_with >= funds_without).all()
    assert funds_with.mean() > funds_without.mean()


def test_an_award_of_zero_changes_nothing(bare):
    assert_same_runs(only(bare, lever("institution_award", amount=0.0)), bare)
