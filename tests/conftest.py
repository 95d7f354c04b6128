"""Shared fixtures: the bundled scenarios, and small runs reused by several tests (computed once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.input.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
TINY = DATA / "tiny.yaml"
GUANGXI = ROOT / "scenarios" / "guangxi_2020.yaml"
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def tiny() -> Scenario:
    return load_scenario(TINY)


@pytest.fixture(scope="session")
def guangxi() -> Scenario:
    return load_scenario(GUANGXI)


@pytest.fixture(scope="session")
def tiny_batch(tiny: Scenario):
    """One batch of 12 runs of the tiny scenario, with the engine object for state inspection."""
    import numpy as np

    from sim.model.engine import BatchSim

    sim = BatchSim(tiny, 7, np.arange(12))
    return sim, sim.run()
