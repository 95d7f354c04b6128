"""Patents (sim.model.mechanisms.patents): a firm's granted inventions are Poisson on its real R&D spending,
raised by the zone's R&D institutions; applications are grants plus refused ones; the base year's flows are
drawn, and calibrated to the scenario's base-year applications when given."""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.input.priors import Prior
from sim.model.engine import run_batch
from sim.model.fields import N_RD_TYPES
from sim.model.mechanisms import patents

from ..support import batch, field


def test_patent_flows_are_consistent(tiny_batch):
    _, res = tiny_batch
    apps, grants = field(res, "invention_applications"), field(res, "invention_grants")
    assert (apps >= grants).all()
    assert (grants[:, 0].sum(axis=1) > 0).all(), "the base year's flows are drawn, so multiples have a base"


def test_applications_calibration_hits_the_base_year_value(tiny):
    q = dict(tiny.firms)
    q["invention_applications_base_year"] = Prior.from_yaml({"value": 400, "assumed": True})
    calibrated = dataclasses.replace(tiny, firms=tuple(q.items()))
    base_apps = field(run_batch(calibrated, 1, np.arange(40)), "invention_applications")[:, 0].sum(axis=1)
    assert abs(base_apps.mean() - 400) < 4 * np.sqrt(400 / 40) + 8  # Poisson noise around the calibrated mean


def test_the_rate_is_k_times_the_grant_share_on_real_rd_raised_by_institutions(tiny):
    sim = batch(tiny, 2, 3)
    f, p = sim.state.firms, sim.state.params
    inst = sim.state.institutions[:, :, :N_RD_TYPES].sum(axis=(2, 3))
    spill = np.exp(p["institution_spillover"][:, None] * np.log1p(inst))
    expected = (p["patent_k"] * p["patent_grant_share"])[:, None] * f.rd_real / 12.0 * sim.per_firm(spill)
    np.testing.assert_allclose(f.patent_rate, expected, rtol=1e-4)
    assert (f.patent_rate[f.rd_real == 0] == 0).all()


def test_more_institutions_raise_the_rate_when_they_spill_over(tiny):
    sim = batch(tiny.with_parameters({"institution_spillover": 0.1}), 2, 3)
    before = sim.state.firms.patent_rate.copy()
    sim.state.institutions[:, :, :N_RD_TYPES] *= 3
    patents.set_rate(sim)
    doers = sim.state.firms.rd_real > 0
    assert (sim.state.firms.patent_rate[doers] >= before[doers]).all()
    assert (sim.state.firms.patent_rate[doers] > before[doers]).any()


def test_a_months_grants_add_to_the_firms_stock_and_the_flows(tiny):
    sim = batch(tiny, 3, 4)
    f = sim.state.firms
    f.patent_rate *= 50  # enough patents in one month to see them
    held = f.inventions.copy()
    sim.flows["invention_grants"][:] = 0
    sim.flows["invention_applications"][:] = 0
    patents.monthly(sim)
    granted = f.inventions - held
    assert granted.sum() > 0 and (granted >= 0).all()
    assert (granted[f.rd_real == 0] == 0).all(), "no R&D, no invention"
    np.testing.assert_allclose(sim.flows["invention_grants"], sim.zsum(granted))
    assert (sim.flows["invention_applications"] >= sim.flows["invention_grants"]).all()


def test_grants_of_a_month_average_the_rate(tiny):
    sim = batch(tiny, 4, 8)
    f = sim.state.firms
    f.patent_rate *= 20
    expected = (f.patent_rate * f.revenue).sum()
    held = f.inventions.sum()
    patents.monthly(sim)
    got = f.inventions.sum() - held
    assert abs(got - expected) < 4 * np.sqrt(expected) + 2, (got, expected)


def test_other_ip_rights_come_only_to_living_firms_that_do_rd(tiny):
    sim = batch(tiny, 5, 3)
    f = sim.state.firms
    f.patent_rate *= 20
    held = f.other_ip.copy()
    patents.other_ip(sim)
    gained = f.other_ip - held
    assert gained.sum() > 0
    assert (gained[(f.patent_rate == 0) | ~f.alive] == 0).all()
