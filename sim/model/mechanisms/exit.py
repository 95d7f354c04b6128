"""Firm exit by age and size (DOMAIN §3), with certificate holders sturdier by `hte_exit_factor`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import rules

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("exit_hazard_peak", "exit_hazard_old", "exit_size_elasticity", "hte_exit_factor")
STATE = ("firms.exit_month", "firms.alive", "flows.exits", "flows.hte_lapsed")
STREAMS = ("exit",)


def set_hazard(sim: BatchSim, where: tuple | None = None) -> None:
    """Each firm's monthly exit probability, fixed for the year (set each January and at entry): hazards move
    with age and size slowly enough that a yearly update is accurate."""
    f, p = sim.state.firms, sim.p
    if where is None:
        where = np.s_[:, :]
        run = np.arange(sim.B)[:, None]
    else:
        run = where[0]
    h = rules.exit_hazard_year(f.age[where], f.revenue[where], p["exit_hazard_peak"][run, 0],
                               p["exit_hazard_old"][run, 0], p["exit_size_elasticity"][run, 0])
    f.exit_month[where] = rules.monthly_from_yearly(h)


def monthly(sim: BatchSim, u: np.ndarray | None = None) -> None:
    """Firms that leave this month; a holder's hazard is the ordinary one times `hte_exit_factor`."""
    f = sim.state.firms
    if u is None:
        u = sim.streams.firm("exit", sim.W)
    hazard = np.where(f.hte, f.exit_month * sim.p["hte_exit_factor"], f.exit_month)
    idx = np.flatnonzero(f.alive & (u < hazard))
    bins = sim.flat_zone.ravel()[idx]
    exits = np.bincount(bins, minlength=sim.B * sim.Z).reshape(sim.B, sim.Z).astype(np.float64)
    sim.flows["exits"] += exits
    sim.alive_z -= exits
    had = f.hte.ravel()[idx]
    sim.flows["hte_lapsed"] += np.bincount(bins[had], minlength=sim.B * sim.Z).reshape(sim.B, sim.Z)
    for arr in (f.alive, f.hte, f.tenant, f.tech_sme):
        arr.ravel()[idx] = False
    f.revenue.ravel()[idx] = 0.0
