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
    rd_subsidy,
)

#: Every lever kind by name: the registration.
KINDS = {m.__name__.rsplit(".", 1)[-1]: m for m in (hte_award, rd_subsidy, incubator_subsidy, innovation_voucher,
                                                     institution_award, gazelle_grant, hte_cultivation)}

#: A lever of any kind, told apart by its `kind` field.
LeverParams = Annotated[Union[tuple(Annotated[m.Params, Tag(k)] for k, m in KINDS.items())],  # noqa: UP007
                        Discriminator("kind")]
