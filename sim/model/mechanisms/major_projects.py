"""Major projects and relocated plants (招商引资重大项目): each January, large new firms enter the official zones,
Poisson in number with mean `major_project_share` × the zone's output / a project's mean revenue; each an
established firm (five years old) with lognormal revenue around `major_project_revenue` (log-sd 1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import rules
from sim.model.mechanisms import entry, exit, patents

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("major_project_share", "major_project_revenue")
STATE = ("firms: the projects' slots", "flows.entries")
STREAMS = ("major_projects",)
#: Log-sd of a major project's first-year revenue [assumption].
SIGMA = 1.0


def january(sim: BatchSim) -> None:
    """January: major projects and relocated plants enter the official zones, in number Poisson on the zones' output."""
    f, p = sim.state.firms, sim.state.params
    u = sim.streams.small("major_projects", sim.Z)
    out_z = sim.zsum(f.revenue * f.alive)  # M RMB
    mean_rev = p["major_project_revenue"] * np.exp(0.5 * SIGMA ** 2)
    lam = p["major_project_share"][:, None] * out_z / mean_rev[:, None] * sim.official_zones()
    k = rules.poisson_exact(u, lam)
    run_idx, zone_idx, slot = sim.claim_slots(k, f.next_free, f.capacity)
    if slot.size == 0:
        return
    sim.ensure_width(int(slot.max()) + 1)
    nd = entry.activate(sim, run_idx, zone_idx, slot, slot - sim.n0[run_idx])
    rev = np.exp(np.log(p["major_project_revenue"][run_idx]) + SIGMA * nd[:, 0].astype(np.float64))
    where = (run_idx, slot)
    f.revenue[where] = rev
    f.revenue_year_start[where] = rev
    f.age[where] = 60.0
    f.employees[where] = np.maximum(3.0, rev / f.productivity[where])
    rd = f.rd_propensity[where] * np.minimum(1.0, np.power(rev / 10.0, -sim.state.rd_gamma[run_idx]))
    f.rd_propensity[where] = rd
    f.rd_real[where] = rd
    f.rd_reported[where] = rd
    exit.set_hazard(sim, where)
    patents.set_rate(sim, where)
    placed = np.bincount(run_idx * sim.Z + zone_idx, minlength=sim.B * sim.Z).reshape(sim.B, sim.Z)
    sim.flows["entries"] += placed
    sim.alive_z += placed
