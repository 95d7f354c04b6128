"""R&D subsidy (研发费用补助): a share of eligible firms' R&D spending reimbursed, paid monthly.

Effects: real R&D rises by the subsidy's additionality (`sim.model.rules.rd_decision`)."""

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
    """The rd_subsidy lever's input."""

    kind: Literal["rd_subsidy"]
    rate: number(0, 1, description="share of R&D spending reimbursed") = Field(  # type: ignore[valid-type]
        json_schema_extra={"zh": "补助比例"})
    eligible: Literal["hte", "tech_sme", "all"] = Field(description="which firms")


def rd_subsidy_rate(sim: BatchSim, lever: Policy) -> np.ndarray:
    """(runs, slots) share of R&D reimbursed, for the R&D decision."""
    return float(lever.spec.rate) * sim.eligible(lever.spec.eligible, lever.scope)


def pay_monthly(sim: BatchSim, lever: Policy) -> None:
    """Monthly: the reimbursed share of a twelfth of each eligible firm's yearly real R&D."""
    f = sim.state.firms
    elig = sim.eligible(lever.spec.eligible, lever.scope) & (f.rd_real > 0)
    sim.ledger.pay(lever.id, float(lever.spec.rate) * f.rd_real * f.revenue * 1e6 / 12.0 * elig, f.zone)
