"""Industrial clusters per zone, counted from firms' industries: industries by size (百亿级, 五百亿级, 千亿级
output), innovative clusters (≥ 100亿 and ≥ 10 HTEs) and distinctive strategic-emerging industries (≥ 20% of the
zone's output) [assumed criteria; the plans name the counts without defining them]."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.population import N_INDUSTRIES

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS: tuple[str, ...] = ()
STATE: tuple[str, ...] = ()
STREAMS: tuple[str, ...] = ()
#: 亿元 of an industry's output in a zone to count as a cluster of that size.
SIZES = (100.0, 500.0, 1000.0)
INNOVATIVE_HTE = 10
DISTINCTIVE_SHARE = 0.2


def counts(sim: BatchSim, rev: np.ndarray, hte: np.ndarray) -> dict[str, np.ndarray]:
    """(runs, zones) counts by field name, from revenue (M RMB, 0 for the dead) and the HTE mask per slot."""
    f = sim.state.firms
    K = N_INDUSTRIES
    idx = (sim.flat_zone * K + f.industry).ravel()
    n = sim.B * sim.Z * K
    out = np.bincount(idx, weights=rev.ravel(), minlength=n).reshape(sim.B, sim.Z, K) / 100.0
    hte_k = np.bincount(idx[np.flatnonzero(hte)], minlength=n).reshape(sim.B, sim.Z, K)
    emerging = (np.arange(K) // 2) % 2 == 1  # industry k is in sector group k // 2 = 2·high-tech + emerging
    total = out.sum(axis=2, keepdims=True)
    res = {f"clusters_{int(size)}": (out >= size).sum(axis=2).astype(float) for size in SIZES}
    res["innovative_clusters"] = ((out >= SIZES[0]) & (hte_k >= INNOVATIVE_HTE)).sum(axis=2)
    res["sei_clusters"] = (emerging & (out >= DISTINCTIVE_SHARE * total) & (total > 0)).sum(axis=2)
    return res
