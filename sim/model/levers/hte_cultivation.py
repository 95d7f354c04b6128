"""HTE cultivation programme (高企培育库): each January up to a number of near-eligible firms are enrolled and
prepare for certification for sure; RMB per enrolled firm (services and subsidy)."""

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
    """The hte_cultivation lever's input."""

    kind: Literal["hte_cultivation"]
    amount: Money = Field(description="RMB per enrolled firm (services and subsidy)")
    firms_per_year: number(1, 1e6, whole=True, zh="培育入库企业数",  # type: ignore[valid-type]
                           description="near-eligible firms enrolled each January")


def enrol(sim: BatchSim, lever: Policy, at: tuple, candidates: np.ndarray, u: np.ndarray) -> np.ndarray:
    """January: enrol exactly up to `firms_per_year` of the near-eligible `candidates` (a mask over `at`) in
    scope, by their uniforms `u`; pay `amount` each. Returns the enrolled mask over `at`."""
    ok = candidates & sim.firm_in_scope(lever.scope)[at]
    mask = np.zeros((sim.B, sim.W), bool)
    mask[at[0][ok], at[1][ok]] = True
    key = np.ones((sim.B, sim.W))
    key[at] = u
    chosen = choose_up_to(mask, key, int(lever.spec.firms_per_year))
    sim.ledger.pay(lever.id, chosen * float(lever.spec.amount), sim.state.firms.zone)
    return chosen[at]
