"""Runs that survive being killed: every finished batch is on disk before the next is awaited.

A checkpoint folder holds `state.json` (what the runs are: scenario id and SHA-256, seed, run plan, version,
and the SHA-256 of every batch file written so far) and one NumPy archive per finished batch,
`runs_<first>_<last>.npz`. Batches are plain arrays loaded with `allow_pickle=False`: nothing read back from
disk can execute code. Each file is written to a temporary name, flushed and renamed, and only then recorded
in `state.json`, so a kill (even `kill -9`) leaves whole, listed batches and at worst one unlisted file.

`--resume` loads the listed batches whose checksum, name and shapes match and simulates the rest; a batch that
is unlisted, damaged, truncated or planted is named in a note and simulated again, never trusted. Run k's
numbers depend only on (scenario, seed, k), so the summary is identical to an uninterrupted run's. Resuming
with a changed scenario, seed or run plan is refused, naming what changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sim.atomic import atomic_write
from sim.errors import OutputError, Problem, ScenarioError

STATE = "state.json"
BATCH = re.compile(r"runs_(\d{7})_(\d{7})\.npz")


def flat_arrays(part: Any) -> dict[str, np.ndarray]:
    """A reduced batch (`sim.runner.montecarlo.Reduced`) as plain arrays: a field that is a dict gives one array per
    key, named `<field>/<key>`; a scalar gives a 0-d array; a field that is None (per-zone values already
    streamed to disk) is left out. `unflatten` is the inverse."""
    arrays: dict[str, np.ndarray] = {}
    for name, value in vars(part).items():
        if isinstance(value, dict):
            for key, arr in value.items():
                arrays[f"{name}/{key}"] = np.asarray(arr)
        elif value is not None:
            arrays[name] = np.asarray(value)
    return arrays


def unflatten(arrays: Mapping[str, np.ndarray], make: Callable[..., Any]) -> Any:
    """Rebuild a batch from `flat_arrays` output with `make` (`sim.runner.montecarlo.Reduced`). Raises ValueError
    for object arrays (never trusted) and for fields that `make` does not take."""
    fields: dict[str, Any] = {}
    for key, arr in arrays.items():
        if arr.dtype == object:
            raise ValueError("object arrays")
        if "/" in key:
            name, sub = key.split("/", 1)
            fields.setdefault(name, {})[sub] = arr
        else:
            fields[key] = arr.item() if arr.ndim == 0 else arr
    fields.setdefault("zone_values", None)
    try:
        return make(**fields)
    except TypeError as exc:
        raise ValueError(f"fields of something else ({exc})") from None


def batch_bytes(part: Any) -> bytes:
    """A reduced batch (`sim.runner.montecarlo.Reduced`) as an `.npz` archive of plain arrays (`flat_arrays`)."""
    buf = io.BytesIO()
    np.savez(buf, **flat_arrays(part))
    return buf.getvalue()


def batch_from_bytes(data: bytes, make: Callable[..., Any]) -> Any:
    """Rebuild a batch from `batch_bytes` output; raises ValueError for anything that is not one."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return unflatten({key: npz[key] for key in npz.files}, make)
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile, RecursionError) as exc:
        raise ValueError(f"not a batch archive ({type(exc).__name__}: {exc})") from None


class Checkpoint:
    """The batches of one Monte Carlo (one scenario, one seed) on disk.

    folder: where batches go (created). identity: what a resumed run must share with the interrupted one.
    make: builds a batch object from its fields (`sim.runner.montecarlo.Reduced`). check: raises ValueError when a
    loaded batch does not fit the scenario (wrong shapes). notes: receives one line per batch not trusted.
    """

    def __init__(self, folder: str | Path, identity: dict[str, Any], resume: bool,
                 make: Callable[..., Any], check: Callable[[Any], None] | None = None,
                 notes: Callable[[str], None] | None = None) -> None:
        self.folder = Path(folder)
        self.identity = identity
        self.done: dict[int, Any] = {}  # first run of a batch -> its reduced results
        self.sums: dict[str, str] = {}
        state = self.folder / STATE
        if resume:
            if not state.is_file():
                raise ScenarioError.single(str(self.folder), "nothing to resume: no interrupted run was found here",
                                           key="--resume", expected="the output folder of an interrupted run")
            before = _read_state(state)
            changed = identity_changes(before, identity)
            if changed:
                raise resumed_something_else(self.folder, changed)
            listed = before.get("batches", {})
            for path in sorted(self.folder.glob("runs_*.npz")):
                why = self._load(path, listed.get(path.name), make, check)
                if why and notes is not None:
                    notes(f"{path}: {why}; its runs are simulated again")
        else:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError.single(str(self.folder), f"cannot create: {exc.strerror or exc}", key="output",
                                         expected="a writable folder") from None
            for path in self.folder.glob("runs_*.npz"):
                path.unlink()
        self._write_state()

    def _load(self, path: Path, expected_sum: str | None, make: Callable[..., Any],
              check: Callable[[Any], None] | None) -> str:
        """Load one batch file if it can be trusted; else say why not (and never keep it)."""
        m = BATCH.fullmatch(path.name)
        if expected_sum is None:
            return "not recorded as written by this run (unfinished or foreign)"
        try:
            data = path.read_bytes()
        except OSError as exc:
            return f"unreadable ({exc.strerror or exc})"
        if hashlib.sha256(data).hexdigest() != expected_sum:
            return "its checksum differs from the one recorded when it was written (damaged, truncated or replaced)"
        try:
            part = batch_from_bytes(data, make)
            runs = np.asarray(part.runs)
            first, last = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
            if runs.ndim != 1 or runs.size == 0 or int(runs[0]) != first or int(runs[-1]) != last:
                raise ValueError("its runs differ from its name")
            if check is not None:
                check(part)
        except ValueError as exc:
            return str(exc)
        self.done[first] = part
        self.sums[path.name] = expected_sum
        return ""

    def finished_runs(self) -> set[int]:
        return {int(r) for part in self.done.values() for r in part.runs}

    def save(self, part: Any) -> None:
        """Write a finished batch, then record its checksum (the order that makes a kill harmless)."""
        name = f"runs_{int(part.runs[0]):07d}_{int(part.runs[-1]):07d}.npz"
        data = batch_bytes(part)
        atomic_write(self.folder / name, data)
        self.sums[name] = hashlib.sha256(data).hexdigest()
        self._write_state()

    def _write_state(self) -> None:
        state = {**self.identity, "batches": dict(sorted(self.sums.items()))}
        atomic_write(self.folder / STATE, json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"))


def identity_changes(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between an interrupted run's identity and this one's, as "key: then, now" lines."""
    return [f"{k}: {before.get(k)!r} then, {v!r} now" for k, v in now.items() if before.get(k) != v]


def resumed_something_else(where: str | Path, changed: list[str]) -> ScenarioError:
    """The error for `--resume` over a run of another scenario, seed or run plan (`changed`: what differs)."""
    return ScenarioError.single(str(where), "the interrupted run was of something else"
                                + (": " + "; ".join(changed) if changed else ""), key="--resume",
                                expected="the same scenario file, seed and number of runs (or run without --resume, "
                                         "with --force, to start again)")


def _read_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise ScenarioError([Problem(str(path), None, None, "--resume", f"an unreadable state file "
                                     f"({type(exc).__name__})", "the state.json an interrupted run wrote",
                                     "run again with --force to start afresh")]) from None
    if not isinstance(state, dict) or not isinstance(state.get("batches", {}), dict):
        raise ScenarioError([Problem(str(path), None, None, "--resume", "a state file of another shape",
                                     "the state.json an interrupted run wrote",
                                     "run again with --force to start afresh")])
    return state


def identity(scenario: Any, seed: int, runs: int | None, max_runs: int, half_width: float) -> dict[str, Any]:
    """What a resumed run must share with the interrupted one."""
    from sim.version import __version__

    post = getattr(scenario, "posterior", None)
    return {"scenario_id": scenario.id, "scenario_sha256": scenario.sha256, "policies": repr(scenario.policies),
            "posterior_sha256": post.sha256 if post is not None else None,
            "seed": seed, "runs": runs, "max_runs": max_runs, "half_width": half_width, "version": __version__}
