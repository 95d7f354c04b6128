"""sim.input.experiment: experiment files — variants that set lever fields by path, remove or add levers, a grid
of every combination — built on the base scenario, each problem located in the experiment file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.input.experiment import BASE_ID, load_experiment
from tests.conftest import DATA, TINY

EXPERIMENT = DATA / "tiny_experiment.yaml"


def bad_experiment(tmp_path: Path, body: str) -> list:
    path = tmp_path / "bad.yaml"
    path.write_text(f"experiment:\n  id: bad\n  name: bad\n  scenario: {DATA / 'tiny.yaml'}\n{body}",
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    return info.value.problems


def experiment(tmp_path: Path, body: str, head: str = ""):
    path = tmp_path / "exp.yaml"
    path.write_text(f"experiment:\n  id: exp\n  name: 实验\n  scenario: {TINY}\n{head}{body}", encoding="utf-8")
    return load_experiment(path)


@pytest.fixture(scope="module")
def tiny_experiment():
    return load_experiment(EXPERIMENT)


def test_the_file_gives_the_base_and_every_variant_in_order(tiny_experiment, tiny):
    exp = tiny_experiment
    assert [v.id for v in exp.variants] == [BASE_ID, "award_0", "award_300k", "no_vouchers"]
    assert exp.base.id == BASE_ID and exp.base.scenario == tiny
    assert (exp.id, exp.runs, exp.seed, exp.indicator) == ("tiny_award", 24, 3, "hte")
    assert exp.sha256 == hashlib.sha256(EXPERIMENT.read_bytes()).hexdigest()
    assert exp.variant("award_300k").name == "奖励30万元"


def lever(p) -> tuple:
    """What a lever does: its kind, name, window, scope, budget and its kind's own fields."""
    return p.id, p.kind, p.name, p.name_en, p.start, p.end, p.scope, p.budget_per_year, p.when_exhausted, p.params


def test_set_changes_that_lever_field_and_nothing_else(tiny_experiment):
    base = tiny_experiment.base.scenario
    variant = tiny_experiment.variant("award_300k").scenario
    award = {p.id: p for p in variant.policies}["award"]
    assert (award.spec.amount_new, award.spec.amount_renewal, award.budget_per_year) == (300000, 150000, 1e12)
    before = {p.id: lever(p) for p in base.policies}
    after = {p.id: lever(p) for p in variant.policies}
    assert {k: v for k, v in after.items() if k != "award"} == {k: v for k, v in before.items() if k != "award"}
    changed = {name for (name, old), (_, new) in zip(before["award"][-1], after["award"][-1], strict=True)
               if old != new}
    assert changed == {"amount_new", "amount_renewal"}
    assert variant.with_policies(base.policies) == base  # the levers are all that differ


def test_remove_drops_the_lever(tiny_experiment):
    base = tiny_experiment.base.scenario
    variant = tiny_experiment.variant("no_vouchers").scenario
    assert [p.id for p in variant.policies] == [p.id for p in base.policies if p.id != "voucher"]


def test_add_appends_a_lever_checked_like_a_scenario_lever(tmp_path):
    exp = experiment(tmp_path, "variants:\n  - id: v\n    name: v\n    add:\n"
                               "      - {id: extra, kind: hte_award, name: 新奖励, start: 2018-01, end: 2019-12,"
                               " amount_new: 1000, amount_renewal: 500}\n")
    added = exp.variant("v").scenario.policies[-1]
    assert (added.id, added.kind, added.start, added.end) == ("extra", "hte_award", (2018, 1), (2019, 12))
    assert [p.id for p in exp.base.scenario.policies] == [p.id for p in exp.variant("v").scenario.policies[:-1]]


def test_grid_makes_every_combination():
    exp = load_experiment(DATA / "tiny_grid.yaml")
    assert len(exp.variants) == 1 + 4
    assert {v.grid for v in exp.variants[1:]} == {(0.0, 0.0), (0.0, 600.0), (200000.0, 0.0), (200000.0, 600.0)}
    for v in exp.variants[1:]:  # each grid variant holds its values
        levers = {p.id: p for p in v.scenario.policies}
        assert (levers["award"].spec.amount_new, levers["inc_sub"].spec.per_m2) == v.grid
    assert [path for path, _ in exp.grid_axes] == ["policies.award.amount_new", "policies.inc_sub.per_m2"]


def test_the_base_may_be_a_variant(tmp_path):
    exp = experiment(tmp_path, "variants:\n  - id: v\n    name: v\n    remove: [voucher]\n", head="  base: v\n")
    assert exp.base.id == "v"
    with pytest.raises(ScenarioError) as info:
        experiment(tmp_path, "variants:\n  - id: v\n    name: v\n    remove: [voucher]\n", head="  base: w\n")
    assert any(p.key == "experiment.base" for p in info.value.problems)


def test_an_experiment_without_variants_is_refused(tmp_path):
    with pytest.raises(ScenarioError) as info:
        experiment(tmp_path, "")
    assert any(p.found == "no variants" for p in info.value.problems)


def test_unknown_path_names_the_closest_valid_one(tmp_path):
    problems = bad_experiment(tmp_path, "variants:\n  - id: v\n    name: v\n"
                                        "    set: {policies.award.amount_nwe: 1}\n")
    assert problems[0].line == 8
    assert "policies.award.amount_new" in problems[0].hint


def test_unknown_lever_and_bad_value_are_located(tmp_path):
    problems = bad_experiment(tmp_path, "variants:\n  - id: v\n    name: v\n"
                                        "    set: {policies.awrd.amount_new: 1, policies.award.scope: city}\n")
    text = " ".join(p.format() for p in problems)
    assert "policies.awrd.amount_new" in text and "did you mean 'policies.award.amount_new'" in text
    assert "city" in text and "zones" in text


def test_a_value_of_the_wrong_type_says_what_the_field_takes(tmp_path):
    problems = bad_experiment(tmp_path, "variants:\n  - id: v\n    name: v\n"
                                        "    set: {policies.award.amount_new: [1, 2]}\n")
    assert problems and all(p.line == 8 for p in problems)
    assert all("a mapping" not in p.expected for p in problems)
    assert any(">= 0" in p.expected for p in problems)


def test_added_lever_is_checked_like_a_scenario_lever(tmp_path):
    problems = bad_experiment(tmp_path, "variants:\n  - id: v\n    name: v\n    add:\n"
                                        "      - {id: x, kind: hte_award, name: x, start: 2018-01, end: 2019-01,"
                                        " amount_new: 1}\n")
    assert any("amount_renewal" in p.format() for p in problems)


def test_every_problem_is_reported_at_once(tmp_path):
    problems = bad_experiment(tmp_path, "  runs: -5\nvariants:\n  - id: a\n    name: a\n"
                                        "    set: {policies.award.amount_neww: 5}\n"
                                        "  - id: b\n    name: b\n    remove: [awrd]\n")
    text = " ".join(p.format() for p in problems)
    assert len(problems) == 3 and "runs" in text and "amount_new'" in text and "did you mean 'award'" in text


def test_a_base_that_is_not_a_scenario_file_is_refused_at_the_scenario_line(tmp_path):
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    path = tmp_path / "e.yaml"
    path.write_text("experiment:\n  id: e\n  name: e\n  scenario: notes.txt\nvariants:\n  - {id: v, name: v}\n",
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    [p] = info.value.problems
    assert (p.key, p.line) == ("experiment.scenario", 4) and "not a scenario" not in p.format()


def test_an_experiment_naming_a_missing_scenario_says_where_it_looked(tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text((DATA / "tiny_experiment.yaml").read_text(encoding="utf-8")
                    .replace("scenario: tiny.yaml", "scenario: nowhere.yaml"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_experiment(path)
    [p] = [p for p in info.value.problems if p.key == "experiment.scenario"]
    assert str(tmp_path / "nowhere.yaml") in p.expected
