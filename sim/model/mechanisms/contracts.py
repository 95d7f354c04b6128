"""Technology contract turnover (技术合同成交额) per zone and year: a ratio to real R&D spending, a turnover per
HTE and per new-type R&D institution, grown by a yearly trend, times a lognormal shock per zone and year (mean 1).
Sources of the priors: docs/model.md §6 (turnover-to-R&D ratios of the provinces' statistics)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import special

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("tech_contract_ratio", "tech_contract_trend", "tech_contract_sd", "tech_contract_per_hte",
              "new_rd_tech_income")
STATE = ("contract_shock", "contract_trend")
STREAMS = ("contracts",)


def _shock(sim: BatchSim) -> np.ndarray:
    sd = sim.state.params["tech_contract_sd"][:, None]
    z = special.ndtri(np.clip(sim.streams.small("contracts", sim.Z), 1e-9, 1 - 1e-9))
    return np.exp(sd * z - 0.5 * sd * sd)  # mean 1


def base_year(sim: BatchSim) -> None:
    """At the start: the base year's shock per zone and the trend's origin."""
    sim.contract_shock = _shock(sim)
    sim.contract_trend = np.ones((sim.B, 1))


def year_end(sim: BatchSim) -> None:
    """Next year's shock and one more year of trend."""
    sim.contract_shock = _shock(sim)
    sim.contract_trend = sim.contract_trend * (1.0 + sim.state.params["tech_contract_trend"][:, None])


def turnover(sim: BatchSim, rd_real: np.ndarray, hte: np.ndarray, new_rd: np.ndarray) -> np.ndarray:
    """(runs, zones) turnover, 亿元, from real R&D (亿元), HTE counts and new-type R&D institutions per zone."""
    p = sim.state.params
    return (p["tech_contract_ratio"][:, None] * rd_real * sim.contract_shock
            + p["tech_contract_per_hte"][:, None] * hte) * sim.contract_trend \
        + p["new_rd_tech_income"][:, None] * new_rd
