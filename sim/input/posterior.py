"""Calibration posteriors: weighted samples of behavioural parameters, as data a scenario refers to.

A posterior file (JSON, written by `zonesim calibrate`, read with `json` only: data, never code) holds the
names of the parameters it estimates, weighted samples of them (one row per ABC-SMC particle), the history
it was fitted to, its vintage (the latest year of that history) and how it was made. A scenario points to it
(`calibration: {posterior: ../posteriors/guangxi.json}`); each Monte Carlo run then draws one row, by the
run's own named uniform, so parameter uncertainty enters every P(hit) together with the parameters'
correlations. Parameters the posterior does not name keep their priors.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.atomic import atomic_write

FORMAT = "zonesim-posterior/1"
#: Largest posterior file read, bytes (10,000 particles of 20 parameters take about 4 MB of JSON).
MAX_BYTES = 20_000_000


@dataclass(frozen=True)
class Posterior:
    """Weighted parameter samples. samples: (n, k) in the order of `names`; weights: (n,), summing to 1."""

    path: str
    names: tuple[str, ...]
    samples: tuple[tuple[float, ...], ...]
    weights: tuple[float, ...]
    vintage: int
    region: str
    method: str
    sha256: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.weights)

    def array(self) -> np.ndarray:
        return np.asarray(self.samples, dtype=float)

    def draw(self, u: np.ndarray) -> dict[str, np.ndarray]:
        """One posterior row per run for uniforms `u` (runs,): the row whose cumulative weight first exceeds
        u. Returns {name: (runs,) values}."""
        cum = np.cumsum(np.asarray(self.weights, dtype=float))
        rows = np.minimum(np.searchsorted(cum, np.asarray(u) * cum[-1], side="right"), self.size - 1)
        values = self.array()[rows]
        return {name: values[:, k] for k, name in enumerate(self.names)}

    def without(self, names: set[str] | list[str]) -> Posterior | None:
        """The posterior of the other parameters (their joint marginal), or None when none is left."""
        keep = [k for k, n in enumerate(self.names) if n not in set(names)]
        if not keep:
            return None
        return Posterior(self.path, tuple(self.names[k] for k in keep),
                         tuple(tuple(row[k] for k in keep) for row in self.samples), self.weights, self.vintage,
                         self.region, self.method, self.sha256, self.meta)

    def summary(self) -> dict[str, tuple[float, float, float]]:
        """Weighted median and 5–95% range of each parameter."""
        w = np.asarray(self.weights)
        out = {}
        for k, name in enumerate(self.names):
            x = self.array()[:, k]
            order = np.argsort(x)
            cw = np.cumsum(w[order]) / w.sum()
            q = [float(x[order][min(np.searchsorted(cw, p), len(x) - 1)]) for p in (0.5, 0.05, 0.95)]
            out[name] = (q[0], q[1], q[2])
        return out


class PosteriorError(ValueError):
    """A posterior file that cannot be used; the message says what is wrong (no location: it is JSON)."""


def load_posterior(path: str | Path) -> Posterior:
    """Read and check a posterior file. Raises PosteriorError naming what is wrong."""
    p = Path(path)
    try:
        if not p.is_file():
            raise PosteriorError("no such file")
        if p.stat().st_size > MAX_BYTES:
            raise PosteriorError(f"a file of more than {MAX_BYTES:,} bytes")
        raw = p.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, PosteriorError):
            raise
        raise PosteriorError(f"not a readable JSON file ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PosteriorError(f"not a zonesim posterior (expected \"format\": \"{FORMAT}\")")
    names = data.get("parameters")
    samples = data.get("samples")
    weights = data.get("weights")
    vintage = data.get("vintage")
    if not (isinstance(names, list) and names and all(isinstance(n, str) for n in names)):
        raise PosteriorError("'parameters' must be a non-empty list of parameter names")
    if not (isinstance(samples, list) and samples and all(isinstance(r, list) and len(r) == len(names)
                                                          for r in samples)):
        raise PosteriorError(f"'samples' must be a list of rows of {len(names)} numbers")
    if not (isinstance(weights, list) and len(weights) == len(samples)):
        raise PosteriorError("'weights' must have one weight per sample")
    if isinstance(vintage, bool) or not isinstance(vintage, int):
        raise PosteriorError("'vintage' must be a year")
    flat = [x for row in samples for x in row] + list(weights)
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in flat):
        raise PosteriorError("samples and weights must be finite numbers")
    if min(weights) < 0 or sum(weights) <= 0:
        raise PosteriorError("weights must be non-negative with a positive sum")
    total = float(sum(weights))
    return Posterior(str(p), tuple(names), tuple(tuple(float(x) for x in row) for row in samples),
                     tuple(float(w) / total for w in weights), vintage, str(data.get("region", "")),
                     str(data.get("method", "")), hashlib.sha256(raw).hexdigest(),
                     {k: v for k, v in data.items() if k not in ("samples", "weights")})


def write_posterior(path: str | Path, names: list[str], samples: np.ndarray, weights: np.ndarray, vintage: int,
                    region: str, method: str, **meta: Any) -> Path:
    """Write a posterior file (JSON, numbers rounded to 6 significant digits)."""
    data = {"format": FORMAT, "region": region, "vintage": int(vintage), "method": method, **meta,
            "parameters": list(names),
            "samples": [[float(f"{x:.6g}") for x in row] for row in np.asarray(samples, dtype=float)],
            "weights": [float(f"{w:.6g}") for w in np.asarray(weights, dtype=float)]}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    return path
