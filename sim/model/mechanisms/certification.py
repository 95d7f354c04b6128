"""High-tech enterprise (HTE) certification, 2016 rules (DOMAIN §1): who is eligible, who prepares (and gains
the score it lacks), who applies at a round and passes, renewal, lapse, and the firms' learning that refills
the pool. Levers act through hooks: `preparation_award`, `application_award`, `on_certified` (awards) and
`enrol` (cultivation programmes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model import rules

if TYPE_CHECKING:
    from sim.model.engine import BatchSim

PARAMETERS = ("hte_apply_rate", "hte_prepare_rate", "hte_award_elasticity", "hte_pass_rate", "hte_renew_apply",
              "profit_margin", "capability_growth", "prepare_score_reach", "relabel_max", "hte_real_rd_uplift",
              "regional_hte_pace")
STATE = ("firms.hte", "firms.hte_expiry", "firms.hte_ever", "firms.prepared", "firms.capability",
         "flows.hte_new", "flows.hte_renewed", "flows.hte_returned", "flows.hte_lapsed")
STREAMS = ("certification.prepare", "certification.renewal_prepare", "certification.apply", "certification.pass",
           "certification.queue")


def eligible_now(sim: BatchSim, capability: np.ndarray | None = None) -> np.ndarray:
    """(runs, slots) firms meeting every criterion, at their capability or the one given."""
    f = sim.state.firms
    crit = rules.hte_criteria_except_rd(f.age, f.inventions, f.other_ip, f.tech_share, f.hightech_share,
                                        f.capability if capability is None else capability, f.growth_pts)
    return crit & (f.rd_reported >= rules.rd_threshold(f.revenue))


def preparable_now(sim: BatchSim, capability: np.ndarray | None = None) -> np.ndarray:
    """(runs, slots) living non-holders one preparation from eligibility, at their capability or the one given."""
    f = sim.state.firms
    return f.alive & ~f.hte & _one_preparation_away(sim, f.capability if capability is None else capability)


def _one_preparation_away(sim: BatchSim, capability: np.ndarray) -> np.ndarray:
    """(runs, slots) `rules.preparable` on the firms' state at `capability`, holder or not."""
    f = sim.state.firms
    return rules.preparable(f.age, f.inventions, f.other_ip, f.tech_share, f.hightech_share, capability,
                            f.growth_pts, f.rd_real, f.revenue, f.relabeller, sim.p["relabel_max"],
                            sim.p["prepare_score_reach"])


def renewal_preparable(sim: BatchSim, m: int, capability: np.ndarray | None = None) -> np.ndarray:
    """(runs, slots) living holders whose certificate ends within the 12 months from month m, who miss a
    criterion now but are one preparation from meeting it (the test of `rules.preparable`)."""
    f = sim.state.firms
    to_expiry = f.hte_expiry.astype(np.int64) - m
    cap = f.capability if capability is None else capability
    due = f.alive & f.hte & (to_expiry >= 0) & (to_expiry < 12)
    return due & ~eligible_now(sim, cap) & _one_preparation_away(sim, cap)


def learned(sim: BatchSim) -> np.ndarray:
    """(runs, slots) capability after a January's learning (`learn`), without changing the state."""
    f = sim.state.firms
    return np.where((f.rd_propensity > 0) & f.alive, np.minimum(50.0, f.capability + sim.p["capability_growth"]),
                    f.capability).astype(np.float32)


def learn(sim: BatchSim) -> None:
    """January: firms that do R&D learn — technology-transfer and R&D-management points rise with the years."""
    sim.state.firms.capability = learned(sim)


def prepare(sim: BatchSim) -> None:
    """January: near-eligible firms prepare with the run's yearly rate, raised by awards on offer; programmes
    (`enrol` hooks) enrol others, who prepare for sure. A preparing firm secures core IP, the revenue and staff
    shares, R&D within reach of its threshold and the score points it lacked (at most `prepare_score_reach`)."""
    f, s = sim.state.firms, sim.state
    u = sim.streams.firm("certification.prepare", sim.W)
    at = np.nonzero(preparable_now(sim))
    if at[0].size == 0:
        return
    award = np.zeros(at[0].size)
    for lever, hook in sim.levers.each("preparation_award"):
        award += hook(sim, lever, at)
    sub = {k: v[at[0], 0] for k, v in sim.p.items()}
    prob = rules.apply_probability(s.prepare_year[at[0]], 1, award, f.revenue[at], sub)
    ua = u[at]
    go = ua < prob
    # the uniform of a firm that did not prepare on its own, rescaled: independent of that decision
    u_rest = np.clip((ua - prob) / np.maximum(1.0 - prob, 1e-9), 0.0, 1.0)
    for lever, hook in sim.levers.each("enrol"):
        go |= hook(sim, lever, at, ~go, u_rest)
    _secure(sim, at[0][go], at[1][go])


def prepare_renewal(sim: BatchSim, m: int) -> None:
    """January: a holder whose certificate ends this year and who no longer meets a criterion (growth points,
    R&D band, score or shares fell since it was certified) prepares its renewal file as it prepared the first,
    with the probability that it re-applies (`hte_renew_apply`, raised by a renewal award on offer); it then
    re-applies at its round for sure. Without this, such holders simply lapsed (docs/model.md, 6.6)."""
    f = sim.state.firms
    at = np.nonzero(renewal_preparable(sim, m))
    u = sim.streams.firm("certification.renewal_prepare", sim.W)
    if at[0].size == 0:
        return
    award_again = np.zeros(at[0].size)
    for lever, hook in sim.levers.each("application_award"):
        award_again += hook(sim, lever, at)[1]
    sub = {k: v[at[0], 0] for k, v in sim.p.items()}
    prob = rules.apply_probability(sim.state.params["hte_renew_apply"][at[0]], 1, award_again, f.revenue[at], sub)
    go = u[at] < prob
    _secure(sim, at[0][go], at[1][go])


def _secure(sim: BatchSim, rows: np.ndarray, cols: np.ndarray) -> None:
    """Firms at (rows, cols) prepare: they secure core IP, the revenue and staff shares, R&D within reach of
    the threshold and the score points they lack, and will apply at the next round."""
    f = sim.state.firms
    thr = rules.rd_threshold(f.revenue[rows, cols]) * (1.0 - sim.p["relabel_max"][rows, 0])
    raise_to = np.maximum(f.rd_propensity[rows, cols], thr) / np.maximum(1.0 + sim.p["hte_real_rd_uplift"][rows, 0]
                                                                         * f.hte[rows, cols], 1.0)
    f.rd_propensity[rows, cols] = np.maximum(f.rd_propensity[rows, cols], raise_to)
    f.prepared[rows, cols] = True
    f.other_ip[rows, cols] = np.maximum(f.other_ip[rows, cols], rules.PREPARED_OTHER_IP)
    f.tech_share[rows, cols] = np.maximum(f.tech_share[rows, cols], rules.HTE_TECH_STAFF_MIN)
    f.hightech_share[rows, cols] = np.maximum(f.hightech_share[rows, cols], rules.HTE_HIGHTECH_REVENUE_MIN)
    need = rules.capability_needed(f.inventions[rows, cols], f.other_ip[rows, cols], f.growth_pts[rows, cols])
    f.capability[rows, cols] = np.minimum(50.0, np.maximum(f.capability[rows, cols], need))


def months_to_next_round(sim: BatchSim, m: int) -> int:
    """Months from round month m to the next round: a holder renews at the last round before its certificate
    ends (certificates are issued at rounds, so they end at one)."""
    cm = sim.month_of_year(m)
    later = [r for r in sim.rounds if r > cm]
    return (later[0] - cm) if later else (12 - cm + sim.rounds[0])


def application_round(sim: BatchSim, m: int) -> None:
    """A certification round: eligible firms apply (more when an award is on offer), a share pass; certificates
    run 36 months; holders re-apply in their last year."""
    f, p, s = sim.state.firms, sim.p, sim.state
    u_apply = sim.streams.firm("certification.apply", sim.W)
    u_pass = sim.streams.firm("certification.pass", sim.W)
    u_queue = sim.streams.firm("certification.queue", sim.W)
    eligible = f.alive & eligible_now(sim)
    new_cand = eligible & ~f.hte
    to_expiry = f.hte_expiry.astype(np.int64) - m
    renew_cand = eligible & f.hte & (to_expiry >= 0) & (to_expiry < months_to_next_round(sim, m))
    at = np.nonzero(new_cand | renew_cand)  # applicants are few: work on them only
    run = at[0]
    rev, ever, renewing = f.revenue[at], f.hte_ever[at], renew_cand[at]
    award_first = np.zeros(run.size)
    award_again = np.zeros(run.size)
    for lever, hook in sim.levers.each("application_award"):
        first, again = hook(sim, lever, at)
        award_first += first
        award_again += again
    sub = {k: v[run, 0] for k, v in p.items()}
    n_rounds = len(sim.rounds)
    p_new = rules.apply_probability(s.hte_apply_year[run], n_rounds, np.where(ever, award_again, award_first), rev,
                                    sub)
    p_new = np.where(f.prepared[at], 1.0, p_new)  # a firm that prepared applies at the next round
    # a holder renews at one round only, the last before its certificate ends: `hte_renew_apply` is the share
    # that re-apply, so it is that round's probability (spread over the year's rounds, it had renewed about
    # half as many: 1 - sqrt(1 - p) with two rounds)
    p_renew = rules.apply_probability(s.params["hte_renew_apply"][run], 1, award_again, rev, sub)
    p_renew = np.where(f.prepared[at], 1.0, p_renew)  # a holder that prepared its renewal re-applies
    cert_c = (u_apply[at] < np.where(renewing, p_renew, p_new)) & (u_pass[at] < sub["hte_pass_rate"])
    first_c, again_c = cert_c & ~ever, cert_c & ever
    cert = np.zeros((sim.B, sim.W), bool)
    cert[at] = cert_c
    first = np.zeros_like(cert)
    first[at] = first_c
    again = cert & ~first
    sim.flows["hte_new"] += sim.zcount(first)
    sim.flows["hte_renewed"] += sim.zcount(again)
    sim.flows["hte_returned"] += sim.zcount(again & ~f.hte)  # certified again after a lapse: adds to the stock
    f.hte |= cert
    f.hte_ever |= cert
    f.hte_expiry[cert] = m + rules.HTE_VALID_MONTHS
    f.prepared[at] = False  # applied: certified or not, the preparation is spent
    for lever, hook in sim.levers.each("on_certified"):
        hook(sim, lever, at, first_c, again_c, u_queue)


def lapse(sim: BatchSim, m: int) -> None:
    """Monthly: a certificate is valid through its expiry month, whose round may renew it."""
    f = sim.state.firms
    lapsed = f.hte & (f.hte_expiry < m)
    sim.flows["hte_lapsed"] += sim.zcount(lapsed)
    f.hte &= ~lapsed


def check_calibration(sim: BatchSim) -> None:
    """The base-year calibration's check: the expected certifications of the first year from the state the run
    starts with, and how far they fall short of `hte_certified_base_year` (`calibration_gap`)."""
    s = sim.state
    s.hte_apply_year = s.params["hte_apply_rate"].copy()
    flow = s.quantities.get("hte_certified_base_year")
    if flow is None:
        return
    s.calibration_gap = np.maximum(flow - expected_first_year(sim, s.firms.alive), 0.0)


def expected_first_year(sim: BatchSim, area: np.ndarray) -> np.ndarray:
    """(runs,) certifications expected in the first simulated year among the firms of `area` (runs, slots) from
    the state the run starts with, after the first January's learning and the R&D decision that follows it (as
    the base-year calibration counts them): the eligible pool applying, near-eligible firms preparing, and
    renewals of certificates ending that year, each at the run's rates, times the pass rate."""
    s, f = sim.state, sim.state.firms
    capability = learned(sim)
    # January's R&D decision comes after the learning: a firm that the learning makes meet the other criteria
    # then relabels its R&D (rd.decide), so reported R&D is judged as that decision will report it
    crit = rules.hte_criteria_except_rd(f.age, f.inventions, f.other_ip, f.tech_share, f.hightech_share,
                                        capability, f.growth_pts)
    reported = rules.reported_rd(f.rd_real, f.revenue, crit | f.hte, f.relabeller, sim.p["relabel_max"])
    eligible = area & f.alive & crit & (reported >= rules.rd_threshold(f.revenue))
    pool = (eligible & ~f.hte).sum(axis=1)
    # certificates ending in the first year whose holders meet the criteria or prepare (`prepare_renewal`)
    due = ((eligible & f.hte & (f.hte_expiry <= 12)) | (area & renewal_preparable(sim, 1, capability))).sum(axis=1)
    near = (area & preparable_now(sim, capability)).sum(axis=1)
    pr = s.params
    return pr["hte_pass_rate"] * (s.hte_apply_year * pool + s.prepare_year * near + pr["hte_renew_apply"] * due)
