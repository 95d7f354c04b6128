"""The model's rules as pure, vectorised functions over (runs, agents) arrays.

Each function takes arrays and the run's parameters and returns new values; none keeps state, none loops over
agents. Sources and assumptions for every number are in docs/model.md (section "Details").
"""

from __future__ import annotations

import numpy as np
from scipy import special

# --- the 2016 HTE rules (国科发火〔2016〕32号), DOMAIN §1 -------------------------------------------------------
HTE_MIN_AGE_MONTHS = 12
HTE_TECH_STAFF_MIN = 0.10
HTE_HIGHTECH_REVENUE_MIN = 0.60
HTE_SCORE_MIN = 70.0
HTE_VALID_MONTHS = 36
#: R&D / sales thresholds by revenue band (M RMB): <= 50 → 5%, 50–200 → 4%, > 200 → 3%.
HTE_RD_BANDS = ((50.0, 0.05), (200.0, 0.04), (np.inf, 0.03))
#: Corporate income tax: 25% standard, 15% for HTEs, for the 3 years of a certificate.
TAX_CUT = 0.10

# --- technology-based SME rules (2017), DOMAIN §2 ------------------------------------------------------------
SME_MAX_STAFF = 500
SME_MAX_REVENUE = 200.0  # M RMB
SME_SCORE_MIN = 60.0

ABOVE_SIZE_REVENUE = 20.0  # M RMB, 规上 threshold (DOMAIN §3)
GRADUATION_REVENUE = 10.0  # M RMB, incubator graduation by revenue (DOMAIN §4)
MAX_TENANCY_MONTHS = 48
MAX_ENTRY_AGE_MONTHS = 24


def row_sum(x: np.ndarray) -> np.ndarray:
    """Sum of each row, left to right. Unlike numpy's pairwise `sum`, whose rounding depends on the row's
    length, trailing zeros (the padding of a batch's narrower runs) cannot change it: a run's numbers stay
    the same in any batch."""
    x = np.asarray(x, dtype=np.float64)
    rows = np.repeat(np.arange(x.shape[0]), x.shape[1])
    return np.bincount(rows, weights=x.ravel(), minlength=x.shape[0])


def monthly_from_yearly(p_year: np.ndarray | float) -> np.ndarray:
    """Monthly probability with the same yearly total: 1 - (1 - p)^(1/12)."""
    return -np.expm1(np.log1p(-np.clip(p_year, 0.0, 0.999999)) / 12.0)


def poisson_from_uniform(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson counts by inverse CDF from one uniform each, so a count never shifts other draws.

    Exact for lam < 30 and a rounded normal above (relative error of the mean below 1e-3 there). Most firms
    draw 0 in a month, so everything past the first comparison runs only where u exceeds P(0).
    """
    lam = np.asarray(lam, dtype=np.float32)
    u = np.asarray(u, dtype=np.float32)
    e = np.exp(-lam)
    k = np.zeros(lam.shape, dtype=np.float32)
    hit = np.flatnonzero(u > e)
    if hit.size == 0:
        return k
    lh = lam.ravel()[hit].astype(np.float64)
    uh = u.ravel()[hit].astype(np.float64)
    out = np.empty(hit.size)
    large = lh >= 30.0
    if large.any():
        z = special.ndtri(np.clip(uh[large], 1e-9, 1 - 1e-9))
        out[large] = np.maximum(0.0, np.floor(lh[large] + np.sqrt(lh[large]) * z + 0.5))
    idx = np.flatnonzero(~large)
    if idx.size:
        lam_s, u_s = lh[idx], uh[idx]
        pmf = np.exp(-lam_s)
        cdf = pmf.copy()
        count = np.zeros(idx.size)
        above = u_s > cdf
        n = 0
        while n < 200 and above.any():  # sum the mass term by term while u is still above the CDF
            n += 1
            count += above
            pmf *= lam_s / n
            cdf += pmf
            above &= u_s > cdf
        out[idx] = count
    k.ravel()[hit] = out
    return k


def poisson_exact(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Exact Poisson inverse CDF for the few counts per zone per month (entries, new incubators): the smallest
    k with P(K ≤ k) ≥ u, vectorised over all elements. It is scipy's `poisson.ppf` without the generic
    distribution wrapper, whose argument handling cost ≈ 0.3 ms a call, 4% of a Guangxi batch (issue 14):
    `pdtrik` inverts the CDF, rounded up, and one `pdtr` step corrects that rounding; u = 0 gives −1, as
    `ppf` does (its support's lower end minus one)."""
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0 - 1e-16)
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 0.0)
    k = np.zeros(u.shape, dtype=np.int64)
    live = lam > 0
    if live.any():
        q, mu = u[live], lam[live]
        up = np.ceil(special.pdtrik(q, mu))
        down = np.maximum(up - 1, 0)
        k[live] = np.where(q == 0, -1.0, np.where(special.pdtr(down, mu) >= q, down, up)).astype(np.int64)
    return k


# --- firm life ----------------------------------------------------------------------------------------------

def exit_hazard_year(age_months: np.ndarray, revenue: np.ndarray, peak: np.ndarray, old: np.ndarray,
                     size_elasticity: np.ndarray) -> np.ndarray:
    """Yearly exit hazard by age (DOMAIN §3: 8–12% in years 2–4, peak through year 7, 3–5% after 10), lower
    for larger firms: × (revenue / 10M)^-e, capped at 1.5× the peak."""
    years = np.asarray(age_months, dtype=np.float32) / np.float32(12.0)
    peak, old = np.asarray(peak, np.float32), np.asarray(old, np.float32)
    young = np.where(years < 1.0, np.float32(0.7) * peak, peak)
    decline = peak + (old - peak) * np.clip((years - np.float32(7.0)) / np.float32(3.0), 0.0, 1.0)
    base = np.where(years < 7.0, young, decline)
    log_size = np.log(np.maximum(np.asarray(revenue, np.float32), np.float32(0.1)) / np.float32(10.0))
    size = np.exp(-np.asarray(size_elasticity, np.float32) * log_size)
    return np.minimum(base * size, np.float32(1.5) * peak)


def laplace_growth(u: np.ndarray, mean: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Annual log growth ~ Laplace(mean, sigma/√2) by inverse CDF (DOMAIN §3), clipped to ±3 log points."""
    b = np.asarray(sigma, np.float32) / np.float32(np.sqrt(2.0))
    d = np.clip(np.asarray(u, np.float32), np.float32(1e-6), np.float32(1 - 1e-6)) - np.float32(0.5)
    g = mean - b * np.sign(d) * np.log1p(np.float32(-2.0) * np.abs(d))
    return np.clip(g, np.float32(-3.0), np.float32(3.0))


def growth_mean_and_sigma(revenue: np.ndarray, rd_real: np.ndarray, rd_median: np.ndarray, p: dict) -> tuple:
    """Firm-specific mean (R&D effect above the median, assumed) and spread falling with size: σ0 (S/10M)^-β
    (DOMAIN §3)."""
    f32 = np.float32
    rd_term = np.where(rd_real > 0, np.log(np.maximum(rd_real, f32(1e-6)) / np.asarray(rd_median, f32)), f32(0.0))
    # only R&D above the median raises growth: large firms' intensity falls with size by calibration, which
    # must not slow the firms that carry a zone's output
    mean = np.asarray(p["growth_mean"], f32) + np.asarray(p["rd_growth_effect"], f32) * np.clip(rd_term, 0.0, 3.0)
    log_size = np.log(np.maximum(np.asarray(revenue, f32), f32(0.1)) / f32(10.0))
    sigma = np.asarray(p["growth_sigma0"], f32) * np.exp(-np.asarray(p["growth_size_beta"], f32) * log_size)
    return mean, np.clip(sigma, f32(0.02), f32(1.5))


# --- R&D and certification ----------------------------------------------------------------------------------

def rd_threshold(revenue: np.ndarray) -> np.ndarray:
    """The HTE R&D intensity threshold for a firm's revenue band."""
    return np.where(revenue <= 50.0, 0.05, np.where(revenue <= 200.0, 0.04, 0.03)).astype(np.float32)


def growth_points(growth_ratio: np.ndarray) -> np.ndarray:
    """Innovation-score growth points (≤ 20): band midpoints of the 2016 rules' 35/25/15/5% steps."""
    g = np.asarray(growth_ratio, np.float32) - np.float32(1.0)
    return (np.float32(3.0) * (g >= 0.05) + np.float32(5.0) * (g >= 0.15) + np.float32(5.0) * (g >= 0.25)
            + np.float32(5.0) * (g >= 0.35))


def ip_points(inventions: np.ndarray, other_ip: np.ndarray) -> np.ndarray:
    """IP points (≤ 30) of the 2016 grid: self-developed (6), count (≤ 8: 8 per invention patent, 1.6 per
    other right), technical advancement and core role (≤ 16: taken as 10 for any IP, 16 with an invention
    patent). The split of the last is an assumption: one invention patent earns 30, five other rights 24."""
    f32 = np.float32
    count = np.minimum(f32(8.0), f32(8.0) * inventions + f32(1.6) * other_ip)
    quality = np.where(inventions >= 1, f32(16.0), f32(10.0))
    return np.where((inventions + other_ip) > 0, np.minimum(f32(30.0), f32(6.0) + quality + count), f32(0.0))


def hte_criteria_except_rd(age: np.ndarray, inventions: np.ndarray, other_ip: np.ndarray, tech_share: np.ndarray,
                           hightech_share: np.ndarray, capability: np.ndarray, growth_pts: np.ndarray) -> np.ndarray:
    """Every 2016 HTE criterion but the R&D intensity one: age ≥ 1 year, core IP, tech staff ≥ 10%,
    high-tech revenue ≥ 60%, innovation score > 70 (IP + transfer/management capability + growth)."""
    has_ip = (inventions >= 1) | (other_ip >= 4)
    score = ip_points(inventions, other_ip) + capability + growth_pts
    return ((age >= HTE_MIN_AGE_MONTHS) & has_ip & (tech_share >= HTE_TECH_STAFF_MIN)
            & (hightech_share >= HTE_HIGHTECH_REVENUE_MIN) & (score > HTE_SCORE_MIN))


#: What a preparing firm secures: core IP, the high-tech revenue share and the tech staff share of the rules.
PREPARED_OTHER_IP = 4.0
#: A preparing firm whose real R&D is at least this share of its threshold raises it to relabelling reach [assumed].
PREPARE_RD_REACH = 0.5


def preparable(age: np.ndarray, inventions: np.ndarray, other_ip: np.ndarray, tech_share: np.ndarray,
               hightech_share: np.ndarray, capability: np.ndarray, growth_pts: np.ndarray, rd_real: np.ndarray,
               revenue: np.ndarray, relabeller: np.ndarray, relabel_max: np.ndarray,
               score_reach: np.ndarray | float = 0.0) -> np.ndarray:
    """Firms one step from eligibility: they meet the hard criteria (age, an innovation score above 70 once
    they hold core IP, R&D at or within relabelling reach of the threshold) but miss a soft one that a firm
    can fix within a year — core IP (filed or bought), the 60% high-tech revenue share (product lines and
    how they are booked), the 10% tech staff share (hiring), or R&D within relabelling reach once real R&D
    is raised from at least half the threshold — or an innovation score up to `score_reach` points short of
    70, which documenting R&D management and technology transfer can close within the year. These are the
    firms that prepare for certification, as consultancies and zone programmes (高企培育库) help them do."""
    ip_after = ip_points(inventions, np.maximum(other_ip, PREPARED_OTHER_IP))
    thr = rd_threshold(revenue)
    rd_ok = (rd_real >= thr) | (relabeller & (rd_real >= thr * (1.0 - relabel_max)))
    rd_reach = relabeller & (rd_real >= thr * PREPARE_RD_REACH) & (rd_real > 0)
    score = ip_after + capability + growth_pts
    hard = (age >= HTE_MIN_AGE_MONTHS) & (score + score_reach > HTE_SCORE_MIN) & (rd_ok | rd_reach)
    soft_missing = (((inventions < 1) & (other_ip < PREPARED_OTHER_IP)) | (tech_share < HTE_TECH_STAFF_MIN)
                    | (hightech_share < HTE_HIGHTECH_REVENUE_MIN) | ~rd_ok | (score <= HTE_SCORE_MIN))
    return hard & soft_missing


def capability_needed(inventions: np.ndarray, other_ip: np.ndarray, growth_pts: np.ndarray) -> np.ndarray:
    """The capability points a prepared firm (core IP secured) needs for an innovation score above 70."""
    ip_after = ip_points(inventions, np.maximum(other_ip, PREPARED_OTHER_IP))
    return np.float32(HTE_SCORE_MIN + 0.5) - ip_after - growth_pts


def rd_decision(rd_propensity: np.ndarray, is_hte: np.ndarray, subsidy_rate: np.ndarray, voucher_intensity: np.ndarray,
                p: dict) -> np.ndarray:
    """Real R&D intensity: the firm's own propensity, +~10% while certified (Chen et al. 2021), plus the
    additionality of subsidies: R = R0 (1 + α s) for a subsidy rate s, and α × voucher/revenue for vouchers."""
    rd = rd_propensity * (1.0 + p["hte_real_rd_uplift"] * is_hte)
    rd = rd * np.maximum(0.0, 1.0 + p["subsidy_additionality"] * subsidy_rate)
    return np.clip(rd + p["subsidy_additionality"] * voucher_intensity * (rd_propensity > 0), 0.0, 0.6)


def reported_rd(rd_real: np.ndarray, revenue: np.ndarray, wants_hte: np.ndarray, relabeller: np.ndarray,
                relabel_max: np.ndarray) -> np.ndarray:
    """Bunching: a firm that wants the certificate and is within reach of its band's threshold relabels
    spending up to the threshold, never more than `relabel_max` of what it reports (Chen et al. 2021)."""
    thr = rd_threshold(revenue)
    reachable = (rd_real < thr) & (rd_real >= thr * (1.0 - np.asarray(relabel_max, np.float32))) & (rd_real > 0)
    return np.where(reachable & wants_hte & relabeller, thr, rd_real).astype(np.float32)


def apply_probability(base_year_prob: np.ndarray, rounds_per_year: int, award: np.ndarray, revenue: np.ndarray,
                      p: dict) -> np.ndarray:
    """Per-round application probability: the yearly base rate spread over the rounds, raised by the cash
    award relative to the tax benefit it adds to: × (1 + award / tax benefit)^elasticity (DOMAIN §1)."""
    tax_benefit = np.maximum(TAX_CUT * 3.0 * p["profit_margin"] * revenue * 1e6, 20_000.0)  # RMB
    factor = np.power(1.0 + award / tax_benefit, p["hte_award_elasticity"])
    yearly = np.minimum(1.0, base_year_prob * factor)
    return -np.expm1(np.log1p(-np.minimum(yearly, 0.999999)) / rounds_per_year)


def tech_sme_qualifies(employees: np.ndarray, revenue: np.ndarray, tech_share: np.ndarray, rd_rep: np.ndarray,
                       inventions: np.ndarray, other_ip: np.ndarray) -> np.ndarray:
    """2017 tech-SME self-assessment: ≤ 500 staff, revenue ≤ 200M, score ≥ 60 with non-zero tech points."""
    f32 = np.float32
    tech_pts = f32(4.0) * ((tech_share >= 0.10).astype(f32) + (tech_share >= 0.15) + (tech_share >= 0.20)
                           + (tech_share >= 0.25) + (tech_share >= 0.30))
    rd_pts = f32(10.0) * ((rd_rep >= 0.02).astype(f32) + (rd_rep >= 0.03) + (rd_rep >= 0.04) + (rd_rep >= 0.05)
                          + (rd_rep >= 0.06))
    ip_pts = np.where(inventions >= 1, f32(30.0), np.minimum(f32(24.0), f32(6.0) * other_ip))
    return ((employees <= SME_MAX_STAFF) & (revenue <= SME_MAX_REVENUE) & (tech_pts > 0)
            & (tech_pts + rd_pts + ip_pts >= SME_SCORE_MIN))


# --- zones ----------------------------------------------------------------------------------------------------

def readiness(hte: np.ndarray, output: np.ndarray, hte_ref: np.ndarray, output_ref: np.ndarray) -> np.ndarray:
    """A zone's readiness for the next level: mean log-ratio of its HTEs and output to the median zone of
    that level in the base year (0 = as strong as a typical zone of the level above)."""
    r = 0.5 * np.log(np.maximum(hte, 0.5) / np.maximum(hte_ref, 0.5)) \
        + 0.5 * np.log(np.maximum(output, 1e-3) / np.maximum(output_ref, 1e-3))
    return np.clip(r, -5.0, 5.0)


def upgrade_probability(r: np.ndarray, base_rate: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Yearly chance of approval: logistic in readiness, equal to the base rate at readiness 0 (DOMAIN §6)."""
    return special.expit(special.logit(np.clip(base_rate, 1e-6, 1 - 1e-6)) + slope * r)


def lognormal_fit(n: float, total: float, share_over: float, level: float) -> tuple[float, float]:
    """(mu, sigma) of a lognormal that puts `share_over` of `n` firms above `level` and sums to `total`.

    Solves P(X > level) = share_over and n E[X] = total. When no lognormal matches both (the count is too
    high for the total), the smallest sigma matching the count is used and the total is met by rescaling.
    """
    share_over = float(np.clip(share_over, 1e-4, 0.9))
    z = float(special.ndtri(1.0 - share_over))
    gap = np.log(level) - np.log(max(total / max(n, 1.0), 1e-9))
    disc = z * z - 2.0 * gap
    sigma = z + np.sqrt(disc) if disc > 0 else max(z, 0.5)
    sigma = float(np.clip(sigma, 0.5, 3.5))
    mu = float(np.log(level) - sigma * z)
    return mu, sigma
