"""The model's invariants, checked at every snapshot: a run that breaks one stops the batch with its index and
seed, so that it can be replayed alone (`zonesim run FILE --seed S --only-run R`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.errors import Problem, RunError
from sim.model.calendar import month_of_year
from sim.model.fields import FIELD_INDEX

if TYPE_CHECKING:
    from sim.model.engine import BatchSim


def violations(sim: BatchSim, idx: int, m: int) -> dict[int, str]:
    """{batch row: the first rule it breaks} at snapshot `idx` (month m); empty when every run keeps them."""
    snap = sim.snapshots[:, idx]
    f = sim.state.firms
    bad: dict[int, str] = {}

    def flag(mask: np.ndarray, what: str) -> None:
        for b in np.flatnonzero(mask):
            bad.setdefault(int(b), what)

    flag(~np.isfinite(snap).all(axis=(1, 2)), "a NaN or infinite indicator")
    flag((snap < -1e-9).any(axis=(1, 2)), "a negative count or amount")
    flag((snap[:, :, FIELD_INDEX["hte"]] > snap[:, :, FIELD_INDEX["firms"]] + 1e-9).any(axis=1),
         "more HTEs than living firms")
    flag((f.hte & (f.hte_expiry < m)).any(axis=1), "a certificate valid past its 36 months")
    flag(sim.overflow > 0, "more firms or incubators than the scenario's capacity (raise the counts' bounds)")
    if idx > 0 and month_of_year(m) == 12:
        prev = max(i for i, (_, mo, mm) in enumerate(sim.times) if mo == 12 and mm < m)
        d_firms = snap[:, :, FIELD_INDEX["firms"]].sum(1) - sim.snapshots[:, prev, :, FIELD_INDEX["firms"]].sum(1)
        net = snap[:, :, FIELD_INDEX["entries"]].sum(1) - snap[:, :, FIELD_INDEX["exits"]].sum(1)
        flag(np.abs(d_firms - net) > 1e-6, "entries - exits differs from the change in the firm stock")
        ledger = sim.ledger.by_year[:, (m - 1) // 12].sum(axis=1) / 1e4
        flag(np.abs(snap[:, :, FIELD_INDEX["fiscal_cost"]].sum(1) - ledger) > 1e-6 * (1 + ledger),
             "fiscal cost differs from the sum of payments")
    return bad


def check(sim: BatchSim, idx: int, m: int) -> None:
    """Raise RunError naming the first run (lowest index) that breaks an invariant, and how to replay it."""
    bad = violations(sim, idx, m)
    if bad:
        b, what = min(bad.items())
        run = int(sim.runs[b])
        raise RunError([Problem(sim.sc.path or sim.sc.id, None, None, f"run {run}", f"{what} in month {m}",
                                "a run that keeps the model's invariants",
                                f"replay it with: zonesim run {sim.sc.path} --seed {sim.seed} --only-run {run}")])
