"""Zones moving up the approval ladder (municipal → provincial → national) and candidate parks becoming zones
(创建): yearly applications whose chance is logistic in the zone's readiness, or, for candidate parks with entry
conditions, the conditions themselves; decisions take effect after the review."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import rules
from sim.model.levels import CANDIDATE, LEVEL_CODE, MUNICIPAL, NATIONAL, PROVINCIAL

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("upgrade_base_rate", "upgrade_slope", "establish_base_rate", "establish_slope", "establish_approval")
STATE = ("zone_level", "zone_pending")
STREAMS = ("zones",)


def applications(sim: BatchSim, m: int) -> None:
    """The application month: each zone's chance of moving up a level is logistic in its readiness (HTEs and
    output against the run's references); a candidate park applies once it meets the scenario's entry
    conditions (and the creation start date) and is established at the scenario's level."""
    s, p = sim.state, sim.state.params
    u = sim.streams.small("zones", sim.Z)
    hte_z = sim.zcount(s.firms.hte)
    out_z = sim.zsum(s.firms.revenue * s.firms.alive) / 100.0
    lv = s.zone_level
    r_nat = rules.readiness(hte_z, out_z, s.refs["national_hte"][:, None], s.refs["national_output"][:, None])
    r_entry = rules.readiness(hte_z, out_z, s.refs["entry_hte"][:, None], s.refs["entry_output"][:, None])
    base, slope = p["upgrade_base_rate"][:, None], p["upgrade_slope"][:, None]
    creation = sim.sc.zone_creation
    establish = np.zeros((sim.B, sim.Z), bool)
    if creation is not None and m >= creation.first_month:
        establish = (lv == CANDIDATE) & meets_conditions(sim, creation.conditions)
    if creation is not None and creation.conditions:  # the conditions are the bar: meeting them is enough
        p_establish = np.broadcast_to(p["establish_approval"][:, None], (sim.B, sim.Z))
    else:
        p_establish = rules.upgrade_probability(r_entry, p["establish_base_rate"][:, None],
                                                p["establish_slope"][:, None])
    prob = np.select([lv == PROVINCIAL, lv == MUNICIPAL, establish],
                     [rules.upgrade_probability(r_nat, base, slope), rules.upgrade_probability(r_entry, base, slope),
                      p_establish], 0.0)
    created = LEVEL_CODE[creation.level] if creation is not None else PROVINCIAL
    new_level = np.select([lv == PROVINCIAL, lv == MUNICIPAL, lv == CANDIDATE], [NATIONAL, PROVINCIAL, created], lv)
    approved = (u < prob) & ~s.zone_pending & (new_level != lv)
    for delay, which in ((int(sim.sc.cal("upgrade_review_months")), approved & (lv != CANDIDATE)),
                         (creation.review_months if creation else 0, approved & (lv == CANDIDATE))):
        if which.any():
            s.zone_pending |= which
            sim.after(m, delay, lambda w=which: decide(sim, w, new_level))


def decide(sim: BatchSim, approved: np.ndarray, new_level: np.ndarray) -> None:
    """The review's decision takes effect: approved zones move to their new level; their firms' scope follows."""
    s = sim.state
    s.zone_level = np.where(approved, new_level, s.zone_level).astype(np.int8)
    s.zone_pending &= ~approved
    sim.firm_official = sim.per_firm(sim.official_zones())


def meets_conditions(sim: BatchSim, conditions: tuple) -> np.ndarray:
    """(runs, zones) zones whose own sums reach every entry condition now (`sim.model.fields.FieldCondition`)."""
    ok = np.ones((sim.B, sim.Z), bool)
    if conditions:
        now = sim.fields(take_flows=False)
        for cond in conditions:
            ok &= cond.holds(now)
    return ok
