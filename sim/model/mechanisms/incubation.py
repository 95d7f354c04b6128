"""Incubators and maker spaces (科技企业孵化器, 众创空间): closures, formation (incubators after a construction
delay, faster with a construction subsidy; maker spaces at once), tenancy of young firms (entry into free places,
graduation) with the capability that incubation services add, and the yearly level recognition (DOMAIN §4).
Levers act through hooks: `formation_boost` (construction subsidies), `on_built` and `on_recognised` (payments)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import rules
from sim.model.population import INCUBATOR_NEW_AREA, MAKER_SPACE_AREA

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("incubator_closure", "incubator_formation", "maker_space_formation", "construction_subsidy_elasticity",
              "construction_cost_per_m2", "tenants_per_1000m2", "incubation_entry_prob",
              "incubation_capability_boost", "recognition_provincial", "recognition_national",
              "maker_space_recognition_provincial", "maker_space_recognition_national")
STATE = ("incubators: every field", "firms.tenant", "firms.tenancy", "firms.capability")
STREAMS = ("incubation.closure", "incubation.incubators", "incubation.maker_spaces", "incubation.tenancy",
           "incubation.recognition")


def places(sim: BatchSim) -> np.ndarray:
    """(runs, zones) tenant places: incubator area (not maker spaces) × tenants per 1,000 m²."""
    inc = sim.state.incubators
    return sim.isum(inc.area * ~inc.maker_space) * sim.state.params["tenants_per_1000m2"][:, None] / 1000.0


def tenancy(sim: BatchSim) -> None:
    """Monthly: tenants graduate (HTE, revenue ≥ 10M or 48 months); young firms of official zones take free
    places with the entry probability (less when places are short); a new tenant gains the capability that
    incubation services (training, IP and certification advice) add, for good."""
    f = sim.state.firms
    u = sim.streams.firm("incubation.tenancy", sim.W)
    flat = sim.flat_zone.ravel()
    nzb = sim.B * sim.Z
    ten = np.flatnonzero(f.tenant)  # tenants and young firms are few: work on their indices
    months = f.tenancy.ravel()
    months[ten] += 1
    grad = f.hte.ravel()[ten] | (f.revenue.ravel()[ten] >= rules.GRADUATION_REVENUE) \
        | (months[ten] >= rules.MAX_TENANCY_MONTHS)
    f.tenant.ravel()[ten[grad]] = False
    stay = np.bincount(flat[ten[~grad]], minlength=nzb).reshape(sim.B, sim.Z)
    free = np.maximum(places(sim) - stay, 0.0)
    young = np.flatnonzero(f.age <= rules.MAX_ENTRY_AGE_MONTHS)
    ok = (f.alive.ravel()[young] & ~f.tenant.ravel()[young] & sim.firm_official.ravel()[young]
          & (f.revenue.ravel()[young] < rules.GRADUATION_REVENUE))
    cand = young[ok]
    demand = np.bincount(flat[cand], minlength=nzb).reshape(sim.B, sim.Z)
    prob = np.minimum(sim.state.params["incubation_entry_prob"][:, None], free / np.maximum(demand, 1.0))
    enter = cand[u.ravel()[cand] < prob.ravel()[flat[cand]]]
    f.tenant.ravel()[enter] = True
    months[enter] = 0
    boost = sim.state.params["incubation_capability_boost"][enter // sim.W]
    f.capability.ravel()[enter] = np.minimum(50.0, f.capability.ravel()[enter] + boost)


def formation(sim: BatchSim, m: int) -> None:
    """Monthly: closures; new maker spaces at once; new incubators after the construction delay, Poisson at the
    formation rate raised by construction subsidies (a subsidy beyond the full cost builds no more)."""
    inc, p = sim.state.incubators, sim.state.params
    u_close = sim.streams.small("incubation.closure", sim.I)
    u_inc = sim.streams.small("incubation.incubators", sim.Z)
    u_ms = sim.streams.small("incubation.maker_spaces", sim.Z)
    close = inc.alive & (u_close < rules.monthly_from_yearly(p["incubator_closure"])[:, None])
    inc.alive &= ~close
    inc.months += inc.alive
    official = sim.official_zones()
    boost = np.zeros((sim.B, sim.Z))
    for lever, hook in sim.levers.each("formation_boost"):
        boost += hook(sim, lever)
    boost = np.minimum(boost, 1.0)
    lam_inc = p["incubator_formation"][:, None] / 12.0 * (1.0 + p["construction_subsidy_elasticity"][:, None]
                                                            * boost) * official
    lam_ms = p["maker_space_formation"][:, None] / 12.0 * official
    add(sim, rules.poisson_exact(u_ms, lam_ms), maker_space=True)
    k_inc = rules.poisson_exact(u_inc, lam_inc)
    if k_inc.any():
        sim.after(m, int(sim.sc.cal("incubator_construction_months")),
                  lambda k=k_inc: add(sim, k, maker_space=False))


def add(sim: BatchSim, k: np.ndarray, maker_space: bool) -> None:
    """Open k[run, zone] new incubators (or maker spaces) at municipal level in the next free slots."""
    inc = sim.state.incubators
    if not k.any():
        return
    run_idx, zone_idx, slot = sim.claim_slots(k, inc.next_free, np.full(sim.B, sim.I))
    area = (MAKER_SPACE_AREA if maker_space else INCUBATOR_NEW_AREA) * inc.area_draw[run_idx, slot]
    inc.alive[run_idx, slot] = True
    inc.zone[run_idx, slot] = zone_idx
    inc.maker_space[run_idx, slot] = maker_space
    inc.level[run_idx, slot] = 1
    inc.area[run_idx, slot] = area
    inc.months[run_idx, slot] = 0
    if not maker_space:
        for lever, hook in sim.levers.each("on_built"):
            hook(sim, lever, run_idx, zone_idx, slot, area)


def recognition(sim: BatchSim) -> None:
    """Year end: incubators reach provincial level after 24 months with ≥ 5,000 m² and ≥ 60% occupancy, national
    after 36 months with ≥ 10,000 m² and ≥ 75% (DOMAIN §4), each with the run's yearly chance; maker spaces after
    one year running, national after two more."""
    inc, s, p = sim.state.incubators, sim.state, sim.state.params
    u = sim.streams.small("incubation.recognition", sim.I)
    occupancy = sim.zcount(s.firms.tenant) / np.maximum(places(sim), 1e-9)
    occ = np.take_along_axis(occupancy, inc.zone.astype(np.int64), axis=1)
    real = inc.alive & ~inc.maker_space
    to_prov = real & (inc.level == 1) & (inc.months >= 24) & (inc.area >= 5000) & (occ >= 0.6) \
        & (u < p["recognition_provincial"][:, None])
    to_nat = real & (inc.level == 2) & (inc.months >= 36) & (inc.area >= 10000) & (occ >= 0.75) \
        & (u < p["recognition_national"][:, None])
    ms = inc.alive & inc.maker_space
    ms_prov = ms & (inc.level == 1) & (inc.months >= 12) & (u < p["maker_space_recognition_provincial"][:, None])
    ms_nat = ms & (inc.level == 2) & (inc.months >= 24) & (u < p["maker_space_recognition_national"][:, None])
    inc.level = np.where(to_nat | ms_nat, 3, np.where(to_prov | ms_prov, 2, inc.level)).astype(np.int8)
    for lever, hook in sim.levers.each("on_recognised"):
        hook(sim, lever, to_prov, to_nat)
