"""Policy levers: when each is active, who may claim, and the fiscal ledger with yearly budget caps.

Levers are data (a scenario's `policies:`); this module only knows how a claim becomes a payment. Every
payment is booked twice — per lever and year, and per zone — so the test "fiscal cost = sum of payments"
compares two independent tallies.
"""

from __future__ import annotations

import numpy as np

from sim.input.scenario import Policy, Scenario
from sim.model.rules import row_sum


def month_index(scenario: Scenario, year: int, month: int) -> int:
    """Months since the base year's end: January of the first simulated year is 1."""
    return (year - scenario.base_year - 1) * 12 + month


def active_window(scenario: Scenario, policy: Policy) -> tuple[int, int]:
    """First and last simulated month (inclusive) in which the lever pays."""
    return max(1, month_index(scenario, *policy.start)), min(scenario.months, month_index(scenario, *policy.end))


class Ledger:
    """Payments of a batch of runs, per lever and year and per zone, with each lever's yearly cap."""

    def __init__(self, scenario: Scenario, n_runs: int) -> None:
        self.policies = scenario.policies
        self.index = {p.id: i for i, p in enumerate(self.policies)}
        n_years = scenario.end_year - scenario.base_year
        n_zones = len(scenario.zones)
        self.n_zones = n_zones
        self.by_year = np.zeros((n_runs, n_years, len(self.policies)))   # RMB
        self.spent_this_year = np.zeros((n_runs, len(self.policies)))    # RMB
        self.zone_flow = np.zeros((n_runs, n_zones))                      # RMB since the last year end
        self.active = np.zeros(len(self.policies), dtype=bool)
        self.year = 0

    def new_year(self, year_index: int) -> None:
        self.year = year_index
        self.spent_this_year[:] = 0.0

    def pay(self, policy_id: str, claims: np.ndarray, zone: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
        """Pay `claims` (runs, n) in RMB, attributed to `zone` (runs, n), within the lever's yearly budget.

        When claims exceed what is left: `pro_rata` pays every claim the same fraction; `first_come` pays
        claims in the order of `order` (a uniform per claim, so the queue is random but common to variants)
        until the money runs out, the last one partly. Returns what was paid, per claim.
        """
        i = self.index[policy_id]
        policy = self.policies[i]
        claims = np.where(np.isfinite(claims), np.maximum(claims, 0.0), 0.0)
        if policy.budget_per_year is None:
            paid = claims
        else:
            left = np.maximum(policy.budget_per_year - self.spent_this_year[:, i], 0.0)
            demand = row_sum(claims)
            if policy.when_exhausted == "pro_rata":
                frac = np.where(demand > left, left / np.maximum(demand, 1e-12), 1.0)
                paid = claims * frac[:, None]
            else:  # queue the claimants of each run by their uniform, pay until the money runs out
                run, col = np.nonzero(claims > 0)
                key = order[run, col] if order is not None else np.zeros(run.size)
                perm = np.lexsort((col, key, run))
                run, col = run[perm], col[perm]
                queued = claims[run, col]
                before = np.empty_like(queued)
                bounds = np.flatnonzero(np.r_[True, run[1:] != run[:-1], True])
                for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):  # each run's own queue, alone
                    before[lo:hi] = np.cumsum(queued[lo:hi]) - queued[lo:hi]
                paid = np.zeros_like(claims)
                paid[run, col] = np.clip(left[run] - before, 0.0, queued)
        total = row_sum(paid)
        self.spent_this_year[:, i] += total
        self.by_year[:, self.year, i] += total
        B = claims.shape[0]
        flat = (zone.astype(np.int64) + np.arange(B)[:, None] * self.n_zones).ravel()
        self.zone_flow += np.bincount(flat, weights=paid.ravel(), minlength=B * self.n_zones).reshape(B, self.n_zones)
        return paid

    def take_zone_flow(self) -> np.ndarray:
        """This year's payments per zone (RMB), then reset: recorded at the statistical year end."""
        flow = self.zone_flow.copy()
        self.zone_flow[:] = 0.0
        return flow

    def active_of_kind(self, kind: str) -> list[Policy]:
        return [p for p, on in zip(self.policies, self.active, strict=True) if on and p.kind == kind]
