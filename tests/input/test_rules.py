"""sim.input.rules: rules across the sections of a scenario — years against the base year, unique ids, lever
windows, target kinds, base-year parts against their wholes, vintages, back-tests — each a located problem."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim.input import rules
from sim.input.scenario import build_scenario
from sim.input.yamlio import loads_yaml
from tests.conftest import ROOT
from tests.helpers import line_of, problems_for, tiny_text

HINDCAST = ROOT / "scenarios" / "hindcast"
#: The tiny scenario's firms in the zones: uniform from 500 to 700.
COUNT = "count_in_zones: {dist: uniform, loc: 500, scale: 200,"
HTE = "hte_in_zones: {value: 60,"


def test_target_year_before_the_base_year():
    probs = problems_for(tiny_text(**{"threshold: 80, year: 2020": "threshold: 80, year: 2016"}))
    assert any(p.key == "targets[0].year" and "2016" in p.found and "2017" in p.expected for p in probs)


def test_duplicate_ids():
    probs = problems_for(tiny_text(**{"{id: hte_mid,": "{id: hte,"}))
    assert any(p.key == "targets[1].id" and "already used by item 0" in p.expected for p in probs)


def test_an_input_whose_vintage_is_after_the_base_year_is_refused():
    text = tiny_text(**{"hte_outside: {value: 20, assumed: true, vintage: 2017}":
                        "hte_outside: {value: 20, assumed: true, vintage: 2018}"})
    [p] = [p for p in problems_for(text) if p.key == "firms.hte_outside.vintage"]
    assert p.found == "2018" and "2017" in p.expected and p.line == line_of(text, "vintage: 2018")


def test_a_default_prior_newer_than_the_base_year_must_be_overridden(monkeypatch):
    priors = dict(rules.default_priors())
    late = dataclasses.replace(priors["entry_rate"], vintage=2019)
    monkeypatch.setattr(rules, "default_priors", lambda: {**priors, "entry_rate": late})
    probs = problems_for(tiny_text())
    assert any(p.key == "scenario.base_year" and "entry_rate" in p.found for p in probs)
    # an override of it, of the base year's vintage, is what the rule asks for
    override = "  entry_rate: {dist: uniform, loc: 0.05, scale: 0.2, assumed: true, vintage: 2017}\n"
    build_scenario(loads_yaml(tiny_text(**{"parameters:\n": "parameters:\n" + override})))


def test_not_modelled_needs_a_reason():
    probs = problems_for(tiny_text(**{"status: not_modelled, reason: testing the not-modelled path,":
                                      "status: not_modelled,"}))
    assert any("reason" in p.found for p in probs)


# --- a part may not exceed its whole ------------------------------------------------------------------------------

def test_more_htes_than_firms_in_every_run_is_refused():
    text = tiny_text(**{HTE: "hte_in_zones: {value: 800,"})
    [p] = [p for p in problems_for(text) if p.key == "firms.hte_in_zones"]
    assert p.found == "at least 800" and "at most 700" in p.expected and "firms.count_in_zones" in p.expected
    assert p.line == line_of(text, "hte_in_zones:")


def test_more_national_and_provincial_incubators_than_incubators_is_refused():
    text = tiny_text(**{"provincial_incubators_in_zones: {value: 2,": "provincial_incubators_in_zones: {value: 6,"})
    [p] = [p for p in problems_for(text) if p.key == "incubators.national_incubators_in_zones"]
    assert p.found == "at least 7" and "at most 6" in p.expected


@settings(max_examples=12, deadline=None)
@example(500)
@example(701)
@example(1000)
@given(st.integers(10, 1000))
def test_a_part_is_refused_above_its_wholes_range_and_warned_about_inside_it(hte):
    """HTEs in the zones against the zones' firms (uniform 500–700): refused above 700 (a contradiction in every
    run), a warning where some draws of the firms fall below it, nothing at or below 500. (From 10 up: fewer
    would make the base year's 30 certificates more than the 20 HTEs outside and these.)"""
    text = tiny_text(**{HTE: f"hte_in_zones: {{value: {hte},"})
    if hte > 700:
        assert any(p.key == "firms.hte_in_zones" and p.found == f"at least {hte:,}" for p in problems_for(text))
        return
    sc = build_scenario(loads_yaml(text, file="s.yaml"))
    warned = [w for w in sc.warnings if w.key == "firms.hte_in_zones"]
    if hte <= 500:
        assert warned == []
    elif hte >= 510:  # from 1% of the runs on (the rule tolerates 0.5%)
        assert warned and "of runs" in warned[0].found


# --- levers and targets -------------------------------------------------------------------------------------------

def test_a_lever_that_ends_before_the_simulated_period_is_refused():
    text = tiny_text(**{"start: 2018-01, end: 2019-12, rate: 0.1": "start: 2010-01, end: 2012-12, rate: 0.1"})
    [p] = [p for p in problems_for(text) if p.key == "policies[1].end"]
    assert p.found == "2012-12" and "2018-01" in p.expected


def test_a_lever_that_starts_after_the_end_year_is_refused():
    text = tiny_text(**{"start: 2018-01, end: 2019-12, rate: 0.1": "start: 2021-01, end: 2022-12, rate: 0.1"})
    assert any(p.key == "policies[1].start" and "2020" in p.expected for p in problems_for(text))


def test_a_share_written_in_percent_is_refused_with_the_fraction_to_write():
    [p] = [p for p in problems_for(tiny_text(**{"threshold: 0.7, year: 2020": "threshold: 70, year: 2020"}))
           if p.key == "targets[5].threshold"]
    assert p.found == "70" and "write 0.7 for 70%" in p.hint
    [q] = [q for q in problems_for(tiny_text(**{"threshold: 0.7, year: 2020": "threshold: 2.5, year: 2020"}))
           if q.key == "targets[5].threshold"]
    assert "write 0.025 for 2.5%" in q.hint  # two decimals had made it 0.03 (new-user trial)


def test_a_target_that_must_hold_every_year_is_checked_in_december():
    text = tiny_text(**{'comparison: ">=", threshold: 0.0, year: 2020,':
                        'comparison: ">=", threshold: 0.0, year: 2019, month: 6,'})
    assert any(p.key == "targets[4].month" and p.found == "6" for p in problems_for(text))


def test_a_key_of_another_target_kind_is_refused():
    text = tiny_text(**{"kind: level, comparison: \">=\", threshold: 80,":
                        "kind: level, mode: compound, comparison: \">=\", threshold: 80,"})
    assert any(p.key == "targets[0].mode" and "growth" in p.expected for p in problems_for(text))


def test_an_unknown_zone_of_a_target_is_named_with_the_closest():
    text = tiny_text(**{"threshold: 80, year: 2020,": "threshold: 80, year: 2020, zones: [alpah],"})
    [p] = [p for p in problems_for(text) if p.key == "targets[0].zones[0]"]
    assert p.found == "alpah" and "alpha" in p.hint


def test_did_you_mean():
    assert rules.did_you_mean("alpah", ["alpha", "beta"]) == "did you mean 'alpha'?"
    assert rules.did_you_mean("zzzz", ["alpha", "beta"]) == ""


# --- back-tests ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hindcast_text() -> str:
    return (HINDCAST / "guangxi_2015.yaml").read_text(encoding="utf-8")


def test_a_backtest_must_account_for_every_series_observed_in_its_window(hindcast_text):
    line = '    - {series: zone_net_profit, reason: "profits are not modelled"}\n'
    assert line in hindcast_text
    probs = problems_for(hindcast_text.replace(line, ""), file=str(HINDCAST / "x.yaml"))
    assert any("zone_net_profit" in p.found for p in probs)


def test_a_backtest_names_a_region_with_history(hindcast_text):
    probs = problems_for(hindcast_text.replace("  region: guangxi\n", "  region: guangxii\n", 1))
    [p] = [p for p in probs if p.key == "backtest.region"]
    assert p.found == "guangxii" and "guangxi" in p.hint


def test_a_series_left_out_of_the_calibration_says_why(hindcast_text):
    line = "    - {series: zone_firms, indicator: firms, period: month,"
    assert line in hindcast_text
    probs = problems_for(hindcast_text.replace(line, line + " fit: false,", 1))
    [p] = [p for p in probs if p.key.startswith("backtest.observe[")]
    assert "fit_reason" in p.expected
    assert not [p for p in problems_for(hindcast_text.replace(line, line + ' fit: false, fit_reason: "r",', 1))
                if p.key.startswith("backtest.observe[")]


def test_a_backtest_calibrates_only_parameters_with_a_prior(hindcast_text):
    probs = problems_for(hindcast_text.replace("calibrate: [hte_prepare_rate,", "calibrate: [hte_prepare_rat,", 1))
    assert any(p.key == "backtest.calibrate[0]" and "hte_prepare_rate" in p.hint for p in probs)


def test_a_negative_count_is_one_problem_not_also_a_contradiction_computed_from_it():
    """Regression (new-user trial): hte_in_zones -535 also produced 'hte_certified_base_year: at most 134'."""
    text = tiny_text(**{"hte_in_zones: {value: 60,": "hte_in_zones: {value: -60,"})
    assert [p.key for p in problems_for(text)] == ["firms.hte_in_zones"]


@pytest.mark.parametrize(("certified", "warned"), [(5, True), (27, False), (40, False), (70, True)])
def test_base_year_certificates_far_from_the_stock_and_cycle_are_flagged(certified, warned):
    """tiny holds 60 + 20 HTEs: a third of them (27) are certified in a steady year; 5 or 70 would swing every
    HTE probability through the capability calibration, so validation warns with the implied range."""
    text = tiny_text(**{"hte_certified_base_year: {value: 30,": f"hte_certified_base_year: {{value: {certified},"})
    sc = build_scenario(loads_yaml(text, file="s.yaml"))
    flagged = [w for w in sc.warnings if w.key == "firms.hte_certified_base_year"]
    assert bool(flagged) == warned
    if warned:
        assert "between 13 and 53" in flagged[0].expected and flagged[0].line is not None
