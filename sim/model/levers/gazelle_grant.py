"""Gazelle grants (瞪羚企业事前立项事后补助): projects approved each January among gazelles, paid after a delay.

Effects: a winner spends on R&D as if funded now; it is paid `paid_after_months` later if still alive."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim.input.fields import Money, number  # noqa: F401 - each kind takes what it needs
from sim.model.levers.base import LeverBase, choose_up_to

if TYPE_CHECKING:
    from sim.input.scenario import Policy
    from sim.model.engine import BatchSim


class Params(LeverBase):
    """The gazelle_grant lever's input."""

    kind: Literal["gazelle_grant"]
    amount: Money = Field(description="RMB per project")
    grants_per_year: number(0, 1e7, whole=True) = Field(  # type: ignore[valid-type]
        description="projects approved each January (事前立项)")
    paid_after_months: number(0, 60, whole=True) = Field(  # type: ignore[valid-type]
        description="months from approval to the ex-post payment (事后补助)")


def january(sim: BatchSim, lever: Policy, m: int) -> None:
    """Approve exactly up to `grants_per_year` projects among last year's gazelles in scope (by their uniforms in
    the lever's own stream); winners spend on R&D as if funded now, and are paid `paid_after_months` later if
    still alive, within that year's budget (事前立项事后补助)."""
    f = sim.state.firms
    u = sim.streams.firm(f"lever:{lever.id}", sim.W)
    won = choose_up_to(sim.gazelles_last_year & sim.firm_in_scope(lever.scope), u, int(lever.spec.grants_per_year))
    if not won.any():
        return
    amount = float(lever.spec.amount)
    f.voucher_intensity += (won * amount / np.maximum(f.revenue * 1e6, 1.0)).astype(np.float32)
    winners = np.nonzero(won)

    def pay() -> None:
        claims = np.zeros((sim.B, sim.W))
        claims[winners] = amount * f.alive[winners]
        sim.ledger.pay(lever.id, claims, f.zone)

    sim.after(m, int(lever.spec.paid_after_months), pay)
