"""The incubator subsidy (sim.model.levers.incubator_subsidy): it pays `per_m2` × the area of each incubator built
in scope and its awards on provincial and national recognition; the construction subsidy, as a share of the cost,
raises incubator formation; a subsidy of zero changes nothing."""

from __future__ import annotations

import numpy as np

from sim.model import calendar
from sim.model.levers import incubator_subsidy
from sim.model.mechanisms import incubation

from ..support import assert_same_runs, batch, lever, only, paid

PER_M2, PROV, NAT = 300.0, 200_000.0, 500_000.0


def subsidy(per_m2: float = PER_M2, prov: float = PROV, nat: float = NAT, **fields):
    return lever("incubator_subsidy", "inc", per_m2=per_m2, award_provincial=prov, award_national=nat, **fields)


def test_it_pays_per_square_metre_built(bare):
    sim = batch(only(bare, subsidy()), 1, 3)
    sim.ledger.active[:] = True
    inc = sim.state.incubators
    before = inc.alive.copy()
    k = np.zeros((sim.B, sim.Z), np.int64)
    k[:, :3] = [1, 2, 0]  # one in the national zone, two in the provincial one
    incubation.add(sim, k, maker_space=False)
    built = inc.alive & ~before
    assert built.sum() == 3 * sim.B
    np.testing.assert_allclose(paid(sim, "inc"), PER_M2 * (inc.area * built).sum(axis=1), rtol=1e-6)


def test_maker_spaces_earn_no_construction_subsidy(bare):
    sim = batch(only(bare, subsidy()), 1, 2)
    sim.ledger.active[:] = True
    incubation.add(sim, np.ones((sim.B, sim.Z), np.int64), maker_space=True)
    assert (paid(sim, "inc") == 0).all()


def test_it_pays_the_recognition_awards(bare):
    sc = only(bare, subsidy()).with_parameters({"recognition_provincial": 1.0, "recognition_national": 1.0})
    sim = batch(sc, 6, 6)
    sim.ledger.active[:] = True
    inc = sim.state.incubators
    real, level = inc.alive & ~inc.maker_space, inc.level.copy()
    incubation.recognition(sim)
    to_prov = (real & (level == 1) & (inc.level == 2)).sum(axis=1)
    to_nat = (real & (level == 2) & (inc.level == 3)).sum(axis=1)
    assert (to_prov + to_nat).sum() > 0
    np.testing.assert_allclose(paid(sim, "inc"), PROV * to_prov + NAT * to_nat)


def test_the_boost_is_the_subsidy_as_a_share_of_the_cost_in_scope(tiny):
    sim = batch(tiny, 1, 2)
    cost = sim.state.params["construction_cost_per_m2"][:, None]
    np.testing.assert_allclose(incubator_subsidy.formation_boost(sim, subsidy(scope="zones")),
                               PER_M2 / cost * sim.official_zones())


def test_a_construction_subsidy_builds_more_incubators(bare):
    """Common random numbers: the same uniforms meet a higher formation rate, so no run opens fewer."""
    params = {"construction_subsidy_elasticity": 1.0, "incubator_formation": 2.0}
    opened = []
    for sc in (bare, only(bare, subsidy(per_m2=2000.0))):
        sim = batch(sc.with_parameters(params), 4, 6)
        start = sim.state.incubators.next_free.copy()
        for m in range(1, 13):
            calendar.open_windows(sim, m)
            sim.env.run(until=m + 0.15)
            incubation.formation(sim, m)
        sim.env.run(until=30)
        opened.append(sim.state.incubators.next_free - start)
    assert (opened[1] >= opened[0]).all() and opened[1].sum() > opened[0].sum()


def test_a_subsidy_of_zero_changes_nothing(bare):
    assert_same_runs(only(bare, subsidy(0.0, 0.0, 0.0)), bare)
