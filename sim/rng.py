"""Random streams: one `SeedSequence` per (seed, run, purpose), so results never depend on batching.

Why this layout: a run's numbers come only from its own streams, so the same seed gives the same run whether
it is computed alone, in a batch of 500, or in another worker process. Two scenarios run with the same seed
draw the same streams, and each month's block has a fixed size set by the calendar and the agent capacity,
not by what the agents do: the same agent slot meets the same uniform in both (common random numbers).
Parameters and base-year quantities draw from a stream keyed by their *name*, so adding a parameter does not
shift the others.
"""

from __future__ import annotations

import zlib

import numpy as np

MONTHLY, INIT, NAMED = 0, 1, 2


def generator(seed: int, run: int, purpose: int, key: int = 0) -> np.random.Generator:
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(run, purpose, key))
    return np.random.Generator(np.random.PCG64(ss))


def name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def named_uniforms(seed: int, runs: np.ndarray, name: str) -> np.ndarray:
    """One uniform per run for the quantity called `name` (inverse-CDF sampling of its prior)."""
    key = name_key(name)
    return np.array([generator(seed, int(r), NAMED, key).random() for r in runs])


class BatchStreams:
    """The monthly and initialisation streams of a batch of runs, drawn run by run and stacked."""

    def __init__(self, seed: int, runs: np.ndarray) -> None:
        self.seed = seed
        self.runs = np.asarray(runs)
        self._monthly = [generator(seed, int(r), MONTHLY) for r in self.runs]
        self._init = [generator(seed, int(r), INIT) for r in self.runs]

    def monthly(self, n: int) -> np.ndarray:
        """(runs, n) float32 uniforms from each run's monthly stream; the block size must not depend on state."""
        out = np.empty((len(self._monthly), n), dtype=np.float32)
        for row, g in zip(out, self._monthly, strict=True):
            g.random(out=row, dtype=np.float32)
        return out

    def monthly64(self, n: int) -> np.ndarray:
        return np.stack([g.random(n) for g in self._monthly])

    def init(self, n: int) -> np.ndarray:
        return np.stack([g.random(n) for g in self._init])

    def init_normal(self, n: int) -> np.ndarray:
        return np.stack([g.standard_normal(n) for g in self._init])
