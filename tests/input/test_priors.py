"""sim.input.priors: a quantity as a fixed value or a scipy distribution with its provenance; draws by inverse CDF
at given uniforms (common random numbers), its bounds and quantiles; the default priors of sim/data/priors.yaml and
the range an override of each may take."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.input.priors import OVERRIDE_SPAN, Prior, default_priors, frozen_dist, parameter_bounds

PRIORS = default_priors()
UNIFORMS = st.lists(st.floats(0.0, 1.0, exclude_min=True, exclude_max=True), min_size=1, max_size=20)


def prior(raw: dict) -> Prior:
    return Prior.from_yaml({**raw, "assumed": True, "vintage": 2017})


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(PRIORS)), UNIFORMS)
def test_a_default_priors_draws_lie_in_its_support_and_rise_with_the_uniform(name, u):
    p = PRIORS[name]
    lo, hi = p.bounds()
    u = np.sort(np.array(u))
    x = p.sample(u)
    assert x.shape == u.shape and np.isfinite(x).all()
    assert ((x >= lo - 1e-12) & (x <= hi + 1e-12)).all()
    assert (np.diff(x) >= -1e-12).all()  # inverse CDF: the same uniforms give the same draws, in order


@settings(max_examples=20, deadline=None)
@given(st.floats(-5, 5), st.floats(0.01, 10), UNIFORMS)
def test_a_uniform_prior_maps_u_onto_its_interval(loc, scale, u):
    p = prior({"dist": "uniform", "loc": loc, "scale": scale})
    assert p.bounds() == pytest.approx((loc, loc + scale))
    np.testing.assert_allclose(p.sample(np.array(u)), loc + scale * np.array(u), rtol=1e-9, atol=1e-12)


def test_a_fixed_prior_is_its_value_everywhere():
    p = prior({"value": 535})
    assert p.dist is None and p.value == 535.0
    assert p.bounds() == (535.0, 535.0) and p.quantiles(0.05, 0.95) == (535.0, 535.0)
    assert (p.sample(np.array([0.01, 0.5, 0.99])) == 535.0).all()
    assert p.describe() == "535"


def test_a_prior_keeps_its_provenance():
    p = Prior.from_yaml({"value": 0.3, "source": "统计年鉴 2017", "note": "n", "vintage": 2016})
    assert (p.source, p.assumed, p.note, p.vintage) == ("统计年鉴 2017", False, "n", 2016)
    q = prior({"dist": "uniform", "loc": 0, "scale": 1})
    assert q.assumed and q.source == "" and q.vintage == 2017
    assert Prior.from_yaml(0.5).value == 0.5  # a bare number (the validator refuses it in files)


def test_unbounded_priors_have_infinite_bounds_and_finite_quantiles():
    p = prior({"dist": "norm", "loc": 0.03, "scale": 0.05})
    assert p.bounds() == (-math.inf, math.inf)
    q05, q50, q95 = p.quantiles(0.05, 0.5, 0.95)
    assert q05 < q50 < q95 and q50 == pytest.approx(0.03)
    assert p.describe() == "norm(loc=0.03, scale=0.05)"


def test_a_prior_is_hashable_and_frozen_dist_names_the_same_distribution():
    p = prior({"dist": "beta", "a": 2.0, "b": 3.0})
    assert hash(p) == hash(prior({"dist": "beta", "a": 2.0, "b": 3.0}))
    d = frozen_dist(dict(p.dist))
    assert d.mean() == pytest.approx(0.4)


def test_every_default_prior_has_a_source_or_is_an_assumption_and_a_vintage():
    assert len(PRIORS) > 50
    for name, p in PRIORS.items():
        assert p.source or p.assumed, name
        assert p.vintage is not None, name


@pytest.mark.parametrize("name", sorted(PRIORS))
def test_a_defaults_override_range_contains_the_default(name):
    p = PRIORS[name]
    lo, hi = parameter_bounds(p)
    q_lo, q_hi = p.quantiles(0.001, 0.999)
    assert lo <= q_lo and q_hi <= hi


def test_override_ranges_by_kind_of_parameter():
    assert parameter_bounds(prior({"dist": "uniform", "loc": 0.1, "scale": 0.2})) == (0.0, 1.0)  # a share
    rate = prior({"dist": "uniform", "loc": 1.5, "scale": 3.5})
    assert parameter_bounds(rate) == pytest.approx((0.0, OVERRIDE_SPAN * rate.quantiles(0.999)[0]))
    signed = prior({"dist": "uniform", "loc": -0.5, "scale": 1.5})
    lo, hi = parameter_bounds(signed)
    assert lo == -hi and hi == pytest.approx(OVERRIDE_SPAN * signed.quantiles(0.999)[0])
