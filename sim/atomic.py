"""Files written whole or not at all: generic file helpers that any layer may use.

`atomic_write` writes to a temporary file in the same folder (so that the rename stays on one file system),
flushes and fsyncs it, then renames it over the target. A reader, or a kill at any moment (even `kill -9`),
sees either the old file or the whole new one, never a half-written one.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sim.errors import OutputError

__all__ = ["atomic_write"]


def atomic_write(path: Path, data: bytes, tmp: Path | None = None) -> None:
    """Write `data` to `path` so that a reader (or a kill) sees either the old file or the whole new one.

    The bytes go to `<path>.tmp` beside it (or to `tmp`, in the same folder: a name unique to the writer when
    several processes may write the same file at once), are flushed and fsynced, and the temporary file is
    renamed over `path` (`os.replace`, atomic on POSIX and Windows). On failure the temporary file is removed.

    Raises OutputError naming the file and the system's reason (disk full, read-only, ...)."""
    tmp = tmp or path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError.single(str(path), f"cannot write: {exc.strerror or exc}", key="output",
                                 expected="a writable folder with free space") from None
