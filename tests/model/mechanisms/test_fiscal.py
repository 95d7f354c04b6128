"""Fiscal S&T spending (sim.model.mechanisms.fiscal): the region's own base-year spending, spread over zones by
output, grows each year by one draw per run around `fiscal_st_growth`; the levers' payments come on top."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.engine import BatchSim
from sim.model.mechanisms import fiscal

from ..support import batch, field, with_quantities

BASE = 10_000.0  # 万元


def test_the_base_year_spending_is_spread_over_zones_by_output(tiny):
    sim = batch(with_quantities(tiny, fiscal_st_base_year=BASE), 1, 3)
    f = sim.state.firms
    out = sim.zsum(f.revenue * f.alive)
    np.testing.assert_allclose(sim.fiscal_path.sum(axis=1), BASE)
    np.testing.assert_allclose(sim.fiscal_path, BASE * out / out.sum(axis=1, keepdims=True))


def test_without_base_year_spending_there_is_no_own_path(tiny):
    assert (batch(tiny, 1, 2).fiscal_path == 0).all()


@given(growth=st.floats(-0.1, 0.3))
@settings(max_examples=10, deadline=None)
def test_the_path_grows_by_fiscal_st_growth_each_year(tiny, growth):
    sc = with_quantities(tiny, fiscal_st_base_year=BASE).with_parameters({"fiscal_st_growth": growth,
                                                                          "fiscal_st_growth_sd": 0.0})
    sim = batch(sc, 2, 2)
    start = sim.fiscal_path.copy()
    for year in range(1, 4):
        fiscal.year_end(sim)
        np.testing.assert_allclose(sim.fiscal_path, start * (1.0 + growth) ** year, rtol=1e-9)


def test_a_faster_growth_gives_a_higher_path_with_the_same_draws(tiny):
    sc = with_quantities(tiny, fiscal_st_base_year=BASE)
    slow, fast = (batch(sc.with_parameters({"fiscal_st_growth": g}), 3, 4) for g in (0.02, 0.1))
    for _ in range(3):
        fiscal.year_end(slow)
        fiscal.year_end(fast)
    assert (fast.fiscal_path > slow.fiscal_path).all()


def test_the_levers_payments_add_to_fiscal_spending(tiny, bare):
    with_levers = BatchSim(with_quantities(tiny, fiscal_st_base_year=BASE), 4, np.arange(3)).run()
    without = BatchSim(with_quantities(bare, fiscal_st_base_year=BASE), 4, np.arange(3)).run()
    cost = field(with_levers, "fiscal_cost")
    assert cost.sum() > 0 and (field(without, "fiscal_cost") == 0).all()
    np.testing.assert_allclose(field(with_levers, "fiscal_st") - cost, field(without, "fiscal_st"), rtol=1e-9)
    assert (field(with_levers, "fiscal_st") >= field(with_levers, "fiscal_cost") - 1e-9).all()
