"""R&D: each January a firm's real R&D (its propensity, the certification uplift, subsidies and vouchers) and
what it reports (bunching: firms that want a certificate relabel up to their band's threshold)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import rules

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("hte_real_rd_uplift", "relabel_max", "bunching_share", "subsidy_additionality")
STATE = ("firms.rd_real", "firms.rd_reported")
STREAMS: tuple[str, ...] = ()


def year_start(sim: BatchSim) -> None:
    """January: this year's funding intensity (vouchers, promised grants) starts at 0; levers add to it."""
    sim.state.firms.voucher_intensity[:] = 0.0


def decide(sim: BatchSim) -> None:
    """January (and at the start): real R&D = rd_decision(propensity, HTE uplift, subsidy rate, funding)."""
    f, p = sim.state.firms, sim.p
    rate = np.zeros((sim.B, sim.W), np.float32)
    for lever, hook in sim.levers.each("rd_subsidy_rate"):
        rate += hook(sim, lever)
    f.rd_real = rules.rd_decision(f.rd_propensity, f.hte, rate, f.voucher_intensity, p).astype(np.float32)
    crit = rules.hte_criteria_except_rd(f.age, f.inventions, f.other_ip, f.tech_share, f.hightech_share,
                                        f.capability, f.growth_pts)
    f.rd_reported = rules.reported_rd(f.rd_real, f.revenue, crit | f.hte, f.relabeller, p["relabel_max"])


def monthly(sim: BatchSim) -> None:
    """Monthly payments of levers that pay on R&D spending (R&D subsidies)."""
    for lever, hook in sim.levers.each("pay_monthly"):
        hook(sim, lever)
