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
    words = [np.random.SeedSequence(entropy=seed, spawn_key=(int(r), NAMED, key)).generate_state(1, np.uint64)[0]
             for r in runs]
    return (np.array(words, dtype=np.uint64) >> np.uint64(11)).astype(np.float64) * 2.0**-53


class BatchStreams:
    """The monthly and initialisation streams of a batch of runs, drawn run by run into one padded array.

    Each run draws exactly `caps[run]` values per row (its own firm capacity, fixed by its own draws), so a
    run's stream never depends on the other runs of its batch. Padding is inert: uniforms of 1.0 (no event
    has probability 1) and normals of 0.
    """

    def __init__(self, seed: int, runs: np.ndarray) -> None:
        self.seed = seed
        self.runs = np.asarray(runs)
        self._monthly = [generator(seed, int(r), MONTHLY) for r in self.runs]
        self._init = [generator(seed, int(r), INIT) for r in self.runs]
        self.caps: np.ndarray | None = None

    def _fill(self, gens: list, rows: int, caps: np.ndarray | None, n: int | None, normal: bool) -> np.ndarray:
        width = int(caps.max()) if n is None else n
        out = np.full((len(gens), rows, width), 0.0 if normal else 1.0, dtype=np.float32)
        for b, g in enumerate(gens):
            c = width if n is not None else int(caps[b])
            for r in range(rows):
                if normal:
                    g.standard_normal(out=out[b, r, :c], dtype=np.float32)
                else:
                    g.random(out=out[b, r, :c], dtype=np.float32)
        return out

    def monthly(self, rows: int, n: int | None = None) -> np.ndarray:
        """(runs, rows, width) float32 uniforms: `caps[run]` per row (firm slots), or `n` for other agents.
        The block's layout depends only on the calendar and the run, never on what agents do."""
        return self._fill(self._monthly, rows, self.caps, n, normal=False)

    def monthly64(self, n: int) -> np.ndarray:
        return np.stack([g.random(n) for g in self._monthly])

    def init(self, rows: int, n: int | None = None) -> np.ndarray:
        return self._fill(self._init, rows, self.caps, n, normal=False)

    def init_normal(self, rows: int) -> np.ndarray:
        return self._fill(self._init, rows, self.caps, None, normal=True)
