"""HTE cultivation programme (高企培育库): each January up to a number of near-eligible firms are enrolled and
prepare for certification for sure; RMB per enrolled firm (services and subsidy)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.input.fields import Money, number  # noqa: F401 - each kind takes what it needs
from sim.model.levers.base import LeverBase


class Params(LeverBase):
    """The hte_cultivation lever's input."""

    kind: Literal["hte_cultivation"]
    amount: Money = Field(description="RMB per enrolled firm (services and subsidy)")
    firms_per_year: number(1, 1e6, whole=True, zh="培育入库企业数",  # type: ignore[valid-type]
                           description="near-eligible firms enrolled each January")
