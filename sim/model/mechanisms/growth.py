"""Revenue growth: each January a firm's log growth for the year (Laplace around a mean raised by R&D above
the median and by growth levers, spread falling with size, plus a shock common to the run), applied monthly;
last year's growth sets the innovation score's growth points."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import special

from sim.model import rules

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("growth_mean", "growth_sigma0", "growth_size_beta", "rd_growth_effect", "macro_sd")
STATE = ("firms.revenue", "firms.growth_factor", "firms.growth_pts", "firms.revenue_year_start",
         "firms.revenue_ago2", "firms.revenue_ago3", "firms.employees", "firms.age")
STREAMS = ("growth", "growth.macro")


def year_start(sim: BatchSim, m: int) -> None:
    """January, before anything else: growth points from the year just ended, the revenue history moves on."""
    f = sim.state.firms
    if m > 1:  # the first January keeps the base year's growth points (drawn at initialisation)
        ratio = np.where(f.revenue_year_start > 0, f.revenue / np.maximum(f.revenue_year_start, 1e-9), 1.0)
        f.growth_pts = np.where(f.age >= 12, rules.growth_points(ratio), f.growth_pts)
    f.revenue_ago3 = f.revenue_ago2
    f.revenue_ago2 = f.revenue_year_start
    f.revenue_year_start = f.revenue.copy()
    f.employees = np.maximum(3.0, f.revenue / np.maximum(f.productivity, 1e-6)).astype(np.float32)


def draw_year(sim: BatchSim) -> None:
    """January, after the R&D decision: this year's growth, a firm's Laplace draw plus the run's common shock
    plus what growth levers add (a loan-interest subsidy, say)."""
    f, p = sim.state.firms, sim.p
    u = sim.streams.firm("growth", sim.W)
    u_macro = sim.streams.small("growth.macro", 1)[:, 0]
    mean, sigma = rules.growth_mean_and_sigma(f.revenue, f.rd_real, sim.rd_median, p)
    for lever, hook in sim.levers.each("growth_boost"):
        mean = mean + hook(sim, lever).astype(mean.dtype)  # no lever, or a zero one: the same numbers
    macro = special.ndtri(np.clip(u_macro, 1e-9, 1 - 1e-9))[:, None] * p["macro_sd"]
    g = rules.laplace_growth(u, mean, sigma) + macro
    f.growth_factor = np.exp(g / 12.0).astype(np.float32)


def monthly(sim: BatchSim) -> None:
    """Monthly: revenue grows by the year's monthly factor; firms age a month."""
    f = sim.state.firms
    f.revenue *= f.growth_factor
    f.age += f.alive
