"""The model's invariants (sim.model.invariants): each kind of violation is detected in the run that breaks
it, and the error names that run and the seed to replay it with."""

from __future__ import annotations

import numpy as np
import pytest

from sim.errors import RunError
from sim.model import calendar
from sim.model.engine import BatchSim
from sim.model.fields import FIELD_INDEX
from sim.model.invariants import check, violations

from .support import batch, step

RUNS = np.arange(5, 8)  # batch rows 0, 1, 2 are runs 5, 6, 7
SEED = 11


@pytest.fixture
def fresh(tiny) -> BatchSim:
    return batch(tiny, SEED, RUNS)


@pytest.fixture(scope="module")
def year_one(tiny):
    """Runs 5-7 through their first year (recorded at month 12), and that snapshot's index."""
    sim = step(batch(tiny, SEED, RUNS), 12)
    return sim, sim.snap_index[12]


def test_a_run_that_keeps_the_invariants_has_no_violation(fresh, year_one):
    assert violations(fresh, 0, 0) == {}
    sim, idx = year_one
    assert violations(sim, idx, 12) == {}


@pytest.mark.parametrize(("corrupt", "words"), [
    (lambda snap: snap.__setitem__((1, 2, FIELD_INDEX["output"]), np.nan), "NaN"),
    (lambda snap: snap.__setitem__((1, 0, FIELD_INDEX["rd_real"]), -1.0), "negative"),
    (lambda snap: snap.__setitem__((1, 3, FIELD_INDEX["hte"]), snap[1, 3, FIELD_INDEX["firms"]] + 1), "more HTEs"),
])
def test_a_corrupt_snapshot_is_detected_in_its_run(fresh, corrupt, words):
    corrupt(fresh.snapshots[:, 0])
    bad = violations(fresh, 0, 0)
    assert list(bad) == [1] and words in bad[1]


def test_a_certificate_past_its_expiry_is_detected(fresh):
    f = fresh.state.firms
    j = np.flatnonzero(f.hte[2])[0]
    f.hte_expiry[2, j] = 3
    bad = violations(fresh, 0, 4)  # month 4: the certificate ended in month 3 and was not renewed
    assert list(bad) == [2] and "36 months" in bad[2]


def test_overflowing_the_capacity_is_detected(fresh):
    fresh.overflow[0] = 1
    assert "capacity" in violations(fresh, 0, 0)[0]


def test_a_firm_stock_that_does_not_add_up_is_detected_at_the_year_end(year_one):
    sim, idx = year_one
    entries = sim.snapshots[:, idx, :, FIELD_INDEX["entries"]]
    entries[1, 0] += 1
    try:
        bad = violations(sim, idx, 12)
        assert list(bad) == [1] and "entries - exits" in bad[1]
    finally:
        entries[1, 0] -= 1


def test_a_fiscal_cost_that_is_not_the_payments_is_detected_at_the_year_end(year_one):
    sim, idx = year_one
    cost = sim.snapshots[:, idx, :, FIELD_INDEX["fiscal_cost"]]
    cost[2, 1] += 5.0
    try:
        bad = violations(sim, idx, 12)
        assert list(bad) == [2] and "fiscal cost" in bad[2]
    finally:
        cost[2, 1] -= 5.0


def test_check_names_the_first_broken_run_and_the_seed(fresh):
    fresh.overflow[2] = 1
    fresh.snapshots[1, 0, 0, FIELD_INDEX["firms"]] = np.nan
    with pytest.raises(RunError) as info:
        check(fresh, 0, 0)
    text = str(info.value)
    assert "run 6" in text and f"--seed {SEED}" in text and "--only-run 6" in text and "run 7" not in text


def test_invariant_breach_names_run_and_seed(tiny):
    sim = BatchSim(tiny, 11, np.arange(5, 8))
    f = sim.state.firms
    f.revenue[1, np.flatnonzero(f.alive[1])[0]] = np.nan  # corrupt one firm of run 6
    with pytest.raises(RunError) as info:
        sim.run()
    text = str(info.value)
    assert "run 6" in text and "--seed 11" in text and "--only-run 6" in text


def test_a_batch_that_checks_stops_at_the_record_of_a_broken_month(tiny):
    sim = BatchSim(tiny, SEED, RUNS)  # invariants checked
    step(sim, 11)
    calendar.month(sim, 12)
    sim.state.firms.hte_expiry[0, np.flatnonzero(sim.state.firms.hte[0])[0]] = 1  # after the month's lapse step
    with pytest.raises(RunError, match="run 5"):
        calendar.year_end(sim, 12)
