"""Institution award (研发机构奖励): RMB per new organisation of the chosen types (a venture guidance fund is
an award per new venture_fund).

Effects: raises the formation of those organisations (× (1 + e · award / 1M RMB))."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim.input.fields import Money, number  # noqa: F401 - each kind takes what it needs
from sim.model.fields import INST_TYPES, N_RD_TYPES
from sim.model.levers.base import LeverBase

if TYPE_CHECKING:
    from sim.input.scenario import Policy
    from sim.model.engine import BatchSim


class Params(LeverBase):
    """The institution_award lever's input."""

    kind: Literal["institution_award"]
    amount: Money = Field(description="RMB per new institution")
    types: list[Literal[INST_TYPES]] | None = Field(  # type: ignore[valid-type]
        None, min_length=1, max_length=len(INST_TYPES),
        description="which organisations it rewards (default: the four R&D kinds)")


def _awarded_types(lever: Policy) -> np.ndarray:
    """(types,) 1 for the organisation types the award pays for (default: the four R&D institutions)."""
    names = lever.spec.types or INST_TYPES[:N_RD_TYPES]
    return np.array([name in names for name in INST_TYPES], dtype=float)


def founding_award(sim: BatchSim, lever: Policy) -> np.ndarray:
    """(runs, zones, types) RMB on offer for each new organisation."""
    return sim.in_scope_zone(lever.scope)[:, :, None] * float(lever.spec.amount) * _awarded_types(lever)


def on_founded(sim: BatchSim, lever: Policy, k: np.ndarray) -> None:
    """Pay for the k[run, zone, type] organisations founded this month."""
    claims = (k * _awarded_types(lever)).sum(axis=2) * float(lever.spec.amount) * sim.in_scope_zone(lever.scope)
    sim.ledger.pay(lever.id, claims, np.broadcast_to(np.arange(sim.Z), (sim.B, sim.Z)))
