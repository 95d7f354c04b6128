"""R&D subsidy (研发费用补助): a share of eligible firms' R&D spending reimbursed, paid monthly.

Effects: real R&D rises by the subsidy's additionality (`sim.model.rules.rd_decision`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.input.fields import Money, number  # noqa: F401 - each kind takes what it needs
from sim.model.levers.base import LeverBase


class Params(LeverBase):
    """The rd_subsidy lever's input."""

    kind: Literal["rd_subsidy"]
    rate: number(0, 1, description="share of R&D spending reimbursed") = Field(  # type: ignore[valid-type]
        json_schema_extra={"zh": "补助比例"})
    eligible: Literal["hte", "tech_sme", "all"] = Field(description="which firms")
