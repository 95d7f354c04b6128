"""The fiscal ledger: payments never exceed claims or the yearly budget; pro rata and first come."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.levers.ledger import Ledger


def _ledger(tiny, budget, rule):
    pol = dataclasses.replace(tiny.policies[0], budget_per_year=budget, when_exhausted=rule)
    sc = tiny.with_policies((pol,))
    return Ledger(sc, 2), pol.id


claims_st = st.lists(st.one_of(st.just(0.0), st.floats(0.01, 1e6)), min_size=1, max_size=30)  # RMB: 0 or >= 1 fen


@given(claims_st, st.floats(0, 5e6), st.sampled_from(["pro_rata", "first_come"]))
@settings(max_examples=80, deadline=None)
def test_payments_respect_claims_and_budget(tiny, claims, budget, rule):
    ledger, pid = _ledger(tiny, budget, rule)
    c = np.array([claims, claims[::-1]])
    zone = np.zeros_like(c, dtype=np.int16)
    order = np.random.default_rng(0).random(c.shape)
    paid = ledger.pay(pid, c, zone, order)
    assert (paid <= c + 1e-6).all() and (paid >= 0).all()
    assert (paid.sum(1) <= budget * (1 + 1e-9) + 1e-6).all()
    assert np.allclose(paid.sum(1), np.minimum(c.sum(1), budget))
    assert np.allclose(ledger.zone_flow.sum(1), paid.sum(1))
    if rule == "pro_rata":
        frac = paid / np.where(c > 0, c, 1)
        for row, crow in zip(frac, c, strict=True):
            vals = row[crow > 0]
            assert np.allclose(vals, vals[0]) if vals.size else True


def test_first_come_pays_in_queue_order(tiny):
    ledger, pid = _ledger(tiny, 250.0, "first_come")
    c = np.array([[100.0, 100.0, 100.0], [100.0, 100.0, 100.0]])
    order = np.array([[0.3, 0.1, 0.2], [0.9, 0.5, 0.1]])
    paid = ledger.pay(pid, c, np.zeros((2, 3), np.int16), order)
    assert paid[0].tolist() == [50.0, 100.0, 100.0]
    assert paid[1].tolist() == [50.0, 100.0, 100.0]


def test_budget_is_per_year(tiny):
    ledger, pid = _ledger(tiny, 100.0, "pro_rata")
    c = np.full((2, 1), 80.0)
    z = np.zeros((2, 1), np.int16)
    assert ledger.pay(pid, c, z).sum() == 160.0
    assert np.allclose(ledger.pay(pid, c, z), 20.0)
    ledger.new_year(1)
    assert np.allclose(ledger.pay(pid, c, z), 80.0)
    assert np.allclose(ledger.by_year[:, 0, 0], 100.0) and np.allclose(ledger.by_year[:, 1, 0], 80.0)
