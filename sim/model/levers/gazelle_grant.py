"""Gazelle grants (瞪羚企业事前立项事后补助): projects approved each January among gazelles, paid after a delay.

Effects: a winner spends on R&D as if funded now; it is paid `paid_after_months` later if still alive."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.input.fields import Money, number  # noqa: F401 - each kind takes what it needs
from sim.model.levers.base import LeverBase


class Params(LeverBase):
    """The gazelle_grant lever's input."""

    kind: Literal["gazelle_grant"]
    amount: Money = Field(description="RMB per project")
    grants_per_year: number(0, 1e7, whole=True) = Field(  # type: ignore[valid-type]
        description="projects approved each January (事前立项)")
    paid_after_months: number(0, 60, whole=True) = Field(  # type: ignore[valid-type]
        description="months from approval to the ex-post payment (事后补助)")
