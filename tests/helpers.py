"""Helpers shared by several test modules (not a test module): the tiny scenario's text with replacements, the
problems a text is refused with, a target made by hand."""

from __future__ import annotations

import pytest

from sim.errors import Problem, ScenarioError
from sim.input.scenario import Source, Target, build_scenario
from sim.input.yamlio import loads_yaml
from tests.conftest import TINY


def tiny_text(**replace: str) -> str:
    """tests/data/tiny.yaml with each `old=new` replaced; every `old` must be there (a changed fixture fails)."""
    text = TINY.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def problems_for(text: str, file: str = "bad.yaml") -> list[Problem]:
    """The problems a scenario text is refused with (it must be refused)."""
    with pytest.raises(ScenarioError) as info:
        build_scenario(loads_yaml(text, file=file))
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of `text` containing `needle`."""
    for i, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in the text")


def make_target(**kw) -> Target:
    """A level target on HTEs over the zones in 2020, with `kw` changed."""
    base = dict(id="t", name="t", name_en="t", indicator="hte", kind="level", comparison=">=", threshold=0.0,
                year=2020, month=12, scope="zones", of_indicator=None, of_scope="zones", from_year=2017, mode=None,
                zone_level="any", level=None, status="modelled", reason="", source=Source("x", "y"))
    base.update(kw)
    return Target(**base)
