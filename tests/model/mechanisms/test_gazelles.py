"""High-growth firms (sim.model.mechanisms.gazelles): a gazelle is a living HTE or listed tech SME whose revenue
is at least 1.2³ times what it was three years ago, when it was at least 10M RMB — on hand-set histories."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from sim.model.mechanisms import gazelles

from ..support import field

GROWTH = 1.2 ** 3


def firms(ago3: list[float], now: list[float], hte: list[bool] | None = None, sme: list[bool] | None = None,
          alive: list[bool] | None = None) -> SimpleNamespace:
    n = len(now)
    f = SimpleNamespace(revenue_ago3=np.array([ago3]), revenue=np.array([now]),
                        hte=np.array([hte if hte is not None else [True] * n]),
                        tech_sme=np.array([sme if sme is not None else [False] * n]),
                        alive=np.array([alive if alive is not None else [True] * n]))
    return SimpleNamespace(state=SimpleNamespace(firms=f))


def test_the_definition_on_hand_set_revenue_histories():
    sim = firms(ago3=[10.0, 10.0, 9.9, 50.0, 0.0, 100.0],
                now=[10.0 * GROWTH, 10.0 * GROWTH * 0.99, 9.9 * GROWTH * 2, 50.0 * GROWTH * 1.01, 500.0, 100.0])
    assert gazelles.gazelles(sim)[0].tolist() == [True, False, False, True, False, False]


def test_only_living_hte_or_listed_tech_smes_count():
    sim = firms(ago3=[20.0] * 5, now=[100.0] * 5, hte=[True, False, False, False, True],
                sme=[False, True, False, True, False], alive=[True, True, True, False, False])
    assert gazelles.gazelles(sim)[0].tolist() == [True, True, False, False, False]


def test_january_keeps_the_gazelles_of_the_years_just_ended():
    sim = firms(ago3=[10.0, 10.0], now=[20.0, 12.0])
    gazelles.january(sim)
    assert sim.gazelles_last_year[0].tolist() == [True, False]
    sim.state.firms.revenue[:] = 0.0  # the year moves on: last year's list stays
    assert sim.gazelles_last_year[0].tolist() == [True, False]


def test_high_growth_firms_are_never_more_than_the_firms(tiny_batch):
    _, res = tiny_batch
    assert (field(res, "high_growth_firms") <= field(res, "firms")).all()
    assert (field(res, "high_growth_firms") <= field(res, "hte") + field(res, "tech_sme")).all()
