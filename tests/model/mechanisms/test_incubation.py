"""Incubators and maker spaces (sim.model.mechanisms.incubation): tenant places come from incubator area,
tenants graduate on certification, revenue or time, young firms take free places only, new incubators open in
official zones after the construction delay, and recognition follows the area, age and occupancy rules."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import rules
from sim.model.mechanisms import incubation

from ..support import batch, field


def test_places_are_incubator_area_times_tenants_per_thousand_square_metres(tiny):
    sim = batch(tiny, 1, 3)
    inc = sim.state.incubators
    per = sim.state.params["tenants_per_1000m2"]
    expected = np.zeros((sim.B, sim.Z))
    for b in range(sim.B):
        for j in range(sim.Z):
            real = inc.alive[b] & ~inc.maker_space[b] & (inc.zone[b] == j)  # maker spaces have no places
            expected[b, j] = inc.area[b][real].astype(np.float64).sum() * per[b] / 1000.0
    np.testing.assert_allclose(incubation.places(sim), expected, rtol=1e-9)
    assert (expected > 0).any()


def test_tenants_graduate_on_certification_revenue_or_time_and_the_others_stay(tiny):
    sim = batch(tiny, 2, 2)
    f = sim.state.firms
    t = np.flatnonzero(f.tenant[0])[:4]
    f.hte[0, t], f.revenue[0, t], f.tenancy[0, t] = False, 5.0, 3
    f.hte[0, t[0]] = True                                          # certified
    f.revenue[0, t[1]] = rules.GRADUATION_REVENUE                  # 10M revenue
    f.tenancy[0, t[2]] = rules.MAX_TENANCY_MONTHS - 1              # its 48th month
    incubation.tenancy(sim)
    np.testing.assert_array_equal(f.tenant[0, t], [False, False, False, True])
    assert f.tenancy[0, t[3]] == 4


def test_no_firm_takes_a_place_in_a_zone_without_free_places(tiny):
    sim = batch(tiny.with_parameters({"incubation_entry_prob": 0.2}), 3, 4)
    f = sim.state.firms
    full = incubation.places(sim) <= sim.zcount(f.tenant)  # no free place where tenants fill the places
    before = f.tenant.copy()
    for _ in range(3):
        incubation.tenancy(sim)
    newcomers = f.tenant & ~before
    assert newcomers.any()
    assert not (newcomers & sim.per_firm(full)).any()
    assert not (newcomers & sim.per_firm(incubation.places(sim) == 0)).any()


def test_new_tenants_are_young_small_firms_of_official_zones_and_gain_capability(tiny):
    sim = batch(tiny.with_parameters({"incubation_entry_prob": 0.2, "incubation_capability_boost": 4.0}), 4, 4)
    f = sim.state.firms
    before, capability = f.tenant.copy(), f.capability.copy()
    incubation.tenancy(sim)
    new = f.tenant & ~before
    assert new.any()
    assert (f.age[new] <= rules.MAX_ENTRY_AGE_MONTHS).all() and (f.revenue[new] < rules.GRADUATION_REVENUE).all()
    assert f.alive[new].all() and sim.firm_official[new].all()
    assert (f.tenancy[new] == 0).all()
    np.testing.assert_allclose(f.capability[new], np.minimum(50.0, capability[new] + 4.0))


def test_when_places_are_short_newcomers_average_the_free_places(tiny):
    """Each candidate's chance is at most free places / candidates, so a zone's newcomers average at most its
    free places — exactly them when places are short (here: few places per m², every candidate keen)."""
    sc = tiny.with_parameters({"incubation_entry_prob": 1.0, "tenants_per_1000m2": 0.3})
    got, expected = 0.0, 0.0
    for seed in range(6):
        sim = batch(sc, seed, 4)
        f = sim.state.firms
        f.tenant[:] = False  # empty incubators: every place is free
        young = f.alive & (f.age <= rules.MAX_ENTRY_AGE_MONTHS) & sim.firm_official \
            & (f.revenue < rules.GRADUATION_REVENUE)
        expected += np.minimum(incubation.places(sim), sim.zcount(young)).sum()
        incubation.tenancy(sim)
        got += f.tenant.sum()
    assert abs(got - expected) < 4 * np.sqrt(expected), (got, expected)


OVERSHOOT = ("the model does not cap a month's newcomers at the free places: each candidate enters with chance "
             "free/candidates, so a zone can overshoot (and base-year tenants ignore places, closures evict nobody); "
             "reported, not fixed")


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=OVERSHOOT)
def test_tenants_never_exceed_the_places(tiny):
    sim = batch(tiny.with_parameters({"incubation_entry_prob": 1.0, "tenants_per_1000m2": 0.3}), 0, 4)
    sim.state.firms.tenant[:] = False
    incubation.tenancy(sim)
    assert (sim.zcount(sim.state.firms.tenant) <= incubation.places(sim)).all()


def test_new_incubators_open_in_official_zones_after_the_construction_delay(tiny):
    sc = tiny.with_parameters({"incubator_formation": 6.0, "maker_space_formation": 6.0})
    sim = batch(sc, 5, 6)
    inc = sim.state.incubators
    official = sim.official_zones()
    before = inc.alive.copy()
    delay = int(sc.cal("incubator_construction_months"))
    incubation.formation(sim, 1)
    opened = inc.alive & ~before
    assert opened.any() and inc.maker_space[opened].all(), "maker spaces open at once, incubators wait"
    sim.env.run(until=1 + delay + 0.05)
    assert not (inc.alive & ~before & ~inc.maker_space).any()
    sim.env.run(until=1 + delay + 0.15)
    built = inc.alive & ~before & ~inc.maker_space
    assert built.any()
    new = inc.alive & ~before
    zone_official = np.take_along_axis(official, inc.zone.astype(np.int64), axis=1)
    assert zone_official[new].all()
    assert (inc.level[new] == 1).all() and (inc.months[new] == 0).all()
    np.testing.assert_allclose(inc.area[built], 8000.0 * inc.area_draw[built], rtol=1e-6)


def test_recognition_follows_area_age_and_occupancy(tiny):
    sc = tiny.with_parameters({"recognition_provincial": 1.0, "recognition_national": 1.0,
                               "maker_space_recognition_provincial": 1.0, "maker_space_recognition_national": 1.0})
    sim = batch(sc, 6, 6)
    inc, f = sim.state.incubators, sim.state.firms
    occupancy = sim.zcount(f.tenant) / np.maximum(incubation.places(sim), 1e-9)
    occ = np.take_along_axis(occupancy, inc.zone.astype(np.int64), axis=1)
    real = inc.alive & ~inc.maker_space
    to_prov = real & (inc.level == 1) & (inc.months >= 24) & (inc.area >= 5000) & (occ >= 0.6)
    to_nat = real & (inc.level == 2) & (inc.months >= 36) & (inc.area >= 10000) & (occ >= 0.75)
    ms = inc.alive & inc.maker_space
    ms_prov, ms_nat = ms & (inc.level == 1) & (inc.months >= 12), ms & (inc.level == 2) & (inc.months >= 24)
    level = inc.level.copy()
    incubation.recognition(sim)
    np.testing.assert_array_equal(inc.level, np.where(to_nat | ms_nat, 3, np.where(to_prov | ms_prov, 2, level)))
    assert (inc.level >= level).all() and (inc.level != level).any()


def test_levels_of_maker_spaces_nest(tiny_batch):
    _, res = tiny_batch
    assert (field(res, "maker_spaces_national") <= field(res, "maker_spaces_provincial_plus")).all()
    assert (field(res, "maker_spaces_provincial_plus") <= field(res, "maker_spaces")).all()
    assert (field(res, "incubators_national") <= field(res, "incubators_provincial_plus")).all()
    assert (field(res, "incubators_provincial_plus") <= field(res, "incubators")).all()
