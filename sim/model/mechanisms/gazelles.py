"""High-growth technology firms (gazelles, 高成长性企业 / 瞪羚): HTEs or listed tech SMEs whose revenue grew by at
least 20% a year over three years from at least 10M RMB (the OECD-Eurostat high-growth definition, with revenue
for employees) [assumption for the plans' 高成长性 / 小巨人 firms]. Gazelle grants (`sim.model.levers.gazelle_grant`)
pick from the gazelles of the year just ended."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS: tuple[str, ...] = ()
STATE = ("gazelles_last_year",)
STREAMS: tuple[str, ...] = ()
GROWTH, MIN_REVENUE = 1.2 ** 3, 10.0


def gazelles(sim: BatchSim) -> np.ndarray:
    """(runs, slots) gazelles now: revenue ≥ GROWTH × revenue three years ago, which was ≥ MIN_REVENUE M RMB."""
    f = sim.state.firms
    return f.alive & (f.hte | f.tech_sme) & (f.revenue_ago3 >= MIN_REVENUE) & (f.revenue >= GROWTH * f.revenue_ago3)


def january(sim: BatchSim) -> None:
    """January, before the revenue history moves on: the gazelles of the three years just ended."""
    sim.gazelles_last_year = gazelles(sim)
