"""What every lever kind shares (sim.model.levers.base): the common input fields and their checks, the kind's own
fields for the engine, and exact up-to-n selection by the lever's own uniforms."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.model.levers.base import choose_up_to
from sim.model.levers.institution_award import Params as InstitutionAward

from ..support import lever

RAW = {"id": "a", "kind": "institution_award", "name": "奖励", "start": "2018-01", "end": "2020-12", "amount": 5.0}


@given(seed=st.integers(0, 2**16), n=st.integers(0, 40), share=st.floats(0.0, 1.0))
@settings(max_examples=10, deadline=None)
def test_exactly_up_to_n_candidates_with_the_smallest_uniforms_are_chosen(seed, n, share):
    g = np.random.default_rng(seed)
    candidates = g.random((3, 50)) < share
    u = g.random((3, 50))
    chosen = choose_up_to(candidates, u, n)
    assert not (chosen & ~candidates).any()
    np.testing.assert_array_equal(chosen.sum(axis=1), np.minimum(n, candidates.sum(axis=1)))
    for b in range(3):
        left = candidates[b] & ~chosen[b]
        if chosen[b].any() and left.any():
            assert u[b][chosen[b]].max() < u[b][left].min()


def test_the_choice_of_a_run_does_not_depend_on_the_others():
    g = np.random.default_rng(1)
    candidates, u = g.random((4, 30)) < 0.5, g.random((4, 30))
    together = choose_up_to(candidates, u, 5)
    for b in range(4):
        np.testing.assert_array_equal(choose_up_to(candidates[b:b + 1], u[b:b + 1], 5)[0], together[b])


def test_a_window_that_ends_before_it_starts_is_refused():
    InstitutionAward.model_validate(RAW)
    with pytest.raises(ValidationError):
        InstitutionAward.model_validate({**RAW, "start": "2020-01", "end": "2019-12"})


@pytest.mark.parametrize("bad", [{"budget_per_year": 0}, {"scope": "city"}, {"when_exhausted": "lottery"},
                                 {"surprise": 1}])
def test_common_fields_are_checked(bad):
    with pytest.raises(ValidationError):
        InstitutionAward.model_validate({**RAW, **bad})


def test_the_kinds_own_fields_go_to_the_engine_without_the_common_ones():
    spec = InstitutionAward.model_validate({**RAW, "types": ["platform", "venture_fund"], "budget_per_year": 9.0})
    assert dict(spec.params()) == {"amount": 5.0, "types": ("platform", "venture_fund")}
    p = lever("institution_award", amount=5.0)
    assert dict(p.params) == {"amount": 5.0}  # an unset optional field is left out
