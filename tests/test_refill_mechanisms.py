"""The mechanisms history required (issue 10): holders' exits, the pool's refill, certificate ages from the
stock's path, major projects, the cultivation lever. Properties, on the tiny scenario with common random
numbers where a comparison is made."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.input.scenario import load_scenario, policy_from_raw
from sim.measure.indicators import FIELD_INDEX
from sim.model.engine import BatchSim

from .conftest import TINY

RUNS = np.arange(12)


def _run(sc, seed=4):
    sim = BatchSim(sc, seed, RUNS)
    return sim, sim.run()


def _total(result, field, snap=-1):
    return result.snapshots[:, snap, :, FIELD_INDEX[field]].sum(axis=1)


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


def _with_cultivation(tiny, firms_per_year: int, amount: float = 20_000.0, budget: float | None = None):
    raw = {"id": "cultivate", "kind": "hte_cultivation", "name": "高企培育库", "name_en": "HTE cultivation",
           "start": "2018-01", "end": "2020-12", "scope": "region", "amount": amount, "firms_per_year": firms_per_year}
    lever = policy_from_raw(raw if budget is None else {**raw, "budget_per_year": budget})
    return dataclasses.replace(tiny, policies=(*tiny.policies, lever))


def test_cultivation_never_lowers_certifications_and_pays_what_it_enrols(tiny):
    _, base = _run(_with_cultivation(tiny, 1, amount=0.0))
    sim, cult = _run(_with_cultivation(tiny, 30))
    assert (_total(cult, "hte_new").sum() >= 0).all()
    assert _total(cult, "hte_certified")[:].sum() >= _total(base, "hte_certified")[:].sum()
    paid = cult.lever_costs[:, :, -1]  # RMB per run and year
    assert (paid <= 30 * 20_000.0 + 1e-6).all()  # at most firms_per_year enrolled a year
    assert paid.sum() > 0


def test_a_cultivation_budget_caps_its_payments(tiny):
    _, result = _run(_with_cultivation(tiny, 30, budget=100_000.0))
    assert (result.lever_costs[:, :, -1] <= 100_000.0 + 1e-6).all()
