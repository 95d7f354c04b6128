"""Hand-edited files break in every way: mutations of the bundled scenarios and experiments must give the
project's own error (file, line, key, expected), never another exception, and quickly."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.input.experiment import load_experiment
from sim.input.scenario import build_scenario
from sim.input.yamlio import loads_yaml

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "scenarios").glob("*.yaml"))}
EXPERIMENTS = {p.name: yaml.safe_load(p.read_text(encoding="utf-8"))
               for p in sorted((ROOT / "experiments").glob("*.yaml"))}

VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**13, 10**13),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
                   st.sampled_from(["2018-13", "2017-00", "中文", "1e400", "-1", "0x10", "~", "", "value"]),
                   st.lists(st.integers(-5, 5), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                            max_size=2))


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


def mutate(data: Any, path: tuple, how: str, value: Any) -> Any:
    data = copy.deepcopy(data)
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "delete":
        del parent[last]
    elif how == "rename" and isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)
    else:
        parent[last] = value
    return data


REFUSED: list[bool] = []  # what the mutations led to, to check that the test exercises the errors
MUTATION = st.tuples(st.sampled_from(["delete", "rename", "replace", "replace"]), VALUES, st.integers(0, 10**6))


def dump(data: Any) -> str:
    """YAML text of the mutated document (nan and inf are written as .nan and .inf, which YAML allows)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SCENARIOS)), st.lists(MUTATION, min_size=1, max_size=3))
def test_mutated_scenarios_give_only_our_error_and_fast(name, mutations):
    data = SCENARIOS[name]
    for how, value, pick in mutations:
        candidates = paths(data)
        if not candidates:
            break
        data = mutate(data, candidates[pick % len(candidates)], how, value)
    text = dump(data)
    start = time.perf_counter()
    try:
        build_scenario(loads_yaml(text, file=f"mutated-{name}"))
        REFUSED.append(False)
    except ScenarioError as err:
        REFUSED.append(True)
        assert err.problems and all(p.file for p in err.problems)
        assert all(p.expected for p in err.problems)
    assert time.perf_counter() - start < 1.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(EXPERIMENTS)), st.lists(MUTATION, min_size=1, max_size=3))
def test_mutated_experiments_give_only_our_error_and_fast(tmp_path_factory, name, mutations):
    data = EXPERIMENTS[name]
    for how, value, pick in mutations:
        candidates = [p for p in paths(data) if p[:2] != ("experiment", "scenario")]
        if not candidates:  # everything but the scenario path is already gone
            break
        data = mutate(data, candidates[pick % len(candidates)], how, value)
    folder = tmp_path_factory.mktemp("exp")
    path = folder / name
    path.write_text(dump(data), encoding="utf-8")
    if isinstance(data, dict) and isinstance(data.get("experiment"), dict) and "scenario" in data["experiment"]:
        data["experiment"]["scenario"] = str(ROOT / "experiments" / data["experiment"]["scenario"])
        path.write_text(dump(data), encoding="utf-8")
    start = time.perf_counter()
    try:
        load_experiment(path)
    except ScenarioError as err:
        assert err.problems and all(p.expected for p in err.problems)
    assert time.perf_counter() - start < 1.0


def test_the_mutations_do_break_files():
    if not REFUSED:  # run alone: nothing to check
        return
    assert sum(REFUSED) > len(REFUSED) / 3, "most mutations should be refused, or the fuzzing is too gentle"
