"""Incubator subsidy (孵化器建设补助): RMB per m² built, and awards on provincial and national recognition.

Effects: the construction subsidy raises incubator formation (up to the full cost); recognition awards are paid."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.input.fields import Money, number  # noqa: F401 - each kind takes what it needs
from sim.model.levers.base import LeverBase


class Params(LeverBase):
    """The incubator_subsidy lever's input."""

    kind: Literal["incubator_subsidy"]
    per_m2: Money = Field(description="RMB per m² built", json_schema_extra={"zh": "每平方米补助"})
    award_provincial: Money = Field(description="RMB on provincial recognition")
    award_national: Money = Field(description="RMB on national recognition")
