"""Loan-interest subsidy (贷款贴息): the government pays a share of the interest on tech firms' bank loans.

Named by the Guangxi plan (通過……貸款貼息、保費補貼、擔保補貼等,引導社會資金和金融資本等參與科技創新), Hunan's and
Zengcheng's (科技信贷) without amounts. Effects, each January: an eligible firm in scope borrows with the run's
`loan_borrowing_share` (its own uniform in the lever's stream), a loan of `loan_to_revenue` × its revenue at
`loan_interest_rate`; the lever pays `share` of that interest (at most `max_per_firm`), within the yearly budget;
the money paid, as a share of revenue, raises the firm's mean log growth for the year by
`loan_subsidy_growth_effect` per unit (cheaper working capital) [assumption: priors in sim/data/priors.yaml]."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim.input.fields import Money, number
from sim.model.levers.base import LeverBase

if TYPE_CHECKING:
    from sim.input.scenario import Policy
    from sim.model.engine import BatchSim


class Params(LeverBase):
    """The loan_subsidy lever's input."""

    kind: Literal["loan_subsidy"]
    share: number(0, 1, description="share of the interest paid by the lever",  # type: ignore[valid-type]
                  zh="贴息比例")
    max_per_firm: Money | None = Field(None, description="most RMB a firm gets in a year (none = no cap)",
                                       json_schema_extra={"zh": "单户贴息上限"})
    eligible: Literal["hte", "tech_sme", "all"] = Field(description="which firms")


def growth_boost(sim: BatchSim, lever: Policy) -> np.ndarray:
    """January: pay this year's interest subsidies and return (runs, slots) the rise in mean log growth."""
    f, p = sim.state.firms, sim.p
    u = sim.streams.firm(f"lever:{lever.id}", sim.W)
    borrows = sim.eligible(lever.spec.eligible, lever.scope) & (u < p["loan_borrowing_share"])
    interest = p["loan_to_revenue"] * f.revenue * 1e6 * p["loan_interest_rate"]  # RMB a year
    claim = float(lever.spec.share) * interest * borrows
    if lever.spec.max_per_firm is not None:
        claim = np.minimum(claim, float(lever.spec.max_per_firm))
    paid = sim.ledger.pay(lever.id, claim, f.zone)
    return p["loan_subsidy_growth_effect"] * paid / np.maximum(f.revenue * 1e6, 1.0)
