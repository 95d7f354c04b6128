"""Zone levels (sim.model.levels): the approval ladder in order, and official zones are municipal and above."""

from __future__ import annotations

import numpy as np

from sim.model.levels import (
    CANDIDATE,
    LEVEL_CODE,
    MUNICIPAL,
    NATIONAL,
    OFFICIAL_MIN_LEVEL,
    OUTSIDE,
    PROVINCIAL,
    ZONE_LEVELS,
)

from .support import batch


def test_the_ladder_runs_from_outside_to_national():
    assert ZONE_LEVELS == ("outside", "candidate", "municipal", "provincial", "national")
    assert [LEVEL_CODE[n] for n in ZONE_LEVELS] == [OUTSIDE, CANDIDATE, MUNICIPAL, PROVINCIAL, NATIONAL] == list(
        range(5))


def test_official_zones_are_municipal_and_above(tiny):
    assert OFFICIAL_MIN_LEVEL == MUNICIPAL
    sim = batch(tiny, 0, 2)
    official = [z.level in ("municipal", "provincial", "national") for z in tiny.zones]
    np.testing.assert_array_equal(sim.official_zones(), np.array([official, official]))
    assert not sim.firm_official[sim.state.firms.zone == [z.level for z in tiny.zones].index("candidate")].any()
