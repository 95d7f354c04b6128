"""HTE award (高新技术企业认定奖励): RMB per first certification and per re-certification.

Effects: the award raises the yearly chance that a near-eligible firm prepares and that an eligible one applies
(× (1 + award / tax benefit)^η, `sim.model.rules.apply_probability`); it is paid on certification."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.input.fields import Money, number  # noqa: F401 - each kind takes what it needs
from sim.model.levers.base import LeverBase


class Params(LeverBase):
    """The hte_award lever's input."""

    kind: Literal["hte_award"]
    amount_new: Money = Field(description="RMB per first certification", json_schema_extra={"zh": "首次认定奖励"})
    amount_renewal: Money = Field(description="RMB per re-certification", json_schema_extra={"zh": "重新认定奖励"})
