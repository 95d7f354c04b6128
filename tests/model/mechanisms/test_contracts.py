"""Technology contract turnover (sim.model.mechanisms.contracts): a ratio to real R&D spending plus a turnover
per HTE, grown by the yearly trend, times a lognormal shock of mean 1 per zone and year, plus the new-type R&D
institutions' technology income."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.mechanisms import contracts
from sim.model.rng import BatchStreams

from ..support import batch


def hand(ratio: float, per_hte: float = 0.0, income: float = 0.0, shock: float = 1.0, trend: float = 1.0):
    params = {"tech_contract_ratio": np.array([ratio]), "tech_contract_per_hte": np.array([per_hte]),
              "new_rd_tech_income": np.array([income])}
    return SimpleNamespace(state=SimpleNamespace(params=params), contract_shock=np.full((1, 3), shock),
                           contract_trend=np.full((1, 1), trend))


RD, HTE, NEW_RD = np.array([[10.0, 0.0, 4.0]]), np.array([[30.0, 5.0, 0.0]]), np.array([[1.0, 0.0, 2.0]])


@given(ratio=st.floats(0.0, 1.0), k=st.floats(0.0, 5.0), trend=st.floats(1.0, 2.0), shock=st.floats(0.2, 3.0))
@settings(max_examples=10, deadline=None)
def test_turnover_scales_with_the_ratio_and_the_trend(ratio, k, trend, shock):
    base = contracts.turnover(hand(ratio, 0.02, 0.3, shock, trend), RD, HTE, NEW_RD)
    scaled = contracts.turnover(hand(ratio * k, 0.0, 0.0, shock, trend), RD, HTE, NEW_RD)
    np.testing.assert_allclose(scaled, k * ratio * RD * shock * trend, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(base, (ratio * RD * shock + 0.02 * HTE) * trend + 0.3 * NEW_RD, rtol=1e-12)
    later = contracts.turnover(hand(ratio, 0.02, 0.0, shock, trend * 1.1), RD, HTE, NEW_RD)
    np.testing.assert_allclose(later, 1.1 * contracts.turnover(hand(ratio, 0.02, 0.0, shock, trend), RD, HTE,
                                                                 NEW_RD), rtol=1e-12)


def test_the_shocks_have_mean_one():
    runs = np.arange(3000)
    sim = SimpleNamespace(B=len(runs), Z=4, streams=BatchStreams(5, runs),
                          state=SimpleNamespace(params={"tech_contract_sd": np.full(len(runs), 0.4)}))
    contracts.base_year(sim)
    shocks = sim.contract_shock
    assert shocks.shape == (len(runs), 4) and (shocks > 0).all()
    assert abs(shocks.mean() - 1.0) < 4 * 0.42 / np.sqrt(shocks.size)  # sd of a lognormal of log-sd 0.4: 0.42
    assert abs(np.log(shocks).std() - 0.4) < 0.01
    np.testing.assert_array_equal(sim.contract_trend, np.ones((len(runs), 1)))


def test_each_year_end_draws_a_new_shock_and_adds_a_year_of_trend(tiny):
    sim = batch(tiny, 2, 3)
    first, trend = sim.contract_shock.copy(), sim.state.params["tech_contract_trend"]
    contracts.year_end(sim)
    contracts.year_end(sim)
    assert (sim.contract_shock != first).all()
    np.testing.assert_allclose(sim.contract_trend[:, 0], (1.0 + trend) ** 2)
