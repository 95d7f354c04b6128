"""sim.input.models: the pydantic models of a scenario file — every section's keys, types and bounds, lever
fields by kind, the default priors' overrides within their range — the structure the rules build on."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sim.input.models import (
    COMPARISONS,
    SEED_DOCUMENTS,
    TARGET_KINDS,
    Target,
    parameters_model,
    scenario_model,
)
from sim.input.priors import default_priors, parameter_bounds
from sim.input.yamlio import loads_yaml
from sim.measure.indicators import ALL_INDICATORS
from sim.model.levers import KINDS
from tests.conftest import TINY
from tests.helpers import problems_for, tiny_text

SOURCE = {"document": SEED_DOCUMENTS[2], "quote": "高新技術企業達900家以上"}
TARGET = {"id": "t", "name": "目标", "name_en": "target", "indicator": "hte", "kind": "level", "comparison": ">=",
          "threshold": 80.0, "year": 2020.0, "source": SOURCE}


def refused(model, data) -> list[tuple]:
    """The locations of the errors of `data` (it must be refused)."""
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return [tuple(e["loc"]) for e in info.value.errors(include_url=False)]


def test_the_tiny_scenario_satisfies_the_model():
    data = loads_yaml(TINY.read_text(encoding="utf-8")).data
    model = scenario_model().model_validate(data)
    assert model.scenario.id == "tiny" and len(model.targets) == len(data["targets"])


def test_a_section_missing_or_a_key_unknown_is_refused():
    data = loads_yaml(TINY.read_text(encoding="utf-8")).data
    assert ("firms",) in refused(scenario_model(), {k: v for k, v in data.items() if k != "firms"})
    assert ("colour",) in refused(scenario_model(), {**data, "colour": "red"})


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_every_target_kind_and_comparison_is_a_valid_choice(kind):
    for comparison in COMPARISONS:
        assert Target.model_validate({**TARGET, "kind": kind, "comparison": comparison}).kind == kind


def test_a_target_refuses_unknown_kinds_indicators_and_comparisons():
    for key, value in (("kind", "doubling"), ("indicator", "hte_typo"), ("comparison", "=>")):
        assert (key,) in refused(Target, {**TARGET, key: value})
    assert set(Target.model_fields["indicator"].annotation.__args__) == set(ALL_INDICATORS)


def test_numbers_are_not_coerced_from_text():
    assert ("threshold",) in refused(Target, {**TARGET, "threshold": "80"})
    assert ("year",) in refused(Target, {**TARGET, "year": 2020.5})


def test_a_targets_source_must_say_where_its_quote_is_from():
    assert ("source",) in refused(Target, {**TARGET, "source": {"quote": SOURCE["quote"]}})
    assert ("source", "quote") in refused(Target, {**TARGET, "source": {"document": SOURCE["document"]}})


def test_input_models_are_frozen():
    target = Target.model_validate(TARGET)
    with pytest.raises(ValidationError):
        target.threshold = 1.0


def test_parameters_take_exactly_the_default_priors_each_within_its_override_range():
    model = parameters_model()
    assert set(model.model_fields) == set(default_priors())
    assert ("entry_rat",) in refused(model, {"entry_rat": {"value": 0.1, "assumed": True, "vintage": 2017}})
    lo, hi = parameter_bounds(default_priors()["entry_rate"])
    assert (lo, hi) == (0.0, 1.0)
    model.model_validate({"entry_rate": {"value": hi, "assumed": True, "vintage": 2017}})
    refused(model, {"entry_rate": {"value": hi + 0.5, "assumed": True, "vintage": 2017}})


def test_a_lever_kind_must_be_a_registered_one():
    data = loads_yaml(TINY.read_text(encoding="utf-8")).data
    kinds_used = {p["kind"] for p in data["policies"]}
    assert kinds_used <= set(KINDS)
    bad = {**data, "policies": [{**data["policies"][0], "kind": "tax_holiday"}]}
    assert refused(scenario_model(), bad)


# --- located in a file --------------------------------------------------------------------------------------------

def test_a_source_with_an_address_that_is_not_a_web_address_is_refused():
    old = "{document: 002_71d7ff763af18a90.txt, quote: 高新技術企業達900家以上}}\n  - {id: hte_mid"
    probs = problems_for(tiny_text(**{old: old.replace("document: 002_71d7ff763af18a90.txt", "url: nope")}))
    assert any(p.key == "targets[0].source" for p in probs)


def test_lever_fields_must_match_its_kind():
    probs = problems_for(tiny_text(**{"per_m2: 300,": "rate: 0.3,"}))
    assert any("per_m2" in p.found for p in probs) and any(p.key.endswith("rate") for p in probs)
