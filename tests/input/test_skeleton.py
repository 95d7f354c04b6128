"""The skeleton scenario of `zonesim new` (sim.input.skeleton): it validates and runs as written for any
number of zones and years, shows every base-year input with where to find it, one target of each shape and a
lever, and marks every placeholder as an assumption."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.input.models import TARGET_KINDS
from sim.input.scenario import build_scenario
from sim.input.skeleton import inputs, inputs_table, skeleton
from sim.input.yamlio import loads_yaml
from sim.model.engine import run_batch


@settings(max_examples=12, deadline=None)
@given(zones=st.integers(1, 12), base=st.integers(2015, 2030), years=st.integers(1, 8),
       region=st.sampled_from(["新城市", "江州市", "Region X", "某某自治州"]))
def test_the_skeleton_validates_for_any_region_zones_and_years(zones, base, years, region):
    sc = build_scenario(loads_yaml(skeleton(region, zones, base, base + years), file="new.yaml"))
    assert sum(z.level != "outside" for z in sc.zones) == zones
    assert (sc.base_year, sc.end_year) == (base, base + years)


def test_the_skeleton_runs_as_written():
    sc = build_scenario(loads_yaml(skeleton("新城市", 2, 2023, 2026), file="new.yaml"))
    res = run_batch(sc, 0, np.arange(3))
    assert np.isfinite(res.snapshots).all() and res.snapshots.shape[0] == 3


def test_the_skeleton_has_every_input_a_target_of_each_shape_and_a_lever():
    text = skeleton("新城市", 3, 2023, 2026)
    data = yaml.safe_load(text)
    for inp in inputs():
        assert inp.key in text, inp.key  # each key, as a value or as a commented example
    shapes = {t["kind"] for t in data["targets"]}
    assert shapes >= set(TARGET_KINDS) - {"added", "districts_covered"}
    assert any(t.get("month", 12) < 12 for t in data["targets"])  # a dated milestone
    assert data["policies"] and all(t["source"]["quote"] for t in data["targets"])


def test_every_placeholder_is_marked_as_an_assumption():
    data = yaml.safe_load(skeleton("新城市", 2, 2023, 2026))
    for section in ("firms", "incubators", "institutions"):
        for key, value in (data.get(section) or {}).items():
            assert value.get("assumed") is True and "placeholder" in value.get("note", ""), (section, key)
            assert value["vintage"] == 2023


def test_every_required_input_has_a_place_to_find_it():
    for inp in inputs():
        if inp.required != "no":
            assert inp.find, inp.key
        if inp.required == "no" and inp.example is None:
            assert inp.absent, f"{inp.key}: optional without a placeholder must say what happens without it"
    assert len(inputs_table()) == len(inputs()) + 2


@pytest.mark.parametrize(("zones", "base", "end"), [(0, 2023, 2026), (51, 2023, 2026), (2, 2023, 2023),
                                                     (2, 2023, 2060), (2, 2005, 2008)])
def test_impossible_requests_are_refused(zones, base, end):
    with pytest.raises(ValueError):
        skeleton("新城市", zones, base, end)
