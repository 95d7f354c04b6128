"""A batch of Monte Carlo runs of a scenario, advanced together: its state, the shared helpers every mechanism
uses (per-zone sums, slots, scope), and the run loop — the calendar (`sim.model.calendar`) put on one simpy
environment. The mechanisms themselves are in `sim.model.mechanisms`, one module each; the levers' effects in
`sim.model.levers`, one module per kind. Every step updates all runs and all agents of the batch at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.input.scenario import Scenario
from sim.model import calendar, invariants
from sim.model.calendar import START, month_of_year
from sim.model.fields import FIELDS
from sim.model.levels import OFFICIAL_MIN_LEVEL
from sim.model.levers import LeverSet
from sim.model.levers.ledger import Ledger, active_window
from sim.model.population import initial_state
from sim.model.rng import BatchStreams
from sim.model.state import State
from sim.model.sums import zone_sums

#: Flows over the statistical year that the mechanisms add to (the other flows come from the ledger).
FLOWS = ("entries", "exits", "hte_new", "hte_renewed", "hte_returned", "hte_lapsed", "invention_applications",
         "invention_grants")


def snapshot_times(scenario: Scenario) -> list[tuple[int, int, int]]:
    """(year, month, month index) of every recorded state: the base year end, each year end, and the
    months of dated targets."""
    times = {(scenario.base_year, 12, 0)}
    for y in range(scenario.base_year + 1, scenario.end_year + 1):
        times.add((y, 12, (y - scenario.base_year) * 12))
    for t in scenario.targets:
        times.add((t.year, t.month, (t.year - scenario.base_year - 1) * 12 + t.month))
    return sorted(times, key=lambda x: x[2])


@dataclass
class BatchResult:
    """What a batch of runs leaves behind: small per-run arrays, not agents."""

    runs: np.ndarray            # (B,) run indices
    snapshots: np.ndarray       # (B, S, Z, F) per-zone fields at each snapshot
    zone_levels: np.ndarray     # (B, S, Z) int8
    lever_costs: np.ndarray     # (B, Y, L) RMB per lever and simulated year
    firm_months: int
    slot_months: int
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)  # (B,) each


class BatchSim:
    """One batch of Monte Carlo runs of a scenario (runs `runs` of seed `seed`), on one simpy calendar."""

    def __init__(self, scenario: Scenario, seed: int, runs: np.ndarray, check_invariants: bool = True) -> None:
        self.sc = scenario
        self.seed = seed
        self.runs = np.asarray(runs, dtype=np.int64)
        self.streams = BatchStreams(seed, self.runs)
        self.state: State = initial_state(scenario, seed, self.runs, self.streams)
        self.check = check_invariants
        s = self.state
        self.B = s.firms.alive.shape[0]
        self.Z = len(scenario.zones)
        self.I = s.incubators.alive.shape[1]
        self.p = {k: v[:, None].astype(np.float32) for k, v in s.params.items()}  # broadcast over agents
        self.va_ratio = s.quantities["value_added_ratio"][:, None]
        self.industry_share = s.quantities["industry_share_of_gdp"][:, None]
        self.rd_median = s.quantities["rd_median"][:, None].astype(np.float32)
        self.rounds = tuple(scenario.cal("hte_rounds"))
        self.ledger = Ledger(scenario, self.B)
        self.levers = LeverSet(scenario.policies, self.ledger)
        self.offsets = (np.arange(self.B) * self.Z)[:, None]
        self.flat_zone = s.firms.zone.astype(np.int64) + self.offsets
        self.flows = {k: np.zeros((self.B, self.Z)) for k in FLOWS}
        self.times = snapshot_times(scenario)
        self.snap_index = {m: i for i, (_, _, m) in enumerate(self.times)}
        self.snapshots = np.zeros((self.B, len(self.times), self.Z, len(FIELDS)))
        self.zone_levels = np.zeros((self.B, len(self.times), self.Z), dtype=np.int8)
        self.overflow = np.zeros(self.B)
        self.firm_months = 0
        self.slot_months = 0
        self.env = simpy.Environment()  # the calendar; deliveries (construction, reviews) are its processes
        self.firm_official = self.per_firm(self.official_zones())
        self.n0 = s.firms.next_free.copy()
        self.alive_z = self.zcount(s.firms.alive)  # kept up to date by entry and exit
        self.gazelles_last_year = np.zeros((self.B, self.W), bool)  # sim.model.mechanisms.gazelles
        # per-zone state the mechanisms set in START (sim.model.calendar) and keep up to date
        self.refused_rate = np.zeros((self.B, self.Z))          # patents: refused applications per month
        self.institution_drivers = np.zeros((self.B, self.Z, 1))  # organisations: what each type forms with
        self.contract_shock = np.ones((self.B, self.Z))         # contracts: this year's shock
        self.contract_trend = np.ones((self.B, 1))              # contracts: the trend so far
        self.fiscal_path = np.zeros((self.B, self.Z))           # fiscal: the region's own S&T spending, 万元
        for step in START:
            step(self, 0)
        self.record(0)

    # --- the run loop --------------------------------------------------------------------------------------
    def run(self) -> BatchResult:
        """Simulate every month of the scenario and return the batch's snapshots and diagnostics."""
        calendar.schedule(self, sorted(self.snap_index)[1:])
        self.env.run(until=self.sc.months + 1)
        s = self.state
        diag = {"capacity_overflow": self.overflow, "hte_apply_year": s.hte_apply_year,
                "calibration_gap": s.calibration_gap, "rd_size_gamma": s.rd_gamma,
                "calibration_flow": s.quantities.get("hte_certified_base_year", np.zeros(self.B)),
                "base_rd_to_gdp": s.base_rd_to_gdp, "capability_shift": s.capability_shift[:, 0],
                "capability_shift_outside": s.capability_shift[:, 1],
                "rd_to_gdp_target": s.quantities["rd_to_gdp_in_zones"],
                "patent_k_factor": s.patent_k_factor, "rd_level_scale": s.rd_level_scale,
                "tenant_gap": s.tenant_gap, "tenants_stated": np.round(s.quantities["tenants_in_zones"])}
        return BatchResult(self.runs, self.snapshots, self.zone_levels, self.ledger.by_year.copy(),
                           int(self.firm_months), int(self.slot_months), diag)

    def release(self) -> None:
        """Drop everything the batch holds (agents, environment, levers) once its result is taken. The calendar's
        simpy processes refer to the batch and it to them: a reference cycle that only the cyclic collector would
        free, keeping the agents alive meanwhile; emptied, the batch frees its agents at once."""
        self.__dict__.clear()

    def lever_windows(self) -> list[tuple[int, int]]:
        """(first, last) month index of each lever's window, in scenario order."""
        return [active_window(self.sc, policy) for policy in self.sc.policies]

    def after(self, m: int, delay: int, action: Callable[[], None]) -> None:
        """Run `action` at the deliveries moment of month m + delay (a simpy process), or now if no delay."""
        if delay <= 0:
            action()
            return

        def wait():  # noqa: ANN202 - a simpy process
            yield self.env.timeout(m + delay + 0.1 - self.env.now)
            action()

        self.env.process(wait())

    def count_month(self) -> None:
        """Work done this month, for the throughput figures (living firms, and slots including padding)."""
        self.firm_months += int(self.state.firms.alive.sum())
        self.slot_months += self.B * self.W

    def record(self, m: int, take_flows: bool = True) -> None:
        """Snapshot month m's per-zone sums and levels; at a year end also close the year's flows and budgets."""
        idx = self.snap_index[m]
        self.snapshots[:, idx] = self.fields(take_flows)
        self.zone_levels[:, idx] = self.state.zone_level
        if self.check:
            invariants.check(self, idx, m)
        if take_flows:
            for v in self.flows.values():
                v[:] = 0.0
            if 0 < m < self.sc.months:  # the fiscal year turns with the statistical year
                self.ledger.new_year(m // 12)

    def fields(self, take_flows: bool = False) -> np.ndarray:
        """(runs, zones, FIELDS) per-zone sums now (`sim.model.sums.zone_sums`)."""
        return zone_sums(self, take_flows)

    # --- helpers the mechanisms share ------------------------------------------------------------------------
    @property
    def W(self) -> int:
        """Current width of the firm arrays: the most slots any run of the batch has used so far."""
        return self.state.firms.alive.shape[1]

    def month_of_year(self, m: int) -> int:
        return month_of_year(m)

    def ensure_width(self, needed: int) -> None:
        """Grow the firm arrays (by at least a quarter, to amortise) so that slot `needed - 1` exists."""
        if needed <= self.W:
            return
        cmax = int(self.state.firms.capacity.max())
        width = min(cmax, max(needed, int(self.W * 1.25)))
        width = min(cmax, int(np.ceil(width / 64.0) * 64))
        old = self.W
        self.state.firms.grow(width)
        flat = np.zeros((self.B, width), dtype=np.int64)
        flat[:, :old] = self.flat_zone
        flat[:, old:] = self.offsets
        self.flat_zone = flat
        for name in ("firm_official", "gazelles_last_year"):
            wide = np.zeros((self.B, width), dtype=bool)
            wide[:, :old] = getattr(self, name)
            setattr(self, name, wide)

    def claim_slots(self, k: np.ndarray, next_free: np.ndarray, capacity: np.ndarray) -> tuple:
        """Run, zone and slot of each of k[run, zone] newcomers: runs in order, zones in order, slots taken in
        sequence (so the same newcomer takes the same slot in every variant). Newcomers beyond the capacity
        are counted as overflow (an invariant violation, reported). Advances `next_free` in place."""
        K = k.sum(axis=1)
        run_idx = np.repeat(np.arange(self.B), K)
        zone_idx = np.repeat(np.tile(np.arange(self.Z), self.B), k.ravel())
        offs = np.arange(K.sum()) - np.repeat(np.cumsum(K) - K, K)
        slot = next_free[run_idx] + offs
        ok = slot < capacity[run_idx]
        if not ok.all():
            self.overflow += np.bincount(run_idx[~ok], minlength=self.B)
        next_free += K
        np.minimum(next_free, capacity, out=next_free)
        return run_idx[ok], zone_idx[ok].astype(np.int16), slot[ok]

    def zsum(self, values: np.ndarray) -> np.ndarray:
        """(runs, zones) sums of a (runs, slots) array: one bincount for the whole batch."""
        return np.bincount(self.flat_zone.ravel(), weights=np.asarray(values, dtype=np.float64).ravel(),
                           minlength=self.B * self.Z).reshape(self.B, self.Z)

    def zcount(self, mask: np.ndarray) -> np.ndarray:
        """(runs, zones) counts of a (runs, slots) boolean mask; cheap when the mask is sparse (exits, HTEs)."""
        idx = self.flat_zone.ravel()[np.flatnonzero(mask)]
        return np.bincount(idx, minlength=self.B * self.Z).reshape(self.B, self.Z).astype(np.float64)

    def isum(self, values: np.ndarray) -> np.ndarray:
        """(runs, zones) sums of a (runs, incubator slots) array over living incubators."""
        inc = self.state.incubators
        flat = (inc.zone.astype(np.int64) + self.offsets).ravel()
        w = np.asarray(values, dtype=np.float64) * inc.alive
        return np.bincount(flat, weights=w.ravel(), minlength=self.B * self.Z).reshape(self.B, self.Z)

    def per_firm(self, zone_values: np.ndarray) -> np.ndarray:
        """(runs, slots) a (runs, zones) value looked up for every firm slot."""
        return zone_values.ravel()[self.flat_zone]

    def official_zones(self) -> np.ndarray:
        """(runs, zones) zones at municipal level or above now."""
        return self.state.zone_level >= OFFICIAL_MIN_LEVEL

    def in_scope_zone(self, scope: str) -> np.ndarray:
        """(runs, zones) mask of the zones whose firms may claim a lever of `scope` ("zones" or "region")."""
        return self.official_zones() if scope == "zones" else np.ones((self.B, self.Z), bool)

    def firm_in_scope(self, scope: str) -> np.ndarray:
        """(runs, slots) firms in a lever's scope."""
        return self.firm_official if scope == "zones" else np.ones((self.B, self.W), bool)

    def eligible(self, who: str | None, scope: str) -> np.ndarray:
        """(runs, slots) living firms a lever may pay: by status ("hte", "tech_sme", "all") and by scope."""
        f = self.state.firms
        status = {"hte": f.hte, "tech_sme": f.tech_sme}.get(who or "all", np.ones_like(f.alive))
        return f.alive & status & self.firm_in_scope(scope)


def run_batch(scenario: Scenario, seed: int, runs: np.ndarray) -> BatchResult:
    """Simulate runs `runs` of `scenario` (all at once) and return their snapshots.

    The batch's agents are freed before this returns. The calendar's simpy processes and closures refer to the
    batch and the batch to its environment: reference cycles, which only Python's cyclic collector frees, and
    its full collections are rare in a process with many long-lived objects. Without the collection here a
    worker kept the agents of every batch since the last one: 8.8 GB for the default Guangxi run (issue 14).
    `BatchSim.release` drops the batch's own references, so the agents go by reference counting; a full
    collection here instead cost a second per batch in a process holding many objects (the test suite)."""
    sim = BatchSim(scenario, seed, runs)
    result = sim.run()
    sim.release()
    return result
