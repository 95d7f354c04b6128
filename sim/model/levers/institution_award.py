"""Institution award (研发机构奖励): RMB per new organisation of the chosen types (a venture guidance fund is
an award per new venture_fund).

Effects: raises the formation of those organisations (× (1 + e · award / 1M RMB))."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.input.fields import Money, number  # noqa: F401 - each kind takes what it needs
from sim.model.fields import INST_TYPES
from sim.model.levers.base import LeverBase


class Params(LeverBase):
    """The institution_award lever's input."""

    kind: Literal["institution_award"]
    amount: Money = Field(description="RMB per new institution")
    types: list[Literal[INST_TYPES]] | None = Field(  # type: ignore[valid-type]
        None, min_length=1, max_length=len(INST_TYPES),
        description="which organisations it rewards (default: the four R&D kinds)")
