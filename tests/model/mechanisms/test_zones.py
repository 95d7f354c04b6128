"""Zones on the approval ladder (sim.model.mechanisms.zones): upgrades only move up, one level at a time, after
the review; a zone under review does not apply again; a candidate park is established only once its entry
conditions hold and creation has opened, at the scenario's level."""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.input.scenario import LEVEL_CODE, Scenario
from sim.model.engine import BatchSim, run_batch
from sim.model.fields import FieldCondition
from sim.model.levels import CANDIDATE, MUNICIPAL, NATIONAL, OFFICIAL_MIN_LEVEL
from sim.model.mechanisms import zones

from ..support import batch

SURE = {"upgrade_base_rate": 1.0, "upgrade_slope": 0.0, "establish_approval": 1.0}


def with_creation(scenario: Scenario, **changes) -> Scenario:
    return dataclasses.replace(scenario, zone_creation=dataclasses.replace(scenario.zone_creation, **changes))


def candidate_levels(scenario: Scenario, res) -> np.ndarray:
    cand = [j for j, z in enumerate(scenario.zones) if z.level == "candidate"]
    return res.zone_levels[:, :, cand]


def test_a_park_short_of_the_entry_conditions_is_never_established(tiny):
    easy = with_creation(tiny, conditions=(), first_month=1)
    hard = with_creation(tiny, conditions=(FieldCondition("hte", "hte", None, 1.0, 1e6),), first_month=1)
    assert (candidate_levels(easy, run_batch(easy, 3, np.arange(24))) == LEVEL_CODE["municipal"]).any(), \
        "without conditions some candidate should be established in 24 runs (tiny's rates are raised)"
    assert (candidate_levels(hard, run_batch(hard, 3, np.arange(24))) == LEVEL_CODE["candidate"]).all()


def test_no_park_is_established_before_creation_opens(tiny):
    late = with_creation(tiny, conditions=(), first_month=30)  # opens June of the third year at the earliest
    sim = BatchSim(late, 3, np.arange(24))
    res = sim.run()
    for i, (_, _, m) in enumerate(sim.times):
        if m < 30 + late.zone_creation.review_months:
            assert (candidate_levels(late, res)[:, i] == LEVEL_CODE["candidate"]).all(), m


def test_established_parks_take_the_scenario_level(tiny):
    prov = with_creation(tiny, conditions=(), first_month=1, level="provincial")
    levels = candidate_levels(prov, run_batch(prov, 3, np.arange(24)))
    assert set(np.unique(levels)) <= {LEVEL_CODE["candidate"], LEVEL_CODE["provincial"], LEVEL_CODE["national"]}


def test_upgrades_only_move_up_one_level_at_a_time(tiny_batch):
    _, res = tiny_batch
    steps = np.diff(res.zone_levels.astype(int), axis=1)
    assert (steps >= 0).all()
    assert (steps <= 1).all()  # one application a year, and tiny's parks are created at municipal level
    assert (steps > 0).any(), "the tiny scenario's raised rates should upgrade some zone"


def test_an_approved_zone_moves_up_after_the_review_and_its_firms_follow(tiny):
    sc = tiny.with_parameters(SURE)
    sim = batch(sc, 1, 3)
    before = sim.state.zone_level.copy()
    zones.applications(sim, 6)
    assert (sim.state.zone_level == before).all(), "nothing moves before the review"
    official_zone = (before >= MUNICIPAL) & (before < NATIONAL)
    np.testing.assert_array_equal(sim.state.zone_pending, official_zone | (before == CANDIDATE))
    review = int(sc.cal("upgrade_review_months"))
    sim.env.run(until=6 + review + 0.2)
    after = sim.state.zone_level
    np.testing.assert_array_equal(after[official_zone], before[official_zone] + 1)
    assert (after[before == NATIONAL] == NATIONAL).all()
    assert (after[before == CANDIDATE] == LEVEL_CODE[sc.zone_creation.level]).all()  # review 3 < 6: done too
    assert not sim.state.zone_pending.any()
    np.testing.assert_array_equal(sim.firm_official, sim.per_firm(after >= OFFICIAL_MIN_LEVEL))


def test_a_zone_under_review_does_not_apply_again(tiny):
    sim = batch(tiny.with_parameters(SURE), 1, 3)
    before = sim.state.zone_level.copy()
    sim.state.zone_pending[:] = True
    zones.applications(sim, 6)
    sim.env.run(until=30)
    np.testing.assert_array_equal(sim.state.zone_level, before)
    assert sim.state.zone_pending.all()


def test_a_park_applies_only_once_its_conditions_hold(tiny):
    strict = with_creation(tiny.with_parameters(SURE), conditions=(FieldCondition("hte", "hte", None, 1.0, 4.0),),
                           first_month=1)
    sim = batch(strict, 2, 8)
    cand = sim.state.zone_level == CANDIDATE
    meets = zones.meets_conditions(sim, strict.zone_creation.conditions)
    np.testing.assert_array_equal(meets, sim.zcount(sim.state.firms.hte) >= 4.0)
    assert (meets & cand).any() and (~meets & cand).any(), "some parks meet the bar, some not"
    zones.applications(sim, 6)
    np.testing.assert_array_equal(sim.state.zone_pending & cand, meets & cand)


def test_without_conditions_every_zone_meets_them(tiny):
    sim = batch(tiny, 2, 2)
    assert zones.meets_conditions(sim, ()).all()


def test_a_decision_moves_only_the_approved_zones(tiny):
    sim = batch(tiny, 3, 2)
    before = sim.state.zone_level.copy()
    approved = np.zeros_like(sim.state.zone_pending)
    approved[0, 3] = True  # run 0's candidate park
    sim.state.zone_pending[:] = approved
    zones.decide(sim, approved, np.full_like(before, MUNICIPAL))
    expected = before.copy()
    expected[0, 3] = MUNICIPAL
    np.testing.assert_array_equal(sim.state.zone_level, expected)
    assert not sim.state.zone_pending.any()
    f = sim.state.firms
    assert sim.firm_official[0][f.zone[0] == 3].all() and not sim.firm_official[1][f.zone[1] == 3].any()
