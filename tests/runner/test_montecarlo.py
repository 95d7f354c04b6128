"""sim.runner.montecarlo: batches of runs reduced to per-run tables, in run order whatever the batching; P(hit) of
each target with its Wilson interval, consistent with the hits; the adaptive run count and why it stopped; a
progress bar whose total never changes; resuming from finished batches without simulating them again."""

from __future__ import annotations

import numpy as np
import pytest

from sim.measure.stats import wilson
from sim.model.engine import snapshot_times
from sim.runner import montecarlo
from sim.runner.montecarlo import default_workers, run_scenario

RUNS = 12


@pytest.fixture(scope="module")
def results(tiny):
    return run_scenario(tiny, runs=RUNS, seed=5, workers=1, batch_size=5)


def test_runs_come_in_run_order_in_batches_of_at_most_the_batch_size(results, tiny):
    assert results.runs == RUNS and list(results.run_index) == list(range(RUNS))
    assert [len(p.runs) for p in results.parts] == [5, 5, 2]
    for p in results.parts:
        assert list(p.runs) == list(range(int(p.runs[0]), int(p.runs[-1]) + 1))  # consecutive runs
    S, T = len(snapshot_times(tiny)), len(tiny.targets)
    assert results.times == snapshot_times(tiny)
    assert results.target_values.shape == results.target_hits.shape == (RUNS, T)
    assert results.target_series.shape == (RUNS, T, S) and results.indicator("hte").shape == (RUNS, S)
    assert results.indicator("region_hte").shape == (RUNS, S)
    assert results.lever_costs.shape == (RUNS, tiny.end_year - tiny.base_year, len(tiny.policies))


def test_p_hit_and_its_wilson_interval_follow_the_hits(results, tiny):
    rows = results.summary()
    assert [r["target_id"] for r in rows] == [t.id for t in tiny.targets] + ["ALL"]
    for j, (t, r) in enumerate(zip(tiny.targets, rows, strict=False)):
        assert r["runs"] == RUNS
        if not t.modelled:
            assert np.isnan(r["p_hit"]) and r["hits"] == 0
            continue
        k = int(results.target_hits[:, j].sum())
        lo, hi = wilson(k, RUNS)
        assert (r["hits"], r["p_hit"]) == (k, k / RUNS)
        assert (r["p_hit_low"], r["p_hit_high"]) == (float(lo), float(hi))
        assert 0.0 <= r["p_hit_low"] <= r["p_hit"] <= r["p_hit_high"] <= 1.0
        v = results.target_values[:, j]
        finite = v[np.isfinite(v)]
        if finite.size:
            assert (r["median"], r["p05"], r["p95"]) == pytest.approx(tuple(np.percentile(finite, [50, 5, 95])))
            assert r["p05"] <= r["median"] <= r["p95"]
        assert r["backtest"] in ("supported", "poor", "untested")


def test_all_is_every_modelled_target_hit_in_the_same_run(results, tiny):
    modelled = [j for j, t in enumerate(tiny.targets) if t.modelled]
    joint = results.target_hits[:, modelled].all(axis=1)
    np.testing.assert_array_equal(results.all_hit(), joint)
    all_row = results.summary()[-1]
    assert all_row["hits"] == joint.sum() <= min(results.target_hits[:, modelled].sum(axis=0))
    assert (all_row["p_hit_low"], all_row["p_hit_high"]) == tuple(float(x) for x in wilson(joint.sum(), RUNS))
    half = max((r["p_hit_high"] - r["p_hit_low"]) / 2 for r in results.summary() if r["status"] == "modelled")
    assert results.max_half_width() == half


def test_the_run_count_is_adaptive_at_fixed_milestones(tiny, monkeypatch):
    monkeypatch.setattr(montecarlo, "MILESTONE", 8)
    loose = run_scenario(tiny, seed=1, workers=1, batch_size=3, max_runs=24, half_width=0.45)
    assert loose.runs == 8 and loose.max_half_width() <= 0.45
    assert loose.stopping_line() == "stopped at 8 runs: every 95% interval within ±45 points"
    tight = run_scenario(tiny, seed=1, workers=1, batch_size=5, max_runs=24, half_width=0.01)
    assert tight.runs == 24 and tight.stopping_line() == "stopped at 24 runs: the cap of 24 runs"
    np.testing.assert_array_equal(tight.target_values[:8], loose.target_values)  # run k is run k


class Bar:
    """Stands for the tqdm bar: records its total whenever it moves, and its label."""

    made: list[Bar] = []

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.n, self.totals, self.closed = total, label, 0, [total], False
        Bar.made.append(self)

    def update(self, n: int) -> None:
        self.n += n
        self.totals.append(self.total)
        assert self.n <= self.total

    def refresh(self) -> None:
        self.totals.append(self.total)

    def set_description_str(self, text: str) -> None:
        self.label = text

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(("half_width", "runs"), [(0.45, 8), (0.01, 24), (None, 10)])
def test_the_progress_total_is_fixed_and_never_falls_back(tiny, monkeypatch, half_width, runs):
    monkeypatch.setattr(montecarlo, "MILESTONE", 8)
    monkeypatch.setattr(montecarlo, "_progress", Bar)
    Bar.made = []
    if half_width is None:
        res = run_scenario(tiny, runs=runs, seed=1, workers=1, batch_size=3, progress=True, label="variant 1/2: x")
    else:
        res = run_scenario(tiny, seed=1, workers=1, batch_size=3, max_runs=24, half_width=half_width, progress=True)
    [bar] = Bar.made
    assert res.runs == runs and bar.n == runs and bar.closed
    assert bar.totals == [bar.totals[0]] * len(bar.totals)  # one total from the start: it never grows or shrinks
    assert bar.totals[0] == (24 if half_width is not None else runs)  # the cap of the adaptive rule
    if half_width == 0.45:  # ends short of the cap, and says why
        assert bar.label == f"tiny: {res.stopping_line()}" and "within ±45 points" in bar.label
    else:
        assert bar.label == ("tiny" if half_width else "variant 1/2: x")
        assert res.stopping_line() == ("stopped at 24 runs: the cap of 24 runs" if half_width else
                                       "stopped at 10 runs: fixed number of runs")


def test_no_progress_bar_when_not_asked(tiny, monkeypatch):
    monkeypatch.setattr(montecarlo, "_progress", Bar)
    Bar.made = []
    run_scenario(tiny, runs=2, seed=1, workers=1)
    assert Bar.made == []


def test_only_runs_simulates_just_those_runs(results, tiny):
    some = run_scenario(tiny, seed=5, workers=1, only_runs=[7, 2, 7])
    assert list(some.run_index) == [2, 7]
    np.testing.assert_array_equal(some.target_values, results.target_values[[2, 7]])


def test_a_resumed_run_loads_its_finished_batches_instead_of_simulating_them(results, tiny, tmp_path, monkeypatch):
    run_scenario(tiny, runs=RUNS, seed=5, workers=1, batch_size=5, checkpoint=tmp_path)
    assert len(list(tmp_path.glob("runs_*.npz"))) == 3

    def never(*args, **kwargs):
        raise AssertionError("a finished batch was simulated again")

    monkeypatch.setattr(montecarlo, "simulate_runs", never)
    again = run_scenario(tiny, runs=RUNS, seed=5, workers=1, batch_size=5, checkpoint=tmp_path, resume=True)
    assert [r["p_hit"] for r in again.summary()[:-1] if r["status"] == "modelled"] == \
        [r["p_hit"] for r in results.summary()[:-1] if r["status"] == "modelled"]
    np.testing.assert_array_equal(again.target_values, results.target_values)


def test_each_batch_reaches_the_sink_in_run_order(tiny):
    seen: list[int] = []
    run_scenario(tiny, runs=7, seed=0, workers=1, batch_size=3, sink=lambda part: seen.extend(part.runs))
    assert seen == list(range(7))


def test_there_is_at_least_one_worker():
    assert default_workers() >= 1


@pytest.mark.parametrize(("kwargs", "named"), [({"runs": 0}, "runs"), ({"runs": 2.5}, "runs"),
                                               ({"runs": True}, "runs"), ({"workers": 0}, "workers"),
                                               ({"batch_size": -1}, "batch_size"), ({"max_runs": 0}, "max_runs"),
                                               ({"seed": -1}, "seed"), ({"seed": 2**100}, "seed"),
                                               ({"only_runs": []}, "only_runs"),
                                               ({"only_runs": [1, -2]}, "only_runs")])
def test_a_library_call_with_a_bad_count_is_refused_before_anything_runs(tiny, kwargs, named):
    """The command line refuses these; a notebook gets the same refusal, naming the argument, instead of a
    failure deep inside the run (runs=0 used to fail only at .summary())."""
    with pytest.raises(ValueError, match=rf"^{named} must be"):
        run_scenario(tiny, **{"runs": 2, "workers": 1, **kwargs})
