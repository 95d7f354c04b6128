"""Patents: invention applications and grants each month (Poisson on real R&D spending, raised by nearby
institutions), other IP rights once a year, and the base year's flows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import rules
from sim.model.fields import N_RD_TYPES

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("patent_k", "patent_grant_share", "institution_spillover")
STATE = ("firms.patent_rate", "firms.inventions", "firms.other_ip", "flows.invention_applications",
         "flows.invention_grants")
STREAMS = ("patents", "patents.refused", "patents.other_ip", "patents.base_year")


def set_rate(sim: BatchSim, where: tuple | None = None) -> None:
    """Each firm's expected granted inventions per month per M RMB of revenue (set each January and at entry),
    and the zone's refused applications per month."""
    f, p = sim.state.firms, sim.p
    if where is None:
        where = np.s_[:, :]
        run = np.arange(sim.B)[:, None]
    else:
        run = where[0]
    inst_z = sim.state.institutions[:, :, :N_RD_TYPES].sum(axis=(2, 3))
    spill = np.exp(p["institution_spillover"] * np.log1p(inst_z)).ravel()[sim.flat_zone[where]]
    f.patent_rate[where] = p["patent_k"][run, 0] * p["patent_grant_share"][run, 0] * f.rd_real[where] / 12.0 * spill
    share = np.maximum(sim.p["patent_grant_share"], 1e-6)
    sim.refused_rate = sim.zsum(f.patent_rate * f.revenue * f.alive) * ((1.0 - share) / share)


def monthly(sim: BatchSim) -> None:
    """Grants are counted when filed (no examination lag); refused applications are a zone-level Poisson."""
    f = sim.state.firms
    u = sim.streams.firm("patents", sim.W)
    u_refused = sim.streams.small("patents.refused", sim.Z)
    granted = rules.poisson_from_uniform(u, f.patent_rate * f.revenue.astype(np.float32))
    f.inventions += granted
    hit = np.flatnonzero(granted)  # few firms patent in a month: sum over them only
    grants_z = np.bincount(sim.flat_zone.ravel()[hit], weights=granted.ravel()[hit],
                           minlength=sim.B * sim.Z).reshape(sim.B, sim.Z)
    sim.flows["invention_grants"] += grants_z
    sim.flows["invention_applications"] += grants_z + rules.poisson_exact(u_refused, sim.refused_rate)


def other_ip(sim: BatchSim) -> None:
    """Other IP rights (utility models, software copyrights), once a year: Poisson at 1.8 times the invention
    rate (0.45 vs 0.25 applications per 1M RMB of R&D, DOMAIN §3)."""
    f = sim.state.firms
    u = sim.streams.firm("patents.other_ip", sim.W)
    lam = 1.8 * 12.0 / np.maximum(sim.p["patent_grant_share"], 1e-6) * f.patent_rate * f.revenue.astype(np.float32)
    f.other_ip += rules.poisson_from_uniform(u, lam * f.alive)


def calibrate_k(sim: BatchSim) -> None:
    """With `invention_applications_base_year`, scale each run's applications per 1M RMB of R&D (`patent_k`)
    so that the base year's expected applications, region-wide, equal it."""
    s, f = sim.state, sim.state.firms
    target = s.quantities.get("invention_applications_base_year")
    s.patent_k_factor = np.ones(sim.B)
    if target is None:
        return
    grants = rules.row_sum(f.patent_rate * f.revenue * f.alive) * 12.0
    expected = grants / np.maximum(s.params["patent_grant_share"], 1e-6)
    s.patent_k_factor = target / np.maximum(expected, 1e-9)
    s.params["patent_k"] = s.params["patent_k"] * s.patent_k_factor
    sim.p["patent_k"] = s.params["patent_k"][:, None].astype(np.float32)
    set_rate(sim)


def base_year(sim: BatchSim) -> None:
    """The base year's applications and grants, drawn from the base-year rates, so that multiples and growth of
    these yearly flows have a base."""
    f = sim.state.firms
    u = sim.streams.small("patents.base_year", 2 * sim.Z)
    grants = sim.zsum(f.patent_rate * f.revenue * f.alive) * 12.0
    g = rules.poisson_exact(u[:, : sim.Z], grants)
    sim.flows["invention_grants"] += g
    refused = rules.poisson_exact(u[:, sim.Z:], 12.0 * sim.refused_rate)
    sim.flows["invention_applications"] += g + refused
