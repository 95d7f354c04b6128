"""Invariants of the simulated world, checked on real runs (the engine also checks them itself)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import RunError
from sim.measure.indicators import FIELD_INDEX, FIELDS
from sim.model import calendar
from sim.model import rules as mech
from sim.model.engine import BatchSim
from sim.model.mechanisms import certification


def field(result, name):
    return result.snapshots[..., FIELD_INDEX[name]]


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


def test_fiscal_cost_is_the_sum_of_payments(tiny_batch):
    sim, res = tiny_batch
    year_ends = [i for i, (_, mo, m) in enumerate(sim.times) if mo == 12 and m > 0]
    by_year = res.lever_costs.sum(axis=2) / 1e4  # 万元
    for y, i in enumerate(year_ends):
        np.testing.assert_allclose(field(res, "fiscal_cost")[:, i].sum(1), by_year[:, y], rtol=1e-9)
    assert by_year.sum() > 0, "the tiny scenario's levers should pay something"


def test_budget_caps_are_honoured(tiny_batch, tiny):
    _, res = tiny_batch
    for li, policy in enumerate(tiny.policies):
        if policy.budget_per_year is not None:
            assert (res.lever_costs[:, :, li] <= policy.budget_per_year * (1 + 1e-9)).all(), policy.id


def test_lever_outside_its_window_pays_nothing(tiny_batch, tiny):
    _, res = tiny_batch
    li = [p.id for p in tiny.policies].index("rd_sub")  # ends 2019-12
    assert (res.lever_costs[:, 2, li] == 0).all()


def test_certificates_lapse_after_36_months_unless_renewed(tiny):
    sim = BatchSim(tiny, 3, np.arange(4), check_invariants=False)
    f = sim.state.firms
    # make every certified firm hopeless for renewal: no capability, no IP
    f.capability[:] = 0.0
    f.inventions[:] = 0.0
    f.other_ip[:] = 0.0
    holders = f.hte.copy()
    expiry = f.hte_expiry.copy()
    w = holders.shape[1]  # entrants may widen the arrays; the base firms keep their slots
    assert holders.any()
    for m in range(1, 13):
        calendar.month(sim, m)
        if calendar.month_of_year(m) in sim.rounds:
            certification.application_round(sim, m)
        f = sim.state.firms
        still = f.hte[:, :w] & holders
        assert not (still & (expiry < m)).any(), "a certificate outlived its expiry month without renewal"
        alive_unexpired = holders & f.alive[:, :w] & (expiry >= m)
        assert (f.hte[:, :w][alive_unexpired]).all(), "a valid certificate was lost before its expiry"


def test_renewal_extends_by_36_months(tiny):
    sim = BatchSim(tiny, 5, np.arange(3), check_invariants=False)
    f, s = sim.state.firms, sim.state
    s.params["hte_renew_apply"][:] = 1.0
    sim.p["hte_pass_rate"][:] = 1.0
    m = sim.rounds[0]
    for month in range(1, m + 1):
        calendar.month(sim, month)
    gap = certification.months_to_next_round(sim, m)
    due = f.hte & f.alive & certification.eligible_now(sim) & (f.hte_expiry >= m) & (f.hte_expiry - m < gap)
    assert due.any()
    certification.application_round(sim, m)
    assert (f.hte_expiry[due] == m + mech.HTE_VALID_MONTHS).all()


def test_invariant_breach_names_run_and_seed(tiny):
    sim = BatchSim(tiny, 11, np.arange(5, 8))
    f = sim.state.firms
    f.revenue[1, np.flatnonzero(f.alive[1])[0]] = np.nan  # corrupt one firm of run 6
    with pytest.raises(RunError) as info:
        sim.run()
    text = str(info.value)
    assert "run 6" in text and "--seed 11" in text and "--only-run 6" in text


def test_capacity_is_a_function_of_the_run_alone(tiny):
    a = BatchSim(tiny, 0, np.arange(0, 6)).state.firms.capacity
    b = BatchSim(tiny, 0, np.arange(3, 4)).state.firms.capacity
    assert a[3] == b[0]


def test_first_january_keeps_the_base_years_growth_points(tiny):
    """Regression: at month 1 no revenue has moved yet, so last year's growth must come from initialisation."""
    sim = BatchSim(tiny, 2, np.arange(3), check_invariants=False)
    f = sim.state.firms
    before = f.growth_pts.copy()
    alive = f.alive.copy()
    assert (before[alive] > 0).any()
    calendar.month(sim, 1)
    w = before.shape[1]
    np.testing.assert_array_equal(sim.state.firms.growth_pts[:, :w][alive], before[alive])


def test_outside_output_is_anchored_when_given(tiny_batch):
    """With `output_outside`, the rest of the region starts at exactly that output (亿元)."""
    sim, res = tiny_batch
    rest = [z.id for z in sim.sc.zones].index("rest")
    np.testing.assert_allclose(res.snapshots[:, 0, rest, FIELD_INDEX["output"]], 150.0, rtol=1e-9)
