"""The state's layout (sim.model.state): firms as (runs, slots) arrays that grow with entry — widening keeps
every value, new slots are empty, per-run arrays are left alone."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.state import Firms

from .support import batch


def slot_arrays(firms: Firms) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in vars(firms).items() if isinstance(v, np.ndarray) and v.ndim == 2}


@given(extra=st.integers(0, 200))
@settings(max_examples=10, deadline=None)
def test_growing_keeps_values_and_makes_new_slots_empty(tiny, extra):
    firms = batch(tiny, 1, 3).state.firms
    old = slot_arrays(firms)
    capacity, next_free = firms.capacity.copy(), firms.next_free.copy()
    width = firms.alive.shape[1] + extra
    firms.grow(width)
    for name, before in old.items():
        after = getattr(firms, name)
        assert after.shape == (3, width) and after.dtype == before.dtype, name
        np.testing.assert_array_equal(after[:, : before.shape[1]], before, err_msg=name)
        assert not after[:, before.shape[1]:].any(), f"{name}: a new slot is not empty"
    np.testing.assert_array_equal(firms.capacity, capacity)    # per-run arrays are not slots
    np.testing.assert_array_equal(firms.next_free, next_free)


def test_growing_to_a_narrower_width_changes_nothing(tiny):
    firms = batch(tiny, 1, 2).state.firms
    arrays = {k: v for k, v in vars(firms).items() if isinstance(v, np.ndarray)}
    firms.grow(firms.alive.shape[1] - 10)
    assert all(getattr(firms, k) is v for k, v in arrays.items())


def test_every_firm_field_is_a_run_by_slot_array_but_the_per_run_ones(tiny):
    firms = batch(tiny, 1, 2).state.firms
    per_run = {"capacity", "next_free"}
    for f in dataclasses.fields(Firms):
        value = getattr(firms, f.name)
        assert value.ndim == (1 if f.name in per_run else 2), f.name
        assert value.shape[0] == 2, f.name
