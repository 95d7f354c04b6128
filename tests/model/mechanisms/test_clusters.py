"""Industrial clusters (sim.model.mechanisms.clusters): counts of a zone's industries by output size (百亿, 五百亿,
千亿级), innovative clusters (≥ 100亿 and ≥ 10 HTEs) and distinctive strategic-emerging industries (≥ 20% of the
zone's output), on hand-built states."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.mechanisms import clusters
from sim.model.population import N_INDUSTRIES

from ..support import field


def state(zone: list[int], industry: list[int], B: int = 1, Z: int = 2) -> SimpleNamespace:
    """What `counts` reads of a batch: each slot's industry and flat zone, and the batch's shape."""
    zone_a = np.array(zone).reshape(B, -1)
    return SimpleNamespace(B=B, Z=Z, flat_zone=zone_a + np.arange(B)[:, None] * Z,
                           state=SimpleNamespace(firms=SimpleNamespace(industry=np.array(industry).reshape(B, -1))))


def test_counts_follow_the_size_thresholds_on_a_hand_built_zone():
    # zone 0: industry 0 at 150亿 with 10 HTEs, industry 1 at 603亿 with 9 HTEs, industry 2 (strategic-emerging)
    # at 1,200亿, industry 3 (strategic-emerging) at 10亿; zone 1: one small firm
    rows = [(0, 0, 1500.0, True)] * 10 + [(0, 1, 6700.0, True)] * 9 + [(0, 2, 60000.0, False)] * 2 \
        + [(0, 3, 1000.0, False)] + [(1, 0, 50.0, False)]
    zone, industry, rev, hte = (list(c) for c in zip(*rows, strict=True))
    got = clusters.counts(state(zone, industry), np.array([rev]), np.array([hte]))
    assert {k: v[0].tolist() for k, v in got.items()} == {
        "clusters_100": [3, 0], "clusters_500": [2, 0], "clusters_1000": [1, 0],
        "innovative_clusters": [1, 0], "sei_clusters": [1, 0]}


def test_an_industry_exactly_at_a_threshold_counts():
    got = clusters.counts(state([0, 0], [4, 4]), np.array([[5000.0, 5000.0]]), np.array([[True] * 2]))
    assert got["clusters_100"][0, 0] == 1 and got["clusters_500"][0, 0] == 0


@given(data=st.data(), n=st.integers(1, 60))
@settings(max_examples=10, deadline=None)
def test_counts_equal_a_direct_count_per_zone_and_industry(data, n):
    B, Z = 2, 3
    zone = data.draw(st.lists(st.integers(0, Z - 1), min_size=B * n, max_size=B * n))
    industry = data.draw(st.lists(st.integers(0, N_INDUSTRIES - 1), min_size=B * n, max_size=B * n))
    rev = np.array(data.draw(st.lists(st.sampled_from([0.0, 30.0, 9000.0, 40000.0, 110000.0]), min_size=B * n,
                                      max_size=B * n))).reshape(B, n)
    hte = np.array(data.draw(st.lists(st.booleans(), min_size=B * n, max_size=B * n))).reshape(B, n)
    got = clusters.counts(state(zone, industry, B, Z), rev, hte)
    zone_a, ind_a = np.array(zone).reshape(B, n), np.array(industry).reshape(B, n)
    for b in range(B):
        for z in range(Z):
            out = [rev[b][(zone_a[b] == z) & (ind_a[b] == k)].sum() / 100.0 for k in range(N_INDUSTRIES)]
            htes = [(hte[b] & (zone_a[b] == z) & (ind_a[b] == k)).sum() for k in range(N_INDUSTRIES)]
            total = sum(out)
            for size in clusters.SIZES:
                assert got[f"clusters_{int(size)}"][b, z] == sum(o >= size for o in out)
            assert got["innovative_clusters"][b, z] == sum(o >= 100 and h >= 10 for o, h in zip(out, htes,
                                                                                                 strict=True))
            emerging = [k for k in range(N_INDUSTRIES) if (k // 2) % 2 == 1]
            assert got["sei_clusters"][b, z] == sum(total > 0 and out[k] >= 0.2 * total for k in emerging)


def test_cluster_counts_nest_on_real_runs(tiny_batch):
    _, res = tiny_batch
    assert (field(res, "clusters_1000") <= field(res, "clusters_500")).all()
    assert (field(res, "clusters_500") <= field(res, "clusters_100")).all()
    assert (field(res, "innovative_clusters") <= field(res, "clusters_100")).all()
