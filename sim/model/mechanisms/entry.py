"""Firm entry: new firms in every zone (official, candidate, the rest of the region), Poisson at the entry rate
times the zone's stock (higher in national zones), plus maker-space teams that incorporate."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import rules
from sim.model.levels import NATIONAL
from sim.model.population import ENTRANT_MEDIAN_REVENUE, ENTRANT_REVENUE_SIGMA, industry_of, latent_traits

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("entry_rate", "national_zone_attraction", "teams_per_maker_space", "team_incorporation")
STATE = ("firms: every field of an entrant's slot", "flows.entries")
STREAMS = ("entry",)


def monthly(sim: BatchSim) -> None:
    """This month's entrants per zone, in slots taken in sequence (common random numbers)."""
    f, p = sim.state.firms, sim.state.params
    u = sim.streams.small("entry", sim.Z)
    national = sim.state.zone_level == NATIONAL
    rate = p["entry_rate"][:, None] * (1.0 + p["national_zone_attraction"][:, None] * national)
    inc = sim.state.incubators
    teams = sim.isum(inc.maker_space) * p["teams_per_maker_space"][:, None] * p["team_incorporation"][:, None]
    lam = (rate * sim.alive_z + teams) / 12.0  # every area, the rest of the region included
    k = rules.poisson_exact(u, lam)
    run_idx, zone_idx, slot = sim.claim_slots(k, f.next_free, f.capacity)
    if slot.size == 0:
        return
    sim.ensure_width(int(slot.max()) + 1)
    activate(sim, run_idx, zone_idx, slot, slot - sim.n0[run_idx])
    placed = np.bincount(run_idx * sim.Z + zone_idx, minlength=sim.B * sim.Z).reshape(sim.B, sim.Z)
    sim.flows["entries"] += placed
    sim.alive_z += placed


def activate(sim: BatchSim, run_idx: np.ndarray, zone_idx: np.ndarray, slot: np.ndarray,
             ordinal: np.ndarray) -> np.ndarray:
    """Give new firms their traits (entrant k of a run always draws the same: common random numbers) and a
    young firm's state: small revenue, no IP, no certificate. Returns the entrants' trait normals."""
    from sim.model.mechanisms import exit, patents

    f, s = sim.state.firms, sim.state
    nd, uu = sim.streams.entrant_draws(run_idx, ordinal)
    q = {k: v[run_idx] for k, v in s.quantities.items()}
    par = {k: v[run_idx] for k, v in s.params.items()}
    t = latent_traits(nd, uu, q, par)
    where = (run_idx, slot)
    rev = np.exp(np.log(ENTRANT_MEDIAN_REVENUE) + ENTRANT_REVENUE_SIGMA * nd[:, 0].astype(np.float64))
    f.alive[where] = True
    f.zone[where] = zone_idx
    sim.flat_zone[where] = zone_idx + run_idx * sim.Z
    official = sim.official_zones()[run_idx, zone_idx]
    sim.firm_official[where] = official
    f.age[where] = 0.0
    f.revenue[where] = rev
    f.revenue_year_start[where] = rev
    f.growth_factor[where] = np.exp(par["growth_mean"] / 12.0)
    f.productivity[where] = t["productivity"]
    f.employees[where] = np.maximum(3.0, rev / t["productivity"])
    rd_prop = t["rd_propensity"] * np.minimum(1.0, np.power(np.maximum(rev, 1e-6) / 10.0, -s.rd_gamma[run_idx])) \
        * s.rd_level_scale[run_idx]
    f.rd_propensity[where] = rd_prop
    f.rd_real[where] = rd_prop
    f.rd_reported[where] = rd_prop
    shift = np.where(official, s.capability_shift[run_idx, 0], s.capability_shift[run_idx, 1])  # its area's
    t["capability"] = np.clip(t["capability"] + shift, 0.0, 50.0)
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
    exit.set_hazard(sim, where)
    patents.set_rate(sim, where)
    return nd
