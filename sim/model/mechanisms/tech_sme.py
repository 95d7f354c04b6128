"""Technology-based SME listing (科技型中小企业, 2017 rules, DOMAIN §2): once a year a qualifying firm is listed
if it self-assesses and registers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.model import rules

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("tech_sme_list_prob",)
STATE = ("firms.tech_sme",)
STREAMS = ("tech_sme",)


def listing(sim: BatchSim, m: int = 0) -> None:
    """The listing month (and at the start): a qualifying firm (DOMAIN §2 criteria) is listed with the run's
    chance of registering."""
    f = sim.state.firms
    u = sim.streams.firm("tech_sme", sim.W)
    ok = rules.tech_sme_qualifies(f.employees, f.revenue, f.tech_share, f.rd_reported, f.inventions, f.other_ip)
    f.tech_sme = f.alive & ok & (u < sim.p["tech_sme_list_prob"])
