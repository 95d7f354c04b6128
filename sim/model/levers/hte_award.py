"""HTE award (高新技术企业认定奖励): RMB per first certification and per re-certification.

Effects: the award raises the yearly chance that a near-eligible firm prepares and that an eligible one applies
(× (1 + award / tax benefit)^η, `sim.model.rules.apply_probability`); it is paid on certification."""

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
    """The hte_award lever's input."""

    kind: Literal["hte_award"]
    amount_new: Money = Field(description="RMB per first certification", json_schema_extra={"zh": "首次认定奖励"})
    amount_renewal: Money = Field(description="RMB per re-certification", json_schema_extra={"zh": "重新认定奖励"})


def preparation_award(sim: BatchSim, lever: Policy, at: tuple) -> np.ndarray:
    """The award a preparing firm at `at` (row, slot indices) expects: the first-certification amount, RMB."""
    return sim.firm_in_scope(lever.scope)[at] * float(lever.spec.amount_new)


def application_award(sim: BatchSim, lever: Policy, at: tuple) -> tuple[np.ndarray, np.ndarray]:
    """(first, again): the award an applicant at `at` gets for a first certification and a re-certification."""
    scope = sim.firm_in_scope(lever.scope)[at]
    return scope * float(lever.spec.amount_new), scope * float(lever.spec.amount_renewal)


def on_certified(sim: BatchSim, lever: Policy, at: tuple, first: np.ndarray, again: np.ndarray,
                 queue: np.ndarray) -> None:
    """Pay the firms certified at this round (within the budget; `queue` orders a first-come budget)."""
    claims = np.zeros((sim.B, sim.W))
    claims[at] = (first * float(lever.spec.amount_new) + again * float(lever.spec.amount_renewal)) \
        * sim.firm_in_scope(lever.scope)[at]
    sim.ledger.pay(lever.id, claims, sim.state.firms.zone, order=queue)
