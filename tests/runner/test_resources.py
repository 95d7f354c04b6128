"""sim.runner.resources: the memory and disk a Monte Carlo needs, estimated from the scenario before anything is
allocated; a plan that does not fit is refused with settings that do."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.input.scenario import build_scenario, load_scenario
from sim.input.yamlio import loads_yaml
from sim.runner.resources import (
    BYTES_PER_SLOT,
    USABLE_SHARE,
    WORKER_BASE,
    available_memory,
    disk_bytes,
    plan_memory,
    results_bytes,
    slots_per_run,
    worker_bytes,
)
from tests.conftest import TINY
from tests.helpers import tiny_text

PLENTY = 1e15
#: The tiny scenario, loaded here rather than as a fixture: hypothesis prints the arguments of a failing case.
SC = load_scenario(TINY)


def test_a_run_plans_a_slot_for_every_firm_of_a_heavy_run(tiny):
    heavy = 0.99 * 200 + 500 + 200 + 40  # firms in the zones (uniform 500–700), outside, the candidate park
    assert slots_per_run(tiny) >= heavy


def test_more_firms_need_more_slots_and_more_memory(tiny):
    bigger = build_scenario(loads_yaml(tiny_text(**{"count_outside: {value: 200,": "count_outside: {value: 5000,"})))
    assert slots_per_run(bigger) > slots_per_run(tiny)
    assert worker_bytes(bigger, 10) > worker_bytes(tiny, 10)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 500))
def test_a_workers_memory_is_its_base_plus_the_batchs_slots(batch):
    assert worker_bytes(SC, batch) == WORKER_BASE + batch * slots_per_run(SC) * BYTES_PER_SLOT


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 10**6), st.integers(1, 10**6))
def test_results_and_disk_grow_with_runs(a, b):
    assert results_bytes(SC, a + b) == pytest.approx(results_bytes(SC, a) + results_bytes(SC, b))
    assert disk_bytes(SC, a + b) > disk_bytes(SC, a) > 0


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 10**5), st.integers(1, 16), st.integers(1, 100))
def test_the_plan_grows_with_runs_and_with_slots_held_at_once(runs, workers, batch):
    plan = plan_memory(SC, runs, workers, batch, available=PLENTY)
    assert plan.batch == batch and plan.workers == workers
    assert plan.total == pytest.approx(workers * worker_bytes(SC, batch) + results_bytes(SC, runs))
    assert plan_memory(SC, 2 * runs, workers, batch, available=PLENTY).total > plan.total
    assert plan_memory(SC, runs, workers + 1, batch, available=PLENTY).total > plan.total
    assert plan_memory(SC, runs, workers, batch + 1, available=PLENTY).total > plan.total


def test_without_a_batch_size_the_plan_chooses_one_that_fits(tiny):
    per_run = slots_per_run(tiny) * BYTES_PER_SLOT
    available = (2 * WORKER_BASE + 2 * 7.5 * per_run + results_bytes(tiny, 1000)) / USABLE_SHARE
    plan = plan_memory(tiny, 1000, 2, None, available=available)
    assert plan.batch == 7 and plan.total <= plan.available
    assert plan_memory(tiny, 1000, 2, None, available=PLENTY).batch == 50  # at most 50 runs at once


def alternatives(err: ScenarioError) -> list[dict[str, int]]:
    """The settings a refusal suggests: one {flag: value} per alternative ('A or B')."""
    [p] = err.problems
    assert p.key == "memory" and p.found.startswith("an estimated ") and "GB" in p.expected
    assert p.hint.startswith("settings that fit: ")
    return [{flag: int(value.replace(",", "")) for flag, value in re.findall(r"--([\w-]+) ([\d,]+)", option)}
            for option in p.hint.removeprefix("settings that fit: ").split(" or ")]


@settings(max_examples=80, deadline=None)
@given(st.floats(0.3e9, 8e9), st.integers(1, 2 * 10**6), st.integers(1, 8), st.none() | st.integers(1, 200))
def test_a_refused_plan_names_settings_that_fit(available, runs, workers, batch):
    """Each suggested alternative, applied with the other settings as given, fits; 'a smaller scenario' is said
    only when even one run held by one worker does not fit."""
    try:
        plan = plan_memory(SC, runs, workers, batch, available=available)
    except ScenarioError as err:
        for option in alternatives(err):
            if not option:  # the fallback: nothing smaller fits
                with pytest.raises(ScenarioError):
                    plan_memory(SC, 1, 1, 1, available=available)
                continue
            assert option.get("runs", 0) < runs and option.get("workers", 0) <= workers
            fitted = plan_memory(SC, option.get("runs", runs), option.get("workers", workers),
                                 option.get("batch-size", batch), available=available)
            assert fitted.total <= fitted.available
    else:
        assert plan.total <= plan.available == pytest.approx(available * USABLE_SHARE)


@pytest.mark.parametrize(("available", "runs", "workers", "batch", "expected"), [
    (2e9, 1_000_000, 1, None, "--runs "),  # the results dominate: fewer runs
    (1e9, 100, 4, 50, "--batch-size "),  # the workers dominate: fewer runs held at once
    (0.3e9, 1, 2, 63, "--workers 1 --batch-size "),  # neither alone is enough
])
def test_a_refusal_suggests_what_dominates(available, runs, workers, batch, expected):
    with pytest.raises(ScenarioError) as info:
        plan_memory(SC, runs, workers, batch, available=available)
    assert info.value.problems[0].hint.startswith("settings that fit: " + expected)


def test_the_memory_available_is_positive():
    assert available_memory() > 0
