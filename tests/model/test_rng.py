"""Random streams (sim.model.rng): a run's draws depend only on (seed, run, stream name) — not on its batch, not
on other streams drawn before, not on which other mechanisms or levers exist."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.rng import STREAM, BatchStreams, generator, name_key, named_uniforms, skip_float32

names = st.sampled_from(["exit", "growth", "certification.apply", "lever:award", "incubation.tenancy"])


def streams(seed: int, runs: list[int], caps: list[int]) -> BatchStreams:
    s = BatchStreams(seed, np.array(runs))
    s.caps = np.array(caps)
    return s


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), name=names, other=names, width=st.integers(1, 40))
def test_a_stream_is_the_same_whatever_was_drawn_before(seed, name, other, width):
    alone = streams(seed, [0, 1], [40, 40])
    after = streams(seed, [0, 1], [40, 40])
    if other != name:
        after.firm(other, width)  # another mechanism (or a new one) draws first
    np.testing.assert_array_equal(alone.firm(name, width), after.firm(name, width))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), run=st.integers(0, 50), cap=st.integers(1, 64), others=st.integers(1, 5))
def test_a_runs_stream_does_not_depend_on_its_batch(seed, run, cap, others):
    alone = streams(seed, [run], [cap])
    mates = [run + 1 + k for k in range(others)]
    batch = streams(seed, [run, *mates], [cap] + [cap * 2 + k for k in range(others)])
    for _ in range(3):  # successive months
        a, b = alone.firm("exit", cap), batch.firm("exit", cap)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(alone.small("zones", 5)[0], batch.small("zones", 5)[0])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), steps=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=8))
def test_skipping_uniforms_leaves_the_generator_as_drawing_them_would(seed, steps):
    """Draw a, skip b, repeatedly (odd and even counts, a buffered half or none): the next draws are those of a
    generator that drew everything."""
    full, skipping = generator(seed, 0, 4), generator(seed, 0, 4)
    for drawn, skipped in steps:
        np.testing.assert_array_equal(full.random(drawn, dtype=np.float32), skipping.random(drawn, dtype=np.float32))
        full.random(skipped, dtype=np.float32)
        skip_float32(skipping, skipped)
    np.testing.assert_array_equal(full.random(5, dtype=np.float32), skipping.random(5, dtype=np.float32))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), caps=st.lists(st.integers(1, 50), min_size=1, max_size=4),
       widths=st.lists(st.integers(1, 50), min_size=1, max_size=4))
def test_a_firm_block_is_the_first_slots_of_a_full_capacity_draw(seed, caps, widths):
    """Drawing only the slots asked for is the same stream as drawing each run's whole capacity every month."""
    s = streams(seed, list(range(len(caps))), caps)
    gens = [generator(seed, r, STREAM, name_key("exit")) for r in range(len(caps))]
    for width in widths:
        width = min(width, max(caps))  # the batch's width never exceeds its widest capacity
        block = s.firm("exit", width)
        for b, (g, cap) in enumerate(zip(gens, caps, strict=True)):
            full = g.random(cap, dtype=np.float32)
            np.testing.assert_array_equal(block[b, : min(cap, width)], full[:width])
            assert (block[b, cap:] == 1.0).all()


def test_padding_beyond_a_runs_capacity_is_inert():
    s = streams(1, [0, 1], [5, 9])
    block = s.firm("exit", 9)
    assert (block[0, 5:] == 1.0).all() and (block[1] < 1.0).all()


def test_different_names_give_different_streams():
    s = streams(1, [0], [1000])
    assert not np.array_equal(s.firm("exit", 1000), s.firm("growth", 1000))


def test_named_uniforms_are_keyed_by_name_and_run():
    a = named_uniforms(3, np.arange(5), "entry_rate")
    assert np.array_equal(a[2:], named_uniforms(3, np.arange(2, 5), "entry_rate"))
    assert not np.array_equal(a, named_uniforms(3, np.arange(5), "exit_hazard_peak"))
    assert ((a >= 0) & (a < 1)).all()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32), first=st.integers(0, 600), count=st.integers(1, 300), split=st.integers(0, 300))
def test_entrant_k_draws_the_same_whenever_it_enters(seed, first, count, split):
    """Entrants met in one month or over two (across a block of ENTRANT_BLOCK) draw the same traits by ordinal."""
    ordinals = np.arange(first, first + count)
    at_once = BatchStreams(seed, np.array([4, 9])).entrant_draws(np.ones(count, np.int64), ordinals)
    later = BatchStreams(seed, np.array([4, 9]))
    cut = min(split, count)
    parts = [later.entrant_draws(np.ones(n, np.int64), o) for n, o in ((cut, ordinals[:cut]),
                                                                      (count - cut, ordinals[cut:])) if n]
    for i in range(2):
        np.testing.assert_array_equal(at_once[i], np.concatenate([p[i] for p in parts]))
    alone = BatchStreams(seed, np.array([9])).entrant_draws(np.zeros(count, np.int64), ordinals)
    np.testing.assert_array_equal(at_once[0], alone[0])  # run 9's entrants, whatever its batch
