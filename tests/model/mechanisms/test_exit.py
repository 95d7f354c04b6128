"""Firm exit (sim.model.mechanisms.exit): a firm's monthly hazard is its yearly hazard by age and size spread over
twelve months, certificate holders leave at `hte_exit_factor` times it, and an exit empties the firm's slot."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import rules
from sim.model.mechanisms import exit

from ..support import batch

RUNS = 12


@pytest.mark.parametrize("factor", [0.0, 0.5, 1.0])
def test_holders_exit_at_their_factor_of_the_ordinary_hazard(tiny, factor):
    sim = batch(tiny.with_parameters({"hte_exit_factor": factor}), 4, RUNS)
    f = sim.state.firms
    f.exit_month[:] = 0.6  # every firm would leave with probability 0.6 this month
    holders, others = f.hte & f.alive, ~f.hte & f.alive
    u = np.random.default_rng(0).random(f.alive.shape).astype(np.float32)
    exit.monthly(sim, u)
    left_holders = (holders & ~f.alive).sum() / holders.sum()
    left_others = (others & ~f.alive).sum() / others.sum()
    assert left_others == pytest.approx(0.6, abs=0.02)
    assert left_holders == pytest.approx(0.6 * factor, abs=0.05)


def test_the_monthly_hazard_compounds_to_the_yearly_hazard_by_age_and_size(tiny):
    sim = batch(tiny, 1, 3)
    f, p = sim.state.firms, sim.state.params
    exit.set_hazard(sim)
    yearly = rules.exit_hazard_year(f.age, f.revenue, p["exit_hazard_peak"][:, None], p["exit_hazard_old"][:, None],
                                    p["exit_size_elasticity"][:, None])
    np.testing.assert_allclose(1.0 - (1.0 - f.exit_month.astype(np.float64)) ** 12, yearly, rtol=1e-4)
    assert (f.exit_month[f.alive] > 0).all()


def test_an_exit_empties_the_slot_and_counts_in_the_flows(tiny):
    sim = batch(tiny, 2, 4)
    f = sim.state.firms
    alive_z = sim.alive_z.copy()
    was_holder, was_alive = f.hte & f.alive, f.alive.copy()
    u = np.ones(f.alive.shape, np.float32)
    gone = np.zeros_like(f.alive)
    gone[:, ::7] = True
    gone &= f.alive
    u[gone] = 0.0  # these firms leave, no other
    holders_gone = sim.zcount(gone & was_holder)
    exit.monthly(sim, u)
    assert not (f.alive | f.hte | f.tenant | f.tech_sme)[gone].any()
    assert (f.revenue[gone] == 0).all()
    np.testing.assert_array_equal(f.alive, was_alive & ~gone)  # nobody else
    np.testing.assert_array_equal(sim.flows["exits"], alive_z - sim.alive_z)
    np.testing.assert_array_equal(sim.flows["exits"], sim.zcount(gone))
    np.testing.assert_array_equal(sim.flows["hte_lapsed"], holders_gone)


def test_a_uniform_of_one_never_exits_and_dead_firms_do_not_exit_again(tiny):
    sim = batch(tiny, 2, 2)
    f = sim.state.firms
    f.exit_month[:] = 0.999
    exit.monthly(sim, np.ones(f.alive.shape, np.float32))  # padding's uniform: no event has probability 1
    assert sim.flows["exits"].sum() == 0
    exit.monthly(sim, np.zeros(f.alive.shape, np.float32))  # every living firm leaves ...
    assert sim.flows["exits"].sum() == sim.state.firms.next_free.sum()
    exit.monthly(sim, np.zeros(f.alive.shape, np.float32))  # ... once
    assert sim.flows["exits"].sum() == sim.state.firms.next_free.sum() and (sim.alive_z == 0).all()


def test_a_year_of_exits_averages_the_hazard(tiny):
    sim = batch(tiny.with_parameters({"hte_exit_factor": 1.0}), 3, 8)
    f = sim.state.firms
    exit.set_hazard(sim)
    expected = f.exit_month[f.alive].astype(np.float64).sum()
    exit.monthly(sim)
    got = sim.flows["exits"].sum()
    assert abs(got - expected) < 4 * np.sqrt(expected) + 2, (got, expected)
