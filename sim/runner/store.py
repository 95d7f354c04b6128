"""A partitioned Parquet store of reduced batches: what the cluster runner's tasks write and its summaries read.

Layout, one folder per sweep so that two sweeps never mix, one per variant inside it (Hive-style, so that
`pyarrow.dataset` or pandas read the folder as one table with a `variant` column):

    <root>/<sweep>/_sweep.json                                   what the sweep is (`checkpoint.identity`)
    <root>/<sweep>/variant=<id>/runs_<first>_<last>.parquet     one reduced batch, one row per run

`<sweep>` is the first 16 hex digits of the SHA-256 of the sweep's identity (scenario or experiment and their
SHA-256, seed, run plan, zonesim version): a sweep of another seed or scenario gets another folder.

A partition holds one row per run: a `run` column, and one list column per array of the batch
(`checkpoint.flat_arrays`: `indicators/<name>`, `zone_values`, `target_hits`, …), each row the run's values
flattened in C order. Its key-value metadata `zonesim` (JSON) records the sweep, each column's dtype and per-run
shape, the batch's scalars (firm-months, seconds) and a SHA-256 digest of every array: a partition is trusted only
when it parses, belongs to the sweep, holds the runs its name says, has the scenario's shapes and its arrays
hash to the recorded digest. Everything read back is plain data (pyarrow ≥ 14.0.1 never unpickles from a file;
the metadata is JSON): nothing in a store can execute code. Files are written to a unique temporary name and
renamed, so a worker killed mid-write leaves no partition, only a `*.tmp` file that is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.atomic import atomic_write
from sim.errors import OutputError
from sim.runner.checkpoint import flat_arrays, unflatten

PARTITION = re.compile(r"runs_(\d{7})_(\d{7})\.parquet")
SWEEP_FILE = "_sweep.json"  # "_": a Parquet dataset reader skips it
META_KEY = b"zonesim"


def sweep_id(identity: dict[str, Any]) -> str:
    """The folder name of a sweep: 16 hex digits of the SHA-256 of its identity (canonical JSON)."""
    text = json.dumps(identity, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def digest(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 of named arrays: names, dtypes, shapes and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        h.update(f"{name}\0{arr.dtype.str}\0{arr.shape}\0".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def partition_name(first: int, last: int) -> str:
    """`runs_<first>_<last>.parquet` for runs first … last (inclusive), as checkpoint batches are named."""
    return f"runs_{first:07d}_{last:07d}.parquet"


def partition_bytes(part: Any, sweep: str) -> bytes:
    """A reduced batch (B runs) as a Parquet file of B rows (see the module's docstring)."""
    arrays = flat_arrays(part)
    runs = np.asarray(part.runs)
    B = len(runs)
    columns: dict[str, pa.Array] = {"run": pa.array(runs)}
    shapes: dict[str, list[int]] = {}
    dtypes: dict[str, str] = {}
    scalars: dict[str, Any] = {}
    for name, arr in arrays.items():
        if name == "runs":
            continue
        if arr.ndim == 0:
            scalars[name] = arr.item()
            continue
        if arr.shape[0] != B:
            raise ValueError(f"{name} has {arr.shape[0]} rows for {B} runs")
        width = int(np.prod(arr.shape[1:], dtype=np.int64))
        offsets = pa.array(np.arange(B + 1, dtype=np.int64) * width)
        columns[name] = pa.LargeListArray.from_arrays(offsets, pa.array(np.ascontiguousarray(arr).reshape(-1)))
        shapes[name] = list(arr.shape[1:])
        dtypes[name] = arr.dtype.str
    meta = {"sweep": sweep, "shapes": shapes, "dtypes": dtypes, "scalars": scalars, "runs_dtype": runs.dtype.str,
            "sha256": digest(arrays)}
    table = pa.table(columns).replace_schema_metadata({META_KEY: json.dumps(meta).encode("utf-8")})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def partition_from_bytes(data: bytes, sweep: str, make: Callable[..., Any]) -> Any:
    """Rebuild a batch from `partition_bytes` output with `make` (`sim.runner.montecarlo.Reduced`). Raises
    ValueError, saying why, for anything that is not a whole partition of this sweep."""
    try:
        table = pq.read_table(pa.BufferReader(data))
        meta = json.loads((table.schema.metadata or {})[META_KEY])
        owner = meta["sweep"]
        B = table.num_rows
        arrays = {"runs": table.column("run").to_numpy().astype(meta["runs_dtype"])}
        for name, shape in meta["shapes"].items():
            values = table.column(name).combine_chunks().flatten()
            flat = values.to_numpy(zero_copy_only=False).astype(meta["dtypes"][name], copy=False)
            arrays[name] = flat.reshape((B, *shape))
        for name, value in meta["scalars"].items():
            arrays[name] = np.asarray(value)
        recorded = meta["sha256"]
    except (pa.ArrowException, OSError, KeyError, TypeError, ValueError, RecursionError) as exc:
        raise ValueError(f"not a partition ({type(exc).__name__})") from None
    if owner != sweep:
        raise ValueError(f"a partition of sweep {owner!r}, not of this sweep ({sweep})")
    if digest(arrays) != recorded:
        raise ValueError("its values differ from the digest recorded when it was written (damaged or replaced)")
    return unflatten(arrays, make)


def write_partition(path: Path, part: Any, sweep: str) -> None:
    """Write a partition whole or not at all: to a temporary name unique to this writer, then renamed (two
    attempts at the same batch, e.g. a task retried while a lost worker still runs, never mix their bytes).
    Raises OutputError naming the file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError.single(str(path.parent), f"cannot create: {exc.strerror or exc}", key="store",
                                 expected="a writable folder that every worker shares") from None
    atomic_write(path, partition_bytes(part, sweep), tmp=path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp"))


class Store:
    """The partitions of one variant of one sweep under `root` (see the module's docstring).

    root: the store's folder, on a file system every worker shares (made absolute). identity: what the sweep is
    (`sweep_id` names its folder; written to `_sweep.json`). variant: the variant's id (a scenario's own id for a
    plain run).
    """

    def __init__(self, root: str | Path, identity: dict[str, Any], variant: str) -> None:
        self.root = Path(root).resolve()
        self.identity = identity
        self.sweep = sweep_id(identity)
        self.variant = variant
        self.folder = self.root / self.sweep / f"variant={variant}"

    def path(self, first: int, last: int) -> Path:
        """The partition of runs first … last (inclusive)."""
        return self.folder / partition_name(first, last)

    def partitions(self) -> list[Path]:
        """Every partition file of this variant, in run order."""
        return sorted(p for p in self.folder.glob("runs_*.parquet") if PARTITION.fullmatch(p.name))

    def open(self, resume: bool, make: Callable[..., Any], check: Callable[[Any], None] | None = None,
             notes: Callable[[str], None] | None = None) -> dict[int, Any]:
        """Prepare the variant's folder and return the batches already there, by first run: with `resume`, every
        partition that can be trusted (`partition_from_bytes`, its runs as its name says, `check` — which
        raises ValueError for a batch of other shapes); each one that cannot is named in `notes` and deleted, so
        that its runs are simulated again. Without `resume`, the variant's partitions are deleted first.
        Raises OutputError when the folder cannot be written."""
        done: dict[int, Any] = {}
        if resume:
            for path in self.partitions():
                why = self._load(path, make, check, done)
                if why:
                    if notes is not None:
                        notes(f"{path}: {why}; its runs are simulated again")
                    with contextlib.suppress(OSError):
                        path.unlink()
        elif self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError.single(str(self.folder), f"cannot create: {exc.strerror or exc}", key="store",
                                     expected="a writable folder that every worker shares") from None
        sweep_file = self.root / self.sweep / SWEEP_FILE
        if not sweep_file.is_file():
            atomic_write(sweep_file, json.dumps(self.identity, ensure_ascii=False, indent=1,
                                                default=repr).encode("utf-8"))
        return done

    def _load(self, path: Path, make: Callable[..., Any], check: Callable[[Any], None] | None,
              done: dict[int, Any]) -> str:
        """Load one partition into `done` (partitions come in run order) if it can be trusted; else say why not.
        A partition whose runs overlap one already loaded (blocks of another size, written by a task of an
        earlier attempt that was still running) is not loaded: each run is counted once."""
        try:
            part = self.read(path, make)
            if check is not None:
                check(part)
        except ValueError as exc:
            return str(exc)
        if done and int(part.runs[0]) <= max(int(p.runs[-1]) for p in done.values()):
            return "its runs overlap those of another partition"
        done[int(part.runs[0])] = part
        return ""

    def read(self, path: Path, make: Callable[..., Any]) -> Any:
        """The batch in partition `path`; raises ValueError when it is missing, unreadable, damaged, of another
        sweep or holds other runs than its name says."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"unreadable ({exc.strerror or exc})") from None
        part = partition_from_bytes(data, self.sweep, make)
        m = PARTITION.fullmatch(path.name)
        runs = np.asarray(part.runs)
        if m is None or runs.ndim != 1 or runs.size == 0 or int(runs[0]) != int(m.group(1)) \
                or int(runs[-1]) != int(m.group(2)):
            raise ValueError("its runs differ from its name")
        return part

    def others(self) -> list[str]:
        """The other sweeps in the same store (their folder names)."""
        try:
            return sorted(p.name for p in self.root.iterdir() if p.is_dir() and p.name != self.sweep
                          and (p / SWEEP_FILE).is_file())
        except OSError:
            return []

