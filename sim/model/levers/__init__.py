"""Policy levers: one module per kind (its input fields and its effects), and the fiscal ledger that pays them.

To add a lever kind: write `sim/model/levers/<kind>.py` with a `Params(LeverBase)` model whose `kind` is a
`Literal` of the kind's name (and its effect hooks, see `sim.model.levers.base`), then register the module
below. The input schema, the JSON Schema and the scenario reference pick it up from here.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Discriminator, Tag

from sim.model.levers import (
    gazelle_grant,
    hte_award,
    hte_cultivation,
    incubator_subsidy,
    innovation_voucher,
    institution_award,
    loan_subsidy,
    rd_subsidy,
)

#: Every lever kind by name: the registration.
KINDS = {m.__name__.rsplit(".", 1)[-1]: m for m in (hte_award, rd_subsidy, incubator_subsidy, innovation_voucher,
                                                     institution_award, gazelle_grant, hte_cultivation,
                                                     loan_subsidy)}

#: A lever of any kind, told apart by its `kind` field.
LeverParams = Annotated[Union[tuple(Annotated[m.Params, Tag(k)] for k, m in KINDS.items())],  # noqa: UP007
                        Discriminator("kind")]


class LeverSet:
    """The scenario's levers with their kinds' modules: which are active now (the ledger's window flags) and
    their effect hooks, by hook name. Mechanisms ask for a hook (`each("application_award")`); a kind takes part
    by defining a function of that name in its module — no mechanism names a kind."""

    def __init__(self, policies: tuple, ledger: object) -> None:
        self.entries = [(p, KINDS[p.kind]) for p in policies]
        self.ledger = ledger

    def each(self, hook: str) -> list[tuple[object, object]]:
        """(lever, hook function) of every active lever whose kind defines `hook`, in scenario order."""
        active = self.ledger.active  # type: ignore[attr-defined]
        return [(p, getattr(m, hook)) for (p, m), on in zip(self.entries, active, strict=True)
                if on and hasattr(m, hook)]
