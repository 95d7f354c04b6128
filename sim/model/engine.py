"""The calendar and the monthly dynamics of a batch of runs.

A simpy `Environment` owns time. Month m (1 = January after the base year) has these fixed moments, so that
events of the same month always happen in the same order:

    m + 0.0  levers start or stop          m + 0.5  HTE certification round (months named in the calendar)
    m + 0.1  deliveries: incubators built,  m + 0.55 technology-based SME listing (yearly)
             upgrade decisions after review m + 0.6  zone upgrade applications (yearly)
    m + 0.2  monthly dynamics               m + 0.9  statistical year end / dated-target snapshot

Every event updates all runs and all agents of the batch at once with the pure rules of `sim.model.rules`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy
from scipy import special, stats

from sim.errors import Problem, RunError
from sim.input.scenario import LEVEL_CODE, OFFICIAL_MIN_LEVEL, Scenario
from sim.measure.indicators import FIELD_INDEX, FIELDS, INST_TYPES
from sim.model import rules as mech
from sim.model.levers.ledger import Ledger, active_window
from sim.model.population import (
    ENG,
    ENTRANT_MEDIAN_REVENUE,
    ENTRANT_REVENUE_SIGMA,
    FINANCE,
    FUND,
    INCUBATOR_NEW_AREA,
    MAKER_SPACE_AREA,
    N_INDUSTRIES,
    N_INST_TYPES,
    N_RD_TYPES,
    NEW_RD,
    PLATFORM,
    SERVICE,
    TECH,
    State,
    industry_of,
    initial_state,
    latent_traits,
)
from sim.model.rng import BatchStreams

NATIONAL, PROVINCIAL, MUNICIPAL, CANDIDATE = (LEVEL_CODE[k] for k in ("national", "provincial", "municipal",
                                                                       "candidate"))
#: Gazelle (high-growth) firm: revenue up ≥ 20% a year over three years from at least 10M RMB (the OECD-Eurostat
#: high-growth definition, with revenue for employees) [assumption for the plans' 高成长性 / 小巨人 firms].
GAZELLE_GROWTH, GAZELLE_MIN_REVENUE = 1.2 ** 3, 10.0
#: An industry of a zone counts as a cluster of these sizes (亿元 of output): 百亿级, 五百亿级, 千亿级.
CLUSTER_SIZES = (100.0, 500.0, 1000.0)
#: An innovative industrial cluster: an industry of the zone with output ≥ 100亿 and ≥ 10 HTEs [assumption].
INNOVATIVE_CLUSTER_HTE = 10
#: A distinctive strategic-emerging industry: a strategic-emerging industry with ≥ 20% of the zone's output.
DISTINCTIVE_SHARE = 0.2
#: Log-sd of a major project's first-year revenue [assumption].
MAJOR_PROJECT_SIGMA = 1.0


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
    """One batch of Monte Carlo runs of a scenario, advanced together on one simpy calendar."""

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
        self.offsets = (np.arange(self.B) * self.Z)[:, None]
        self.flat_zone = s.firms.zone.astype(np.int64) + self.offsets
        self.flows = {k: np.zeros((self.B, self.Z)) for k in ("entries", "exits", "hte_new", "hte_renewed",
                                                               "hte_lapsed", "invention_applications",
                                                               "invention_grants")}
        self.times = snapshot_times(scenario)
        self.snap_index = {m: i for i, (_, _, m) in enumerate(self.times)}
        n_s = len(self.times)
        self.snapshots = np.zeros((self.B, n_s, self.Z, len(FIELDS)))
        self.zone_levels = np.zeros((self.B, n_s, self.Z), dtype=np.int8)
        self.overflow = np.zeros(self.B)
        self.firm_months = 0
        self.slot_months = 0
        self.env = simpy.Environment()  # the calendar; deliveries (construction, reviews) are its processes
        self.firm_official = self.per_firm(self.official_zones())
        self.n0 = s.firms.next_free.copy()
        self.alive_z = self.zcount(s.firms.alive)  # kept up to date by entry and exit
        self.decide_rd()
        self.set_rates()
        self._calibrate_patents()
        self.count_institution_drivers()
        self._calibrate_applications()
        self.tech_sme_listing(0)  # the base year's list, so that multiples and growth of tech SMEs have a base
        self._base_year_draws()
        self.attach_centres()
        self._record(0)

    # --- helpers ---------------------------------------------------------------------------------------------
    @property
    def W(self) -> int:
        """Current width of the firm arrays: the most slots any run of the batch has used so far."""
        return self.state.firms.alive.shape[1]

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
        official = np.zeros((self.B, width), dtype=bool)
        official[:, :old] = self.firm_official
        self.firm_official = official

    def zsum(self, values: np.ndarray) -> np.ndarray:
        """Per-zone sums of a (runs, slots) array: one bincount for the whole batch."""
        return np.bincount(self.flat_zone.ravel(), weights=np.asarray(values, dtype=np.float64).ravel(),
                           minlength=self.B * self.Z).reshape(self.B, self.Z)

    def zcount(self, mask: np.ndarray) -> np.ndarray:
        """Per-zone counts of a (runs, slots) boolean mask; cheap when the mask is sparse (exits, HTEs)."""
        idx = self.flat_zone.ravel()[np.flatnonzero(mask)]
        return np.bincount(idx, minlength=self.B * self.Z).reshape(self.B, self.Z).astype(np.float64)

    def isum(self, values: np.ndarray) -> np.ndarray:
        inc = self.state.incubators
        flat = (inc.zone.astype(np.int64) + self.offsets).ravel()
        w = np.asarray(values, dtype=np.float64) * inc.alive
        return np.bincount(flat, weights=w.ravel(), minlength=self.B * self.Z).reshape(self.B, self.Z)

    def per_firm(self, zone_values: np.ndarray) -> np.ndarray:
        """(runs, zones) values looked up for every firm slot."""
        return zone_values.ravel()[self.flat_zone]

    def official_zones(self) -> np.ndarray:
        return self.state.zone_level >= OFFICIAL_MIN_LEVEL

    def in_scope_zone(self, scope: str) -> np.ndarray:
        """(runs, zones) mask of the zones whose firms may claim a lever."""
        return self.official_zones() if scope == "zones" else np.ones((self.B, self.Z), bool)

    def month_of_year(self, m: int) -> int:
        return (m - 1) % 12 + 1

    # --- the calendar ----------------------------------------------------------------------------------------
    def run(self) -> BatchResult:
        env = self.env
        for i, policy in enumerate(self.sc.policies):
            env.process(self._lever_window(env, i, *active_window(self.sc, policy)))
        env.process(self._at(env, range(1, self.sc.months + 1), 0.2, self.step_month))
        env.process(self._at(env, [m for m in range(1, self.sc.months + 1) if self.month_of_year(m) in self.rounds],
                             0.5, self.certification_round))
        listing = self.sc.cal("tech_sme_listing_month")
        env.process(self._at(env, [m for m in range(1, self.sc.months + 1) if self.month_of_year(m) == listing],
                             0.55, self.tech_sme_listing))
        apply_month = self.sc.cal("upgrade_application_month")
        env.process(self._at(env, [m for m in range(1, self.sc.months + 1) if self.month_of_year(m) == apply_month],
                             0.6, lambda m: self.upgrade_applications(env, m)))
        env.process(self._at(env, sorted(self.snap_index)[1:], 0.9, self.snapshot))
        env.run(until=self.sc.months + 1)
        diag = {"capacity_overflow": self.overflow, "hte_apply_year": self.state.hte_apply_year,
                "calibration_gap": self.state.calibration_gap, "rd_size_gamma": self.state.rd_gamma,
                "base_rd_to_gdp": self.state.base_rd_to_gdp, "capability_shift": self.state.capability_shift,
                "rd_to_gdp_target": self.state.quantities["rd_to_gdp_in_zones"],
                "patent_k_factor": self.state.patent_k_factor, "rd_level_scale": self.state.rd_level_scale}
        return BatchResult(self.runs, self.snapshots, self.zone_levels, self.ledger.by_year.copy(),
                           int(self.firm_months), int(self.slot_months), diag)

    def _at(self, env: simpy.Environment, months: Any, offset: float, action: Any) -> Generator:
        for m in months:
            yield env.timeout(m + offset - env.now)
            action(m)

    def _lever_window(self, env: simpy.Environment, i: int, first: int, last: int) -> Generator:
        if first > last:
            return
        yield env.timeout(first - env.now)
        self.ledger.active[i] = True
        yield env.timeout(last + 1 - env.now)
        self.ledger.active[i] = False

    def _after(self, env: simpy.Environment, m: int, delay: int, now_offset: float, action: Any) -> None:
        """Run `action` at the deliveries moment of month m + delay (a simpy process), or now if no delay."""
        if delay <= 0:
            action()
            return

        def wait() -> Generator:
            yield env.timeout(m + delay + 0.1 - (m + now_offset))
            action()

        env.process(wait())

    # --- monthly dynamics ----------------------------------------------------------------------------------
    def step_month(self, m: int) -> None:
        f = self.state.firms
        january = self.month_of_year(m) == 1
        rows = 8 if january else 3
        u = self.streams.monthly(rows, self.W)
        nz = self.Z * (4 + N_INST_TYPES)
        small = self.streams.monthly64(nz + self.I + 1)
        zs = np.split(small[:, :nz], [self.Z, 2 * self.Z, 3 * self.Z, 4 * self.Z], axis=1)
        u_entry, u_inc, u_ms, u_apps = zs[0], zs[1], zs[2], zs[3]
        u_inst = zs[4].reshape(self.B, self.Z, N_INST_TYPES)
        u_close = small[:, nz: nz + self.I]
        u_macro = small[:, -1]
        if january:
            self.new_year(m, u[:, 3], u[:, 4], u_macro, u[:, 6], u[:, 7])
            self.other_ip(u[:, 5])
            self.major_projects(self.streams.monthly64(self.Z))
        self.entry(m, u_entry)
        u = self.streams.current(rows, self.W)  # entrants may have widened the arrays
        self.exit(u[:, 0])
        f.revenue *= f.growth_factor
        f.age += f.alive
        self.patents(u[:, 1], u_apps)
        self.tenancy(u[:, 2])
        lapse = f.hte & (f.hte_expiry < m)  # valid through its expiry month, whose round may renew it
        self.flows["hte_lapsed"] += self.zcount(lapse)
        f.hte &= ~lapse
        self.incubator_dynamics(m, u_inc, u_ms, u_close)
        self.institution_formation(u_inst)
        self.pay_rd_subsidies()
        self.firm_months += int(f.alive.sum())
        self.slot_months += self.B * self.W

    def new_year(self, m: int, u_growth: np.ndarray, u_voucher: np.ndarray, u_macro: np.ndarray,
                 u_prepare: np.ndarray, u_gazelle: np.ndarray) -> None:
        """January: last year's growth sets the score's growth points; vouchers and gazelle grants;
        preparation for HTE certification; R&D decisions; this year's growth draws (firm Laplace shock plus a
        shock common to the run)."""
        f, p = self.state.firms, self.p
        gazelles = self.gazelles()  # over the three years just ended, before the revenue history moves on
        if m > 1:  # the first January keeps the base year's growth points (drawn at initialisation)
            ratio = np.where(f.revenue_year_start > 0, f.revenue / np.maximum(f.revenue_year_start, 1e-9), 1.0)
            f.growth_pts = np.where(f.age >= 12, mech.growth_points(ratio), f.growth_pts)
        f.revenue_ago3 = f.revenue_ago2
        f.revenue_ago2 = f.revenue_year_start
        f.revenue_year_start = f.revenue.copy()
        f.employees = np.maximum(3.0, f.revenue / np.maximum(f.productivity, 1e-6)).astype(np.float32)
        f.voucher_intensity[:] = 0.0
        for lever in self.ledger.active_of_kind("innovation_voucher"):
            elig = f.alive & self.eligible(lever.get("eligible"), lever.scope)
            n_elig = elig.sum(axis=1, keepdims=True)
            share = np.minimum(1.0, lever.get("vouchers_per_year") / np.maximum(n_elig, 1))
            got = elig & (u_voucher < share)
            paid = self.ledger.pay(lever.id, got * float(lever.get("amount")), f.zone)
            f.voucher_intensity += (paid / np.maximum(f.revenue * 1e6, 1.0)).astype(np.float32)
        self.gazelle_grants(m, gazelles, u_gazelle)
        # firms that do R&D learn: technology transfer and R&D management points rise with the years
        learning = (f.rd_propensity > 0) & f.alive
        f.capability = np.where(learning, np.minimum(50.0, f.capability + p["capability_growth"]),
                                f.capability).astype(np.float32)
        self.prepare(u_prepare)
        self.decide_rd()
        self.count_institution_drivers()
        mean, sigma = mech.growth_mean_and_sigma(f.revenue, f.rd_real, self.rd_median, p)
        macro = special.ndtri(np.clip(u_macro, 1e-9, 1 - 1e-9))[:, None] * p["macro_sd"]
        g = mech.laplace_growth(u_growth, mean, sigma) + macro
        f.growth_factor = np.exp(g / 12.0).astype(np.float32)
        self.set_rates()

    def gazelles(self) -> np.ndarray:
        """(runs, slots) high-growth technology firms: HTEs or listed tech SMEs whose revenue grew by at least
        GAZELLE_GROWTH over three years from at least GAZELLE_MIN_REVENUE."""
        f = self.state.firms
        return f.alive & (f.hte | f.tech_sme) & (f.revenue_ago3 >= GAZELLE_MIN_REVENUE) \
            & (f.revenue >= GAZELLE_GROWTH * f.revenue_ago3)

    def gazelle_grants(self, m: int, gazelles: np.ndarray, u: np.ndarray) -> None:
        """Gazelle grants, approved before and paid after (事前立项事后补助): each January up to
        `grants_per_year` gazelles in scope win a project (at random among them); they spend on R&D as if
        funded now (the promised money counts like a voucher for this year's R&D decision) and are paid
        `paid_after_months` later if they are still alive, within that year's budget."""
        f = self.state.firms
        for lever in self.ledger.active_of_kind("gazelle_grant"):
            elig = gazelles & self.firm_in_scope(lever.scope)
            share = np.minimum(1.0, lever.get("grants_per_year") / np.maximum(elig.sum(axis=1, keepdims=True), 1))
            won = elig & (u < share)
            if not won.any():
                continue
            amount = float(lever.get("amount"))
            f.voucher_intensity += (won * amount / np.maximum(f.revenue * 1e6, 1.0)).astype(np.float32)
            winners = np.nonzero(won)

            def pay(lever_id: str = lever.id, winners: tuple = winners, amount: float = amount) -> None:
                claims = np.zeros((self.B, self.W))
                claims[winners] = amount * f.alive[winners]
                self.ledger.pay(lever_id, claims, f.zone)

            self._after(self.env, m, int(lever.get("paid_after_months")), 0.2, pay)

    def preparable_now(self) -> np.ndarray:
        f = self.state.firms
        return f.alive & ~f.hte & mech.preparable(f.age, f.inventions, f.other_ip, f.tech_share, f.hightech_share,
                                                 f.capability, f.growth_pts, f.rd_real, f.revenue, f.relabeller,
                                                 self.p["relabel_max"], self.p["prepare_score_reach"])

    def prepare(self, u: np.ndarray) -> None:
        """Near-eligible firms prepare for certification with the run's yearly rate, raised by the award on
        offer as applications are; cultivation programmes (高企培育库, `hte_cultivation` levers) enrol up to their
        yearly number of the others in scope, who prepare for sure. A preparing firm secures core IP, the
        revenue and staff shares, R&D within reach of its threshold and the score points it lacked (at most
        `prepare_score_reach`)."""
        f, s = self.state.firms, self.state
        at = np.nonzero(self.preparable_now())
        if at[0].size == 0:
            return
        award = np.zeros(at[0].size)
        for lever in self.ledger.active_of_kind("hte_award"):
            award += self.firm_in_scope(lever.scope)[at] * float(lever.get("amount_new"))
        sub = {k: v[at[0], 0] for k, v in self.p.items()}
        prob = mech.apply_probability(s.prepare_year[at[0]], 1, award, f.revenue[at], sub)
        ua = u[at]
        go = ua < prob
        # the uniform of a firm that did not prepare on its own, rescaled: independent of that decision
        u_rest = np.clip((ua - prob) / np.maximum(1.0 - prob, 1e-9), 0.0, 1.0)
        for lever in self.ledger.active_of_kind("hte_cultivation"):
            cand = np.flatnonzero(~go & self.firm_in_scope(lever.scope)[at])
            order = np.lexsort((u_rest[cand], at[0][cand]))  # each run's candidates by their own uniform
            runs_sorted = at[0][cand][order]
            rank = np.arange(order.size) - np.searchsorted(runs_sorted, runs_sorted, side="left")
            enrol = np.zeros(at[0].size, bool)
            enrol[cand[order[rank < int(lever.get("firms_per_year"))]]] = True  # exactly up to the yearly number
            claims = np.zeros((self.B, self.W))
            claims[at[0][enrol], at[1][enrol]] = float(lever.get("amount"))
            self.ledger.pay(lever.id, claims, f.zone)
            go |= enrol
        rows, cols = at[0][go], at[1][go]
        thr = mech.rd_threshold(f.revenue[rows, cols]) * (1.0 - self.p["relabel_max"][rows, 0])
        raise_to = np.maximum(f.rd_propensity[rows, cols], thr) / np.maximum(1.0 + self.p["hte_real_rd_uplift"][rows, 0]
                                                                             * f.hte[rows, cols], 1.0)
        f.rd_propensity[rows, cols] = np.maximum(f.rd_propensity[rows, cols], raise_to)
        f.prepared[rows, cols] = True
        f.other_ip[rows, cols] = np.maximum(f.other_ip[rows, cols], mech.PREPARED_OTHER_IP)
        f.tech_share[rows, cols] = np.maximum(f.tech_share[rows, cols], mech.HTE_TECH_STAFF_MIN)
        f.hightech_share[rows, cols] = np.maximum(f.hightech_share[rows, cols], mech.HTE_HIGHTECH_REVENUE_MIN)
        need = mech.capability_needed(f.inventions[rows, cols], f.other_ip[rows, cols], f.growth_pts[rows, cols])
        f.capability[rows, cols] = np.minimum(50.0, np.maximum(f.capability[rows, cols], need))

    def major_projects(self, u: np.ndarray) -> None:
        """Each January, major projects and relocated plants (招商引资重大项目) enter the official zones: Poisson in
        number with mean `major_project_share` × the zone's output / a project's mean revenue; each an
        established firm (five years old) with lognormal revenue around `major_project_revenue` (log-sd 1) and
        an entrant's traits [assumptions, calibrated to zone output histories where they exist]."""
        f, p = self.state.firms, self.state.params
        out_z = self.zsum(f.revenue * f.alive)  # M RMB
        mean_rev = p["major_project_revenue"] * np.exp(0.5 * MAJOR_PROJECT_SIGMA ** 2)
        lam = p["major_project_share"][:, None] * out_z / mean_rev[:, None] * self.official_zones()
        k = mech.poisson_exact(u, lam)
        run_idx, zone_idx, slot = self._claim_slots(k, f.next_free, f.capacity)
        if slot.size == 0:
            return
        self.ensure_width(int(slot.max()) + 1)
        nd = self.activate_entrants(run_idx, zone_idx, slot, slot - self.n0[run_idx])
        rev = np.exp(np.log(p["major_project_revenue"][run_idx]) + MAJOR_PROJECT_SIGMA * nd[:, 0].astype(np.float64))
        where = (run_idx, slot)
        f.revenue[where] = rev
        f.revenue_year_start[where] = rev
        f.age[where] = 60.0
        f.employees[where] = np.maximum(3.0, rev / f.productivity[where])
        rd = f.rd_propensity[where] * np.minimum(1.0, np.power(rev / 10.0, -self.state.rd_gamma[run_idx]))
        f.rd_propensity[where] = rd
        f.rd_real[where] = rd
        f.rd_reported[where] = rd
        self.set_rates(where)
        placed = np.bincount(run_idx * self.Z + zone_idx, minlength=self.B * self.Z).reshape(self.B, self.Z)
        self.flows["entries"] += placed
        self.alive_z += placed

    def count_institution_drivers(self) -> None:
        """What each organisation type forms in proportion to (counted each January): engineering centres per
        HTE, technology centres per firm over 100M, new-type institutions, platforms and venture funds per
        zone, S&T service and finance organisations per 100 firms [assumed drivers]."""
        f = self.state.firms
        ones = np.ones((self.B, self.Z))
        per_100 = self.alive_z / 100.0
        drivers = {ENG: self.zcount(f.hte), TECH: self.zcount(f.alive & (f.revenue >= 100.0)), NEW_RD: ones,
                   PLATFORM: ones, SERVICE: per_100, FINANCE: per_100, FUND: ones}
        self.institution_drivers = np.stack([drivers[t] for t in range(N_INST_TYPES)], axis=2)

    def decide_rd(self) -> None:
        """This year's real R&D (own propensity, certification uplift, subsidies) and what firms report:
        those that meet every other HTE criterion relabel up to their band's threshold when within reach."""
        f, p = self.state.firms, self.p
        rate = np.zeros((self.B, self.W), np.float32)
        for lever in self.ledger.active_of_kind("rd_subsidy"):
            rate += float(lever.get("rate")) * self.eligible(lever.get("eligible"), lever.scope)
        f.rd_real = mech.rd_decision(f.rd_propensity, f.hte, rate, f.voucher_intensity, p).astype(np.float32)
        crit = mech.hte_criteria_except_rd(f.age, f.inventions, f.other_ip, f.tech_share, f.hightech_share,
                                           f.capability, f.growth_pts)
        f.rd_reported = mech.reported_rd(f.rd_real, f.revenue, crit | f.hte, f.relabeller, p["relabel_max"])

    def eligible(self, who: str | None, scope: str) -> np.ndarray:
        """(runs, slots) firms a lever may pay: by status (HTE, listed tech SME, all) and by zone scope."""
        f = self.state.firms
        status = {"hte": f.hte, "tech_sme": f.tech_sme}.get(who or "all", np.ones_like(f.alive))
        return f.alive & status & self.firm_in_scope(scope)

    def firm_in_scope(self, scope: str) -> np.ndarray:
        return self.firm_official if scope == "zones" else np.ones((self.B, self.W), bool)

    def entry(self, m: int, u_entry: np.ndarray) -> None:
        """New firms per zone: Poisson at the entry rate times the zone's stock (higher in national zones),
        plus maker-space teams that incorporate (teams per space × yearly incorporation rate)."""
        f, p = self.state.firms, self.state.params
        alive_z = self.alive_z
        rate = p["entry_rate"][:, None] * (1.0 + p["national_zone_attraction"][:, None]
                                           * (self.state.zone_level == NATIONAL))
        inc = self.state.incubators
        teams = self.isum(inc.maker_space) * p["teams_per_maker_space"][:, None] * p["team_incorporation"][:, None]
        lam = (rate * alive_z + teams) / 12.0  # every area, the rest of the region included
        k = mech.poisson_exact(u_entry, lam)
        run_idx, zone_idx, slot = self._claim_slots(k, f.next_free, f.capacity)
        if slot.size == 0:
            return
        self.ensure_width(int(slot.max()) + 1)
        self.activate_entrants(run_idx, zone_idx, slot, slot - self.n0[run_idx])
        placed = np.bincount(run_idx * self.Z + zone_idx, minlength=self.B * self.Z).reshape(self.B, self.Z)
        self.flows["entries"] += placed
        self.alive_z += placed

    def activate_entrants(self, run_idx: np.ndarray, zone_idx: np.ndarray, slot: np.ndarray,
                          ordinal: np.ndarray) -> np.ndarray:
        """Give new firms their traits (entrant k of a run always draws the same: common random numbers) and
        a young firm's state: small revenue, no IP, no certificate. Returns the entrants' trait normals."""
        f, s = self.state.firms, self.state
        nd, uu = self.streams.entrant_draws(run_idx, ordinal)
        q = {k: v[run_idx] for k, v in s.quantities.items()}
        par = {k: v[run_idx] for k, v in s.params.items()}
        t = latent_traits(nd, uu, q, par)
        where = (run_idx, slot)
        rev = np.exp(np.log(ENTRANT_MEDIAN_REVENUE) + ENTRANT_REVENUE_SIGMA * nd[:, 0].astype(np.float64))
        f.alive[where] = True
        f.zone[where] = zone_idx
        self.flat_zone[where] = zone_idx + run_idx * self.Z
        self.firm_official[where] = self.official_zones()[run_idx, zone_idx]
        f.age[where] = 0.0
        f.revenue[where] = rev
        f.revenue_year_start[where] = rev
        f.growth_factor[where] = np.exp(par["growth_mean"] / 12.0)
        f.productivity[where] = t["productivity"]
        f.employees[where] = np.maximum(3.0, rev / t["productivity"])
        rd = t["rd_propensity"] * np.minimum(1.0, np.power(np.maximum(rev, 1e-6) / 10.0, -s.rd_gamma[run_idx])) \
            * s.rd_level_scale[run_idx]
        f.rd_propensity[where] = rd
        f.rd_real[where] = rd
        f.rd_reported[where] = rd
        t["capability"] = np.clip(t["capability"] + s.capability_shift[run_idx], 0.0, 50.0)  # the run's calibration
        for name in ("tech_share", "hightech_share", "capability", "relabeller", "hightech_industry",
                     "strategic_emerging"):
            getattr(f, name)[where] = t[name]
        f.industry[where] = industry_of(t["hightech_industry"], t["strategic_emerging"], uu[:, 1],
                                        s.industry_mix[run_idx, zone_idx])
        f.revenue_ago2[where] = 0.0  # no history: not a gazelle for its first three years
        f.revenue_ago3[where] = 0.0
        for name in ("inventions", "other_ip", "growth_pts", "voucher_intensity", "hte_expiry", "tenancy"):
            getattr(f, name)[where] = 0
        for name in ("hte", "hte_ever", "tech_sme", "tenant", "prepared", "rd_centre"):
            getattr(f, name)[where] = False
        self.set_rates(where)
        return nd

    def _claim_slots(self, k: np.ndarray, next_free: np.ndarray, capacity: np.ndarray) -> tuple:
        """Run, zone and slot of each newcomer: runs in order, zones in order, slots taken in sequence.
        Newcomers beyond the capacity are counted as overflow (an invariant violation, reported)."""
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

    def set_rates(self, where: tuple | None = None) -> None:
        """Each firm's monthly exit probability and patent rate, fixed for the year (set each January and
        at entry): hazards move with age and size slowly enough that a yearly update is accurate."""
        f, p = self.state.firms, self.p
        if where is None:
            where = np.s_[:, :]
            run = np.arange(self.B)[:, None]
        else:
            run = where[0]
        h = mech.exit_hazard_year(f.age[where], f.revenue[where], p["exit_hazard_peak"][run, 0],
                                  p["exit_hazard_old"][run, 0], p["exit_size_elasticity"][run, 0])
        f.exit_month[where] = mech.monthly_from_yearly(h)
        inst_z = self.state.institutions[:, :, :N_RD_TYPES].sum(axis=(2, 3))
        spill = np.exp(p["institution_spillover"] * np.log1p(inst_z)).ravel()[self.flat_zone[where]]
        f.patent_rate[where] = (p["patent_k"][run, 0] * p["patent_grant_share"][run, 0] * f.rd_real[where] / 12.0
                                * spill)
        # invention applications that will not be granted, per zone and month (set yearly, like the rates)
        share = np.maximum(self.p["patent_grant_share"], 1e-6)
        self.refused_rate = self.zsum(f.patent_rate * f.revenue * f.alive) * ((1.0 - share) / share)

    def exit(self, u: np.ndarray) -> None:
        f = self.state.firms
        hazard = np.where(f.hte, f.exit_month * self.p["hte_exit_factor"], f.exit_month)  # holders are sturdier
        idx = np.flatnonzero(f.alive & (u < hazard))
        bins = self.flat_zone.ravel()[idx]
        exits = np.bincount(bins, minlength=self.B * self.Z).reshape(self.B, self.Z).astype(np.float64)
        self.flows["exits"] += exits
        self.alive_z -= exits
        had = f.hte.ravel()[idx]
        self.flows["hte_lapsed"] += np.bincount(bins[had], minlength=self.B * self.Z).reshape(self.B, self.Z)
        for arr in (f.alive, f.hte, f.tenant, f.tech_sme):
            arr.ravel()[idx] = False
        f.revenue.ravel()[idx] = 0.0

    def patents(self, u: np.ndarray, u_refused: np.ndarray) -> None:
        """Invention patents each month: Poisson on real R&D spending (k applications per 1M RMB, the granted
        share held), raised by nearby institutions. Applications count the granted ones plus those that will
        be refused (a zone-level Poisson); the examination delay is not modelled (grants count when filed)."""
        f = self.state.firms
        granted = mech.poisson_from_uniform(u, f.patent_rate * f.revenue.astype(np.float32))
        f.inventions += granted
        hit = np.flatnonzero(granted)  # few firms patent in a month: sum over them only
        grants_z = np.bincount(self.flat_zone.ravel()[hit], weights=granted.ravel()[hit],
                               minlength=self.B * self.Z).reshape(self.B, self.Z)
        self.flows["invention_grants"] += grants_z
        self.flows["invention_applications"] += grants_z + mech.poisson_exact(u_refused, self.refused_rate)

    def _base_year_draws(self) -> None:
        """The base year's invention applications and grants, drawn from the base-year rates (so that
        multiples and growth of these yearly flows have a base); the base year's technology-contract shocks;
        the fiscal S&T spending of the base year, spread over zones by their output."""
        f, s = self.state.firms, self.state
        u = self.streams.monthly64(3 * self.Z)
        grants = self.zsum(f.patent_rate * f.revenue * f.alive) * 12.0
        g = mech.poisson_exact(u[:, : self.Z], grants)
        self.flows["invention_grants"] += g
        refused = mech.poisson_exact(u[:, self.Z: 2 * self.Z], 12.0 * self.refused_rate)
        self.flows["invention_applications"] += g + refused
        self.contract_shock = self._lognormal_shock(u[:, 2 * self.Z:])
        self.contract_trend = np.ones((self.B, 1))
        out = self.zsum(f.revenue * f.alive)
        share = out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
        self.fiscal_path = s.quantities.get("fiscal_st_base_year", np.zeros(self.B))[:, None] * share

    def _lognormal_shock(self, u: np.ndarray) -> np.ndarray:
        sd = self.state.params["tech_contract_sd"][:, None]
        z = special.ndtri(np.clip(u, 1e-9, 1 - 1e-9))
        return np.exp(sd * z - 0.5 * sd * sd)  # mean 1

    def year_end_draws(self) -> None:
        """Each year end: this year's technology-contract shocks per zone and the growth of the region's own
        fiscal S&T spending (one draw per run: the budget is region-wide)."""
        p = self.state.params
        u = self.streams.monthly64(self.Z + 1)
        self.contract_shock = self._lognormal_shock(u[:, : self.Z])
        self.contract_trend = self.contract_trend * (1.0 + p["tech_contract_trend"][:, None])
        g = p["fiscal_st_growth"] + p["fiscal_st_growth_sd"] * special.ndtri(np.clip(u[:, -1], 1e-9, 1 - 1e-9))
        self.fiscal_path = self.fiscal_path * np.maximum(1.0 + g, 0.0)[:, None]

    def other_ip(self, u: np.ndarray) -> None:
        """Other IP rights (utility models, software copyrights), accrued once a year: Poisson at 1.8 times
        the invention rate (0.45 vs 0.25 applications per 1M RMB of R&D, DOMAIN §3)."""
        f = self.state.firms
        lam = 1.8 * 12.0 / np.maximum(self.p["patent_grant_share"], 1e-6) * f.patent_rate * f.revenue.astype(np.float32)
        f.other_ip += mech.poisson_from_uniform(u, lam * f.alive)

    def incubator_places(self) -> np.ndarray:
        inc = self.state.incubators
        return self.isum(inc.area * ~inc.maker_space) * self.state.params["tenants_per_1000m2"][:, None] / 1000.0

    def tenancy(self, u: np.ndarray) -> None:
        """Graduation (HTE, revenue ≥ 10M or 48 months) and entry of young firms into free places."""
        f = self.state.firms
        flat = self.flat_zone.ravel()
        nzb = self.B * self.Z
        ten = np.flatnonzero(f.tenant)  # tenants and young firms are few: work on their indices
        tenancy = f.tenancy.ravel()
        tenancy[ten] += 1
        grad = f.hte.ravel()[ten] | (f.revenue.ravel()[ten] >= mech.GRADUATION_REVENUE) \
            | (tenancy[ten] >= mech.MAX_TENANCY_MONTHS)
        f.tenant.ravel()[ten[grad]] = False
        stay = np.bincount(flat[ten[~grad]], minlength=nzb).reshape(self.B, self.Z)
        free = np.maximum(self.incubator_places() - stay, 0.0)
        young = np.flatnonzero(f.age <= mech.MAX_ENTRY_AGE_MONTHS)
        ok = (f.alive.ravel()[young] & ~f.tenant.ravel()[young] & self.firm_official.ravel()[young]
              & (f.revenue.ravel()[young] < mech.GRADUATION_REVENUE))
        cand = young[ok]
        demand = np.bincount(flat[cand], minlength=nzb).reshape(self.B, self.Z)
        prob = np.minimum(self.state.params["incubation_entry_prob"][:, None], free / np.maximum(demand, 1.0))
        enter = cand[u.ravel()[cand] < prob.ravel()[flat[cand]]]
        f.tenant.ravel()[enter] = True
        tenancy[enter] = 0
        # incubation services (training, IP and certification advice) add to a tenant's capability for good
        boost = self.state.params["incubation_capability_boost"][enter // self.W]
        f.capability.ravel()[enter] = np.minimum(50.0, f.capability.ravel()[enter] + boost)

    def incubator_dynamics(self, m: int, u_inc: np.ndarray, u_ms: np.ndarray, u_close: np.ndarray) -> None:
        """Closures; new maker spaces at once; new incubators after the construction delay, faster with a
        construction subsidy."""
        inc, p = self.state.incubators, self.state.params
        close = inc.alive & (u_close < mech.monthly_from_yearly(p["incubator_closure"])[:, None])
        inc.alive &= ~close
        inc.months += inc.alive
        official = self.official_zones()
        boost = np.zeros((self.B, self.Z))
        for lever in self.ledger.active_of_kind("incubator_subsidy"):
            per_m2 = float(lever.get("per_m2"))
            boost += self.in_scope_zone(lever.scope) * per_m2 / p["construction_cost_per_m2"][:, None]
        boost = np.minimum(boost, 1.0)  # beyond the full cost a subsidy builds no more incubators
        lam_inc = p["incubator_formation"][:, None] / 12.0 * (1.0 + p["construction_subsidy_elasticity"][:, None]
                                                                * boost) * official
        lam_ms = p["maker_space_formation"][:, None] / 12.0 * official
        self.add_incubators(mech.poisson_exact(u_ms, lam_ms), maker_space=True)
        k_inc = mech.poisson_exact(u_inc, lam_inc)
        if k_inc.any():
            self._after(self.env, m, int(self.sc.cal("incubator_construction_months")), 0.2,
                        lambda k=k_inc: self.add_incubators(k, maker_space=False))

    def add_incubators(self, k: np.ndarray, maker_space: bool) -> None:
        inc = self.state.incubators
        if not k.any():
            return
        run_idx, zone_idx, slot = self._claim_slots(k, inc.next_free, np.full(self.B, self.I))
        area = (MAKER_SPACE_AREA if maker_space else INCUBATOR_NEW_AREA) * inc.area_draw[run_idx, slot]
        inc.alive[run_idx, slot] = True
        inc.zone[run_idx, slot] = zone_idx
        inc.maker_space[run_idx, slot] = maker_space
        inc.level[run_idx, slot] = 1
        inc.area[run_idx, slot] = area
        inc.months[run_idx, slot] = 0
        if maker_space:
            return
        for lever in self.ledger.active_of_kind("incubator_subsidy"):
            claims = np.zeros((self.B, self.I))
            in_scope = self.in_scope_zone(lever.scope)[run_idx, zone_idx]
            claims[run_idx, slot] = area * float(lever.get("per_m2")) * in_scope
            self.ledger.pay(lever.id, claims, inc.zone)

    def institution_formation(self, u: np.ndarray) -> None:
        """New organisations per zone and type, at municipal level, Poisson at the type's rate times its driver
        (`count_institution_drivers`), raised by founding awards for the types a lever names. They form in
        official zones; enterprise centres (engineering, technology) also in candidate parks, whose firms
        need them to meet entry conditions."""
        p = self.state.params
        rates = np.stack([p[f"{name}_formation"] for name in INST_TYPES], axis=1)[:, None, :]
        award = np.zeros((self.B, self.Z, N_INST_TYPES))
        levers = self.ledger.active_of_kind("institution_award")
        for lever in levers:
            award += self.in_scope_zone(lever.scope)[:, :, None] * float(lever.get("amount")) * self.award_types(lever)
        factor = 1.0 + p["founding_award_elasticity"][:, None, None] * award / 1e6
        where = np.repeat(self.official_zones()[:, :, None], N_INST_TYPES, axis=2)
        where[:, :, [ENG, TECH]] |= (self.state.zone_level == CANDIDATE)[:, :, None]
        lam = rates * self.institution_drivers * factor / 12.0 * where
        k = mech.poisson_exact(u, lam)
        self.state.institutions[:, :, :, 0] += k
        if levers and k.any():
            zone = np.repeat(np.arange(self.Z)[None, :], self.B, axis=0)
            for lever in levers:
                claims = (k * self.award_types(lever)).sum(axis=2) * float(lever.get("amount")) \
                    * self.in_scope_zone(lever.scope)
                self.ledger.pay(lever.id, claims, zone)

    @staticmethod
    def award_types(lever: Any) -> np.ndarray:
        """(types,) 1 for the organisation types a founding award pays for (default: the R&D institutions)."""
        names = lever.get("types") or INST_TYPES[:N_RD_TYPES]
        return np.array([name in names for name in INST_TYPES], dtype=float)

    def pay_rd_subsidies(self) -> None:
        f = self.state.firms
        for lever in self.ledger.active_of_kind("rd_subsidy"):
            elig = self.eligible(lever.get("eligible"), lever.scope) & (f.rd_real > 0)
            claims = float(lever.get("rate")) * f.rd_real * f.revenue * 1e6 / 12.0 * elig
            self.ledger.pay(lever.id, claims, f.zone)

    # --- certification, listing, upgrades ---------------------------------------------------------------------
    def _calibrate_patents(self) -> None:
        """With `invention_applications_base_year`, scale each run's applications per 1M RMB of R&D
        (`patent_k`) so that the base year's expected applications, region-wide, equal it."""
        s, f = self.state, self.state.firms
        target = s.quantities.get("invention_applications_base_year")
        s.patent_k_factor = np.ones(self.B)
        if target is None:
            return
        grants = mech.row_sum(f.patent_rate * f.revenue * f.alive) * 12.0
        expected = grants / np.maximum(s.params["patent_grant_share"], 1e-6)
        s.patent_k_factor = target / np.maximum(expected, 1e-9)
        s.params["patent_k"] = s.params["patent_k"] * s.patent_k_factor
        self.p["patent_k"] = s.params["patent_k"][:, None].astype(np.float32)
        self.set_rates()

    def _calibrate_applications(self) -> None:
        """The check of the base-year calibration (the capability shift, `sim.model.population`): the expected
        certifications of the first year from the state the run starts with, and how far they fall short of
        `hte_certified_base_year` (`calibration_gap`, 0 when the calibration succeeded)."""
        s, f = self.state, self.state.firms
        s.hte_apply_year = s.params["hte_apply_rate"].copy()
        flow = s.quantities.get("hte_certified_base_year")
        if flow is None:
            return
        eligible = f.alive & self._eligible_now()
        pool = (eligible & ~f.hte).sum(axis=1)
        due = (eligible & f.hte & (f.hte_expiry <= 12)).sum(axis=1)  # certificates ending in the first year
        near = self.preparable_now().sum(axis=1)
        pr = s.params
        expected = pr["hte_pass_rate"] * (s.hte_apply_year * pool + s.prepare_year * near + pr["hte_renew_apply"] * due)
        s.calibration_gap = np.maximum(flow - expected, 0.0)

    def _eligible_now(self) -> np.ndarray:
        f = self.state.firms
        crit = mech.hte_criteria_except_rd(f.age, f.inventions, f.other_ip, f.tech_share, f.hightech_share,
                                           f.capability, f.growth_pts)
        return crit & (f.rd_reported >= mech.rd_threshold(f.revenue))

    def certification_round(self, m: int) -> None:
        """An HTE round: eligible firms apply (more when an award is on offer), a share pass; certificates
        run 36 months; holders re-apply in their last year. Awards are paid within the lever's budget."""
        f, p, s = self.state.firms, self.p, self.state
        u = self.streams.monthly(3, self.W)
        eligible = f.alive & self._eligible_now()
        new_cand = eligible & ~f.hte
        to_expiry = f.hte_expiry.astype(np.int64) - m
        renew_cand = eligible & f.hte & (to_expiry >= 0) & (to_expiry < self.months_to_next_round(m))
        at = np.nonzero(new_cand | renew_cand)  # applicants are few: work on them only
        run = at[0]
        levers = self.ledger.active_of_kind("hte_award")
        scopes = [self.firm_in_scope(lever.scope)[at] for lever in levers]
        award_new = sum((sc * float(lv.get("amount_new")) for lv, sc in zip(levers, scopes, strict=True)),
                        np.zeros(run.size))
        award_renew = sum((sc * float(lv.get("amount_renewal")) for lv, sc in zip(levers, scopes, strict=True)),
                          np.zeros(run.size))
        rev, ever, renewing = f.revenue[at], f.hte_ever[at], renew_cand[at]
        sub = {k: v[run, 0] for k, v in p.items()}
        n_rounds = len(self.rounds)
        p_new = mech.apply_probability(s.hte_apply_year[run], n_rounds, np.where(ever, award_renew, award_new),
                                       rev, sub)
        p_new = np.where(f.prepared[at], 1.0, p_new)  # a firm that prepared applies at the next round
        p_renew = mech.apply_probability(s.params["hte_renew_apply"][run], n_rounds, award_renew, rev, sub)
        ua, up = u[:, 0][at], u[:, 1][at]
        cert_c = (ua < np.where(renewing, p_renew, p_new)) & (up < sub["hte_pass_rate"])
        first_c, again_c = cert_c & ~ever, cert_c & ever
        cert = np.zeros((self.B, self.W), bool)
        cert[at] = cert_c
        first = np.zeros_like(cert)
        first[at] = first_c
        again = cert & ~first
        self.flows["hte_new"] += self.zcount(first)
        self.flows["hte_renewed"] += self.zcount(again)
        f.hte |= cert
        f.hte_ever |= cert
        f.hte_expiry[cert] = m + mech.HTE_VALID_MONTHS
        f.prepared[at] = False  # applied: certified or not, the preparation is spent
        for lever, scope in zip(levers, scopes, strict=True):
            claims = np.zeros((self.B, self.W))
            claims[at] = (first_c * float(lever.get("amount_new")) + again_c * float(lever.get("amount_renewal"))) \
                * scope
            self.ledger.pay(lever.id, claims, f.zone, order=u[:, 2])

    def months_to_next_round(self, m: int) -> int:
        """Months from round month m to the next round: a holder renews at the last round before its
        certificate ends (certificates are issued at rounds, so they end at one)."""
        cm = self.month_of_year(m)
        later = [r for r in self.rounds if r > cm]
        return (later[0] - cm) if later else (12 - cm + self.rounds[0])

    def tech_sme_listing(self, m: int) -> None:
        f = self.state.firms
        u = self.streams.monthly(1, self.W)[:, 0]
        ok = mech.tech_sme_qualifies(f.employees, f.revenue, f.tech_share, f.rd_reported, f.inventions, f.other_ip)
        f.tech_sme = f.alive & ok & (u < self.p["tech_sme_list_prob"])

    def upgrade_applications(self, env: simpy.Environment, m: int) -> None:
        """Yearly: each zone's chance of moving up a level is logistic in its readiness (municipal → provincial,
        provincial → national); a candidate park applies once it meets the scenario's entry conditions (and
        the creation start date) and is established at the scenario's level. Decisions take effect after the
        review delay."""
        s, p = self.state, self.state.params
        u = self.streams.monthly64(self.Z)
        hte_z = self.zcount(s.firms.hte)
        out_z = self.zsum(s.firms.revenue * s.firms.alive) / 100.0
        lv = s.zone_level
        r_nat = mech.readiness(hte_z, out_z, s.refs["national_hte"][:, None], s.refs["national_output"][:, None])
        r_entry = mech.readiness(hte_z, out_z, s.refs["entry_hte"][:, None], s.refs["entry_output"][:, None])
        base = p["upgrade_base_rate"][:, None]
        slope = p["upgrade_slope"][:, None]
        creation = self.sc.zone_creation
        establish = np.zeros((self.B, self.Z), bool)
        if creation is not None and m >= creation.first_month:
            establish = (lv == CANDIDATE) & self.meets_conditions(creation.conditions)
        if creation is not None and creation.conditions:  # the conditions are the bar: meeting them is enough
            p_establish = np.broadcast_to(p["establish_approval"][:, None], (self.B, self.Z))
        else:
            p_establish = mech.upgrade_probability(r_entry, p["establish_base_rate"][:, None],
                                                   p["establish_slope"][:, None])
        prob = np.select([lv == PROVINCIAL, lv == MUNICIPAL, establish],
                         [mech.upgrade_probability(r_nat, base, slope),
                          mech.upgrade_probability(r_entry, base, slope), p_establish], 0.0)
        created = LEVEL_CODE[creation.level] if creation is not None else PROVINCIAL
        new_level = np.select([lv == PROVINCIAL, lv == MUNICIPAL, lv == CANDIDATE], [NATIONAL, PROVINCIAL,
                                                                                     created], lv)
        approved = (u < prob) & ~s.zone_pending & (new_level != lv)
        for delay, which in ((int(self.sc.cal("upgrade_review_months")), approved & (lv != CANDIDATE)),
                             (creation.review_months if creation else 0, approved & (lv == CANDIDATE))):
            if which.any():
                s.zone_pending |= which
                self._after(env, m, delay, 0.6, lambda w=which: self._decide(w, new_level))

    def _decide(self, approved: np.ndarray, new_level: np.ndarray) -> None:
        s = self.state
        s.zone_level = np.where(approved, new_level, s.zone_level).astype(np.int8)
        s.zone_pending &= ~approved
        self.firm_official = self.per_firm(self.official_zones())

    def meets_conditions(self, conditions: tuple[tuple[str, float], ...]) -> np.ndarray:
        """(runs, zones) zones whose own indicators reach every entry condition now."""
        from sim.measure.targets import per_zone_series

        ok = np.ones((self.B, self.Z), bool)
        if not conditions:
            return ok
        now = self.fields(take_flows=False)[:, None]
        for name, at_least in conditions:
            ok &= np.nan_to_num(per_zone_series(name, now)[:, 0], nan=-np.inf) >= at_least
        return ok

    # --- year end -----------------------------------------------------------------------------------------
    def recognition(self) -> None:
        """Yearly level recognition of incubators (criteria of DOMAIN §4) and of municipal institutions."""
        inc, s, p = self.state.incubators, self.state, self.state.params
        u = self.streams.monthly64(self.I + self.Z * 2)
        occupancy = self.zcount(s.firms.tenant) / np.maximum(self.incubator_places(), 1e-9)
        occ = np.take_along_axis(occupancy, inc.zone.astype(np.int64), axis=1)
        ui = u[:, : self.I]
        real = inc.alive & ~inc.maker_space
        to_prov = real & (inc.level == 1) & (inc.months >= 24) & (inc.area >= 5000) & (occ >= 0.6) \
            & (ui < p["recognition_provincial"][:, None])
        to_nat = real & (inc.level == 2) & (inc.months >= 36) & (inc.area >= 10000) & (occ >= 0.75) \
            & (ui < p["recognition_national"][:, None])
        ms = inc.alive & inc.maker_space  # maker spaces: recognised after a year running, national after two more
        ms_prov = ms & (inc.level == 1) & (inc.months >= 12) & (ui < p["maker_space_recognition_provincial"][:, None])
        ms_nat = ms & (inc.level == 2) & (inc.months >= 24) & (ui < p["maker_space_recognition_national"][:, None])
        inc.level = np.where(to_nat | ms_nat, 3, np.where(to_prov | ms_prov, 2, inc.level)).astype(np.int8)
        for lever in self.ledger.active_of_kind("incubator_subsidy"):
            scope = np.take_along_axis(self.in_scope_zone(lever.scope), inc.zone.astype(np.int64), axis=1)
            claims = (to_prov * float(lever.get("award_provincial")) + to_nat * float(lever.get("award_national")))
            self.ledger.pay(lever.id, claims * scope, inc.zone)
        municipal = s.institutions[:, :, [ENG, TECH], 0]
        uz = u[:, self.I:].reshape(self.B, self.Z, 2)
        up = stats.binom.ppf(uz, municipal, p["institution_recognition"][:, None, None]).astype(np.int64)
        s.institutions[:, :, [ENG, TECH], 0] -= up
        s.institutions[:, :, [ENG, TECH], 1] += up

    def attach_centres(self) -> None:
        """Each year end (and at the start), a zone's enterprise R&D centres (engineering and technology
        centres, any level) not yet hosted by a living firm go to its above-size firms without one, larger
        firms first: key log S + a logistic draw [assumption]. A centre whose firm exited moves to another."""
        f = self.state.firms
        centres = self.state.institutions[:, :, [ENG, TECH]].sum(axis=(2, 3))
        need = np.maximum(centres - self.zcount(f.rd_centre & f.alive), 0).ravel()
        u = self.streams.monthly(1, self.W)[:, 0].astype(np.float64)
        cand = np.flatnonzero(f.alive & ~f.rd_centre & (f.revenue >= mech.ABOVE_SIZE_REVENUE))
        if cand.size == 0 or not need.any():
            return
        zone = self.flat_zone.ravel()[cand]
        noise = np.log(np.clip(u.ravel()[cand], 1e-12, 1.0)) - np.log1p(-np.clip(u.ravel()[cand], 0.0, 1 - 1e-12))
        order = np.lexsort((-(np.log(f.revenue.ravel()[cand]) + noise), zone))
        zone, cand = zone[order], cand[order]
        first = np.searchsorted(zone, zone, side="left")
        take = (np.arange(zone.size) - first) < need[zone]
        f.rd_centre.ravel()[cand[take]] = True

    def snapshot(self, m: int) -> None:
        year_end = self.month_of_year(m) == 12
        if year_end:
            self.recognition()
            self.attach_centres()
            self.year_end_draws()
        self._record(m, take_flows=year_end)

    def _record(self, m: int, take_flows: bool = True) -> None:
        idx = self.snap_index[m]
        self.snapshots[:, idx] = self.fields(take_flows)
        self.zone_levels[:, idx] = self.state.zone_level
        if self.check:
            self.check_invariants(idx, m)
        if take_flows:
            for v in self.flows.values():
                v[:] = 0.0
            if 0 < m < self.sc.months:  # the fiscal year turns with the statistical year
                self.ledger.new_year(m // 12)

    def fields(self, take_flows: bool) -> np.ndarray:
        """The per-zone sums of `sim.measure.indicators.FIELDS`, shape (runs, zones, fields)."""
        s, f, inc = self.state, self.state.firms, self.state.incubators
        a = f.alive
        rev = f.revenue * a
        va = rev * self.va_ratio
        above = a & (f.revenue >= mech.ABOVE_SIZE_REVENUE)
        hte = f.hte & a
        real_inc = ~inc.maker_space
        fiscal = self.ledger.take_zone_flow() if take_flows else self.ledger.zone_flow.copy()
        inst = s.institutions.sum(axis=3)
        clusters = self.cluster_counts(rev, hte)
        rd_real = self.zsum(f.rd_real * rev) / 100.0
        gazelle = self.gazelles()
        values = {
            "firms": self.zcount(a), "hte": self.zcount(hte), "tech_sme": self.zcount(f.tech_sme & a),
            "firms_over_100m": self.zcount(a & (f.revenue >= 100.0)),
            "hte_over_1bn": self.zcount(hte & (f.revenue >= 1000.0)),
            "hte_over_10bn": self.zcount(hte & (f.revenue >= 10000.0)), "above_size": self.zcount(above),
            "output": self.zsum(rev) / 100.0, "value_added": self.zsum(va) / 100.0,
            "gdp": self.zsum(va) / 100.0 / self.industry_share,
            "above_size_va": self.zsum(va * above) / 100.0,
            "hightech_va": self.zsum(va * above * f.hightech_industry) / 100.0,
            "sei_va": self.zsum(va * f.strategic_emerging) / 100.0,
            "above_size_output": self.zsum(rev * above) / 100.0,
            "hightech_product_output": self.zsum(rev * above * f.hightech_share) / 100.0,
            "rd_real": rd_real, "rd_reported": self.zsum(f.rd_reported * rev) / 100.0,
            "tech_contracts": self.state.params["tech_contract_ratio"][:, None] * rd_real * self.contract_shock
            * self.contract_trend + self.state.params["tech_contract_per_hte"][:, None] * self.zcount(hte)
            * self.contract_trend + self.state.params["new_rd_tech_income"][:, None] * inst[:, :, NEW_RD],
            "high_growth_firms": self.zcount(gazelle), "firms_over_500m": self.zcount(a & (f.revenue >= 500.0)),
            "firms_over_500m_with_rd_centre": self.zcount(a & f.rd_centre & (f.revenue >= 500.0)),
            **clusters,
            "invention_patents": self.zsum(f.inventions * a), "population": s.zone_population,
            "incubators": self.isum(real_inc), "incubators_national": self.isum(real_inc & (inc.level == 3)),
            "incubators_provincial_plus": self.isum(real_inc & (inc.level >= 2)),
            "incubator_area": self.isum(inc.area * real_inc), "incubator_tenants": self.zcount(f.tenant & a),
            "maker_spaces": self.isum(inc.maker_space),
            "maker_spaces_national": self.isum(inc.maker_space & (inc.level == 3)),
            "maker_spaces_provincial_plus": self.isum(inc.maker_space & (inc.level >= 2)),
            "eng_centres_prov": s.institutions[:, :, ENG, 1], "tech_centres_prov": s.institutions[:, :, TECH, 1],
            "new_rd_institutions": inst[:, :, NEW_RD], "platforms": inst[:, :, PLATFORM],
            "service_orgs": inst[:, :, SERVICE], "finance_orgs": inst[:, :, FINANCE], "venture_funds": inst[:, :, FUND],
            "institutions": inst[:, :, :N_RD_TYPES].sum(axis=2),
            **self.flows, "hte_certified": self.flows["hte_new"] + self.flows["hte_renewed"],
            "fiscal_cost": fiscal / 1e4, "fiscal_st": self.fiscal_path + fiscal / 1e4,
        }
        out = np.empty((self.B, self.Z, len(FIELDS)))
        for name, i in FIELD_INDEX.items():
            out[:, :, i] = values[name]
        return out

    def cluster_counts(self, rev: np.ndarray, hte: np.ndarray) -> dict[str, np.ndarray]:
        """Per zone, industries by size (clusters of 100, 500, 1,000亿 output), innovative clusters (≥ 100亿 and
        ≥ 10 HTEs) and distinctive strategic-emerging industries (≥ 20% of the zone's output)."""
        f = self.state.firms
        K = N_INDUSTRIES
        idx = (self.flat_zone * K + f.industry).ravel()
        n = self.B * self.Z * K
        out = np.bincount(idx, weights=rev.ravel(), minlength=n).reshape(self.B, self.Z, K) / 100.0
        hte_k = np.bincount(idx[np.flatnonzero(hte)], minlength=n).reshape(self.B, self.Z, K)
        emerging = (np.arange(K) // 2) % 2 == 1  # industry k is in sector group k // 2 = 2·high-tech + emerging
        total = out.sum(axis=2, keepdims=True)
        counts = {f"clusters_{int(size)}": (out >= size).sum(axis=2).astype(float) for size in CLUSTER_SIZES}
        counts["innovative_clusters"] = ((out >= CLUSTER_SIZES[0]) & (hte_k >= INNOVATIVE_CLUSTER_HTE)).sum(axis=2)
        counts["sei_clusters"] = (emerging & (out >= DISTINCTIVE_SHARE * total) & (total > 0)).sum(axis=2)
        return counts

    def check_invariants(self, idx: int, m: int) -> None:
        """Stop on the first run that breaks a rule of the model, naming its index and seed for replay."""
        snap = self.snapshots[:, idx]
        f = self.state.firms
        bad: dict[int, str] = {}

        def flag(mask: np.ndarray, what: str) -> None:
            for b in np.flatnonzero(mask):
                bad.setdefault(int(b), what)

        flag(~np.isfinite(snap).all(axis=(1, 2)), "a NaN or infinite indicator")
        flag((snap < -1e-9).any(axis=(1, 2)), "a negative count or amount")
        flag((snap[:, :, FIELD_INDEX["hte"]] > snap[:, :, FIELD_INDEX["firms"]] + 1e-9).any(axis=1),
             "more HTEs than living firms")
        flag((f.hte & (f.hte_expiry < m)).any(axis=1), "a certificate valid past its 36 months")
        flag(self.overflow > 0, "more firms or incubators than the scenario's capacity (raise the counts' bounds)")
        if idx > 0 and self.month_of_year(m) == 12:
            prev = max(i for i, (_, mo, mm) in enumerate(self.times) if mo == 12 and mm < m)
            d_firms = snap[:, :, FIELD_INDEX["firms"]].sum(1) - self.snapshots[:, prev, :, FIELD_INDEX["firms"]].sum(1)
            net = snap[:, :, FIELD_INDEX["entries"]].sum(1) - snap[:, :, FIELD_INDEX["exits"]].sum(1)
            flag(np.abs(d_firms - net) > 1e-6, "entries - exits differs from the change in the firm stock")
            year = (m - 1) // 12
            ledger = self.ledger.by_year[:, year].sum(axis=1) / 1e4
            flag(np.abs(snap[:, :, FIELD_INDEX["fiscal_cost"]].sum(1) - ledger) > 1e-6 * (1 + ledger),
                 "fiscal cost differs from the sum of payments")
        if bad:
            b, what = min(bad.items())
            run = int(self.runs[b])
            raise RunError([Problem(self.sc.path or self.sc.id, None, None, f"run {run}",
                                    f"{what} in month {m}",
                                    "a run that keeps the model's invariants",
                                    f"replay it with: zonesim run {self.sc.path} --seed {self.seed} --only-run {run}")])


def run_batch(scenario: Scenario, seed: int, runs: np.ndarray) -> BatchResult:
    """Simulate runs `runs` of `scenario` (all at once) and return their snapshots."""
    return BatchSim(scenario, seed, runs).run()
