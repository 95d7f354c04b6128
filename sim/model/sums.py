"""The per-zone sums the model records at each snapshot (`sim.model.fields.FIELDS`), from the batch's state.

Everything here is a sum over a zone's agents (or a per-zone state variable); ratios, targets and probabilities
are computed later, in `sim.measure`, from these sums alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import rules
from sim.model.fields import ENG, FIELD_INDEX, FIELDS, FINANCE, FUND, N_RD_TYPES, NEW_RD, PLATFORM, SERVICE, TECH
from sim.model.mechanisms import clusters, contracts, gazelles

if TYPE_CHECKING:
    from sim.model.engine import BatchSim


def zone_sums(sim: BatchSim, take_flows: bool) -> np.ndarray:
    """(runs, zones, FIELDS) sums now. Flows (sim.model.fields.FLOW_FIELDS) are this year's so far; with
    `take_flows` the levers' payments of the year are taken from the ledger (the statistical year end)."""
    s, f, inc = sim.state, sim.state.firms, sim.state.incubators
    a = f.alive
    rev = f.revenue * a
    va = rev * sim.va_ratio
    above = a & (f.revenue >= rules.ABOVE_SIZE_REVENUE)
    hte = f.hte & a
    real_inc = ~inc.maker_space
    fiscal = sim.ledger.take_zone_flow() if take_flows else sim.ledger.zone_flow.copy()
    inst = s.institutions.sum(axis=3)
    rd_real = sim.zsum(f.rd_real * rev) / 100.0
    hte_z = sim.zcount(hte)
    values = {
        "firms": sim.zcount(a), "hte": hte_z, "tech_sme": sim.zcount(f.tech_sme & a),
        "firms_over_100m": sim.zcount(a & (f.revenue >= 100.0)),
        "hte_over_1bn": sim.zcount(hte & (f.revenue >= 1000.0)),
        "hte_over_10bn": sim.zcount(hte & (f.revenue >= 10000.0)), "above_size": sim.zcount(above),
        "output": sim.zsum(rev) / 100.0, "value_added": sim.zsum(va) / 100.0,
        "gdp": sim.zsum(va) / 100.0 / sim.industry_share,
        "above_size_va": sim.zsum(va * above) / 100.0,
        "hightech_va": sim.zsum(va * above * f.hightech_industry) / 100.0,
        "sei_va": sim.zsum(va * f.strategic_emerging) / 100.0,
        "above_size_output": sim.zsum(rev * above) / 100.0,
        "hightech_product_output": sim.zsum(rev * above * f.hightech_share) / 100.0,
        "rd_real": rd_real, "rd_reported": sim.zsum(f.rd_reported * rev) / 100.0,
        "tech_contracts": contracts.turnover(sim, rd_real, hte_z, inst[:, :, NEW_RD]),
        "high_growth_firms": sim.zcount(gazelles.gazelles(sim)),
        "firms_over_500m": sim.zcount(a & (f.revenue >= 500.0)),
        "firms_over_500m_with_rd_centre": sim.zcount(a & f.rd_centre & (f.revenue >= 500.0)),
        **clusters.counts(sim, rev, hte),
        "invention_patents": sim.zsum(f.inventions * a), "population": s.zone_population,
        "incubators": sim.isum(real_inc), "incubators_national": sim.isum(real_inc & (inc.level == 3)),
        "incubators_provincial_plus": sim.isum(real_inc & (inc.level >= 2)),
        "incubator_area": sim.isum(inc.area * real_inc), "incubator_tenants": sim.zcount(f.tenant & a),
        "maker_spaces": sim.isum(inc.maker_space),
        "maker_spaces_national": sim.isum(inc.maker_space & (inc.level == 3)),
        "maker_spaces_provincial_plus": sim.isum(inc.maker_space & (inc.level >= 2)),
        "eng_centres_prov": s.institutions[:, :, ENG, 1], "tech_centres_prov": s.institutions[:, :, TECH, 1],
        "new_rd_institutions": inst[:, :, NEW_RD], "platforms": inst[:, :, PLATFORM],
        "service_orgs": inst[:, :, SERVICE], "finance_orgs": inst[:, :, FINANCE], "venture_funds": inst[:, :, FUND],
        "institutions": inst[:, :, :N_RD_TYPES].sum(axis=2),
        **sim.flows, "hte_certified": sim.flows["hte_new"] + sim.flows["hte_renewed"],
        # certified − net change = (new + renewed) − (new + returned − lapsed): how a record of certifications
        # and stocks counts certificates that came due, renewed or not, plus holders that left (Guangxi 2017's
        # ≈ 196); a firm certified again after its certificate lapsed adds to the stock
        "hte_certified_less_net": sim.flows["hte_renewed"] - sim.flows["hte_returned"] + sim.flows["hte_lapsed"],
        "fiscal_cost": fiscal / 1e4, "fiscal_st": sim.fiscal_path + fiscal / 1e4,
    }
    out = np.empty((sim.B, sim.Z, len(FIELDS)))
    for name, i in FIELD_INDEX.items():
        out[:, :, i] = values[name]
    return out
