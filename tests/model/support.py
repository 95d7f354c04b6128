"""Helpers for the model's tests (tests/model): levers from raw fields, a batch stepped by hand through the
calendar (`sim.model.calendar`), and the recorded per-zone sums (`sim.model.fields`) by name."""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.input.priors import Prior
from sim.input.scenario import Policy, Scenario, policy_from_raw
from sim.model import calendar
from sim.model.engine import BatchResult, BatchSim
from sim.model.fields import FIELD_INDEX


def lever(kind: str, lever_id: str | None = None, **fields: object) -> Policy:
    """A lever of `kind` over the whole simulated horizon of the tiny scenario (2018-01 to 2020-12), region-wide
    unless `fields` say otherwise."""
    raw = {"id": lever_id or kind, "kind": kind, "name": kind, "start": "2018-01", "end": "2020-12",
           "scope": "region", **fields}
    return policy_from_raw(raw)


def only(scenario: Scenario, *policies: Policy) -> Scenario:
    """`scenario` with exactly these levers (none: no lever at all)."""
    return dataclasses.replace(scenario, policies=tuple(policies))


def with_quantities(scenario: Scenario, **values: float) -> Scenario:
    """`scenario` with base-year facts added or fixed in its `region:` section (known values)."""
    facts = dict(scenario.region_facts)
    facts.update({k: Prior.from_yaml({"value": v, "assumed": True}) for k, v in values.items()})
    return dataclasses.replace(scenario, region_facts=tuple(facts.items()))


def batch(scenario: Scenario, seed: int = 0, runs: int | np.ndarray = 4) -> BatchSim:
    """A batch at the base year's end, invariants unchecked (tests corrupt or probe its state)."""
    rows = np.arange(runs) if np.isscalar(runs) else np.asarray(runs)
    return BatchSim(scenario, seed, rows, check_invariants=False)


def step(sim: BatchSim, last: int, first: int = 1) -> BatchSim:
    """Run months first..last by hand, moment by moment, as `calendar.schedule` does on the simpy environment.
    A test that ran part of the months before `first` itself (a January step, say) starts later: the clock is
    moved to the end of month first − 1, as `calendar.run_months` requires."""
    if first > 1 and sim.env.now < first - 1:
        sim.env.run(until=first - 1 + 0.15)
    return calendar.run_months(sim, first, last)


def field(result: BatchResult | np.ndarray, name: str) -> np.ndarray:
    """The sum `name` of every snapshot (runs, times, zones), or of a (…, zones, FIELDS) array."""
    snaps = result.snapshots if isinstance(result, BatchResult) else result
    return snaps[..., FIELD_INDEX[name]]


def total(result: BatchResult, name: str, snap: int = -1) -> np.ndarray:
    """(runs,) the sum `name` over all zones at snapshot `snap`."""
    return field(result, name)[:, snap].sum(axis=1)


def assert_same_runs(a: Scenario, b: Scenario, seed: int = 3, runs: int = 3) -> None:
    """Two scenarios give the same snapshots and zone levels, run by run (their levers may differ)."""
    ra = BatchSim(a, seed, np.arange(runs)).run()
    rb = BatchSim(b, seed, np.arange(runs)).run()
    np.testing.assert_array_equal(ra.snapshots, rb.snapshots)
    np.testing.assert_array_equal(ra.zone_levels, rb.zone_levels)


def paid(sim: BatchSim, lever_id: str, year: int = 0) -> np.ndarray:
    """(runs,) RMB lever `lever_id` paid in simulated year `year` (0: the first) so far."""
    return sim.ledger.by_year[:, year, sim.ledger.index[lever_id]].copy()


def to_first_round(scenario: Scenario, seed: int = 3, runs: int = 4, **params: float) -> tuple[BatchSim, int]:
    """A batch stepped to its first certification round's month (month 6 in the tiny scenario), that month's
    windows opened and monthly steps run, but not the round itself; with `params` fixed. Returns (batch, month)."""
    sc = scenario.with_parameters(params) if params else scenario
    sim = batch(sc, seed, runs)
    m = sim.rounds[0]
    step(sim, m - 1)
    calendar.open_windows(sim, m)
    calendar.month(sim, m)
    return sim, m


def with_award(scenario: Scenario, amount_new: float, amount_renewal: float | None = None,
               start: str | None = None) -> Scenario:
    """`scenario` with its HTE award paying `amount_new` (and half of it on renewal, unless `amount_renewal`),
    uncapped, from `start` (YYYY-MM) when given."""
    policies = []
    for p in scenario.policies:
        if p.kind == "hte_award":
            amounts = {"amount_new": amount_new,
                       "amount_renewal": amount_new / 2 if amount_renewal is None else amount_renewal}
            p = dataclasses.replace(p, spec=p.spec.model_copy(update=amounts), budget_per_year=None)
            if start is not None:
                p = dataclasses.replace(p, start=(int(start[:4]), int(start[5:])))
        policies.append(p)
    return scenario.with_policies(tuple(policies))
