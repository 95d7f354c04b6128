"""Invariants of the simulated world, checked on real runs (the engine also checks them itself)."""

from __future__ import annotations

import numpy as np

from sim.measure.indicators import FIELD_INDEX
from sim.model import calendar
from sim.model import rules as mech
from sim.model.engine import BatchSim
from sim.model.mechanisms import certification


def field(result, name):
    return result.snapshots[..., FIELD_INDEX[name]]


def test_certificates_lapse_after_36_months_unless_renewed(tiny):
    sim = BatchSim(tiny, 3, np.arange(4), check_invariants=False)
    f = sim.state.firms
    # make every certified firm hopeless for renewal: no capability, no IP
    f.capability[:] = 0.0
    f.inventions[:] = 0.0
    f.other_ip[:] = 0.0
    holders = f.hte.copy()
    expiry = f.hte_expiry.copy()
    w = holders.shape[1]  # entrants may widen the arrays; the base firms keep their slots
    assert holders.any()
    for m in range(1, 13):
        calendar.month(sim, m)
        if calendar.month_of_year(m) in sim.rounds:
            certification.application_round(sim, m)
        f = sim.state.firms
        still = f.hte[:, :w] & holders
        assert not (still & (expiry < m)).any(), "a certificate outlived its expiry month without renewal"
        alive_unexpired = holders & f.alive[:, :w] & (expiry >= m)
        assert (f.hte[:, :w][alive_unexpired]).all(), "a valid certificate was lost before its expiry"


def test_renewal_extends_by_36_months(tiny):
    sim = BatchSim(tiny, 5, np.arange(3), check_invariants=False)
    f, s = sim.state.firms, sim.state
    s.params["hte_renew_apply"][:] = 1.0
    sim.p["hte_pass_rate"][:] = 1.0
    m = sim.rounds[0]
    for month in range(1, m + 1):
        calendar.month(sim, month)
    gap = certification.months_to_next_round(sim, m)
    due = f.hte & f.alive & certification.eligible_now(sim) & (f.hte_expiry >= m) & (f.hte_expiry - m < gap)
    assert due.any()
    certification.application_round(sim, m)
    assert (f.hte_expiry[due] == m + mech.HTE_VALID_MONTHS).all()
