"""Scenario validation: every problem reported at once, with file, line, key and what was expected."""

from __future__ import annotations

import dataclasses
import re

import pytest
import yaml

from sim.errors import ScenarioError
from sim.input.scenario import SEED_DOCUMENTS, build_scenario, load_scenario
from sim.input.yamlio import loads_yaml

from .conftest import GUANGXI, ROOT, SEEDS, TINY


def problems_for(text: str) -> list:
    with pytest.raises(ScenarioError) as info:
        build_scenario(loads_yaml(text, file="bad.yaml"))
    return info.value.problems


def tiny_text(**replace: str) -> str:
    text = TINY.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_bundled_scenarios_validate():
    for path in (GUANGXI, TINY):
        sc = load_scenario(path)
        assert sc.targets and sc.sha256


def test_unknown_key_suggests_the_closest():
    probs = problems_for(tiny_text(**{"  base_year: 2017": "  base_yaer: 2017"}))
    p = next(p for p in probs if "base_yaer" in p.key)
    assert p.line == 8 and "base_year" in p.hint and p.file == "bad.yaml"


def test_all_problems_are_reported_at_once():
    probs = problems_for(tiny_text(**{
        "threshold: 80,": "threshold: lots,",
        "comparison: \">=\", threshold: 0.7": "comparison: \"=>\", threshold: 0.7",
        "  rd_median: {value: 0.025, assumed: true, vintage: 2017}": "  rd_median: 0.025",
    }))
    keys = {p.key for p in probs}
    assert {"targets[0].threshold", "targets[5].comparison", "firms.rd_median"} <= keys
    for p in probs:
        assert p.line is not None and p.expected


def test_base_facts_need_provenance():
    probs = problems_for(tiny_text(**{"hte_outside: {value: 20, assumed: true, vintage: 2017}":
                                      "hte_outside: {value: 20, vintage: 2017}"}))
    assert any(p.key == "firms.hte_outside" and "assumed" in p.expected for p in probs)


def test_bad_distribution_is_named():
    probs = problems_for(tiny_text(**{"count_in_zones: {dist: uniform, loc: 500, scale: 200, assumed: true,":
                                      "count_in_zones: {dist: unifrom, loc: 500, scale: 200, assumed: true,"}))
    assert any("uniform" in p.hint for p in probs)
    probs = problems_for(tiny_text(**{"rd_zero_share: {value: 0.2, assumed: true,":
                                      "rd_zero_share: {dist: norm, loc: 0.2, scale: 0.1, assumed: true,"}))
    assert any(p.key == "firms.rd_zero_share" and "within [0, 1]" in p.expected for p in probs)


def test_target_year_before_the_base_year():
    probs = problems_for(tiny_text(**{"threshold: 80, year: 2020": "threshold: 80, year: 2016"}))
    assert any(p.key == "targets[0].year" for p in probs)


def test_unknown_seed_document():
    old = "{document: 002_71d7ff763af18a90.txt, quote: 高新技術企業達900家以上}}\n  - {id: hte_mid"
    probs = problems_for(tiny_text(**{old: old.replace("002_71d7ff763af18a90.txt", "009_nope.txt")}))
    assert any(p.key == "targets[0].source.document" for p in probs)


def test_lever_fields_must_match_its_kind():
    probs = problems_for(tiny_text(**{"per_m2: 300,": "rate: 0.3,"}))
    assert any("per_m2" in p.found for p in probs) and any(p.key.endswith("rate") for p in probs)


def test_duplicate_ids():
    probs = problems_for(tiny_text(**{"{id: hte_mid,": "{id: hte,"}))
    assert any(p.key == "targets[1].id" for p in probs)


def test_absurd_and_non_finite_numbers():
    probs = problems_for(tiny_text(**{"count_outside: {value: 200, assumed: true,":
                                      "count_outside: {value: 1e12, assumed: true,",
                                      "threshold: 80,": "threshold: .nan,"}))
    keys = {p.key for p in probs}
    assert "targets[0].threshold" in keys and any(k.startswith("firms.count_outside") for k in keys)


def test_every_input_records_its_vintage_and_none_is_after_the_base_year():
    probs = problems_for(tiny_text(**{"hte_outside: {value: 20, assumed: true, vintage: 2017}":
                                      "hte_outside: {value: 20, assumed: true}"}))
    assert any(p.key == "firms.hte_outside" and "vintage" in p.found for p in probs)
    probs = problems_for(tiny_text(**{"hte_outside: {value: 20, assumed: true, vintage: 2017}":
                                      "hte_outside: {value: 20, assumed: true, vintage: 2018}"}))
    assert any(p.key == "firms.hte_outside.vintage" and "2017" in p.expected for p in probs)


def test_a_default_prior_newer_than_the_base_year_must_be_overridden(monkeypatch):
    from sim.input import rules

    priors = dict(rules.default_priors())
    late = dataclasses.replace(priors["entry_rate"], vintage=2019)
    monkeypatch.setattr(rules, "default_priors", lambda: {**priors, "entry_rate": late})
    probs = problems_for(tiny_text())
    assert any(p.key == "scenario.base_year" and "entry_rate" in p.found for p in probs)


def test_bundled_scenarios_use_nothing_after_their_base_year():
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        sc = load_scenario(path)
        facts = [p for _, p in (*sc.firms, *sc.incubators, *sc.institutions, *sc.region_facts)]
        facts += [z.firm_weight for z in sc.zones] + [z.population for z in sc.zones if z.population]
        assert all(p.vintage is not None and p.vintage <= sc.base_year for p in facts), path
        assert all(p.vintage is not None and p.vintage <= sc.base_year for _, p in sc.parameters), path
        if sc.posterior is not None:
            assert sc.posterior.vintage <= sc.base_year, path


def test_not_modelled_needs_a_reason():
    probs = problems_for(tiny_text(**{"status: not_modelled, reason: testing the not-modelled path,":
                                      "status: not_modelled,"}))
    assert any("reason" in p.found for p in probs)


def test_every_quote_is_verbatim_in_its_seed():
    if not SEEDS.is_dir():
        pytest.skip(f"the seed texts are not beside the project ({SEEDS}); quotes not checked")
    norm = lambda s: re.sub(r"\s+", "", s)  # noqa: E731 - whitespace may differ
    texts = {d: norm((SEEDS / d).read_text(encoding="utf-8")) for d in SEED_DOCUMENTS}
    for path in sorted((GUANGXI.parent).glob("*.yaml")) + [TINY]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = data["targets"] + data.get("policies", []) + [data["scenario"]]
        for item in items:
            src = item.get("source")
            if src:
                assert norm(src["quote"]) in texts[src["document"]], (path.name, item.get("id"), src["quote"])
