"""Major projects (sim.model.mechanisms.major_projects): each January large, established firms enter the
official zones only, Poisson in number on the zones' output; they add output and entries."""

from __future__ import annotations

import numpy as np

from sim.model.engine import BatchSim
from sim.model.mechanisms import major_projects

from ..support import batch, total

RUNS = np.arange(12)


def projects(scenario, seed: int = 4, runs: int = 8):
    """The batch after one January of projects, and the slots they took."""
    sim = batch(scenario, seed, runs)
    n0 = sim.state.firms.next_free.copy()
    major_projects.january(sim)
    new = (np.arange(sim.W)[None, :] >= n0[:, None]) & sim.state.firms.alive
    return sim, new


def test_projects_enter_official_zones_only_as_established_large_firms(bare):
    sim, new = projects(bare.with_parameters({"major_project_share": 0.2}))
    f = sim.state.firms
    assert new.sum() > 0
    assert sim.per_firm(sim.official_zones())[new].all()
    assert (f.age[new] == 60).all()
    assert np.median(f.revenue[new]) > 50.0  # M RMB: around the projects' median, far above an entrant's
    np.testing.assert_array_equal(sim.flows["entries"], sim.zcount(new))


def test_no_share_means_no_project(bare):
    sim, new = projects(bare.with_parameters({"major_project_share": 0.0}))
    assert not new.any() and (sim.flows["entries"] == 0).all()


def test_the_number_of_projects_averages_the_share_of_output_over_a_projects_mean_revenue(bare):
    sc = bare.with_parameters({"major_project_share": 0.2, "major_project_revenue": 200.0})
    sim = batch(sc, 5, 16)
    f = sim.state.firms
    out = sim.zsum(f.revenue * f.alive) * sim.official_zones()
    expected = (0.2 * out / (200.0 * np.exp(0.5))).sum()
    sim, new = projects(sc, 5, 16)
    assert abs(new.sum() - expected) < 4 * np.sqrt(expected) + 1, (new.sum(), expected)


def test_major_projects_add_output_and_entries(tiny):
    none = BatchSim(tiny.with_parameters({"major_project_share": 0.0}), 4, RUNS).run()
    some_sim = BatchSim(tiny.with_parameters({"major_project_share": 0.2}), 4, RUNS)
    some = some_sim.run()
    assert total(some, "output").mean() > total(none, "output").mean()
    years = [i for i in range(none.snapshots.shape[1]) if i > 0]
    entries_none = sum(total(none, "entries", i) for i in years)
    entries_some = sum(total(some, "entries", i) for i in years)
    assert (entries_some >= entries_none).all()
    assert int(some_sim.overflow.sum()) == 0
