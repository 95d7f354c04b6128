"""Common random numbers across the model (sim.model.rng, sim.model.state's slots, sim.model.engine): two
variants of a scenario that differ only in a lever's amount meet the same uniforms slot by slot — their states
are equal array by array until the lever starts, entrant k has the same traits in both, and the difference a
lever makes varies much less than the difference between independent seeds. A run's numbers depend on its seed
and index alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.measure.indicators import FIELD_INDEX
from sim.model.engine import BatchSim, run_batch

from .support import batch, step, with_award

START = 13  # January 2019: the variants' award starts then


def hte_at_end(scenario, seed=0, runs=16):
    res = run_batch(scenario, seed, np.arange(runs))
    return res.snapshots[:, -1, :, FIELD_INDEX["hte"]].sum(axis=1), res


def arrays(sim: BatchSim) -> dict[str, np.ndarray]:
    """Every array of a batch's state and of its running tallies, by name."""
    s = sim.state
    out = {f"firms.{k}": v for k, v in vars(s.firms).items() if isinstance(v, np.ndarray)}
    out.update({f"incubators.{k}": v for k, v in vars(s.incubators).items() if isinstance(v, np.ndarray)})
    out.update({"institutions": s.institutions, "zone_level": s.zone_level, "zone_pending": s.zone_pending,
                "snapshots": sim.snapshots, "fiscal_path": sim.fiscal_path, "contract_shock": sim.contract_shock,
                "overflow": sim.overflow, "flat_zone": sim.flat_zone, "gazelles": sim.gazelles_last_year})
    out.update({f"flows.{k}": v for k, v in sim.flows.items()})
    return out


@pytest.fixture(scope="module")
def variants(tiny):
    """Two variants differing only in the award's amount, from January 2019 on, stepped to December 2018."""
    low = step(batch(with_award(tiny, 50_000.0, start="2019-01"), 8, 4), START - 1)
    high = step(batch(with_award(tiny, 1_000_000.0, start="2019-01"), 8, 4), START - 1)
    return low, high


def test_before_the_lever_starts_the_variants_states_are_equal_array_by_array(variants):
    low, high = variants
    a, b = arrays(low), arrays(high)
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert low.state.firms.next_free.sum() > low.n0.sum(), "entrants came in the first year: they are compared too"


def test_once_the_lever_starts_the_variants_part(tiny):
    low, high = (step(batch(with_award(tiny, amount, start="2019-01"), 8, 4), 24) for amount in (5e4, 1e6))
    year2 = low.snap_index[24]
    new = [sim.snapshots[:, year2, :, FIELD_INDEX["hte_new"]].sum() for sim in (low, high)]
    assert new[1] > new[0], "a twentyfold award certifies more firms in its first year"


def test_entrant_k_has_the_same_traits_in_both_variants(tiny):
    a = step(batch(with_award(tiny, 0.0), 9, 4), 36)
    b = step(batch(with_award(tiny, 2_000_000.0), 9, 4), 36)
    fa, fb = a.state.firms, b.state.firms
    np.testing.assert_array_equal(a.n0, b.n0)
    assert (fa.next_free != fb.next_free).any(), "the award changes who exits, hence how many enter"
    for r in range(a.B):
        both = np.arange(a.n0[r], min(fa.next_free[r], fb.next_free[r]))  # entrants 0, 1, … of run r
        assert both.size > 10
        for name in ("productivity", "relabeller", "hightech_industry", "strategic_emerging"):
            np.testing.assert_array_equal(getattr(fa, name)[r, both], getattr(fb, name)[r, both], err_msg=name)


def test_identical_variants_give_identical_runs(tiny):
    _, ra = hte_at_end(with_award(tiny, 100_000.0))
    _, rb = hte_at_end(with_award(tiny, 100_000.0))
    np.testing.assert_array_equal(ra.snapshots, rb.snapshots)


def test_a_run_is_the_same_alone_or_in_a_batch(tiny):
    together = run_batch(tiny, 3, np.arange(4))
    alone = run_batch(tiny, 3, np.array([2]))
    np.testing.assert_array_equal(together.snapshots[2], alone.snapshots[0])
    np.testing.assert_array_equal(together.lever_costs[2], alone.lever_costs[0])


def test_paired_differences_are_tighter_than_independent_ones(tiny):
    """With CRN the variants are identical in the base year, and the difference a lever makes, run by run,
    varies less than the difference between independently seeded runs: variance reduction."""
    a, ra = hte_at_end(with_award(tiny, 0.0), runs=24)
    b, rb = hte_at_end(with_award(tiny, 200_000.0), runs=24)
    c, _ = hte_at_end(with_award(tiny, 0.0), seed=99, runs=24)
    np.testing.assert_array_equal(ra.snapshots[:, 0], rb.snapshots[:, 0])
    assert np.std(b - a) < np.std(b - c)


def test_lever_amounts_never_change_the_random_layout(tiny):
    """Capacities (hence the size of each month's random block) must not depend on lever amounts."""

    def scaled(factor):
        pols = tuple(dataclasses.replace(p, spec=p.spec.model_copy(update={k: v * factor for k, v in p.params}))
                     if p.kind == "incubator_subsidy" else p for p in tiny.policies)
        return tiny.with_policies(pols)

    a = BatchSim(scaled(1.0), 0, np.arange(3))
    b = BatchSim(scaled(20.0), 0, np.arange(3))
    assert a.I == b.I
    np.testing.assert_array_equal(a.state.firms.capacity, b.state.firms.capacity)
