"""Fixtures of the model's tests (tests/model): the tiny scenario without levers."""

from __future__ import annotations

import dataclasses

import pytest

from sim.input.scenario import Scenario


@pytest.fixture(scope="session")
def bare(tiny: Scenario) -> Scenario:
    """The tiny scenario with no lever: what the mechanisms do on their own."""
    return dataclasses.replace(tiny, policies=())
