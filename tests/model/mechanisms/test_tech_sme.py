"""Technology-based SME listing (sim.model.mechanisms.tech_sme): only living firms that meet the 2017 criteria
are listed, each with the run's chance of registering — none at chance 0, every one at chance 1."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import rules
from sim.model.mechanisms import tech_sme

from ..support import batch


def qualifying(sim) -> np.ndarray:
    f = sim.state.firms
    return f.alive & rules.tech_sme_qualifies(f.employees, f.revenue, f.tech_share, f.rd_reported, f.inventions,
                                              f.other_ip)


def test_only_qualifying_firms_are_listed(tiny):
    sim = batch(tiny, 1, 4)
    tech_sme.listing(sim, 5)
    listed = sim.state.firms.tech_sme
    assert listed.any()
    assert not (listed & ~qualifying(sim)).any()


@pytest.mark.parametrize("chance", [0.0, 1.0])
def test_the_listing_chance_decides_who_of_the_qualifying_registers(tiny, chance):
    sim = batch(tiny.with_parameters({"tech_sme_list_prob": chance}), 2, 4)
    tech_sme.listing(sim, 5)
    expected = qualifying(sim) if chance else np.zeros_like(sim.state.firms.alive)
    np.testing.assert_array_equal(sim.state.firms.tech_sme, expected)


def test_the_list_is_drawn_afresh_each_year(tiny):
    sim = batch(tiny.with_parameters({"tech_sme_list_prob": 0.5}), 3, 4)
    tech_sme.listing(sim, 5)
    first = sim.state.firms.tech_sme.copy()
    tech_sme.listing(sim, 17)
    second = sim.state.firms.tech_sme
    assert (first != second).any()  # a new draw of who registers
    share = second.sum() / qualifying(sim).sum()
    assert abs(share - 0.5) < 0.1
