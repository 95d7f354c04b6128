"""Organisations (sim.model.mechanisms.organisations): formation per zone and type in proportion to each type's
driver, only in official zones (enterprise centres also in candidate parks), raised by founding awards;
recognition of enterprise centres at provincial level; centres hosted by living above-size firms."""

from __future__ import annotations

import numpy as np

from sim.model import calendar, rules
from sim.model.fields import ENG, FUND, INST_TYPES, NEW_RD, SERVICE, TECH
from sim.model.levels import CANDIDATE
from sim.model.mechanisms import organisations

from ..support import batch, field, lever, only

BUSY = {f"{name}_formation": 3.0 for name in INST_TYPES}  # many formations a year, so that every kind shows


def formed(scenario, months: int = 12, seed: int = 2, runs: int = 4) -> tuple[object, np.ndarray]:
    """The batch after `months` of formation, and the organisations formed (runs, zones, types)."""
    sim = batch(scenario, seed, runs)
    before = sim.state.institutions.sum(axis=3).copy()
    for m in range(1, months + 1):
        calendar.open_windows(sim, m)
        organisations.formation(sim)
    return sim, sim.state.institutions.sum(axis=3) - before


def test_no_formation_outside_official_zones_except_centres_in_candidate_parks(bare):
    sim, new = formed(bare.with_parameters(BUSY))
    official = sim.official_zones()
    candidate = sim.state.zone_level == CANDIDATE
    outside = ~official & ~candidate
    assert new[official].sum() > 0
    assert (new[outside] == 0).all()
    assert (new[candidate][:, [t for t in range(len(INST_TYPES)) if t not in (ENG, TECH)]] == 0).all()
    assert new[candidate][:, [ENG, TECH]].sum() > 0, "candidate parks need centres to meet entry conditions"


def test_new_organisations_form_at_municipal_level(bare):
    sim = batch(bare.with_parameters(BUSY), 2, 3)
    provincial = sim.state.institutions[:, :, :, 1].copy()
    organisations.formation(sim)
    np.testing.assert_array_equal(sim.state.institutions[:, :, :, 1], provincial)


def test_drivers_are_htes_large_firms_zones_and_firms_per_hundred(tiny):
    sim = batch(tiny, 3, 3)
    organisations.drivers(sim)
    f, d = sim.state.firms, sim.institution_drivers
    np.testing.assert_array_equal(d[:, :, ENG], sim.zcount(f.hte))
    np.testing.assert_array_equal(d[:, :, TECH], sim.zcount(f.alive & (f.revenue >= 100.0)))
    assert (d[:, :, [NEW_RD, FUND]] == 1).all()
    np.testing.assert_allclose(d[:, :, SERVICE], sim.alive_z / 100.0)


def test_founding_awards_raise_formation_of_the_awarded_types(bare):
    """Common random numbers: the same uniforms meet a higher rate, so no zone forms fewer of an awarded type,
    and the others form exactly as many."""
    sc = bare.with_parameters({**BUSY, "founding_award_elasticity": 0.5})
    award = lever("institution_award", amount=2_000_000, types=["new_rd", "venture_fund"])
    _, plain = formed(sc)
    _, awarded = formed(only(sc, award))
    raised = [NEW_RD, FUND]
    others = [t for t in range(len(INST_TYPES)) if t not in raised]
    assert (awarded[:, :, raised] >= plain[:, :, raised]).all()
    assert awarded[:, :, raised].sum() > plain[:, :, raised].sum()
    np.testing.assert_array_equal(awarded[:, :, others], plain[:, :, others])


def test_recognition_moves_municipal_centres_up_and_keeps_the_total(tiny):
    sim = batch(tiny.with_parameters({"institution_recognition": 0.5}), 4, 6)
    inst = sim.state.institutions
    total, municipal = inst.sum(axis=3).copy(), inst[:, :, [ENG, TECH], 0].copy()
    organisations.recognition(sim)
    np.testing.assert_array_equal(inst.sum(axis=3), total)
    moved = municipal - inst[:, :, [ENG, TECH], 0]
    assert (moved >= 0).all() and (moved <= municipal).all() and moved.sum() > 0
    assert abs(moved.sum() - 0.5 * municipal.sum()) < 4 * np.sqrt(0.25 * municipal.sum()) + 1
    all_up = batch(tiny.with_parameters({"institution_recognition": 1.0}), 4, 2)
    organisations.recognition(all_up)
    assert (all_up.state.institutions[:, :, [ENG, TECH], 0] == 0).all()


def test_enterprise_centres_sit_in_living_above_size_firms(tiny_batch):
    sim, res = tiny_batch
    f = sim.state.firms
    hosted = f.rd_centre & f.alive
    centres = sim.state.institutions[:, :, :2].sum(axis=(2, 3))
    assert (sim.zcount(hosted) <= centres).all(), "never more hosting firms than centres"
    assert (field(res, "firms_over_500m_with_rd_centre") <= field(res, "firms_over_500m")).all()
    assert hosted.any()


def test_centres_go_to_above_size_firms_up_to_the_zones_count(tiny):
    sim = batch(tiny, 5, 3)
    f = sim.state.firms
    f.rd_centre[:] = False
    organisations.attach_centres(sim)
    centres = sim.state.institutions[:, :, [ENG, TECH]].sum(axis=(2, 3))
    above = f.alive & (f.revenue >= rules.ABOVE_SIZE_REVENUE)
    assert not (f.rd_centre & ~above).any()
    np.testing.assert_array_equal(sim.zcount(f.rd_centre), np.minimum(centres, sim.zcount(above)))
