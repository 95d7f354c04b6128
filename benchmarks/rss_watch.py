"""Resident memory of a command and every process it starts, sampled each second from /proc (Linux only).

Starts COMMAND, reads VmRSS of it and all its descendants every `--interval` seconds, and prints one line per
process: its role (the command itself, or a child by start order), when it lived, its RSS at the start, the
median, the peak and at the end, and the peak of each quarter of its life (a process whose quarters climb is
growing, batch after batch). `--csv FILE` keeps every sample (time, pid, ppid, rss in MB). Used to find which
process of `zonesim run` holds the memory (issue 14). Not a test: nothing here asserts a figure.

Usage: python benchmarks/rss_watch.py [--interval 1] [--csv FILE] -- COMMAND ...
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


def _stat(pid: int) -> tuple[int, str] | None:
    """(ppid, command name) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1: text.rindex(")")]
    return int(text[text.rindex(")") + 2:].split()[1]), name


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MB (10^6 bytes), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return None
    return None


def descendants(root: int) -> list[int]:
    """The process `root` and all its descendants now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None:
                children.setdefault(st[0], []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


@dataclass
class Track:
    """One process's samples: (seconds since start, RSS MB)."""

    pid: int
    ppid: int
    samples: list[tuple[float, float]] = field(default_factory=list)

    def summary(self) -> str:
        t = [s[0] for s in self.samples]
        r = [s[1] for s in self.samples]
        n = len(r)
        quarters = [max(r[i * n // 4: max((i + 1) * n // 4, i * n // 4 + 1)]) for i in range(4)] if n >= 4 else r
        med = sorted(r)[n // 2]
        return (f"{t[0]:6.0f}–{t[-1]:<6.0f} start {r[0]:7.0f}  median {med:7.0f}  peak {max(r):7.0f}  "
                f"end {r[-1]:7.0f}  quarter peaks " + " / ".join(f"{q:.0f}" for q in quarters))


def watch(command: list[str], interval: float = 1.0, csv: Path | None = None) -> tuple[int, dict[int, Track]]:
    """Run `command` and sample RSS of its process tree until it ends; returns its exit code and the tracks."""
    proc = subprocess.Popen(command)
    tracks: dict[int, Track] = {}
    t0 = time.monotonic()
    rows: list[str] = []
    while True:
        now = time.monotonic() - t0
        for pid in descendants(proc.pid):
            mb, st = rss_mb(pid), _stat(pid)
            if mb is None or st is None:
                continue
            tr = tracks.setdefault(pid, Track(pid, st[0]))
            tr.samples.append((now, mb))
            rows.append(f"{now:.1f},{pid},{st[0]},{mb:.1f}")
        if proc.poll() is not None:
            break
        time.sleep(interval)
    if csv is not None:
        csv.write_text("seconds,pid,ppid,rss_mb\n" + "\n".join(rows) + "\n")
    return proc.returncode, tracks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--csv", type=Path, default=None)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no command")
    rc, tracks = watch(command, args.interval, args.csv)
    root = next(iter(tracks), None)  # the command itself is sampled first
    print(f"\nRSS (MB) per process of: {' '.join(command)}  (exit {rc}; sampled every {args.interval:g} s)")
    for k, pid in enumerate(tracks):
        tr = tracks[pid]
        role = "main" if k == 0 else f"child {k} (of {'main' if tr.ppid == root else tr.ppid})"
        print(f"  {role:22} pid {pid:>7}  {tr.summary()}")
    sys.exit(rc)


if __name__ == "__main__":
    main()
