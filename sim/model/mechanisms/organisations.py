"""Organisations per zone, type and level (R&D institutions, S&T service and finance organisations, venture
funds): formation at municipal level in proportion to each type's driver, recognition of enterprise centres at
provincial level, and the enterprise R&D centres' host firms. Levers act through `founding_award` and
`on_founded` hooks (founding awards)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from sim.model import rules
from sim.model.fields import ENG, FINANCE, FUND, INST_TYPES, N_INST_TYPES, NEW_RD, PLATFORM, SERVICE, TECH
from sim.model.levels import CANDIDATE

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = tuple(f"{name}_formation" for name in INST_TYPES) + ("founding_award_elasticity",
                                                                   "institution_recognition")
STATE = ("institutions", "firms.rd_centre")
STREAMS = ("organisations.formation", "organisations.recognition", "organisations.centres")


def drivers(sim: BatchSim) -> None:
    """January (and at the start): what each type forms in proportion to — engineering centres per HTE,
    technology centres per firm over 100M, new-type institutions, platforms and venture funds per zone, S&T
    service and finance organisations per 100 firms [assumed drivers]."""
    f = sim.state.firms
    ones = np.ones((sim.B, sim.Z))
    per_100 = sim.alive_z / 100.0
    by_type = {ENG: sim.zcount(f.hte), TECH: sim.zcount(f.alive & (f.revenue >= 100.0)), NEW_RD: ones,
               PLATFORM: ones, SERVICE: per_100, FINANCE: per_100, FUND: ones}
    sim.institution_drivers = np.stack([by_type[t] for t in range(N_INST_TYPES)], axis=2)


def formation(sim: BatchSim) -> None:
    """Monthly: new organisations per zone and type, Poisson at the type's rate × its driver × (1 + elasticity ×
    founding award in M RMB). They form in official zones; enterprise centres also in candidate parks, whose
    firms need them to meet entry conditions."""
    p = sim.state.params
    u = sim.streams.small("organisations.formation", sim.Z * N_INST_TYPES).reshape(sim.B, sim.Z, N_INST_TYPES)
    rates = np.stack([p[f"{name}_formation"] for name in INST_TYPES], axis=1)[:, None, :]
    award = np.zeros((sim.B, sim.Z, N_INST_TYPES))
    for lever, hook in sim.levers.each("founding_award"):
        award += hook(sim, lever)
    factor = 1.0 + p["founding_award_elasticity"][:, None, None] * award / 1e6
    where = np.repeat(sim.official_zones()[:, :, None], N_INST_TYPES, axis=2)
    where[:, :, [ENG, TECH]] |= (sim.state.zone_level == CANDIDATE)[:, :, None]
    k = rules.poisson_exact(u, rates * sim.institution_drivers * factor / 12.0 * where)
    sim.state.institutions[:, :, :, 0] += k
    if k.any():
        for lever, hook in sim.levers.each("on_founded"):
            hook(sim, lever, k)


def recognition(sim: BatchSim) -> None:
    """Year end: municipal engineering and technology centres reach provincial level with the run's yearly
    chance (binomial per zone and type)."""
    s, p = sim.state, sim.state.params
    u = sim.streams.small("organisations.recognition", sim.Z * 2).reshape(sim.B, sim.Z, 2)
    municipal = s.institutions[:, :, [ENG, TECH], 0]
    up = stats.binom.ppf(u, municipal, p["institution_recognition"][:, None, None]).astype(np.int64)
    s.institutions[:, :, [ENG, TECH], 0] -= up
    s.institutions[:, :, [ENG, TECH], 1] += up


def attach_centres(sim: BatchSim) -> None:
    """Year end (and at the start): a zone's enterprise R&D centres (engineering and technology centres, any
    level) not yet hosted by a living firm go to its above-size firms without one, larger firms first: key
    log S + a logistic draw [assumption]. A centre whose firm exited moves to another."""
    f = sim.state.firms
    u = sim.streams.firm("organisations.centres", sim.W).astype(np.float64)
    centres = sim.state.institutions[:, :, [ENG, TECH]].sum(axis=(2, 3))
    need = np.maximum(centres - sim.zcount(f.rd_centre & f.alive), 0).ravel()
    cand = np.flatnonzero(f.alive & ~f.rd_centre & (f.revenue >= rules.ABOVE_SIZE_REVENUE))
    if cand.size == 0 or not need.any():
        return
    zone = sim.flat_zone.ravel()[cand]
    uc = np.clip(u.ravel()[cand], 1e-12, 1 - 1e-12)
    order = np.lexsort((-(np.log(f.revenue.ravel()[cand]) + np.log(uc) - np.log1p(-uc)), zone))
    zone, cand = zone[order], cand[order]
    first = np.searchsorted(zone, zone, side="left")
    take = (np.arange(zone.size) - first) < need[zone]
    f.rd_centre.ravel()[cand[take]] = True
