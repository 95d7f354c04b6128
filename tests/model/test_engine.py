"""The batch engine (sim.model.engine): the run's invariants on real runs, the snapshot times, and the helpers
every mechanism shares — slots claimed in sequence with overflow counted, arrays widened with empty slots,
per-zone sums, scope, deferred actions and the work counters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.measure.indicators import FIELDS
from sim.model import rules
from sim.model.engine import BatchResult, BatchSim, run_batch, snapshot_times
from sim.model.levels import OFFICIAL_MIN_LEVEL
from tests.helpers import batch_states_without_collector

from .support import batch, field


@pytest.fixture(scope="module")
def sim(tiny) -> BatchSim:
    """A batch of 3 runs at the base year's end (tests must not change it)."""
    return batch(tiny, seed=2, runs=3)


# --- invariants of whole runs ---------------------------------------------------------------------------

def test_no_negative_counts_or_nan(tiny_batch):
    _, res = tiny_batch
    assert np.isfinite(res.snapshots).all()
    assert (res.snapshots >= 0).all(), [f for i, f in enumerate(FIELDS) if (res.snapshots[..., i] < 0).any()]


def test_hte_never_exceed_living_firms(tiny_batch):
    _, res = tiny_batch
    assert (field(res, "hte") <= field(res, "firms")).all()
    assert (field(res, "hte_over_10bn") <= field(res, "hte_over_1bn")).all()
    assert (field(res, "hte_over_1bn") <= field(res, "hte")).all()


def test_entries_minus_exits_is_the_change_in_stock(tiny_batch):
    sim, res = tiny_batch
    year_ends = [i for i, (_, mo, _) in enumerate(sim.times) if mo == 12]
    firms = field(res, "firms").sum(axis=2)
    for prev, cur in zip(year_ends, year_ends[1:], strict=False):
        net = field(res, "entries")[:, cur].sum(1) - field(res, "exits")[:, cur].sum(1)
        np.testing.assert_allclose(firms[:, cur] - firms[:, prev], net)
        assert (field(res, "entries")[:, cur].sum(1) > 0).all(), "the tiny region should see entries every year"


def test_a_batch_leaves_small_arrays_of_the_right_shape(tiny_batch, tiny):
    sim, res = tiny_batch
    B, S, Z = 12, len(snapshot_times(tiny)), len(tiny.zones)
    assert isinstance(res, BatchResult)
    assert res.snapshots.shape == (B, S, Z, len(FIELDS)) and res.zone_levels.shape == (B, S, Z)
    assert res.lever_costs.shape == (B, tiny.end_year - tiny.base_year, len(tiny.policies))
    assert res.firm_months > 0 and res.slot_months >= res.firm_months
    assert all(v.shape == (B,) for v in res.diagnostics.values())
    np.testing.assert_array_equal(res.runs, np.arange(B))


def test_run_batch_is_a_batch_run(tiny):
    a = run_batch(tiny, 4, np.arange(2))
    b = BatchSim(tiny, 4, np.arange(2)).run()
    np.testing.assert_array_equal(a.snapshots, b.snapshots)


# --- snapshot times -------------------------------------------------------------------------------------

def test_snapshots_are_the_base_year_each_year_end_and_the_dated_targets(tiny):
    times = snapshot_times(tiny)
    assert times[0] == (tiny.base_year, 12, 0)
    assert [m for _, _, m in times] == sorted(m for _, _, m in times)
    year_ends = {(y, 12, (y - tiny.base_year) * 12) for y in range(tiny.base_year, tiny.end_year + 1)}
    assert year_ends <= set(times)
    for t in tiny.targets:
        assert (t.year, t.month, (t.year - tiny.base_year - 1) * 12 + t.month) in times
    assert len(times) == len(set(times))


# --- slots ----------------------------------------------------------------------------------------------

@given(k=st.lists(st.integers(0, 6), min_size=15, max_size=15), start=st.lists(st.integers(0, 30), min_size=3,
                                                                               max_size=3), room=st.integers(0, 20))
@settings(max_examples=10, deadline=None)
def test_newcomers_take_slots_in_sequence_runs_then_zones_and_overflow_is_counted(sim, k, start, room):
    k = np.array(k).reshape(sim.B, sim.Z)
    next_free = np.array(start, dtype=np.int64)
    capacity = next_free + room
    before = sim.overflow.copy()
    begin = next_free.copy()
    run_idx, zone_idx, slot = sim.claim_slots(k, next_free, capacity)
    for b in range(sim.B):
        zones = np.repeat(np.arange(sim.Z), k[b])  # zones in order, each its count
        fits = min(len(zones), room)
        mine = run_idx == b
        np.testing.assert_array_equal(slot[mine], begin[b] + np.arange(fits))
        np.testing.assert_array_equal(zone_idx[mine], zones[:fits])
        assert sim.overflow[b] - before[b] == len(zones) - fits
        assert next_free[b] == min(begin[b] + len(zones), capacity[b])
    assert (np.diff(run_idx) >= 0).all()
    sim.overflow[:] = before


def test_widening_keeps_every_firm_and_adds_empty_slots(tiny):
    sim = batch(tiny, 1, 3)
    f = sim.state.firms
    old = sim.W
    revenue, zone, flat = f.revenue.copy(), f.zone.copy(), sim.flat_zone.copy()
    official = sim.firm_official.copy()
    same = f.revenue
    sim.ensure_width(old)  # already wide enough: nothing moves
    width = sim.W
    assert width == old and sim.state.firms.revenue is same
    sim.ensure_width(old + 1)
    f, width, cmax = sim.state.firms, sim.W, int(sim.state.firms.capacity.max())
    assert old + 1 <= width <= cmax and (width % 64 == 0 or width == cmax)
    np.testing.assert_array_equal(f.revenue[:, :old], revenue)
    np.testing.assert_array_equal(f.zone[:, :old], zone)
    np.testing.assert_array_equal(sim.flat_zone[:, :old], flat)
    np.testing.assert_array_equal(sim.firm_official[:, :old], official)
    assert not f.alive[:, old:].any() and (f.revenue[:, old:] == 0).all()
    assert not sim.firm_official[:, old:].any() and not sim.gazelles_last_year[:, old:].any()
    np.testing.assert_array_equal(sim.flat_zone[:, old:], np.broadcast_to(sim.offsets, (sim.B, sim.W - old)))
    assert sim.gazelles_last_year.shape == f.alive.shape == sim.firm_official.shape


def test_widening_never_goes_past_the_widest_capacity(tiny):
    sim = batch(tiny, 1, 2)
    cmax = int(sim.state.firms.capacity.max())
    sim.ensure_width(cmax - 1)
    width = sim.W
    assert width == cmax


# --- per-zone sums --------------------------------------------------------------------------------------

def direct(sim: BatchSim, values: np.ndarray) -> np.ndarray:
    """(runs, zones) sums by a loop over runs and zones."""
    out = np.zeros((sim.B, sim.Z))
    for b in range(sim.B):
        for j in range(sim.Z):
            out[b, j] = values[b][sim.state.firms.zone[b] == j].sum()
    return out


def test_zone_sums_and_counts_equal_direct_sums(sim):
    f = sim.state.firms
    np.testing.assert_allclose(sim.zsum(f.revenue * f.alive), direct(sim, f.revenue * f.alive), rtol=1e-12)
    np.testing.assert_array_equal(sim.zcount(f.hte & f.alive), direct(sim, (f.hte & f.alive).astype(float)))
    np.testing.assert_array_equal(sim.zcount(f.alive), sim.alive_z)


def test_incubator_sums_count_living_incubators_only(tiny):
    sim = batch(tiny, 2, 3)
    inc = sim.state.incubators
    inc.alive[:, 0] = False  # a closed incubator still has its area: it must not count
    got = sim.isum(inc.area)
    for b in range(sim.B):
        for j in range(sim.Z):
            assert got[b, j] == pytest.approx(inc.area[b][inc.alive[b] & (inc.zone[b] == j)].sum())


def test_per_firm_looks_up_each_firms_zone(sim):
    values = np.arange(sim.B * sim.Z, dtype=float).reshape(sim.B, sim.Z)
    got = sim.per_firm(values)
    np.testing.assert_array_equal(got, np.take_along_axis(values, sim.state.firms.zone.astype(np.int64), axis=1))


# --- scope ----------------------------------------------------------------------------------------------

def test_zone_scope_is_the_official_zones_and_region_scope_is_everyone(sim):
    official = sim.state.zone_level >= OFFICIAL_MIN_LEVEL
    np.testing.assert_array_equal(sim.official_zones(), official)
    np.testing.assert_array_equal(sim.in_scope_zone("zones"), official)
    assert sim.in_scope_zone("region").all()
    np.testing.assert_array_equal(sim.firm_in_scope("zones"), sim.per_firm(official))
    assert sim.firm_in_scope("region").all()


@pytest.mark.parametrize("who", ["hte", "tech_sme", "all", None])
@pytest.mark.parametrize("scope", ["zones", "region"])
def test_eligible_firms_are_living_of_the_status_and_in_scope(sim, who, scope):
    f = sim.state.firms
    status = {"hte": f.hte, "tech_sme": f.tech_sme}.get(who, np.ones_like(f.alive))
    expected = f.alive & status & (sim.per_firm(sim.official_zones()) if scope == "zones" else True)
    np.testing.assert_array_equal(sim.eligible(who, scope), expected)
    assert not (sim.eligible(who, scope) & ~f.alive).any()


# --- deferred actions and counters ----------------------------------------------------------------------

def test_a_deferred_action_runs_at_its_months_deliveries_and_no_delay_runs_now(tiny):
    sim = batch(tiny, 0, 1)
    done: list[str] = []
    sim.after(2, 0, lambda: done.append("now"))
    assert done == ["now"]
    sim.after(2, 3, lambda: done.append("later"))
    sim.env.run(until=5.05)
    assert done == ["now"]
    sim.env.run(until=5.15)  # month 5's deliveries, at 5.1
    assert done == ["now", "later"]


def test_count_month_adds_living_firms_and_all_slots(tiny):
    sim = batch(tiny, 0, 2)
    sim.count_month()
    assert sim.firm_months == int(sim.state.firms.alive.sum()) and sim.slot_months == sim.B * sim.W


def test_the_base_year_is_recorded_at_construction(sim):
    assert (sim.snapshots[:, 0, :, :] != 0).any()
    assert (sim.snapshots[:, 1:] == 0).all()
    np.testing.assert_array_equal(sim.zone_levels[:, 0], sim.state.zone_level)
    above = field(sim.snapshots[:, 0], "above_size")
    f = sim.state.firms
    np.testing.assert_array_equal(above, sim.zcount(f.alive & (f.revenue >= rules.ABOVE_SIZE_REVENUE)))


def test_a_finished_batch_leaves_no_agents_behind(tiny, monkeypatch):
    """run_batch frees its batch's agents before returning, though the calendar's processes and the batch refer
    to each other (a worker that kept every batch's agents until a rare full collection grew to 8.8 GB, issue
    14): with the cyclic collector off, the agents' state is gone by reference counting alone."""
    with batch_states_without_collector(monkeypatch) as states:
        res = run_batch(tiny, 0, np.arange(2))
        assert len(states) == 1 and states[0]() is None
    assert res.snapshots.shape[0] == 2
