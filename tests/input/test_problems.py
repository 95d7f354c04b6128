"""sim.input.problems: a pydantic validation error becomes zonesim problems, each located in the YAML file
(file:line:col and key path) with what was found, what was expected (from the field's JSON Schema) and a hint."""

from __future__ import annotations

from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from sim.input.fields import Strict_, Text, number, quantity
from sim.input.problems import SchemaView, data_path, problems_from_adapter, problems_from_model
from sim.input.yamlio import loads_yaml
from tests.helpers import line_of, problems_for, tiny_text


class Box(Strict_):
    """A small input model: a share, a level, a name and a quantity."""

    share: number(0, 1)  # type: ignore[valid-type]
    level: Literal["national", "provincial"]
    name: Text
    size: quantity(0, 10)  # type: ignore[valid-type]


def problems_of(text: str) -> dict:
    """{key: problem} of the `box:` section of `text`, validated against Box."""
    doc = loads_yaml(text, file="b.yaml")
    with pytest.raises(ValidationError) as info:
        Box.model_validate(doc.data["box"])
    problems = problems_from_model(info.value, doc, Box, base=("box",))
    assert all(p.file == "b.yaml" and p.line is not None and p.column is not None for p in problems)
    return {p.key: p for p in problems}


BOX = """\
# a box
box:
  share: 70
  level: pr\u043evincial
  colour: red
  size: {value: 20, assumed: true, vintage: 2017}
"""


def test_a_value_out_of_bounds_is_located_at_its_key_with_the_bounds_and_a_hint():
    p = problems_of(BOX)["box.share"]
    assert (p.line, p.column) == (3, 3)
    assert p.found == "70" and p.expected == "a number >= 0 and <= 1" and "write 0.7 for 70%" in p.hint
    assert p.format() == "b.yaml:3:3: box.share: found 70, expected a number >= 0 and <= 1 (a share or rate is a " \
                         "fraction: write 0.7 for 70%)"


def test_a_wrong_choice_lists_the_choices_and_names_a_lookalike_character():
    p = problems_of(BOX)["box.level"]
    assert (p.line, p.column) == (4, 3)
    assert p.expected == "one of: national, provincial"
    assert "U+043E" in p.hint and "'provincial'" in p.hint


def test_a_misspelt_choice_gets_the_closest():
    p = problems_of(BOX.replace("pr\u043evincial", "provinical"))["box.level"]
    assert p.found == "'provinical'" and p.hint == "did you mean 'provincial'?"


def test_an_unknown_key_lists_the_keys_the_section_takes():
    p = problems_of(BOX)["box.colour"]
    assert (p.line, p.column) == (5, 3)
    assert p.found == "unknown key 'colour'" and p.expected == "one of: share, level, name, size"


def test_a_missing_key_is_located_at_its_section():
    p = problems_of(BOX)["box"]
    assert (p.line, p.column) == (2, 1) and p.found == "no key 'name'" and "text" in p.expected


def test_a_zonesim_check_of_a_quantity_keeps_its_own_words():
    p = problems_of(BOX)["box.size"]
    assert (p.line, p.found, p.expected) == (6, "20", "a number >= 0 and <= 10")


def test_a_value_checked_with_a_type_adapter_is_located_too():
    doc = loads_yaml("caps:\n  alpha: 3\n  beta: 12\n", file="c.yaml")
    adapter = TypeAdapter(dict[str, number(0, 10)])  # type: ignore[valid-type]
    with pytest.raises(ValidationError) as info:
        adapter.validate_python(doc.data["caps"])
    [p] = problems_from_adapter(info.value, doc, adapter, base=("caps",))
    assert p.format() == "c.yaml:3:3: caps.beta: found 12, expected a number >= 0 and <= 10"


def test_the_same_problem_is_reported_once():
    doc = loads_yaml("box:\n  share: 70\n", file="b.yaml")
    with pytest.raises(ValidationError) as info:
        Box.model_validate(doc.data["box"])
    problems = problems_from_model(info.value, doc, Box, base=("box",))
    signatures = [(p.line, p.column, p.key, p.found) for p in problems]
    assert len(signatures) == len(set(signatures))


def test_data_path_drops_union_tags_and_maps_python_names_back():
    data = {"a": [{"b": 1}], "zone_creation": {"from": "2018-01"}}
    assert data_path(data, ("a", 0, "fixed-value", "b")) == ("a", 0, "b")
    assert data_path(data, ("zone_creation", "from_")) == ("zone_creation", "from")
    assert data_path(data, ("a", 5, "b")) == ("a",)  # a path that leaves the data is cut where it does


@settings(max_examples=30, deadline=None)
@given(st.recursive(st.integers(), lambda kids: st.lists(kids, max_size=3)
                    | st.dictionaries(st.sampled_from("abc"), kids, max_size=3), max_leaves=10),
       st.lists(st.one_of(st.sampled_from("abcz"), st.integers(-1, 3), st.just("fixed-value")), max_size=5))
def test_data_path_always_points_into_the_data(data, loc):
    node = data
    for part in data_path(data, tuple(loc)):
        node = node[part]  # never a KeyError or IndexError


def test_schema_view_describes_numbers_choices_texts_and_lists():
    view = SchemaView(Box.model_json_schema(by_alias=True))
    assert view.describe(view.at(("share",))) == "a number >= 0 and <= 1"
    assert view.describe(view.at(("level",))) == "one of: national, provincial"
    assert view.describe(view.at(("name",))) == "a text of at most 2000 characters"
    assert "{value: <number>" in view.describe(view.at(("size",)))
    assert view.keys(()) == ["share", "level", "name", "size"]
    assert view.describe(None) == "a valid value"


# --- in a scenario file -------------------------------------------------------------------------------------------

def test_unknown_key_suggests_the_closest():
    text = tiny_text(**{"  base_year: 2017": "  base_yaer: 2017"})
    p = next(p for p in problems_for(text) if "base_yaer" in p.key)
    assert p.line == line_of(text, "base_yaer") == 8 and "base_year" in p.hint and p.file == "bad.yaml"


def test_a_field_of_another_lever_kind_names_the_kind():
    probs = problems_for(tiny_text(**{"per_m2: 300,": "rate: 0.3,"}))
    [p] = [p for p in probs if p.key == "policies[2].rate"]
    assert p.found == "'rate' on an incubator_subsidy lever" and "per_m2" in p.expected
    fields = p.expected.split(": ", 1)[1].split(", ")
    assert len(fields) == len(set(fields)) and "rate" not in fields and "amount_new" not in fields


def test_a_misspelt_lever_field_lists_that_kinds_fields_once_and_suggests_the_closest():
    probs = problems_for(tiny_text(**{"amount_new: 100000,": "amount_nwe: 100000,"}))
    [p] = [p for p in probs if p.key == "policies[0].amount_nwe"]
    fields = p.expected.split(": ", 1)[1].split(", ")
    assert "amount_new" in fields and "amount_renewal" in fields and len(fields) == len(set(fields))
    assert "per_m2" not in fields and p.hint == "did you mean 'amount_new'?"
    # the missing amount_new is the same mistake: told once, by the misspelling (it came first, and alone misled)
    assert not [q for q in probs if q.key == "policies[0]" and "amount_new" in q.found]


def test_an_unknown_lever_kind_lists_the_kinds():
    probs = problems_for(tiny_text(**{"kind: rd_subsidy,": "kind: rd_subsidyy,"}))
    [p] = [p for p in probs if p.key == "policies[1].kind"]
    assert p.found == "'rd_subsidyy'" and "rd_subsidy" in p.expected and p.hint == "did you mean 'rd_subsidy'?"


def test_a_bare_number_for_a_fact_asks_for_its_provenance_not_for_a_lever_kind():
    """Regression: a base-year fact written as a bare number was reported as a lever without 'kind'."""
    [p] = [p for p in problems_for(tiny_text(**{"  rd_median: {value: 0.025, assumed: true, vintage: 2017}":
                                                 "  rd_median: 0.025"})) if p.key == "firms.rd_median"]
    assert p.found == "0.025" and "value" in p.expected and "dist" in p.expected
    assert "kind" not in p.found and "hte_award" not in p.expected
    assert "source" in p.hint and p.line is not None


def test_a_target_with_an_unknown_key_is_not_called_a_lever():
    # a target has a `kind` too; only items under policies are levers
    text = tiny_text(**{"threshold: 80, year: 2020,\n": "threshold: 80, year: 2020, treshold: 3,\n"})
    [p] = [p for p in problems_for(text) if p.key.endswith("treshold")]
    assert "lever" not in p.found + p.expected and "threshold" in p.expected


def test_a_missing_source_says_what_a_source_is():
    text = tiny_text(**{"threshold: 80, year: 2020,\n     source: {document: 002_71d7ff763af18a90.txt, "
                        "quote: 高新技術企業達900家以上}}": "threshold: 80, year: 2020}"})
    [p] = [p for p in problems_for(text) if "source" in p.found]
    assert all(k in p.expected for k in ("document", "url", "title", "date", "quote"))
