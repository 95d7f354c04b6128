"""Innovation vouchers (科技创新券): a number of vouchers a year for eligible firms, drawn at random.

Effects: a voucher adds to the firm's real R&D by the subsidy's additionality (× voucher / revenue)."""

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
    """The innovation_voucher lever's input."""

    kind: Literal["innovation_voucher"]
    amount: Money = Field(description="RMB per voucher")
    vouchers_per_year: number(0, 1e7, whole=True) = Field(description="count")  # type: ignore[valid-type]
    eligible: Literal["hte", "tech_sme", "all"] = Field(description="which firms")


def january(sim: BatchSim, lever: Policy, m: int) -> None:
    """Exactly up to `vouchers_per_year` eligible firms in scope get a voucher (by their uniforms in the lever's
    own stream); the money paid counts as funding for this year's R&D decision."""
    f = sim.state.firms
    u = sim.streams.firm(f"lever:{lever.id}", sim.W)
    got = choose_up_to(f.alive & sim.eligible(lever.spec.eligible, lever.scope), u, int(lever.spec.vouchers_per_year))
    paid = sim.ledger.pay(lever.id, got * float(lever.spec.amount), f.zone)
    f.voucher_intensity += (paid / np.maximum(f.revenue * 1e6, 1.0)).astype(np.float32)
