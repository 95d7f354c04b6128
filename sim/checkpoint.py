"""Runs that survive being killed: every finished batch is written to disk before the next is awaited.

A checkpoint folder holds `state.json` (what the runs are: scenario id and SHA-256, seed, run plan, version)
and one pickle per finished batch, `runs_<first>_<last>.pkl`, written to a temporary name and renamed, so a
kill (even `kill -9`) leaves only whole batches. `--resume` loads the batches whose runs are wanted and
simulates the rest; run k's numbers depend only on (scenario, seed, k), so the summary is identical to an
uninterrupted run. Resuming with a changed scenario, seed or run plan is refused, naming what changed.
"""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError

STATE = "state.json"


class Checkpoint:
    """The batches of one Monte Carlo (one scenario, one seed) on disk."""

    def __init__(self, folder: str | Path, identity: dict[str, Any], resume: bool) -> None:
        self.folder = Path(folder)
        self.identity = identity
        self.done: dict[int, Any] = {}  # first run of a batch -> its reduced results
        state = self.folder / STATE
        if resume:
            if not state.is_file():
                raise ScenarioError.single(str(self.folder), "nothing to resume: no earlier run was written here",
                                           key="--resume", expected="the output folder of an interrupted run")
            before = json.loads(state.read_text(encoding="utf-8"))
            changed = [f"{k}: {before.get(k)!r} then, {v!r} now" for k, v in identity.items() if before.get(k) != v]
            if changed:
                raise ScenarioError.single(str(self.folder), "the interrupted run was of something else: "
                                           + "; ".join(changed), key="--resume",
                                           expected="the same scenario file, seed and number of runs (or run "
                                                    "without --resume, with --force, to start again)")
            for path in sorted(self.folder.glob("runs_*.pkl")):
                with path.open("rb") as fh:
                    part = pickle.load(fh)
                self.done[int(part.runs[0])] = part
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            for path in self.folder.glob("runs_*.pkl"):
                path.unlink()
            _atomic_write(state, json.dumps(identity, ensure_ascii=False, indent=1).encode("utf-8"))

    def finished_runs(self) -> set[int]:
        return {int(r) for part in self.done.values() for r in part.runs}

    def save(self, part: Any) -> None:
        name = f"runs_{int(part.runs[0]):07d}_{int(part.runs[-1]):07d}.pkl"
        _atomic_write(self.folder / name, pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def identity(scenario: Any, seed: int, runs: int | None, max_runs: int, half_width: float) -> dict[str, Any]:
    """What a resumed run must share with the interrupted one."""
    import sim

    return {"scenario_id": scenario.id, "scenario_sha256": scenario.sha256, "policies": repr(scenario.policies),
            "seed": seed, "runs": runs, "max_runs": max_runs, "half_width": half_width, "version": sim.__version__}
