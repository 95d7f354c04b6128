"""Helpers shared by several test modules (not a test module): the tiny scenario's text with replacements, the
problems a text is refused with, a target made by hand, the agents of every batch made, with the cyclic
collector off, two reduced batches compared field by field."""

from __future__ import annotations

import contextlib
import gc
import weakref
from collections.abc import Iterator

import pytest

from sim.errors import Problem, ScenarioError
from sim.input.scenario import Source, Target, build_scenario
from sim.input.yamlio import loads_yaml
from tests.conftest import TINY


def tiny_text(**replace: str) -> str:
    """tests/data/tiny.yaml with each `old=new` replaced; every `old` must be there (a changed fixture fails)."""
    text = TINY.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def problems_for(text: str, file: str = "bad.yaml") -> list[Problem]:
    """The problems a scenario text is refused with (it must be refused)."""
    with pytest.raises(ScenarioError) as info:
        build_scenario(loads_yaml(text, file=file))
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of `text` containing `needle`."""
    for i, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in the text")


def make_target(**kw) -> Target:
    """A level target on HTEs over the zones in 2020, with `kw` changed."""
    base = dict(id="t", name="t", name_en="t", indicator="hte", kind="level", comparison=">=", threshold=0.0,
                year=2020, month=12, scope="zones", of_indicator=None, of_scope="zones", from_year=2017, mode=None,
                zone_level="any", level=None, status="modelled", reason="", source=Source("x", "y"))
    base.update(kw)
    return Target(**base)


def fake_comparison(hits: dict, costs: dict, targets: list[Target] | None = None, names: dict | None = None,
                    base_id: str = "base"):
    """A `sim.runner.compare.Comparison` made by hand, without simulating: each variant's (runs, targets) hits and
    (runs,) total cost in RMB (paid by the first lever of the tiny scenario, in its first year). The targets are
    level targets `t0`, `t1` … unless given; every one is modelled. The first variant in `hits` is listed first."""
    import dataclasses

    import numpy as np

    from sim.input.experiment import Experiment, Variant
    from sim.input.scenario import load_scenario
    from sim.model.engine import snapshot_times
    from sim.runner.compare import Comparison
    from sim.runner.montecarlo import Reduced, Results

    first = np.asarray(next(iter(hits.values())))
    runs, n_targets = first.shape
    targets = targets or [make_target(id=f"t{j}", name=f"目标{j}", name_en=f"target {j}") for j in range(n_targets)]
    scenario = dataclasses.replace(load_scenario(TINY), targets=tuple(targets))
    times = snapshot_times(scenario)
    names = names or {}
    variants = tuple(Variant(vid, names.get(vid, f"方案 {vid}"), scenario) for vid in hits)
    experiment = Experiment("fake", "假实验", "fake", "fake.yaml", base_id, runs, 0, "hte", variants)
    comparison = Comparison(experiment)
    for vid, h in hits.items():
        h = np.asarray(h, bool)
        lever = np.zeros((runs, 1, len(scenario.policies)))
        lever[:, 0, 0] = costs[vid]
        part = Reduced(np.arange(runs), {"hte": np.tile(h.sum(axis=1, keepdims=True).astype(float), (1, len(times)))},
                       np.zeros((runs, len(times), 0, 0)), np.zeros((runs, len(times), 0)),
                       h.astype(float), h, np.zeros((runs, n_targets, len(times))), lever, {}, 0, 0, 0.0)
        comparison.results[vid] = Results(scenario, 0, 1, runs, times, [part])
    return comparison


@contextlib.contextmanager
def batch_states_without_collector(monkeypatch) -> Iterator[list[weakref.ref]]:
    """Weak references to the agents' state of every `BatchSim` made inside the block, run with Python's cyclic
    collector off: a state that is gone by the block's end was freed by reference counting alone."""
    from sim.model import engine

    states: list[weakref.ref] = []
    init = engine.BatchSim.__init__

    def recording(self, *args, **kwargs):
        init(self, *args, **kwargs)
        states.append(weakref.ref(self.state))

    monkeypatch.setattr(engine.BatchSim, "__init__", recording)
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield states
    finally:
        if enabled:
            gc.enable()


def assert_same_batch(a, b) -> None:
    """Two reduced batches (`sim.runner.montecarlo.Reduced`) hold the same arrays, of the same dtypes, and scalars."""
    import numpy as np

    for name, value in vars(a).items():
        other = getattr(b, name)
        if isinstance(value, dict):
            assert value.keys() == other.keys(), name
            for key in value:
                np.testing.assert_array_equal(value[key], other[key], err_msg=f"{name}/{key}")
        elif isinstance(value, np.ndarray):
            assert value.dtype == other.dtype, name
            np.testing.assert_array_equal(value, other, err_msg=name)
        else:
            assert value == other, name
