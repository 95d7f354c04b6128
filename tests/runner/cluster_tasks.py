"""Stand-ins for the cluster runner's task, for tests/runner/test_cluster.py (not a test module). The workers of a
Dask cluster import this module to run them, so it imports little."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sim.runner import cluster

#: The real task, whatever a test puts in its place (a worker imports this module to run a stand-in).
SIMULATE_BLOCK = cluster.simulate_block


def die_once(marker: str, *args):
    """A task that kills its worker process the first time any task runs it (the marker is created atomically,
    so exactly one attempt dies), then simulates as usual."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return SIMULATE_BLOCK(*args)
    os._exit(1)


def fail_after(ready: str, first: int, *args):
    """A task that fails every time for the block starting at `first`, once the partition `ready` exists."""
    if args[3] != first:  # (simulate, scenario, seed, first run, …)
        return SIMULATE_BLOCK(*args)
    for _ in range(1200):  # a synchronisation, not a timing: the other block is written first
        if Path(ready).exists():
            break
        time.sleep(0.05)
    raise OSError("the shared disk went away")
