"""Output folders that never lose or mix results.

The life of a results folder `out` (say `results/guangxi_2020-0/`):

1. **Lock.** `<parent>/.<name>.lock` is locked (an advisory `flock`) while a run writes; a second run into the
   same folder is refused, naming the process that holds it. The system releases the lock when that process
   ends in any way, `kill -9` included.
2. **Staging.** Everything — checkpoint batches (`chunks/`; on a Dask cluster, the Parquet store `store/` that
   the workers write), tables, Parquet, plots, manifest — is written into `<parent>/.<name>.partial/`. An
   interrupted run leaves its finished batches there for `--resume`; the finished results in `out`, if any, are
   not touched. The batches are deleted at the commit: their values are in the results' own tables.
3. **Commit.** When every file is written, the staging folder takes the place of `out` by renaming (atomic on
   one file system). Earlier results are first renamed aside to `<parent>/.<name>.previous/`; files there that
   their manifest does not list (a user's notes) are moved into the new folder; then the listed files are
   deleted. A commit interrupted half-way is finished by the next zonesim that opens the folder.

zonesim deletes or overwrites only files its own manifest (or its own checkpoint) lists, never a user's files:
a non-empty folder without a zonesim manifest is refused as an output folder. Writing over finished results of
something else (other scenario, seed, number of runs, a replay) needs `--force`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import OutputError, Problem, ScenarioError

MANIFEST = "manifest.json"
COMPLETE = ".complete"
CHUNKS = "chunks"
#: The partitioned Parquet store of a run on a Dask cluster (`sim.runner.store`), the cluster's checkpoint.
STORE = "store"
#: Finished batches: a local run's checkpoint archives and a cluster run's store partitions.
BATCH_FILES = ("runs_*.npz", "runs_*.parquet")


def finished_batches(folder: Path) -> list[Path]:
    """The finished batches kept anywhere below `folder` (`BATCH_FILES`): what a resume would load."""
    return [p for pattern in BATCH_FILES for p in folder.rglob(pattern)]


def _cli_problem(out: Path, found: str, expected: str, hint: str = "") -> ScenarioError:
    return ScenarioError([Problem(str(out), None, None, "--out", found, expected, hint)])


#: What each kind of results folder holds, in words (the manifest's `kind`).
KIND_WORDS = {"run": "run", "replay": "replay of chosen runs", "compare": "comparison of levers",
              "backtest": "back-test", None: "run of an older zonesim"}


def _short(value: Any) -> str:
    """An identity value for a message: a SHA-256 cut to 12 characters, a long list to its length."""
    if isinstance(value, str) and len(value) == 64:
        return repr(value[:12] + "…")
    if isinstance(value, list) and len(value) > 6:
        return f"{len(value)} runs"
    return repr(value)


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The zonesim manifest of a results folder, or None when there is none (or it is not zonesim's)."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list) or "zonesim_version" not in data:
        return None
    return data


def staging_of(out: str | Path) -> Path:
    """Where the run into `out` stages its files and keeps its finished batches until it completes."""
    out = Path(out)
    return out.parent / f".{out.name}.partial"


class FolderLock:
    """An exclusive advisory lock on `<parent>/.<name>.lock`, released by the system if the holder dies."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = out.parent / f".{out.name}.lock"
        self.fh: Any = None

    def acquire(self) -> None:
        for _ in range(5):  # the file may be unlinked by its last holder between our open and our lock
            try:
                fh = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
            except OSError as exc:
                raise _cli_problem(self.path.parent, f"cannot create files here ({exc.strerror or exc})",
                                   "a folder zonesim may write in") from None
            if not _try_lock(fh):
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                fh.close()
                raise _cli_problem(self.out, f"in use by {holder}",
                                   "a folder no other zonesim run is writing to",
                                   "wait for it to finish, or choose another --out")
            try:
                same = os.fstat(fh.fileno()).st_ino == os.stat(self.path).st_ino
            except OSError:
                same = False
            if same:
                fh.seek(0)
                fh.truncate()
                fh.write(f"zonesim pid {os.getpid()} on {socket.gethostname()}, started "
                         f"{time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(sys.argv[:6])}")
                fh.flush()
                self.fh = fh
                return
            fh.close()
        raise _cli_problem(self.path, "a lock file that keeps changing", "a folder no other zonesim run uses")

    def release(self) -> None:
        if self.fh is None:
            return
        with contextlib.suppress(OSError):  # while still locked: a newcomer then sees a fresh file and takes it
            os.unlink(self.path)
        self.fh.close()
        self.fh = None


def _try_lock(fh: Any) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


@dataclass
class ResultFolder:
    """One output folder, written safely (see the module's docstring).

    out: the folder the user asked for. identity: what the results are of (scenario SHA-256, seed, runs, ...);
    finished results of another identity are replaced only with `force`. resume: continue the interrupted run
    staged beside `out`. Use as a context manager: the lock is held inside it; write into `staging`, then call
    `commit`. Raises ScenarioError (exit 2) for a folder that cannot be used, OutputError for a failed write.
    """

    out: Path
    identity: dict[str, Any]
    resume: bool = False
    force: bool = False
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.out = Path(self.out)
        self.staging = staging_of(self.out)
        self.previous = self.out.parent / f".{self.out.name}.previous"
        self.lock = FolderLock(self.out)

    @property
    def checkpoint(self) -> Path:
        return self.staging / CHUNKS

    @property
    def store(self) -> Path:
        """Where a run on a Dask cluster keeps its partitions (`sim.runner.store`) until the commit."""
        return self.staging / STORE

    def __enter__(self) -> ResultFolder:
        self._check_path()
        self.lock.acquire()
        try:
            self._recover()
            self._check_existing()
            self._prepare_staging()
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            if exc_type is not None and self.staging.exists() and not finished_batches(self.staging):
                shutil.rmtree(self.staging, ignore_errors=True)  # nothing finished: leave nothing behind
        finally:
            self.lock.release()

    # --- before anything is simulated ------------------------------------------------------------------------
    def _check_path(self) -> None:
        out = self.out
        if out.is_symlink() and not out.exists():
            raise _cli_problem(out, "a broken or looping symbolic link", "a folder")
        if out.exists() and not out.is_dir():
            kind = "a device" if out.is_char_device() or out.is_block_device() else \
                "a named pipe" if out.is_fifo() else "a file"
            raise _cli_problem(out, kind, "a folder (new, empty, or holding zonesim results)")
        if len(out.name.encode("utf-8")) > 200:
            raise _cli_problem(out, f"a folder name of {len(out.name.encode('utf-8'))} bytes",
                               "a name of at most 200 bytes (the file system's limit is 255, and zonesim adds "
                               "a suffix while writing)")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _cli_problem(out.parent, f"cannot create the folder ({exc.strerror or exc})",
                               "a folder zonesim may create and write in") from None
        if not os.access(out.parent, os.W_OK | os.X_OK):
            raise _cli_problem(out.parent, "a folder zonesim may not write in (permissions or read-only)",
                               "a writable folder")

    def _recover(self) -> None:
        """Finish a commit that was interrupted half-way (see the module's docstring): staged results marked
        complete are put in place (roll forward); earlier results set aside without a complete replacement go
        back (roll back); earlier results already replaced are retired."""
        if (self.staging / COMPLETE).exists():
            if self.out.exists() and not self.previous.exists():
                os.replace(self.out, self.previous)
            if not self.out.exists():
                os.replace(self.staging, self.out)
                (self.out / COMPLETE).unlink()
        elif self.previous.exists() and not self.out.exists():
            os.replace(self.previous, self.out)
            return
        if self.previous.exists():
            self._retire_previous()

    def _check_existing(self) -> None:
        out = self.out
        if self.staging.exists() and not finished_batches(self.staging):
            self._discard_staging()  # a run stopped before its first batch: nothing to resume, nothing to keep
        if self.staging.exists():
            if self.resume:
                return
            if not self.force:
                n = len(finished_batches(self.staging))
                raise _cli_problem(out, f"an interrupted run left {n} finished batch(es) in {self.staging}",
                                   "--resume to finish it, or --force to discard them")
            self._discard_staging()
        elif self.resume:
            raise _cli_problem(out, "nothing to resume: no interrupted run was found for this folder",
                               "the same --out as the interrupted run (its batches are kept in "
                               f"{self.staging})")
        if not out.exists():
            return
        entries = [p for p in out.iterdir()]
        if not entries:
            return
        before = read_manifest(out)
        if before is None:
            raise _cli_problem(out, "a folder holding files zonesim did not write",
                               "a new or empty folder, or one with zonesim results (zonesim never deletes "
                               "files it did not write)", "choose another --out")
        if self.force:
            return
        had = before.get("identity") or {}
        kind, theirs = self.identity.get("kind"), had.get("kind", before.get("kind"))
        if kind != theirs:  # older manifests kept the kind outside the identity
            raise _cli_problem(out, f"finished results of a {KIND_WORDS.get(theirs, theirs)}, and this command "
                               f"writes a {KIND_WORDS.get(kind, kind)}", "a new folder, or --force to replace them")
        changed = [f"{k} {_short(had.get(k))} (now {_short(v)})" for k, v in self.identity.items()
                   if had.get(k) != v]
        if changed:  # the differences go in the hint, which is never cut short
            raise _cli_problem(out, f"finished results of another {KIND_WORDS.get(kind, kind)}",
                               "a new folder, or --force to replace them", "they differ in " + "; ".join(changed))

    def _prepare_staging(self) -> None:
        try:
            self.staging.mkdir(exist_ok=True)
            probe = self.staging / ".probe"
            probe.write_bytes(b"zonesim")
            probe.unlink()
        except OSError as exc:
            raise _cli_problem(self.out.parent, f"cannot write here ({exc.strerror or exc})",
                               "a writable folder with free space") from None

    def check_resumed_where(self, on_cluster: bool) -> None:
        """A resumed run goes on where its batches are: a local run's in the checkpoint, a run on a Dask
        cluster's in the store. Raises ScenarioError (nothing simulated) when only the other kind is there."""
        if not self.resume:
            return
        theirs, ours = (self.checkpoint, self.store) if on_cluster else (self.store, self.checkpoint)
        if finished_batches(theirs) and not finished_batches(ours):
            where = "on this machine" if on_cluster else "on a Dask cluster"
            raise _cli_problem(self.out, f"an interrupted run {where}",
                               "--resume without --scheduler and --local-cluster" if on_cluster else
                               "--resume with --scheduler or --local-cluster, as the interrupted run",
                               f"its finished batches are in {theirs}")

    def check_space(self, needed_bytes: float) -> None:
        """Refuse before simulating when the file system has less free space than the results need."""
        free = shutil.disk_usage(self.staging).free
        if free < needed_bytes:
            raise OutputError([Problem(str(self.out.parent), None, None, "--out",
                                       f"{free / 1e6:,.0f} MB free on this disk",
                                       f"at least {needed_bytes / 1e6:,.0f} MB for the results",
                                       "free some space, use fewer --runs, or another --out")])

    # --- after the run ------------------------------------------------------------------------------------
    def commit(self) -> None:
        """Put the staged results in place of `out` (see the module's docstring)."""
        shutil.rmtree(self.checkpoint, ignore_errors=True)
        shutil.rmtree(self.store, ignore_errors=True)
        try:
            (self.staging / COMPLETE).write_bytes(b"")
            if self.out.exists() and not any(self.out.iterdir()):
                self.out.rmdir()
            if self.out.exists():
                os.replace(self.out, self.previous)
            os.replace(self.staging, self.out)
            (self.out / COMPLETE).unlink()
        except OSError as exc:
            raise OutputError.single(str(self.out), f"cannot put the results in place ({exc.strerror or exc})",
                                     key="--out", expected="a writable folder",
                                     found=f"results complete in {self.staging}") from None
        if self.previous.exists():
            self._retire_previous()

    def _retire_previous(self) -> None:
        """Delete the earlier results' listed files; move anything else (a user's files) into `out`."""
        prev = self.previous
        listed = set((read_manifest(prev) or {}).get("files", [])) | {MANIFEST, COMPLETE}
        for path in list(prev.iterdir()):
            if path.name in listed and path.is_file():
                path.unlink()
            elif path.name == CHUNKS and path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                target = self.out / path.name
                if not target.exists():
                    os.replace(path, target)
        try:
            prev.rmdir()
        except OSError:
            self.notes.append(f"{prev} kept: it holds files zonesim did not write and could not move")

    def _discard_staging(self) -> None:
        """Delete an interrupted run's staging folder (all of it is zonesim's own)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        if self.staging.exists():
            raise _cli_problem(self.staging, "a staging folder zonesim could not delete",
                               "a folder zonesim may write in")
