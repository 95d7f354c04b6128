"""Warnings from a run's diagnostics: where the synthetic population could not reproduce the scenario's
base-year facts in many runs (certifications, R&D / GDP, incubator tenants). The probabilities are then
conditional on a base year other than the one the scenario states, so every output says so: the terminal
table, manifest.json, reports, back-tests and `Results.warnings()` in a notebook."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.runner.montecarlo import Results

#: A run's base-year calibration falls short when the expected first-year certifications miss the base year's
#: by more than this share of it [assumption: within it, the gap is the granularity of the calibration].
SHORTFALL_SHARE = 0.05
#: Base-year incubator tenants fall short when the official zones' young, small firms miss the stated count by more
#: than this share of it [assumption: a tenth short changes occupancy a little, not the run's meaning].
TENANT_SHORTFALL_SHARE = 0.10


def calibration_warnings(results: Results) -> list[str]:
    """Say when the synthetic population could not reproduce the scenario's base-year facts in many runs:
    the probabilities are then conditional on a base year that differs from the one the scenario states."""
    out = []
    gap = results.diagnostic("calibration_gap")
    # the calibration moves whole groups of firms (discrete score points), so a run may land a few
    # certifications short of the flow: only a shortfall above SHORTFALL_SHARE of it is one of the population
    try:
        flow = results.diagnostic("calibration_flow")
    except KeyError:  # batches resumed from a checkpoint written before the diagnostic existed: the absolute rule
        flow = np.zeros_like(gap)
    short = gap > np.maximum(0.5, SHORTFALL_SHARE * flow)
    if np.mean(short) > 0.25:
        out.append(f"in {np.mean(short):.0%} of runs the population could not supply the base year's HTE "
                   f"certifications (median shortfall {np.median(gap[short]):.0f}); HTE growth is understated "
                   "there (manifest: calibration_gap)")
    got, want = results.diagnostic("base_rd_to_gdp"), results.diagnostic("rd_to_gdp_target")
    off = np.abs(got / np.maximum(want, 1e-12) - 1) > 0.1
    if np.mean(off) > 0.25:
        out.append(f"in {np.mean(off):.0%} of runs the base-year R&D/GDP could not be matched (median "
                   f"{np.median(got):.2%} vs the scenario's {np.median(want):.2%}): R&D intensity falls with "
                   "firm size at most as (S/10M)^-0.5 (manifest: base_rd_to_gdp)")
    try:
        t_gap, t_stated = results.diagnostic("tenant_gap"), results.diagnostic("tenants_stated")
    except KeyError:  # batches resumed from a checkpoint written before the diagnostic existed
        return out
    t_short = t_gap > np.maximum(0.5, TENANT_SHORTFALL_SHARE * t_stated)
    if np.mean(t_short) > 0.25:
        got = t_stated[t_short] - t_gap[t_short]
        out.append(f"in {np.mean(t_short):.0%} of runs the young, small firms of the official zones could not "
                   f"supply the base year's incubator tenants (a median {np.median(got):,.0f} tenants of the "
                   f"{np.median(t_stated[t_short]):,.0f} stated): incubator occupancy, and the recognition that "
                   "needs it, start lower than the scenario states; lower incubators.tenants_in_zones to the "
                   "tenants among the zones' counted firms, or read incubator levels as pessimistic "
                   "(manifest: tenant_gap)")
    return out
