"""The lever registry (sim.model.levers: KINDS, LeverParams, LeverSet): every kind module is registered under
its `kind`, inputs are told apart by kind, and a mechanism gets the hooks of the active levers only, in
scenario order."""

from __future__ import annotations

import pkgutil

import pytest
from pydantic import TypeAdapter, ValidationError

import sim.model.levers as package
from sim.model.levers import KINDS, LeverParams, LeverSet
from sim.model.levers.base import LeverBase
from sim.model.levers.ledger import Ledger

from ..support import lever, only


def test_every_kind_module_is_registered_under_its_kind():
    modules = {m.name for m in pkgutil.iter_modules(package.__path__)} - {"base", "ledger"}
    assert set(KINDS) == modules
    for kind, module in KINDS.items():
        assert issubclass(module.Params, LeverBase), kind
        assert module.Params.model_fields["kind"].annotation.__args__ == (kind,), kind


def test_inputs_are_told_apart_by_kind():
    adapter = TypeAdapter(LeverParams)
    raw = {"id": "v", "name": "券", "start": "2018-01", "end": "2019-12", "amount": 1.0, "vouchers_per_year": 3,
           "eligible": "all"}
    assert type(adapter.validate_python({**raw, "kind": "innovation_voucher"})) is KINDS["innovation_voucher"].Params
    with pytest.raises(ValidationError):
        adapter.validate_python({**raw, "kind": "no_such_kind"})
    with pytest.raises(ValidationError):
        adapter.validate_python({**raw, "kind": "gazelle_grant"})  # a voucher's fields are not a grant's


def test_each_gives_the_hooks_of_active_levers_only_in_scenario_order(tiny):
    levers = (lever("institution_award", "first", amount=1.0), lever("hte_award", "award", amount_new=1.0,
                                                                     amount_renewal=1.0),
              lever("institution_award", "second", amount=2.0))
    sc = only(tiny, *levers)
    ledger = Ledger(sc, 1)
    each = LeverSet(sc.policies, ledger)
    assert each.each("founding_award") == []  # nothing active yet
    ledger.active[:] = True
    got = each.each("founding_award")
    assert [p.id for p, _ in got] == ["first", "second"]
    assert all(hook is KINDS["institution_award"].founding_award for _, hook in got)
    ledger.active[0] = False
    assert [p.id for p, _ in each.each("founding_award")] == ["second"]
    assert [p.id for p, _ in each.each("on_certified")] == ["award"]
    assert each.each("no_such_hook") == []
