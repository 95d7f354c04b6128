"""Innovation vouchers (科技创新券): a number of vouchers a year for eligible firms, drawn at random.

Effects: a voucher adds to the firm's real R&D by the subsidy's additionality (× voucher / revenue)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.input.fields import Money, number  # noqa: F401 - each kind takes what it needs
from sim.model.levers.base import LeverBase


class Params(LeverBase):
    """The innovation_voucher lever's input."""

    kind: Literal["innovation_voucher"]
    amount: Money = Field(description="RMB per voucher")
    vouchers_per_year: number(0, 1e7, whole=True) = Field(description="count")  # type: ignore[valid-type]
    eligible: Literal["hte", "tech_sme", "all"] = Field(description="which firms")
