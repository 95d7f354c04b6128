"""The base-year population of a batch of runs, built from a scenario: firms (sizes, traits, IP, certificates),
incubators and maker spaces, organisations and zones, calibrated to the scenario's base-year quantities.

The state's layout (struct-of-arrays over runs and slots) is in `sim.model.state`; entrants' traits come from
`latent_traits` here, so that the base population and later entrants share one trait model.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from sim.input.priors import Prior
from sim.input.scenario import Scenario
from sim.model import rules as mech
from sim.model.fields import ENG, FINANCE, FUND, N_INST_TYPES, NEW_RD, PLATFORM, SERVICE, TECH
from sim.model.levels import LEVEL_CODE, OFFICIAL_MIN_LEVEL
from sim.model.rng import BatchStreams, named_uniforms
from sim.model.state import Firms, Incubators, State

#: Industries: each of the four sector groups (high-tech × strategic-emerging flags) splits into two, and a
#: zone leans towards one of each pair (its specialisation, Beta(0.5, 0.5)) [assumed].
INDUSTRIES_PER_GROUP = 2
N_INDUSTRIES = 4 * INDUSTRIES_PER_GROUP
SPECIALISATION_BETA = 0.5
ENTRANT_MEDIAN_REVENUE = 2.0   # M RMB [assumed]
ENTRANT_REVENUE_SIGMA = 1.0    # [assumed]
PRODUCTIVITY_MEDIAN = 0.8      # M RMB revenue per employee [assumed]
#: R&D intensity falls with size at most as (S/10M)^-0.5 (a 1bn firm: a tenth of a 10M firm's) [assumed]
MAX_RD_GAMMA = 0.5
INCUBATOR_NEW_AREA = 8000.0    # m², median area of a new incubator [assumed]
MAKER_SPACE_AREA = 1500.0      # m² [assumed]


def size_factor(revenue: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    return np.minimum(1.0, np.power(np.maximum(revenue, 1e-6) / 10.0, -gamma[:, None]))


def solve_rd_gamma(rd: np.ndarray, revenue: np.ndarray, mask: np.ndarray, va_ratio: np.ndarray,
                   target: np.ndarray) -> np.ndarray:
    """The size elasticity gamma in [0, MAX_RD_GAMMA] per run at which sum(rd × revenue) / sum(VA) over `mask` hits
    `target`; 0 when even size-independent intensities fall short (then the base value is not reached)."""
    lo, hi = np.zeros(len(target)), np.full(len(target), MAX_RD_GAMMA)
    va = mech.row_sum(revenue * mask) * va_ratio
    spend = rd * revenue * mask
    large = revenue > 10.0  # only firms above 10M are scaled: iterate on them alone
    fixed = mech.row_sum(np.where(large, 0.0, spend))
    rows, cols = np.nonzero(large & (spend > 0))
    log_size = np.log(revenue[rows, cols] / 10.0)
    big_spend = spend[rows, cols]
    for _ in range(24):
        mid = 0.5 * (lo + hi)
        scaled = np.bincount(rows, weights=big_spend * np.exp(-mid[rows] * log_size), minlength=len(target))
        ratio = (fixed + scaled) / np.maximum(va, 1e-9)
        too_high = ratio > target
        lo = np.where(too_high, mid, lo)
        hi = np.where(too_high, hi, mid)
    return 0.5 * (lo + hi)


def latent_traits(nd: np.ndarray, u: np.ndarray, q: dict, p: dict) -> dict[str, np.ndarray]:
    """A firm's innovative traits from 11 normals and 3 uniforms (axis 1), for base firms and entrants alike.

    Innovative traits cluster (Gaussian copula): one latent "innovativeness" shares a correlation rho with
    R&D, tech staff, high-tech revenue, capability, IP habit and sector. Shares are logit-normal. `q` and `p`
    hold the run's base-year quantities and parameters, shaped to broadcast against nd[:, k].
    """
    rho = p["innovation_correlation"]
    latent = nd[:, 6]
    spread = np.sqrt(1.0 - rho * rho)

    def trait(k: int) -> np.ndarray:
        return rho * latent + spread * nd[:, k]

    does_rd = trait(1) > special.ndtri(q["rd_zero_share"])
    rd_prop = np.where(does_rd, np.exp(np.log(q["rd_median"]) + q["rd_sigma"] * trait(2)), 0.0)
    return {
        "does_rd": does_rd,
        "rd_propensity": np.clip(rd_prop, 0.0, 0.5),
        "tech_share": special.expit(np.where(does_rd, special.logit(0.15), special.logit(0.06)) + 0.8 * trait(3)),
        "hightech_share": special.expit(np.where(does_rd, special.logit(0.55), special.logit(0.15))
                                        + 1.2 * trait(4)),
        "capability": np.clip(p["capability_mean"] + 10.0 * trait(5), 0.0, 50.0),
        "relabeller": u[:, 0] < p["bunching_share"],
        "hightech_industry": trait(7) > special.ndtri(1.0 - q["hightech_industry_share"]),
        "strategic_emerging": trait(8) > special.ndtri(1.0 - q["strategic_emerging_share"]),
        "productivity": PRODUCTIVITY_MEDIAN * np.exp(0.5 * nd[:, 9]),
        "age_months": np.minimum(np.exp(np.log(60.0) + 0.8 * nd[:, 10]), 480.0),
        "ip_habit": np.where(does_rd, 3.0 * np.exp(0.5 * trait(2)), 0.3),
        "z_size": nd[:, 0],
    }


def industry_of(hightech: np.ndarray, emerging: np.ndarray, u: np.ndarray, first_share: np.ndarray) -> np.ndarray:
    """A firm's industry: its sector group (high-tech and strategic-emerging flags) and, within the group, the
    first industry with the zone's share for that group (`first_share`, broadcast like the flags)."""
    group = 2 * hightech.astype(np.int64) + emerging.astype(np.int64)
    first = np.take_along_axis(first_share, group[..., None], axis=-1)[..., 0] if first_share.ndim == group.ndim + 1 \
        else first_share
    return (INDUSTRIES_PER_GROUP * group + (u >= first)).astype(np.int8)


def industry_mix(scenario: Scenario, seed: int, runs: np.ndarray) -> np.ndarray:
    """(runs, zones, 4): each zone's lean within each sector group, Beta(0.5, 0.5) (zones specialise)."""
    from scipy import stats

    mix = np.empty((len(runs), len(scenario.zones), 4))
    for j, z in enumerate(scenario.zones):
        for g in range(4):
            u = named_uniforms(seed, runs, f"zone.{z.id}.industry_mix.{g}")
            mix[:, j, g] = stats.beta.ppf(u, SPECIALISATION_BETA, SPECIALISATION_BETA)
    return mix


#: Fewest base-year HTEs an area (the official zones, the rest of the region) must hold for its own capability
#: calibration; below it, the region-wide shift applies [assumption: a flow of a few certificates anchors nothing].
MIN_AREA_HTE = 20
#: Largest capability shift (score points) the base-year calibration may apply, either way.
SHIFT_BOUND = 40.0
#: How far (score points) the calibrated shift stays from a jump of the expected certifications.
JUMP_CLEARANCE = 0.01


def _expected_first_year(shift: float, me: np.ndarray, ms: np.ndarray, mn: np.ndarray, pass_rate: float,
                         apply_rate: float, prepare_rate: float, renewals: float) -> float:
    """One run's expected first-year certifications at a capability shift, from its sorted margins: `me` of
    non-holders meeting all but the score, `ms` the same once prepared, `mn` of near-eligible ones."""
    pool = me.size - np.searchsorted(me, -shift, side="right")
    near = (mn.size - np.searchsorted(mn, -shift, side="right")
            + ms.size - np.searchsorted(ms, -shift, side="right") - pool)
    return pass_rate * (apply_rate * pool + prepare_rate * near + renewals)


def calibrate_capability(age: np.ndarray, inventions: np.ndarray, other_ip: np.ndarray, tech: np.ndarray,
                         hightech: np.ndarray, capability: np.ndarray, growth_pts: np.ndarray, rd_real: np.ndarray,
                         revenue: np.ndarray, relabeller: np.ndarray, candidates: np.ndarray, due: np.ndarray,
                         flow: np.ndarray, p: dict) -> np.ndarray:
    """(runs,) shift of the capability scores (the transfer + management part of the innovation score) of the
    non-holders `candidates` (runs, slots) so that the expected certifications of the first year — renewals of
    the `due` (runs,) certificates ending in it, the eligible pool applying, near-eligible firms preparing then
    applying — equal the base year's `flow` (runs,), at the priors' application, preparation, renewal and pass
    rates. Bisection on the shift in [-40, 40] points. Holders are not shifted: they met the criteria when
    certified (`lift_holders`), so every certificate due can be renewed. The count is of the state at the first
    rounds: after January's learning (`capability_growth` for R&D-doing firms) and with preparation closing up
    to `prepare_score_reach` score points, as the simulation does.

    Only the score test moves with the shift: a firm passes it when capability + shift > 70 - (IP + growth
    points) (with capability capped at 50), so each run's margins are sorted once and counted by search."""
    relabel = p["relabel_max"][:, None]
    thr = mech.rd_threshold(revenue)
    rd_ok = (rd_real >= thr) | (relabeller & (rd_real >= thr * (1.0 - relabel)))
    open_score = np.float32(mech.HTE_SCORE_MIN + 1e-6)  # > 70, with capability at 0 and at 50 as the bounds
    # the first year's rounds come after January's learning, which raises every R&D-doing firm's capability
    learned = np.where(rd_real > 0, p["capability_growth"][:, None], 0.0)
    rest = mech.ip_points(inventions, other_ip) + growth_pts + learned
    everything_else = candidates & mech.hte_criteria_except_rd(age, inventions, other_ip, tech, hightech,
                                                               np.full_like(capability, 50.0), growth_pts) & rd_ok
    margin_e = capability + rest - open_score  # eligible when margin + shift > 0
    near_all = candidates & mech.preparable(age, inventions, other_ip, tech, hightech,
                                            np.full_like(capability, 50.0), growth_pts, rd_real, revenue,
                                            relabeller, relabel)
    # preparation also closes a score gap of up to `prepare_score_reach` points (rules.preparable)
    rest_near = (mech.ip_points(inventions, np.maximum(other_ip, mech.PREPARED_OTHER_IP)) + growth_pts + learned
                 + p["prepare_score_reach"][:, None])
    margin_n = capability + rest_near - open_score
    renewals = p["hte_renew_apply"] * due
    shifts = np.zeros(len(flow))
    for b in range(len(flow)):  # per run: two sorted arrays, then a scalar bisection
        me = np.sort(margin_e[b][everything_else[b]])
        ms = np.sort(margin_n[b][everything_else[b]])  # their margin once prepared: short only of score points
        mn = np.sort(margin_n[b][near_all[b]])
        rates = (p["hte_pass_rate"][b], p["hte_apply_rate"][b], p["hte_prepare_rate"][b], renewals[b])
        lo, hi = -SHIFT_BOUND, SHIFT_BOUND
        for _ in range(20):
            mid = 0.5 * (lo + hi)
            if _expected_first_year(mid, me, ms, mn, *rates) < flow[b]:
                lo = mid
            else:
                hi = mid
        # The count jumps where many firms share a margin (discrete IP and growth points, capabilities clipped
        # at 50): the flow then lies inside a jump, and a shift left at its midpoint put the whole group on
        # either side by float rounding (Guangxi 2020: a shortfall of 25-98 expected certifications in 5 of 60
        # runs). Take the side nearer the flow, 0.01 points clear of the jump.
        up = _expected_first_year(hi + JUMP_CLEARANCE, me, ms, mn, *rates)
        down = _expected_first_year(lo - JUMP_CLEARANCE, me, ms, mn, *rates)
        near_side = hi + JUMP_CLEARANCE if abs(up - flow[b]) <= abs(flow[b] - down) else lo - JUMP_CLEARANCE
        shifts[b] = float(np.clip(near_side, -SHIFT_BOUND, SHIFT_BOUND))
    return shifts


#: Parameters the between-region pace (`regional_hte_pace`) scales when a posterior is transferred.
PACE_PARAMETERS = ("hte_prepare_rate", "hte_apply_rate", "capability_growth")


def transfer_pace(params: dict[str, np.ndarray], transferred: tuple[str, ...]) -> None:
    """A posterior fitted to another region, used here: scale each run's certification pace — the parameters of
    `PACE_PARAMETERS` that the posterior gives (`transferred`) — by its draw of `regional_hte_pace`, the spread
    between regions that one region's fit cannot know. In place; yearly probabilities stay at most 0.95. A
    parameter fixed or estimated here (a calibration's particle) is this region's own and is not scaled."""
    pace = params["regional_hte_pace"]
    for name in PACE_PARAMETERS:
        if name in transferred:
            params[name] = params[name] * pace
            if name != "capability_growth":  # points a year; the others are yearly probabilities
                params[name] = np.minimum(params[name], 0.95)


def sample_priors(priors: dict[str, Prior], seed: int, runs: np.ndarray, prefix: str) -> dict[str, np.ndarray]:
    """One draw per run of each prior, by inverse CDF of a uniform keyed by the prior's name."""
    return {name: prior.sample(named_uniforms(seed, runs, f"{prefix}.{name}")) for name, prior in priors.items()}


def firm_capacity(n0: np.ndarray, params: dict[str, np.ndarray], maker_spaces: np.ndarray, years: int,
                  zones: int = 1, output: np.ndarray | float = 0.0) -> np.ndarray:
    """Slots of each run: its base firms plus a bound on all its entrants over the horizon (slots of exited
    firms are not reused, so that entrant k always takes the same slot). Entry on the stock is bounded with
    the run's own rate as if every zone were national and nobody exited; maker-space teams as if the base
    spaces doubled and every zone that could be official (`zones`) formed spaces at the run's rate, each
    counted for the whole horizon (twice their expected team-years); major projects as if the zones' output
    (`output`, 亿元) grew 30% a year and each year brought twice the expected number. Depends only on the run's
    own draws, never on levers or batch; overflow is reported, not hidden."""
    e = params["entry_rate"] * (1.0 + params["national_zone_attraction"])
    stock_entries = n0 * e * years * (1.0 + e * years / 2.0)
    spaces = 2.0 * maker_spaces + zones * params["maker_space_formation"] * years  # new ones: twice their mean
    team_entries = spaces * params["teams_per_maker_space"] * params["team_incorporation"] * years
    mean_rev = params["major_project_revenue"] * np.exp(0.5)  # M RMB, lognormal with log-sd 1
    grown = sum(1.3 ** y for y in range(1, years + 1))
    projects = 2.0 * params["major_project_share"] * np.asarray(output) * 100.0 * grown / mean_rev
    cap = (n0 + stock_entries + team_entries + projects) * 1.1 + 64
    return (np.ceil(cap / 16.0) * 16).astype(np.int64)


def incubator_capacity(scenario: Scenario) -> int:
    hi = {k: v.bounds()[1] for k, v in scenario.incubators}
    params = scenario.param_priors()
    n_zones = sum(LEVEL_CODE[z.level] >= LEVEL_CODE["candidate"] for z in scenario.zones)
    years = scenario.end_year - scenario.base_year
    # the largest formation boost any subsidy can give (one covering the full cost): never depends on the
    # levers themselves, so variants of a scenario keep the same random-block layout (common random numbers)
    boost = 1.0 + params["construction_subsidy_elasticity"].bounds()[1]
    per_year = (params["incubator_formation"].bounds()[1] * boost * 3
                + params["maker_space_formation"].bounds()[1]) * 1.5
    cap = hi["incubators_in_zones"] + hi["maker_spaces_in_zones"] + n_zones * years * per_year + 32
    return int(np.ceil(cap / 32.0) * 32)


def allocate(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split integer totals (runs,) over weights (runs, k) by largest remainder: exact and deterministic."""
    w = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
    raw = w * total[:, None]
    base = np.floor(raw).astype(np.int64)
    short = (total - base.sum(axis=1)).astype(np.int64)
    order = np.argsort(-(raw - base), axis=1, kind="stable")
    rank = np.argsort(order, axis=1, kind="stable")
    return base + (rank < short[:, None])


def _zone_weights(scenario: Scenario, seed: int, runs: np.ndarray, levels: tuple[str, ...]) -> np.ndarray:
    w = np.zeros((len(runs), len(scenario.zones)))
    for j, z in enumerate(scenario.zones):
        if z.level in levels:
            w[:, j] = z.firm_weight.sample(named_uniforms(seed, runs, f"zone.{z.id}.firm_weight"))
    return w


def initial_state(scenario: Scenario, seed: int, runs: np.ndarray, streams: BatchStreams) -> State:
    """The base-year state of every run: counts and totals match the scenario's (sampled) base-year facts."""
    runs = np.asarray(runs)
    B, Z = len(runs), len(scenario.zones)
    n_inc_slots = incubator_capacity(scenario)
    params = sample_priors(scenario.param_priors(), seed, runs, "param")
    if scenario.posterior is not None:  # one posterior row per run: calibrated parameters, jointly
        params.update(scenario.posterior.draw(named_uniforms(seed, runs, "posterior")))
        if scenario.transfer:
            transfer_pace(params, scenario.posterior.names)
    q = sample_priors(dict(scenario.firms), seed, runs, "firms")
    q.update(sample_priors(dict(scenario.incubators), seed, runs, "incubators"))
    q.update(sample_priors(dict(scenario.institutions), seed, runs, "institutions"))
    q.update(sample_priors(dict(scenario.region_facts), seed, runs, "region"))
    if "hte_region" in q:  # only the region's total is known: the zones' share of it is what is left
        q["hte_outside"] = np.maximum(np.round(q["hte_region"]) - np.round(q["hte_in_zones"]), 0.0)
    levels0 = np.array([LEVEL_CODE[z.level] for z in scenario.zones], dtype=np.int8)
    official = levels0 >= OFFICIAL_MIN_LEVEL

    # --- firm counts per zone, laid out in contiguous slots -------------------------------------------------
    counts = np.zeros((B, Z), dtype=np.int64)
    counts += allocate(np.round(q["count_in_zones"]).astype(np.int64),
                       _zone_weights(scenario, seed, runs, ("municipal", "provincial", "national")))
    if (levels0 == 0).any():
        counts += allocate(np.round(q["count_outside"]).astype(np.int64),
                           _zone_weights(scenario, seed, runs, ("outside",)))
    if (levels0 == 1).any():
        counts[:, levels0 == 1] = np.round(q["count_per_candidate"]).astype(np.int64)[:, None]
    n0 = counts.sum(axis=1)
    caps = firm_capacity(n0, params, q["maker_spaces_in_zones"], scenario.end_year - scenario.base_year,
                         int((levels0 >= LEVEL_CODE["candidate"]).sum()), q["output_in_zones"])
    streams.caps = caps
    C = int(np.ceil(n0.max() / 64.0) * 64)  # arrays start at the widest base population and grow with entry
    slot = np.arange(C)[None, :]
    starts = np.cumsum(counts, axis=1) - counts
    zone = np.zeros((B, C), dtype=np.int16)
    for j in range(Z):  # zones, not agents: a handful of iterations
        inside = (slot >= starts[:, j:j + 1]) & (slot < starts[:, j:j + 1] + counts[:, j:j + 1])
        zone[inside] = j
    alive = slot < n0[:, None]
    in_official = alive & official[zone]

    # --- latent attributes of the base firms ------------------------------------------------------------------
    u = streams.init(5, n0, C).astype(np.float64)  # uniforms: relabeller, patents, last growth, other IP, industry
    nd = streams.init_normal(11, n0, C)            # normals: size, traits, productivity, age, latent
    traits = latent_traits(nd, u, {k: v[:, None] for k, v in q.items()}, {k: v[:, None] for k, v in params.items()})
    z_rev = traits["z_size"].astype(np.float64)
    n_off = in_official.sum(axis=1)
    mu = np.empty(B)
    sigma = np.empty(B)
    for b in range(B):  # one lognormal fit per run: two base-year facts, two unknowns
        mu[b], sigma[b] = mech.lognormal_fit(n_off[b], q["output_in_zones"][b] * 100.0,
                                             q["over_100m_in_zones"][b] / max(n_off[b], 1), 100.0)
    revenue = np.exp(mu[:, None] + sigma[:, None] * z_rev)
    total = mech.row_sum(np.where(in_official, revenue, 0.0))
    revenue = np.where(in_official, revenue * (q["output_in_zones"] * 100.0 / np.maximum(total, 1e-9))[:, None],
                       revenue)
    if "output_outside" in q:  # anchor the rest of the region to its own base-year output
        outside_firms = alive & (levels0[zone] == LEVEL_CODE["outside"])
        out_total = mech.row_sum(np.where(outside_firms, revenue, 0.0))
        scale = q["output_outside"] * 100.0 / np.maximum(out_total, 1e-9)
        revenue = np.where(outside_firms, revenue * scale[:, None], revenue)
    revenue = np.where(alive, revenue, 0.0)
    rd_prop = traits["rd_propensity"].astype(np.float32)
    productivity = traits["productivity"]
    age = np.where(alive, traits["age_months"], 0.0)
    ip_habit = traits["ip_habit"]

    # R&D intensity falls with size above 10M RMB: × (S/10M)^-gamma, gamma solved per run (bisection) so that
    # the zones' base-year R&D / GDP equals the scenario's base value. Small firms keep their intensity. When
    # even the steepest decline leaves R&D too high, every firm's intensity is scaled down to reach it (the
    # region's R&D-doers spend less than DOMAIN's national median): `rd_level_scale` < 1, entrants too.
    va_to_gdp = q["value_added_ratio"] / q["industry_share_of_gdp"]
    rd_gamma = solve_rd_gamma(rd_prop, revenue, in_official, va_to_gdp, q["rd_to_gdp_in_zones"])
    rd_prop = (rd_prop * size_factor(revenue, rd_gamma)).astype(np.float32)
    reached = mech.row_sum(rd_prop * revenue * in_official) / np.maximum(
        mech.row_sum(revenue * in_official) * va_to_gdp, 1e-9)
    rd_level_scale = np.minimum(1.0, q["rd_to_gdp_in_zones"] / np.maximum(reached, 1e-12))
    rd_prop = (rd_prop * rd_level_scale[:, None]).astype(np.float32)
    base_rd_to_gdp = reached * rd_level_scale

    # --- patents: the base stock spread in proportion to R&D spending -------------------------------------
    rd_spend = rd_prop * revenue
    share = np.where(in_official, rd_spend, 0.0)
    share = share / np.maximum(mech.row_sum(share)[:, None], 1e-12)
    lam_zone = share * q["invention_patents_in_zones"][:, None]
    # firms outside official zones hold patents at the zones' rate per unit of R&D spending
    zone_spend = mech.row_sum(np.where(in_official, rd_spend, 0))
    rate_per_spend = q["invention_patents_in_zones"] / np.maximum(zone_spend, 1e-9)
    lam = np.where(in_official, lam_zone, np.where(alive, rd_spend * rate_per_spend[:, None], 0.0))
    inventions = mech.poisson_from_uniform(u[:, 1], lam)
    # other rights (utility models, software copyrights): R&D-linked plus a habit of cheap filings [assumed]
    other_ip = mech.poisson_from_uniform(u[:, 3], 1.8 * lam + ip_habit)

    # last year's growth, for the score's growth points: a draw from the growth model itself
    mean0, sigma0 = mech.growth_mean_and_sigma(revenue, rd_prop, q["rd_median"][:, None],
                                               {k: v[:, None] for k, v in params.items()})
    last_growth = np.exp(mech.laplace_growth(u[:, 2], mean0, sigma0))
    growth_pts = mech.growth_points(last_growth).astype(np.float32)
    mix = industry_mix(scenario, seed, runs)
    industry = industry_of(traits["hightech_industry"], traits["strategic_emerging"], u[:, 4],
                           np.take_along_axis(mix, zone.astype(np.int64)[:, :, None], axis=1))

    # --- HTE certificates: holders first, then the capability level of everyone else ---------------------------
    capability = traits["capability"]
    tech_share, hightech_share = traits["tech_share"], traits["hightech_share"]
    u_cert = streams.init(2, n0, C)
    outside = alive & ~in_official  # outside: candidate parks too
    areas = ((in_official, q["hte_in_zones"]), (outside, q["hte_outside"]))
    hte = choose_holders(age, inventions, other_ip, tech_share, hightech_share, capability, growth_pts, rd_prop,
                         revenue, params["relabel_max"], areas)
    hte_expiry = certificate_expiry(hte, q, u_cert[:, 1], tuple(scenario.cal("hte_rounds")))
    spend_before = mech.row_sum(rd_prop * revenue * in_official)
    rd_prop, other_ip, tech_share, hightech_share = lift_holders(hte, rd_prop, revenue, traits["relabeller"],
                                                                 inventions, other_ip, tech_share, hightech_share,
                                                                 params)
    # the holders' lift is spending the zones' R&D / GDP already counts: the zones' other firms spend that much
    # less, so the base year's R&D / GDP stays as calibrated (Guangxi 2020: × 0.9999; the tiny test zone × 0.99)
    lifted = mech.row_sum(rd_prop * revenue * (in_official & hte))
    others = mech.row_sum(rd_prop * revenue * (in_official & ~hte))
    keep = np.clip((spend_before - lifted) / np.maximum(others, 1e-12), 0.0, 1.0)
    rd_prop = np.where(in_official & ~hte, rd_prop * keep[:, None], rd_prop).astype(np.float32)
    shift = np.zeros((B, 2))  # (runs, area): official zones, the rest (outside and candidate parks)
    if "hte_certified_base_year" in q:  # the base year's certifications calibrate the capability level
        due = hte & (hte_expiry <= 12)  # certificates ending in the first simulated year

        def solve(mask: np.ndarray, flow: np.ndarray) -> np.ndarray:
            return calibrate_capability(age, inventions, other_ip, tech_share, hightech_share, capability,
                                        growth_pts, rd_prop, revenue, traits["relabeller"] & mask, mask & ~hte,
                                        mech.row_sum(due & mask), flow, params)

        held = np.stack([q["hte_in_zones"], q["hte_outside"]], axis=1)
        total = held.sum(axis=1)
        shift[:] = solve(alive, q["hte_certified_base_year"])[:, None]
        # Each area certifies in proportion to the HTEs it holds (assumption, docs/model.md §7): one shift for
        # the whole region let the zones' richer firms take three quarters of the certifications while holding
        # 44% of Guangxi's stock (issue 10). Only where both areas hold enough HTEs to anchor a flow.
        both = (held.min(axis=1) >= MIN_AREA_HTE) & (outside.sum(axis=1) > 0)
        if both.any():
            flow = q["hte_certified_base_year"][:, None] * held / np.maximum(total, 1.0)[:, None]
            own = np.stack([solve(mask, flow[:, a]) for a, mask in enumerate((in_official, outside))], 1)
            # an area whose firms cannot supply its share even at the bound keeps the region-wide shift, so that
            # the region's certifications stay anchored (its `calibration_gap` then shows the shortfall)
            both &= (own < SHIFT_BOUND - 0.1).all(axis=1)
            shift[both] = own[both]
        capability = np.clip(capability + np.where(in_official, shift[:, :1], shift[:, 1:]), 0.0, 50.0)
    base_rd_to_gdp = mech.row_sum(rd_prop * revenue * in_official) / np.maximum(  # after the lift, as it starts
        mech.row_sum(revenue * in_official) * va_to_gdp, 1e-9)
    # a holder passed the score test when certified, within the last three years (`lift_holders`)
    need = np.minimum(mech.capability_needed(inventions, other_ip, growth_pts), 50.0)
    capability = np.where(hte, np.maximum(capability, need), capability)

    firms = Firms(capacity=caps,
        alive=alive, zone=zone, age=age.astype(np.float32), revenue=revenue,
        revenue_year_start=np.where(alive, revenue / last_growth, 0.0),  # the base year's start, backcast
        growth_factor=np.ones((B, C), np.float32),
        productivity=productivity.astype(np.float32),
        employees=np.maximum(3.0, revenue / productivity).astype(np.float32), rd_propensity=rd_prop,
        rd_real=rd_prop.copy(), rd_reported=rd_prop.copy(), tech_share=tech_share.astype(np.float32),
        hightech_share=hightech_share.astype(np.float32),
        capability=capability.astype(np.float32), growth_pts=growth_pts,
        relabeller=traits["relabeller"] & alive, hightech_industry=traits["hightech_industry"] & alive,
        strategic_emerging=traits["strategic_emerging"] & alive, industry=industry, rd_centre=np.zeros((B, C), bool),
        # the starts of the two years before, backcast with last year's growth draw (3-year growth of base firms)
        revenue_ago2=np.where(alive, revenue / last_growth ** 2, 0.0),
        revenue_ago3=np.where(alive, revenue / last_growth ** 3, 0.0),
        inventions=inventions.astype(np.float32), other_ip=other_ip.astype(np.float32),
        hte=hte, hte_expiry=hte_expiry, hte_ever=hte.copy(),
        tech_sme=np.zeros((B, C), bool), tenant=np.zeros((B, C), bool), tenancy=np.zeros((B, C), np.int16),
        voucher_intensity=np.zeros((B, C), np.float32), prepared=np.zeros((B, C), bool),
        exit_month=np.zeros((B, C), np.float32),
        patent_rate=np.zeros((B, C), np.float32), next_free=n0.astype(np.int64),
    )

    # --- incubators and maker spaces --------------------------------------------------------------------------
    inc = _initial_incubators(scenario, q, B, n_inc_slots, streams, seed, runs)
    tenant_gap = _assign_tenants(firms, q, in_official, streams)

    # --- organisations: counts by zone, type and level ------------------------------------------------------
    w_off = _zone_weights(scenario, seed, runs, ("municipal", "provincial", "national"))
    inst = np.zeros((B, Z, N_INST_TYPES, 2), dtype=np.int64)
    municipal = np.round(q["municipal_institutions_in_zones"]).astype(np.int64)
    for key, t, lv, n in (("eng_centres_prov_in_zones", ENG, 1, None), ("tech_centres_prov_in_zones", TECH, 1, None),
                          ("new_rd_institutions_in_zones", NEW_RD, 0, None), ("platforms_in_zones", PLATFORM, 0, None),
                          ("service_orgs_in_zones", SERVICE, 0, None), ("finance_orgs_in_zones", FINANCE, 0, None),
                          ("venture_funds_in_zones", FUND, 0, None),
                          ("", ENG, 0, municipal // 2), ("", TECH, 0, municipal - municipal // 2)):
        if n is None and key not in q:
            continue  # an optional count the scenario does not give: none at the start (validated per target)
        total = np.round(q[key]).astype(np.int64) if n is None else n
        inst[:, :, t, lv] += allocate(total, w_off)
    _candidate_institutions(inst, firms, levels0, Z)

    # --- zones ---------------------------------------------------------------------------------------------
    zone_level = np.repeat(levels0[None, :], B, axis=0)
    population = np.zeros((B, Z))
    pop_total = q.get("population_in_zones", np.zeros(B))
    w_share = w_off / np.maximum(w_off.sum(axis=1, keepdims=True), 1e-12)
    for j, z in enumerate(scenario.zones):
        if z.population is not None:
            population[:, j] = z.population.sample(named_uniforms(seed, runs, f"zone.{z.id}.population"))
        elif official[j]:
            population[:, j] = pop_total * w_share[:, j]
    refs = _readiness_refs(firms, revenue, zone_level, Z, q)

    state = State(firms, inc, inst, zone_level, np.zeros((B, Z), bool), population, refs, q, params,
                  np.zeros(B), rd_gamma, base_rd_to_gdp, np.zeros(B), params["hte_prepare_rate"].copy(), shift, mix,
                  rd_level_scale=rd_level_scale, tenant_gap=tenant_gap)
    return state


def _candidate_institutions(inst: np.ndarray, firms: Firms, levels0: np.ndarray, Z: int) -> None:
    """Enterprise R&D centres of candidate parks: the official zones' base-year centres per HTE (engineering
    centres) and per firm over 100M (technology centres), applied to each park's firms [assumption: the
    scenario gives counts for official zones only]."""
    cand = np.flatnonzero(levels0 == LEVEL_CODE["candidate"])
    if cand.size == 0:
        return
    B = firms.alive.shape[0]
    flat = (firms.zone + np.arange(B)[:, None] * Z).ravel()
    hte = np.bincount(flat, weights=(firms.hte & firms.alive).ravel(), minlength=B * Z).reshape(B, Z)
    big = np.bincount(flat, weights=(firms.alive & (firms.revenue >= 100.0)).ravel(), minlength=B * Z).reshape(B, Z)
    official = levels0 >= OFFICIAL_MIN_LEVEL
    for t, driver in ((ENG, hte), (TECH, big)):
        per = inst[:, official, t, :].sum(axis=(1, 2)) / np.maximum(driver[:, official].sum(axis=1), 1.0)
        inst[:, cand, t, 0] = np.round(per[:, None] * driver[:, cand]).astype(np.int64)


def choose_holders(age: np.ndarray, inventions: np.ndarray, other_ip: np.ndarray, tech: np.ndarray,
                   hightech: np.ndarray, capability: np.ndarray, growth_pts: np.ndarray, rd_prop: np.ndarray,
                   revenue: np.ndarray, relabel_max: np.ndarray,
                   areas: tuple[tuple[np.ndarray, np.ndarray], ...]) -> np.ndarray:
    """(runs, slots) the base-year HTEs: in each area (mask (runs, slots), count (runs,)), the firms that best meet
    the 2016 criteria — every criterion but the score and R&D first, then R&D within relabelling reach, then the
    highest innovation score. The score orders rather than filters, so the choice does not depend on the
    capability shift calibrated afterwards (which moves every non-holder's score alike)."""
    B, C = age.shape
    crit = mech.hte_criteria_except_rd(age, inventions, other_ip, tech, hightech, np.full_like(capability, 50.0),
                                       growth_pts)
    rd_ok = rd_prop >= mech.rd_threshold(revenue) * (1.0 - relabel_max[:, None])
    score = mech.ip_points(inventions, other_ip) + capability + growth_pts
    key = crit * 2.0 + rd_ok * 1.0 + np.clip(score / 150.0, 0.0, 0.999)
    hte = np.zeros((B, C), bool)
    for mask, count in areas:
        k = np.minimum(np.round(count).astype(np.int64), mask.sum(axis=1))
        ranked = np.argsort(-np.where(mask, key, -np.inf), axis=1, kind="stable")
        rank = np.empty_like(ranked)
        np.put_along_axis(rank, ranked, np.arange(C)[None, :].repeat(B, axis=0), axis=1)
        hte |= mask & (rank < k[:, None])
    return hte


def lift_holders(hte: np.ndarray, rd_prop: np.ndarray, revenue: np.ndarray, relabeller: np.ndarray,
                 inventions: np.ndarray, other_ip: np.ndarray, tech: np.ndarray, hightech: np.ndarray,
                 p: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A base-year holder was certified within the last three years, so it met every criterion then: it starts
    as a firm does after preparation (`certification.prepare`) — core IP, tech staff ≥ 10%, high-tech revenue
    ≥ 60%, and an R&D propensity whose certified real R&D (× 1 + `hte_real_rd_uplift`) reaches its band's
    threshold, or relabelling reach for a relabeller. Returns new (rd_propensity, other_ip, tech_share,
    hightech_share), each (runs, slots); the score is lifted after the capability calibration. Without this, a
    capability level calibrated low (Guangxi: δ ≈ -26 points) left 61% of holders unable to renew, and 300
    certificates lapsed in the first year against the ≈ 196 lapses and exits DOMAIN §1 implies (issue 10)."""
    reach = 1.0 - p["relabel_max"][:, None] * relabeller
    need = mech.rd_threshold(revenue) * reach / (1.0 + p["hte_real_rd_uplift"][:, None]) * 1.001  # float32 margin
    rd = np.where(hte, np.maximum(rd_prop, need), rd_prop).astype(np.float32)
    core_ip = (inventions >= 1) | (other_ip >= mech.PREPARED_OTHER_IP)
    other = np.where(hte & ~core_ip, mech.PREPARED_OTHER_IP, other_ip)
    tech = np.where(hte, np.maximum(tech, mech.HTE_TECH_STAFF_MIN), tech)
    hightech = np.where(hte, np.maximum(hightech, mech.HTE_HIGHTECH_REVENUE_MIN), hightech)
    return rd, other, tech, hightech


def certificate_expiry(hte: np.ndarray, q: dict, u: np.ndarray, rounds: tuple[int, ...]) -> np.ndarray:
    """(runs, slots) int16 month in which each base certificate ends (0 for non-holders), from uniforms `u`
    (runs, slots). Certificates were issued at the rounds of the last three years and end at the same rounds
    three years later; the share issued in each year follows the stock's history (`certificate_years`)."""
    B = hte.shape[0]
    weights = certificate_years(q)  # (runs, 3): ending in the 1st, 2nd, 3rd simulated year
    cum = np.cumsum(weights, axis=1)
    u1 = u.astype(np.float64)
    year = (u1[:, :, None] >= cum[:, None, :2]).sum(axis=2)  # bucket by the uniform
    lo = np.take_along_axis(np.concatenate([np.zeros((B, 1)), cum[:, :2]], axis=1), year, axis=1)
    width = np.maximum(np.take_along_axis(weights, year, axis=1), 1e-12)
    within = np.clip((u1 - lo) / width, 0.0, 1.0 - 1e-9)  # the rest of the uniform picks the round
    per_year = [r for r in range(1, 13) if r in rounds]
    month = np.array(per_year)[np.minimum((within * len(per_year)).astype(np.int64), len(per_year) - 1)]
    return np.where(hte, 12 * year + month, 0).astype(np.int16)


def certificate_years(q: dict) -> np.ndarray:
    """(runs, 3) shares of the base-year stock whose certificates end in the first, second and third simulated
    year, i.e. were issued two years before the base year, one year before, and in the base year.

    Issued in the base year: the base year's certifications F over the stock S (`hte_certified_base_year`,
    stock in and outside the zones). The rest is split in proportion to the region's stock one and two years
    before (`hte_stock_base_minus_1`, `hte_stock_base_minus_2`): a stock that grew fast has few old
    certificates. Without those keys the rest is split evenly, and without F each year holds a third."""
    stock = np.maximum(q["hte_in_zones"] + q["hte_outside"], 1.0)
    B = len(stock)
    if "hte_certified_base_year" in q:
        w0 = np.clip(q["hte_certified_base_year"] / stock, 0.05, 0.95)
    else:
        w0 = np.full(B, 1.0 / 3.0)
    if "hte_stock_base_minus_1" in q and "hte_stock_base_minus_2" in q:
        s1, s2 = q["hte_stock_base_minus_1"], q["hte_stock_base_minus_2"]
        share1 = s1 / np.maximum(s1 + s2, 1e-9)
    else:
        share1 = np.full(B, 0.5)
    rest = 1.0 - w0
    return np.stack([rest * (1.0 - share1), rest * share1, w0], axis=1)


def _assign_tenants(firms: Firms, q: dict, in_official: np.ndarray, streams: BatchStreams) -> np.ndarray:
    """The base-year tenants: young, small firms of the official zones, chosen at random. Returns (runs,) the
    stated tenants (`tenants_in_zones`) those firms could not supply: the run then starts with fewer, which
    `sim.runner.diagnostics.calibration_warnings` reports rather than hides."""
    B, C = firms.alive.shape
    u = streams.init(2, firms.next_free, C)
    can = in_official & (firms.age <= mech.MAX_TENANCY_MONTHS) & (firms.revenue < mech.GRADUATION_REVENUE)
    k = np.minimum(np.round(q["tenants_in_zones"]).astype(np.int64), can.sum(axis=1))
    key = np.where(can, u[:, 0], -1.0)
    threshold = -np.sort(-key, axis=1)[np.arange(B), np.maximum(k - 1, 0)]
    firms.tenant[:] = can & (key >= threshold[:, None]) & (k[:, None] > 0)
    firms.tenancy[:] = np.where(firms.tenant, np.minimum(u[:, 1] * 36, firms.age), 0).astype(np.int16)
    return np.maximum(np.round(q["tenants_in_zones"]) - can.sum(axis=1), 0.0)


def _initial_incubators(scenario: Scenario, q: dict, B: int, n_slots: int,
                        streams: BatchStreams, seed: int, runs: np.ndarray) -> Incubators:
    u = streams.init(4, np.full(B, n_slots), n_slots).astype(np.float64)
    n_inc = np.round(q["incubators_in_zones"]).astype(np.int64)
    n_ms = np.round(q["maker_spaces_in_zones"]).astype(np.int64)
    n_nat = np.minimum(np.round(q["national_incubators_in_zones"]).astype(np.int64), n_inc)
    n_prov = np.minimum(np.round(q["provincial_incubators_in_zones"]).astype(np.int64), n_inc - n_nat)
    slot = np.arange(n_slots)[None, :]
    is_inc = slot < n_inc[:, None]
    is_ms = (slot >= n_inc[:, None]) & (slot < (n_inc + n_ms)[:, None])
    level = np.where(slot < n_nat[:, None], 3, np.where(slot < (n_nat + n_prov)[:, None], 2, 1))
    ms_slot = slot - n_inc[:, None]  # maker spaces: the recognised ones first, like incubators
    ms_nat = np.round(q.get("national_maker_spaces_in_zones", np.zeros(B))).astype(np.int64)
    ms_prov = np.round(q.get("provincial_maker_spaces_in_zones", np.zeros(B))).astype(np.int64)
    ms_nat = np.minimum(ms_nat, n_ms)
    ms_prov = np.minimum(ms_prov, n_ms - ms_nat)
    level = np.where(is_ms, np.where(ms_slot < ms_nat[:, None], 3, np.where(ms_slot < (ms_nat + ms_prov)[:, None],
                                                                             2, 1)), level)
    # a recognised incubator sits in a zone at least as high as its level (national ones in national zones,
    # when the region has any), chosen by the zones' firm weights within that set
    w = _zone_weights(scenario, seed, runs, ("municipal", "provincial", "national"))
    lv = np.array([LEVEL_CODE[z.level] for z in scenario.zones])
    zone = np.zeros((B, n_slots), dtype=np.int64)
    for inc_level, min_zone in ((3, LEVEL_CODE["national"]), (2, LEVEL_CODE["provincial"]), (1, OFFICIAL_MIN_LEVEL)):
        allowed = lv >= min_zone
        wl = w * allowed if (w * allowed).sum() > 0 else w
        cdf = np.cumsum(wl / np.maximum(wl.sum(axis=1, keepdims=True), 1e-12), axis=1)
        pick = np.array([np.searchsorted(cdf[b], u[b, 0], side="right") for b in range(B)]).clip(0, w.shape[1] - 1)
        zone = np.where(level == inc_level, pick, zone)
    area_draw = np.exp(0.6 * special.ndtri(np.clip(u[:, 1], 1e-9, 1 - 1e-9)))
    share = np.where(is_inc, area_draw, 0.0)
    share = share / np.maximum(mech.row_sum(share)[:, None], 1e-12)
    area = np.where(is_inc, share * q["incubator_area_in_zones"][:, None], np.where(is_ms, MAKER_SPACE_AREA * area_draw,
                                                                                   0.0))
    months = np.where(level == 3, 48 + u[:, 2] * 120, 6 + u[:, 2] * 90)
    alive = is_inc | is_ms
    return Incubators(alive=alive, zone=zone.astype(np.int16), maker_space=is_ms, level=np.where(alive, level, 0)
                      .astype(np.int8), area=area.astype(np.float32), months=np.where(alive, months, 0)
                      .astype(np.int16), area_draw=area_draw.astype(np.float32),
                      next_free=(n_inc + n_ms).astype(np.int64))


def _readiness_refs(firms: Firms, revenue: np.ndarray, zone_level: np.ndarray, Z: int, q: dict
                    ) -> dict[str, np.ndarray]:
    """Median HTEs and output of the base year's national and provincial zones, per run: the bar a zone
    must reach to be as ready as a typical zone of the next level. A scenario may set the national bar
    (`region.national_*_reference`), which a region without a national zone needs."""
    B = revenue.shape[0]
    flat = (firms.zone + np.arange(B)[:, None] * Z).ravel()
    hte = np.bincount(flat, weights=(firms.hte & firms.alive).ravel(), minlength=B * Z).reshape(B, Z)
    out = np.bincount(flat, weights=(revenue * firms.alive).ravel(), minlength=B * Z).reshape(B, Z) / 100.0
    refs = {}
    for name, level in (("national", LEVEL_CODE["national"]), ("provincial", LEVEL_CODE["provincial"])):
        mask = zone_level == level
        if not mask.any():
            mask = zone_level >= OFFICIAL_MIN_LEVEL
        refs[f"{name}_hte"] = np.array([np.median(hte[b][mask[b]]) if mask[b].any() else 1.0 for b in range(B)])
        refs[f"{name}_output"] = np.array([np.median(out[b][mask[b]]) if mask[b].any() else 1.0 for b in range(B)])
    official = zone_level >= OFFICIAL_MIN_LEVEL  # entry bar: the weakest official zone of the base year
    refs["entry_hte"] = np.array([hte[b][official[b]].min() for b in range(B)])
    refs["entry_output"] = np.array([out[b][official[b]].min() for b in range(B)])
    if not (zone_level == LEVEL_CODE["national"]).any():  # no national zone to compare with: twice the best
        refs["national_hte"] = 2.0 * hte.max(axis=1)
        refs["national_output"] = 2.0 * out.max(axis=1)
    for name in ("hte", "output"):
        if f"national_{name}_reference" in q:
            refs[f"national_{name}"] = np.maximum(q[f"national_{name}_reference"], 1e-9)
    return refs
