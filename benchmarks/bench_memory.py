"""Benchmark: the memory a worker needs per firm slot, which `sim.runner.resources` uses to plan batch sizes.

For each bundled scenario (or the ones named), simulates one batch of B runs in a fresh process for two batch
sizes and prints the peak resident memory, the slots the batch allocated, and the marginal bytes per slot
((peak_B2 − peak_B1) / (slots_B2 − slots_B1)); then compares `sim.runner.resources.worker_bytes` (the estimate used
to refuse or shrink runs) with the measured peak. Not a test: nothing here asserts a figure.

Usage: python benchmarks/bench_memory.py [--batches 10 40] [SCENARIO ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys
import numpy as np
import sim
from sim.model.engine import BatchSim
sc = sim.load_scenario(sys.argv[1])
B = int(sys.argv[2])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
b = BatchSim(sc, 0, np.arange(B))
b.run()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"peak": peak, "imports": base, "slots": int(b.state.firms.capacity.sum()), "width": b.W}))
"""


def measure(scenario: str, batch: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, scenario, str(batch)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="*", default=sorted(str(p) for p in (ROOT / "scenarios").glob("*.yaml")))
    ap.add_argument("--batches", nargs=2, type=int, default=[10, 40])
    args = ap.parse_args()

    import sim
    from sim.runner.resources import BYTES_PER_SLOT, WORKER_BASE, slots_per_run, worker_bytes

    print(f"estimate: {WORKER_BASE / 1e6:.0f} MB + {BYTES_PER_SLOT} bytes per slot; slots per run planned at "
          "the 99th percentile of every prior")
    print(f"{'scenario':16} {'B':>4} {'peak MB':>8} {'imports MB':>10} {'slots':>10} {'bytes/slot':>10} "
          f"{'estimate MB':>11}")
    for path in args.scenarios:
        sc = sim.load_scenario(path)
        small, large = (measure(path, b) for b in args.batches)
        per_slot = (large["peak"] - small["peak"]) / max(large["slots"] - small["slots"], 1)
        for b, m in zip(args.batches, (small, large), strict=True):
            print(f"{sc.id:16} {b:>4} {m['peak'] / 1e6:>8.0f} {m['imports'] / 1e6:>10.0f} {m['slots']:>10,} "
                  f"{per_slot:>10.0f} {worker_bytes(sc, b) / 1e6:>11.0f}")
        print(f"{'':16} planned slots per run {slots_per_run(sc):,}")


if __name__ == "__main__":
    main()
