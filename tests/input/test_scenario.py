"""sim.input.scenario: a scenario file validated in one pass (structure and cross-field rules together) and frozen
into a picklable Scenario; the bundled scenarios are valid, use nothing after their base year, and quote their
plans verbatim."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle

import pytest

from sim.input.priors import default_priors
from sim.input.scenario import build_scenario, load_scenario, policy_from_raw, validate_file
from sim.input.yamlio import loads_yaml
from tests.conftest import GUANGXI, ROOT, TINY
from tests.helpers import problems_for, tiny_text


def test_bundled_scenarios_validate():
    for path in (GUANGXI, TINY):
        sc = load_scenario(path)
        assert sc.targets and sc.sha256


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


def test_structural_and_cross_field_problems_come_in_the_same_pass():
    probs = problems_for(tiny_text(**{"threshold: 80, year: 2020": "threshold: 80, year: 2016",  # a rule
                                      "  rd_median: {value: 0.025, assumed: true, vintage: 2017}":  # a field
                                      "  rd_median: 0.025"}))
    assert {"targets[0].year", "firms.rd_median"} <= {p.key for p in probs}


def test_bundled_scenarios_use_nothing_after_their_base_year():
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        sc = load_scenario(path)
        facts = [p for _, p in (*sc.firms, *sc.incubators, *sc.institutions, *sc.region_facts)]
        facts += [z.firm_weight for z in sc.zones] + [z.population for z in sc.zones if z.population]
        assert all(p.vintage is not None and p.vintage <= sc.base_year for p in facts), path
        assert all(p.vintage is not None and p.vintage <= sc.base_year for _, p in sc.parameters), path
        if sc.posterior is not None:
            assert sc.posterior.vintage <= sc.base_year, path


# --- the frozen Scenario ------------------------------------------------------------------------------------------

def test_a_loaded_scenario_records_its_file_and_the_sha256_of_its_bytes(tiny):
    assert tiny.path == str(TINY)
    assert tiny.sha256 == hashlib.sha256(TINY.read_bytes()).hexdigest()


def test_a_scenario_survives_pickling_unchanged(tiny):
    clone = pickle.loads(pickle.dumps(tiny))  # how it reaches worker processes
    assert clone == tiny and clone.sha256 == tiny.sha256


def test_the_frozen_scenario_holds_what_the_file_says(tiny):
    data = loads_yaml(TINY.read_text(encoding="utf-8")).data
    assert (tiny.id, tiny.base_year, tiny.end_year) == ("tiny", 2017, 2020)
    assert tiny.months == 12 * (2020 - 2017)
    assert [z.id for z in tiny.zones] == [z["id"] for z in data["zones"]]
    assert [t.id for t in tiny.targets] == [t["id"] for t in data["targets"]]
    assert [p.id for p in tiny.policies] == [p["id"] for p in data["policies"]]
    assert tiny.cal("hte_rounds") == (6, 11)
    assert tiny.firm("count_outside").value == 200 and tiny.firm("no_such_fact") is None
    # every default prior is there, the file's override replacing its default
    params = tiny.param_priors()
    assert set(default_priors()) <= set(params)
    assert params["upgrade_base_rate"].dist is not None and params["upgrade_base_rate"].bounds() == \
        pytest.approx((0.05, 0.25))


def test_a_targets_omitted_keys_take_their_defaults(tiny):
    hte = next(t for t in tiny.targets if t.id == "hte")
    assert (hte.month, hte.scope, hte.from_year, hte.zone_level, hte.status) == (12, "zones", 2017, "any",
                                                                                 "modelled")
    assert hte.modelled and not next(t for t in tiny.targets if t.id == "skip").modelled
    assert next(t for t in tiny.targets if t.id == "hte_mid").month == 10


def test_the_end_year_defaults_to_the_last_targets_year():
    sc = build_scenario(loads_yaml(tiny_text(**{"  end_year: 2020\n": ""}), file="no_end.yaml"))
    assert sc.end_year == max(t.year for t in sc.targets) == 2020


def test_with_parameters_fixes_the_named_parameters_only(tiny):
    fixed = tiny.with_parameters({"entry_rate": 0.123})
    assert fixed.param_priors()["entry_rate"].bounds() == (0.123, 0.123)
    assert {k: v for k, v in fixed.parameters if k != "entry_rate"} == \
        {k: v for k, v in tiny.parameters if k != "entry_rate"}
    assert tiny.param_priors()["entry_rate"].bounds() != (0.123, 0.123)  # the original is unchanged


def test_with_policies_replaces_the_levers_only(tiny):
    fewer = tiny.with_policies(tiny.policies[:1])
    assert fewer.policies == tiny.policies[:1]
    assert dataclasses.replace(fewer, policies=tiny.policies) == tiny


def test_a_policy_keeps_its_typed_lever_input(tiny):
    data = loads_yaml(TINY.read_text(encoding="utf-8")).data
    award = policy_from_raw(data["policies"][0])
    assert award == tiny.policies[0]
    assert (award.start, award.end) == ((2018, 1), (2020, 12))
    assert award.spec.amount_new == 100000 and award.get("amount_renewal") == 50000


def test_validate_file_lists_the_problems_of_a_file(tmp_path):
    assert validate_file(TINY) == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(tiny_text(**{"  base_year: 2017": "  base_yaer: 2017"}), encoding="utf-8")
    problems = validate_file(bad)
    assert problems and all(p.file == str(bad) for p in problems)
    assert any(p.key == "scenario.base_yaer" for p in problems)


def test_an_optional_key_written_as_null_means_the_same_as_leaving_it_out(tiny):
    # found by the fuzz test: `zones: null` on a target passed validation and crashed the build
    text = tiny_text(**{"indicator: hte, kind: level, comparison: \">=\", threshold: 80, year: 2020,":
                        "indicator: hte, kind: level, comparison: \">=\", threshold: 80, year: 2020, zones: null, "
                        "from_year: null, of: null, mode: null, reason: null,",
                        "  end_year: 2020\n": "  end_year: null\n"})
    sc = build_scenario(loads_yaml(text, file="nulls.yaml"))
    assert sc.targets == tiny.targets and sc.end_year == tiny.end_year
