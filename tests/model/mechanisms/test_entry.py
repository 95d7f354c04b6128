"""Firm entry (sim.model.mechanisms.entry): entrants per zone and month are Poisson with mean λ = (rate × stock
+ maker-space teams) / 12, the rate higher in national zones; entrants take the next free slots in sequence and
start as young firms — small, without IP or certificate."""

from __future__ import annotations

import numpy as np

from sim.model.levels import NATIONAL
from sim.model.mechanisms import entry

from ..support import batch


def expected_rate(sim) -> np.ndarray:
    """(runs, zones) λ of this month, as the module's docstring states it."""
    p = sim.state.params
    national = sim.state.zone_level == NATIONAL
    rate = p["entry_rate"][:, None] * (1.0 + p["national_zone_attraction"][:, None] * national)
    teams = sim.isum(sim.state.incubators.maker_space) * (p["teams_per_maker_space"]
                                                          * p["team_incorporation"])[:, None]
    return (rate * sim.alive_z + teams) / 12.0


def test_entrants_per_month_average_the_rate_times_the_stock_plus_teams(bare):
    sim = batch(bare, seed=1, runs=8)
    lam = np.zeros((sim.B, sim.Z))
    got = np.zeros((sim.B, sim.Z))
    for _ in range(24):
        lam += expected_rate(sim)
        before = sim.flows["entries"].copy()
        entry.monthly(sim)
        got += sim.flows["entries"] - before
    assert abs(got.sum() - lam.sum()) < 4 * np.sqrt(lam.sum()), (got.sum(), lam.sum())
    by_zone, want = got.sum(axis=0), lam.sum(axis=0)
    assert (np.abs(by_zone - want) < 4 * np.sqrt(want) + 1).all(), (by_zone, want)


def test_national_zones_attract_more_entrants_and_the_others_no_fewer(bare):
    """Common random numbers: the same uniforms meet a higher rate in national zones only."""
    flat = batch(bare.with_parameters({"national_zone_attraction": 0.0}), 2, 6)
    keen = batch(bare.with_parameters({"national_zone_attraction": 0.3}), 2, 6)
    national = flat.state.zone_level == NATIONAL
    for _ in range(12):
        entry.monthly(flat)
        entry.monthly(keen)
    assert (keen.flows["entries"][national] >= flat.flows["entries"][national]).all()
    assert keen.flows["entries"][national].sum() > flat.flows["entries"][national].sum()
    np.testing.assert_array_equal(keen.flows["entries"][~national], flat.flows["entries"][~national])


def test_no_rate_and_no_teams_means_no_entrant(bare):
    sim = batch(bare.with_parameters({"entry_rate": 0.0, "teams_per_maker_space": 0.0}), 3, 4)
    start = sim.state.firms.next_free.copy()
    for _ in range(12):
        entry.monthly(sim)
    np.testing.assert_array_equal(sim.state.firms.next_free, start)
    assert (sim.flows["entries"] == 0).all()


def test_entrants_take_the_next_free_slots_in_sequence_zone_by_zone(bare):
    sim = batch(bare, seed=4, runs=4)
    f = sim.state.firms
    for _ in range(3):
        start = f.next_free.copy()
        alive_z = sim.alive_z.copy()
        entry.monthly(sim)
        f = sim.state.firms
        placed = sim.flows["entries"]
        for b in range(sim.B):
            new = np.arange(start[b], f.next_free[b])
            assert len(new) == placed[b].sum()
            assert f.alive[b, new].all() and not f.alive[b, f.next_free[b]:].any()
            assert (np.diff(f.zone[b, new]) >= 0).all(), "zones in order within a month"
            np.testing.assert_array_equal(np.bincount(f.zone[b, new], minlength=sim.Z), placed[b])
        np.testing.assert_array_equal(sim.alive_z - alive_z, placed)
        sim.flows["entries"][:] = 0
    assert sim.overflow.sum() == 0


def test_an_entrant_starts_young_small_and_without_ip_or_certificate(bare):
    sim = batch(bare, seed=5, runs=4)
    n0 = sim.state.firms.next_free.copy()
    for _ in range(6):
        entry.monthly(sim)
    f = sim.state.firms
    new = (np.arange(sim.W)[None, :] >= n0[:, None]) & f.alive
    assert new.sum() > 20
    assert (f.age[new] == 0).all() and (f.revenue[new] > 0).all()
    assert np.median(f.revenue[new]) < 10.0  # M RMB: small firms
    assert (f.inventions[new] == 0).all() and (f.other_ip[new] == 0).all()
    assert not (f.hte | f.hte_ever | f.tech_sme | f.tenant | f.rd_centre)[new].any()
    assert (f.revenue_ago3[new] == 0).all(), "no history: not a gazelle for three years"
    assert (f.exit_month[new] > 0).all() and (f.growth_factor[new] > 0).all()
    np.testing.assert_array_equal(sim.flat_zone[new], (f.zone + sim.offsets)[new])
    np.testing.assert_array_equal(sim.firm_official[new], sim.per_firm(sim.official_zones())[new])
