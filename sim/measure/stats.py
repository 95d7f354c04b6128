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



def newcombe_difference(x: np.ndarray, y: np.ndarray, paired: bool, z: float = Z95) -> tuple[float, float, float]:
    """Difference p_x − p_y of two proportions with its 95% interval: Newcombe's hybrid score interval from
    the two Wilson intervals (Newcombe 1998, Stat Med 17:873 and 17:2635, method 10), with the correlation φ of
    the pairs when `paired` (run k of both variants saw the same random numbers) and φ = 0 otherwise."""
    x, y = np.asarray(x, bool), np.asarray(y, bool)
    n_x, n_y = x.size, y.size
    p_x, p_y = x.mean(), y.mean()
    lx, ux = (float(v) for v in wilson(x.sum(), n_x, z))
    ly, uy = (float(v) for v in wilson(y.sum(), n_y, z))
    phi = 0.0
    if paired:
        a, b = float(np.sum(x & y)), float(np.sum(x & ~y))
        c, d = float(np.sum(~x & y)), float(np.sum(~x & ~y))
        denom = np.sqrt((a + b) * (c + d) * (a + c) * (b + d))
        phi = (a * d - b * c) / denom if denom > 0 else 0.0  # no correction for continuity
        # common random numbers couple the variants positively by design; a negative φ comes from chance among
        # rare discordant runs, and is read as 0 (the independent-samples interval), never as wider than it
        phi = max(phi, 0.0)
        if b + c == 0:  # no discordant run: φ = 1 would leave only the Wilson asymmetry, overconfident; the
            # difference is bounded by the discordance rate, of which 0 in n allows up to Wilson's upper bound
            bound = float(wilson(0, n_x, z)[1])
            return float(p_x - p_y), -bound, bound
    delta = float(p_x - p_y)
    lower = delta - np.sqrt(max((p_x - lx) ** 2 - 2 * phi * (p_x - lx) * (uy - p_y) + (uy - p_y) ** 2, 0.0))
    upper = delta + np.sqrt(max((ux - p_x) ** 2 - 2 * phi * (ux - p_x) * (p_y - ly) + (p_y - ly) ** 2, 0.0))
    return delta, float(max(lower, -1.0)), float(min(upper, 1.0))
