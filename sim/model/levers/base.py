"""What every lever kind shares: its window, scope, budget and provenance (the input model), and the ledger
that pays its claims (`sim.model.levers.ledger`). A kind's module adds its own fields and its effects.

Effects are hooks: functions of the kind's module with names the mechanisms ask for (`sim.model.levers.LeverSet`),
each called as hook(sim, lever, ...) with the batch and the lever (its typed input in `lever.spec`):

    preparation_award, application_award, on_certified, enrol   certification (sim.model.mechanisms.certification)
    rd_subsidy_rate, pay_monthly                                R&D (sim.model.mechanisms.rd)
    january                                                     the calendar's January, before certification
    growth_boost                                                growth (sim.model.mechanisms.growth)
    formation_boost, on_built, on_recognised                    incubation (sim.model.mechanisms.incubation)
    founding_award, on_founded                                  organisations (sim.model.mechanisms.organisations)
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from sim.input.fields import Id, Source, Strict_, Text, YearMonth, number, parse_year_month, problem


class LeverBase(Strict_):
    """The fields every lever kind takes."""

    id: Id
    name: Text = Field(json_schema_extra={"zh": "名称"})
    name_en: Text | None = None
    start: YearMonth = Field(json_schema_extra={"zh": "开始"})
    end: YearMonth = Field(json_schema_extra={"zh": "结束"})
    scope: Literal["zones", "region"] = Field("zones", description="who is eligible: firms in official zones, or in "
                                                                  "the whole region")
    budget_per_year: number(0, 1e12, gt=True) | None = Field(  # type: ignore[valid-type]
        None, description="yearly cap, RMB, above 0 (none = uncapped; a cap of 0 would pay nothing: remove the lever "
                          "instead)", json_schema_extra={"zh": "年度预算"})
    when_exhausted: Literal["pro_rata", "first_come"] = Field(
        "pro_rata", description="how a capped budget is shared when claims exceed it")
    source: Source | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _window(self) -> LeverBase:
        start, stop = parse_year_month(self.start), parse_year_month(self.end)
        if start and stop and start > stop:
            raise problem(self.end, f"a month not before start {self.start}")
        return self

    def params(self) -> tuple[tuple[str, object], ...]:
        """The kind's own fields, for the frozen `Policy` the engine reads."""
        common = set(LeverBase.model_fields) | {"kind"}
        return tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in self.model_dump().items()
                     if k not in common and v is not None)


def choose_up_to(candidates: np.ndarray, u: np.ndarray, n: int) -> np.ndarray:
    """(runs, slots) mask of at most `n` candidates per run: those with the smallest uniforms `u` (the run's
    own stream), so exactly min(n, candidates) are chosen and the choice is common to a scenario's variants.
    `candidates` and `u` have the same shape (runs, slots)."""
    run, col = np.nonzero(candidates)
    order = np.lexsort((u[run, col], run))
    run, col = run[order], col[order]
    rank = np.arange(run.size) - np.searchsorted(run, run, side="left")
    chosen = np.zeros(candidates.shape, bool)
    chosen[run[rank < n], col[rank < n]] = True
    return chosen
