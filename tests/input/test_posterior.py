"""sim.input.posterior: calibration posteriors as data: written and read back as plain JSON, drawn per run by
weight, and refused by a scenario when they are of a later vintage, name unknown parameters or leave their
bounds."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.input.posterior import PosteriorError, load_posterior, write_posterior
from sim.input.scenario import load_scenario
from sim.model.engine import BatchSim
from tests.conftest import ROOT, TINY


def _posterior(path, vintage=2017, names=("entry_rate", "hte_prepare_rate"), rows=None, weights=None):
    rows = np.array(rows if rows is not None else [[0.10, 0.10], [0.20, 0.25], [0.25, 0.05]])
    weights = np.array(weights if weights is not None else [0.2, 0.5, 0.3])
    return write_posterior(path, list(names), rows, weights, vintage, "test", "test samples")


def test_round_trip_and_draws_follow_the_weights(tmp_path):
    post = load_posterior(_posterior(tmp_path / "p.json"))
    assert post.names == ("entry_rate", "hte_prepare_rate") and post.vintage == 2017
    assert post.weights == pytest.approx((0.2, 0.5, 0.3))
    u = np.array([0.0, 0.19, 0.21, 0.69, 0.71, 0.999])
    assert list(post.draw(u)["entry_rate"]) == [0.10, 0.10, 0.20, 0.20, 0.25, 0.25]
    many = post.draw(np.random.default_rng(0).random(20_000))["entry_rate"]
    assert np.mean(many == 0.20) == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("content", [b"not json", b'{"format": "other"}', b"[1, 2]",
                                     b'{"format": "zonesim-posterior/1", "parameters": ["a"], "samples": [[NaN]], '
                                     b'"weights": [1], "vintage": 2017}',
                                     b'{"format": "zonesim-posterior/1", "parameters": ["a"], "samples": [[1]], '
                                     b'"weights": [-1], "vintage": 2017}'])
def test_malformed_posteriors_are_refused(tmp_path, content):
    path = tmp_path / "p.json"
    path.write_bytes(content)
    with pytest.raises(PosteriorError):
        load_posterior(path)


def _tiny_with(tmp_path, posterior_name: str) -> str:
    text = TINY.read_text(encoding="utf-8")
    return text.replace("policies:\n", f"calibration:\n  posterior: {posterior_name}\n\npolicies:\n", 1)


def test_a_scenario_draws_each_runs_parameters_from_its_posterior(tmp_path):
    _posterior(tmp_path / "p.json")
    (tmp_path / "s.yaml").write_text(_tiny_with(tmp_path, "p.json"), encoding="utf-8")
    sc = load_scenario(tmp_path / "s.yaml")
    sim = BatchSim(sc, 3, np.arange(40))
    rows = {(0.10, 0.10), (0.20, 0.25), (0.25, 0.05)}
    drawn = set(zip(sim.state.params["entry_rate"].round(6), sim.state.params["hte_prepare_rate"].round(6),
                    strict=True))
    assert drawn <= rows and len(drawn) == 3  # jointly, rows as they are
    again = BatchSim(sc, 3, np.arange(40))
    assert np.array_equal(again.state.params["entry_rate"], sim.state.params["entry_rate"])


def test_a_posterior_of_a_later_vintage_is_refused(tmp_path):
    _posterior(tmp_path / "p.json", vintage=2018)
    (tmp_path / "s.yaml").write_text(_tiny_with(tmp_path, "p.json"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    p = info.value.problems[0]
    assert p.key == "calibration.posterior" and "2018" in p.found and p.line is not None


def test_unknown_or_out_of_bounds_parameters_are_refused(tmp_path):
    _posterior(tmp_path / "p.json", names=("entry_rat", "hte_prepare_rate"))
    (tmp_path / "s.yaml").write_text(_tiny_with(tmp_path, "p.json"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    assert any("entry_rat" in p.found for p in info.value.problems)
    _posterior(tmp_path / "q.json", rows=[[0.1, 1.5], [0.2, 0.1], [0.2, 0.1]])
    (tmp_path / "t.yaml").write_text(_tiny_with(tmp_path, "q.json"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "t.yaml")
    assert any("hte_prepare_rate" in p.found for p in info.value.problems)


def test_bundled_posteriors_are_readable_and_of_the_right_vintage():
    for path in sorted((ROOT / "scenarios" / "posteriors").glob("*.json")):
        post = load_posterior(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        assert post.vintage == int(path.stem.split("_")[-1]), path
        assert all(h["year"] <= post.vintage for h in data["history"]), path
        assert "ABC-SMC" in post.method and data["generations"], path


def test_a_missing_posterior_file_is_located(tmp_path):
    (tmp_path / "s.yaml").write_text(_tiny_with(tmp_path, "nowhere.json"), encoding="utf-8")
    shutil.rmtree(tmp_path / "nowhere.json", ignore_errors=True)
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "s.yaml")
    assert info.value.problems[0].key == "calibration.posterior"


def test_a_transferred_posterior_carries_the_between_region_pace(tmp_path):
    """`transfer: true` scales the certification pace the posterior gives by each run's `regional_hte_pace`;
    what the posterior does not give (this region's own priors) and other parameters are left alone."""
    _posterior(tmp_path / "p.json")
    text = _tiny_with(tmp_path, "p.json")
    (tmp_path / "own.yaml").write_text(text, encoding="utf-8")
    moved_text = text.replace("  posterior: p.json\n", "  posterior: p.json\n  transfer: true\n", 1)
    (tmp_path / "moved.yaml").write_text(moved_text, encoding="utf-8")
    own = BatchSim(load_scenario(tmp_path / "own.yaml"), 3, np.arange(40)).state.params
    moved = BatchSim(load_scenario(tmp_path / "moved.yaml"), 3, np.arange(40)).state.params
    pace = moved["regional_hte_pace"]
    assert pace.std() > 0.1 and np.array_equal(pace, own["regional_hte_pace"])  # the same draw, used or not
    np.testing.assert_allclose(moved["hte_prepare_rate"], np.minimum(own["hte_prepare_rate"] * pace, 0.95))
    np.testing.assert_array_equal(moved["entry_rate"], own["entry_rate"])  # not a pace parameter
    np.testing.assert_array_equal(moved["capability_growth"], own["capability_growth"])  # not in the posterior


def test_a_national_posterior_without_transfer_is_a_warning(tmp_path):
    write_posterior(tmp_path / "p.json", ["entry_rate"], np.array([[0.1]]), np.array([1.0]), 2017, "national", "t")
    (tmp_path / "s.yaml").write_text(_tiny_with(tmp_path, "p.json"), encoding="utf-8")
    warned = load_scenario(tmp_path / "s.yaml").warnings
    assert [w.key for w in warned if "transfer" in w.expected] == ["calibration.posterior"]
    said = _tiny_with(tmp_path, "p.json").replace("  posterior: p.json\n", "  posterior: p.json\n  transfer: false\n")
    (tmp_path / "s.yaml").write_text(said, encoding="utf-8")
    assert not [w for w in load_scenario(tmp_path / "s.yaml").warnings if "transfer" in w.expected]
