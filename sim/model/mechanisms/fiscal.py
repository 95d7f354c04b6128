"""Fiscal S&T spending (财政科技支出): the region's own spending of the base year, spread over zones by their
output, grown each year by a draw common to the run (the budget is region-wide); the levers' payments come on
top (`sim.model.levers.ledger`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import special

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("fiscal_st_growth", "fiscal_st_growth_sd")
STATE = ("fiscal_path",)
STREAMS = ("fiscal",)


def base_year(sim: BatchSim) -> None:
    """At the start: the base year's own fiscal S&T spending spread over zones by output."""
    f, s = sim.state.firms, sim.state
    out = sim.zsum(f.revenue * f.alive)
    share = out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)
    sim.fiscal_path = s.quantities.get("fiscal_st_base_year", np.zeros(sim.B))[:, None] * share


def year_end(sim: BatchSim) -> None:
    """Year end: next year's growth of the region's own spending, one draw per run."""
    p = sim.state.params
    u = sim.streams.small("fiscal", 1)[:, 0]
    g = p["fiscal_st_growth"] + p["fiscal_st_growth_sd"] * special.ndtri(np.clip(u, 1e-9, 1 - 1e-9))
    sim.fiscal_path = sim.fiscal_path * np.maximum(1.0 + g, 0.0)[:, None]
