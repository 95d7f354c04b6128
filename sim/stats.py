"""Interval estimates for Monte Carlo proportions."""

from __future__ import annotations

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


def wilson(hits: int | np.ndarray, n: int | np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a binomial proportion: well behaved at 0 and 1 hits, unlike the normal one."""
    hits = np.asarray(hits, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = np.where(hits <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(hits >= n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return lo, hi

