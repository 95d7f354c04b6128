"""The per-zone sums (sim.model.sums): each recorded sum equals the same sum computed directly on the state,
flows are the year's so far and reset at the statistical year end, and fiscal spending adds the levers'
payments to the region's own."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import calendar, rules
from sim.model.fields import ENG, FLOW_FIELDS, N_RD_TYPES, TECH
from sim.model.sums import zone_sums

from .support import batch, field, step


@pytest.fixture(scope="module")
def mid_year(tiny):
    """A batch in the middle of its first year (a certification round done, levers paying), and its sums."""
    sim = step(batch(tiny, seed=6, runs=3), 7)
    return sim, zone_sums(sim, take_flows=False)


def per_zone(sim, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(runs, zones) the sum of `values` over the firms of `mask` in each zone, by a loop."""
    f = sim.state.firms
    out = np.zeros((sim.B, sim.Z))
    for b in range(sim.B):
        for j in range(sim.Z):
            here = mask[b] & (f.zone[b] == j)
            out[b, j] = np.asarray(values[b], dtype=np.float64)[here].sum()
    return out


def test_firm_sums_equal_direct_sums_on_the_state(mid_year):
    sim, sums = mid_year
    f = sim.state.firms
    a = f.alive
    one = np.ones(f.alive.shape)
    rev = f.revenue.astype(np.float64)
    expected = {
        "firms": per_zone(sim, one, a),
        "hte": per_zone(sim, one, a & f.hte),
        "tech_sme": per_zone(sim, one, a & f.tech_sme),
        "above_size": per_zone(sim, one, a & (f.revenue >= rules.ABOVE_SIZE_REVENUE)),
        "firms_over_100m": per_zone(sim, one, a & (f.revenue >= 100.0)),
        "output": per_zone(sim, rev, a) / 100.0,
        "value_added": per_zone(sim, rev * sim.va_ratio, a) / 100.0,
        "rd_real": per_zone(sim, f.rd_real * rev, a) / 100.0,
        "rd_reported": per_zone(sim, f.rd_reported * rev, a) / 100.0,
        "invention_patents": per_zone(sim, f.inventions, a),
        "incubator_tenants": per_zone(sim, one, a & f.tenant),
        "sei_va": per_zone(sim, rev * sim.va_ratio, a & f.strategic_emerging) / 100.0,
    }
    for name, want in expected.items():
        np.testing.assert_allclose(field(sums, name), want, rtol=1e-9, atol=1e-9, err_msg=name)
    assert field(sums, "hte").sum() > 0 and field(sums, "tech_sme").sum() > 0


def test_incubator_and_organisation_sums_equal_direct_counts(mid_year):
    sim, sums = mid_year
    inc, inst = sim.state.incubators, sim.state.institutions
    for b in range(sim.B):
        for j in range(sim.Z):
            here = inc.alive[b] & (inc.zone[b] == j)
            real, ms = here & ~inc.maker_space[b], here & inc.maker_space[b]
            assert field(sums, "incubators")[b, j] == real.sum()
            assert field(sums, "incubators_national")[b, j] == (real & (inc.level[b] == 3)).sum()
            assert field(sums, "maker_spaces")[b, j] == ms.sum()
            assert field(sums, "incubator_area")[b, j] == pytest.approx(inc.area[b][real].sum())
    np.testing.assert_array_equal(field(sums, "eng_centres_prov"), inst[:, :, ENG, 1])
    np.testing.assert_array_equal(field(sums, "tech_centres_prov"), inst[:, :, TECH, 1])
    np.testing.assert_array_equal(field(sums, "institutions"), inst[:, :, :N_RD_TYPES].sum(axis=(2, 3)))
    np.testing.assert_array_equal(field(sums, "population"), sim.state.zone_population)


def test_flows_are_the_years_so_far(mid_year):
    sim, sums = mid_year
    for name, flow in sim.flows.items():
        np.testing.assert_array_equal(field(sums, name), flow, err_msg=name)
    np.testing.assert_array_equal(field(sums, "hte_certified"), sim.flows["hte_new"] + sim.flows["hte_renewed"])
    assert field(sums, "entries").sum() > 0 and field(sums, "hte_certified").sum() > 0


def test_fiscal_spending_is_the_regions_own_plus_the_levers_payments(mid_year):
    sim, sums = mid_year
    np.testing.assert_allclose(field(sums, "fiscal_cost"), sim.ledger.zone_flow / 1e4)
    np.testing.assert_allclose(field(sums, "fiscal_st"), sim.fiscal_path + sim.ledger.zone_flow / 1e4)
    assert field(sums, "fiscal_cost").sum() > 0


def test_flows_reset_at_the_year_end_and_not_at_a_dated_snapshot(tiny):
    sim = step(batch(tiny, seed=6, runs=2), 11)
    calendar.open_windows(sim, 12)
    sim.env.run(until=12.15)
    calendar.month(sim, 12)
    flows = {k: v.copy() for k, v in sim.flows.items()}
    paid = sim.ledger.zone_flow.copy()
    assert paid.sum() > 0
    calendar.year_end(sim, 12)
    snap = sim.snapshots[:, sim.snap_index[12]]
    for name, flow in flows.items():
        np.testing.assert_array_equal(field(snap, name), flow, err_msg=name)  # the year's flows are recorded ...
        assert (sim.flows[name] == 0).all(), name                             # ... then start again from 0
    np.testing.assert_allclose(field(snap, "fiscal_cost"), paid / 1e4)
    assert (sim.ledger.zone_flow == 0).all()
    # a dated target's month (October 2019, month 22) records the flows so far and keeps them
    step(sim, 22, first=13)
    kept = {k: v.copy() for k, v in sim.flows.items()}
    assert sum(v.sum() for v in kept.values()) > 0
    assert all(name in FLOW_FIELDS for name in kept)
    np.testing.assert_array_equal(field(sim.snapshots[:, sim.snap_index[22]], "entries"), kept["entries"])


def test_certified_less_net_is_what_a_record_of_certifications_and_stocks_gives(tiny):
    """`hte_certified_less_net` is scored against history derived as certified − net change of the stock
    (Guangxi 2017: 570 − 374): over every simulated year and run it equals that difference of the model's own
    certifications and year-end stocks — no certificate enters or leaves the stock uncounted. Counted as
    renewals + lapses, it missed the firms certified again after a lapse, which add to the stock (1–4 a year
    here)."""
    from sim.model.engine import BatchSim

    sim = BatchSim(tiny, 5, np.arange(3))
    result = sim.run()
    years = [i for i, (_, month, _) in enumerate(sim.times) if month == 12]
    stock, certified, less_net = (field(result, n)[:, years].sum(axis=2)
                                  for n in ("hte", "hte_certified", "hte_certified_less_net"))
    assert len(years) >= 3 and less_net[:, 1:].sum() > 0
    np.testing.assert_allclose(less_net[:, 1:], certified[:, 1:] - np.diff(stock, axis=1))
