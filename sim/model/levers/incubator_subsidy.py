"""Incubator subsidy (孵化器建设补助): RMB per m² built, and awards on provincial and national recognition.

Effects: the construction subsidy raises incubator formation (up to the full cost); recognition awards are paid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim.input.fields import Money, number  # noqa: F401 - each kind takes what it needs
from sim.model.levers.base import LeverBase

if TYPE_CHECKING:
    from sim.input.scenario import Policy
    from sim.model.engine import BatchSim


class Params(LeverBase):
    """The incubator_subsidy lever's input."""

    kind: Literal["incubator_subsidy"]
    per_m2: Money = Field(description="RMB per m² built", json_schema_extra={"zh": "每平方米补助"})
    award_provincial: Money = Field(description="RMB on provincial recognition")
    award_national: Money = Field(description="RMB on national recognition")


def formation_boost(sim: BatchSim, lever: Policy) -> np.ndarray:
    """(runs, zones) the subsidy as a share of the construction cost per m²."""
    cost = sim.state.params["construction_cost_per_m2"][:, None]
    return sim.in_scope_zone(lever.scope) * float(lever.spec.per_m2) / cost


def on_built(sim: BatchSim, lever: Policy, run_idx: np.ndarray, zone_idx: np.ndarray, slot: np.ndarray,
             area: np.ndarray) -> None:
    """Pay `per_m2` × area for each incubator built in scope."""
    claims = np.zeros((sim.B, sim.I))
    claims[run_idx, slot] = area * float(lever.spec.per_m2) * sim.in_scope_zone(lever.scope)[run_idx, zone_idx]
    sim.ledger.pay(lever.id, claims, sim.state.incubators.zone)


def on_recognised(sim: BatchSim, lever: Policy, to_provincial: np.ndarray, to_national: np.ndarray) -> None:
    """Pay the recognition awards of incubators (runs, slots) in scope."""
    inc = sim.state.incubators
    scope = np.take_along_axis(sim.in_scope_zone(lever.scope), inc.zone.astype(np.int64), axis=1)
    claims = to_provincial * float(lever.spec.award_provincial) + to_national * float(lever.spec.award_national)
    sim.ledger.pay(lever.id, claims * scope, inc.zone)
