"""Random streams: one generator per (seed, run, purpose), so that results never depend on batching, and one
*named* stream per mechanism and lever, so that adding one never shifts another's draws.

Why this layout: a run's numbers come only from its own streams, so the same seed gives the same run whether
it is computed alone, in a batch of 500, or in another worker process. Each mechanism draws from streams named
after it (`"exit"`, `"certification.apply"`, ...): its generator is keyed by the name, so a new mechanism, or
a new draw in one, leaves every other stream as it was. Each call draws a block of fixed size set by the
calendar and the run's agent capacity, never by what the agents do: the same agent slot meets the same uniform
in two variants of a scenario (common random numbers). Parameters and base-year quantities draw from a stream
keyed by their *name*, so adding a parameter does not shift the others.
"""

from __future__ import annotations

import zlib

import numpy as np

INIT, NAMED, ENTRANT, STREAM = 1, 2, 3, 4
#: Entrants' traits come in blocks of this many, keyed by the entrant's ordinal in its run.
#: The largest seed a run accepts (the command line and the library alike): seeds enter NumPy's SeedSequence as
#: 64-bit words with the run index and stream name.
SEED_MAX = 2**63 - 1
ENTRANT_BLOCK = 256
N_TRAIT_NORMALS, N_TRAIT_UNIFORMS = 11, 3


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


def _fill(gens: list[np.random.Generator], out: np.ndarray, widths: np.ndarray, normal: bool) -> np.ndarray:
    """Fill out[b, r, :widths[b]] from generator b, row by row: each run's draws never depend on the others."""
    for b, g in enumerate(gens):
        for row in out[b]:
            if normal:
                g.standard_normal(out=row[: int(widths[b])], dtype=np.float32)
            else:
                g.random(out=row[: int(widths[b])], dtype=np.float32)
    return out


def skip_float32(g: np.random.Generator, n: int) -> None:
    """Advance `g` exactly as drawing `n` float32 uniforms would, without drawing them.

    Why it is exact: PCG64 makes a float32 from 32 bits, taking each 64-bit output in two halves and keeping the
    unused half buffered (`has_uint32`). So: use up a buffered half, jump over whole 64-bit outputs with
    `advance` (which clears the buffer, empty by then), and draw one more value if `n` is still odd, which
    leaves its other half buffered as a full draw would. Checked against full draws in tests/model/test_rng.py.
    """
    if n <= 0:
        return
    if g.bit_generator.state["has_uint32"]:
        g.random(1, dtype=np.float32)
        n -= 1
    g.bit_generator.advance(n // 2)
    if n % 2:
        g.random(1, dtype=np.float32)


class BatchStreams:
    """The random streams of a batch of runs, each drawn from the run's own generators.

    `firm(name, width)`: a (runs, width) block of float32 uniforms for firm slots from the stream `name`; each
    run draws exactly `caps[run]` (its firm capacity, fixed by its own draws) whatever the batch's width, so a
    run's stream never depends on its batch. Padding is inert (1.0: no event has probability 1).
    `small(name, n)`: (runs, n) float64 uniforms (per zone, per incubator, per run) from the stream `name`.
    Entrants: entrant k of a run takes row k of its run's entrant blocks, whenever it enters.
    """

    def __init__(self, seed: int, runs: np.ndarray) -> None:
        self.seed = seed
        self.runs = np.asarray(runs)
        self._init = [generator(seed, int(r), INIT) for r in self.runs]
        self._named: dict[str, list[np.random.Generator]] = {}
        self.caps: np.ndarray | None = None
        self._entrants: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def _gens(self, name: str) -> list[np.random.Generator]:
        gens = self._named.get(name)
        if gens is None:
            key = name_key(name)
            gens = self._named[name] = [generator(self.seed, int(r), STREAM, key) for r in self.runs]
        return gens

    def firm(self, name: str, width: int) -> np.ndarray:
        """(runs, width) float32 uniforms for firm slots from stream `name` (each run advances by its capacity).

        Only the first min(capacity, width) uniforms of a run are drawn; the generator then jumps over the rest
        of its capacity (`skip_float32`), so the stream is exactly the one drawn in full (issue 14: drawing whole
        capacities was 11% of Guangxi's time, most of it on slots no firm had reached)."""
        assert self.caps is not None
        out = np.ones((len(self.runs), width), dtype=np.float32)
        for b, g in enumerate(self._gens(name)):
            cap = int(self.caps[b])
            n = min(cap, width)
            g.random(out=out[b, :n], dtype=np.float32)
            skip_float32(g, cap - n)
        return out

    def small(self, name: str, n: int) -> np.ndarray:
        """(runs, n) float64 uniforms from stream `name`."""
        return np.stack([g.random(n) for g in self._gens(name)])

    def init(self, rows: int, widths: np.ndarray, width: int) -> np.ndarray:
        """(runs, rows, width) uniforms: `widths[run]` from each run's initialisation stream, padded with 1."""
        return _fill(self._init, np.ones((len(self._init), rows, width), dtype=np.float32), widths, normal=False)

    def init_normal(self, rows: int, widths: np.ndarray, width: int) -> np.ndarray:
        """(runs, rows, width) standard normals, `widths[run]` per row, padded with 0."""
        return _fill(self._init, np.zeros((len(self._init), rows, width), dtype=np.float32), widths, normal=True)

    def entrant_draws(self, batch_index: np.ndarray, ordinal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normals (n, 11) and uniforms (n, 3) of entrants given by batch row and ordinal within their run.
        Entrants come grouped by run with consecutive ordinals (as `claim_slots` makes them)."""
        normals = np.empty((len(ordinal), N_TRAIT_NORMALS), dtype=np.float32)
        uniforms = np.empty((len(ordinal), N_TRAIT_UNIFORMS), dtype=np.float32)
        starts = np.flatnonzero(np.r_[True, batch_index[1:] != batch_index[:-1]])
        for lo, hi in zip(starts, np.r_[starts[1:], len(ordinal)], strict=True):
            b, first, last = int(batch_index[lo]), int(ordinal[lo]), int(ordinal[hi - 1])
            blocks = [self._entrant_block(b, k) for k in range(first // ENTRANT_BLOCK, last // ENTRANT_BLOCK + 1)]
            rows = ordinal[lo:hi] - (first // ENTRANT_BLOCK) * ENTRANT_BLOCK
            normals[lo:hi] = np.concatenate([blk[0] for blk in blocks])[rows]
            uniforms[lo:hi] = np.concatenate([blk[1] for blk in blocks])[rows]
        return normals, uniforms

    def _entrant_block(self, b: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        key = (b, k)
        if key not in self._entrants:
            g = generator(self.seed, int(self.runs[b]), ENTRANT, k)
            self._entrants[key] = (g.standard_normal((ENTRANT_BLOCK, N_TRAIT_NORMALS), dtype=np.float32),
                                   g.random((ENTRANT_BLOCK, N_TRAIT_UNIFORMS), dtype=np.float32))
            self._entrants.pop((b, k - 2), None)  # ordinals only increase: older blocks are done
        return self._entrants[key]

    def names(self) -> list[str]:
        """The named streams drawn so far (for the calendar's table and tests)."""
        return sorted(self._named)
