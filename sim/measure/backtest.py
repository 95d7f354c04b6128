"""Back-tests (hindcasts): run a plan rebuilt at an earlier base year and score it against the history that
followed.

A back-test scenario is an ordinary scenario file with a `backtest:` section naming its region's history
(`sim.input.history`) and how the model measures each series. Every observed value between the base year and the
end year is scored:

- its percentile in the simulated predictive distribution (PIT, mid-rank), and whether it falls in the central
  50% and 90% bands. The predictive distribution is the model's value times the observed share (`factor`) with
  the observation's own error added (lognormal: the sources' flags and their disagreement, `sim.input.history`);
- the CRPS of the log value (scoringrules' ensemble CRPS), beside the CRPS of a naive forecaster given the same
  history: the last pre-base growth rate carried forward, with the spread of the pre-base yearly growth rates
  (`naive_forecast`);
- the Brier score of every target of the file that resolves in the window.

The **gate** (`gate`): every scored value inside its 90% band, at most one in five with a PIT outside 10–90%,
and a mean log-CRPS below the naive forecaster's. Wide bands alone cannot pass the last condition.

This module scores only; `sim.report.backtest_files` writes a scored back-test's tables, charts and manifest.
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from sim.input import history
from sim.input.scenario import Scenario

#: The naive forecaster's yearly log-growth spread when the history gives fewer than three points, and its
#: floor [assumptions, documented in docs/backtest.md].
NAIVE_SPREAD_FEW = 0.10
NAIVE_SPREAD_MIN = 0.02
#: PIT band outside which a value counts as poorly covered, and the share of such values the gate tolerates.
PIT_BAND = (0.10, 0.90)
PIT_TOLERANCE = 0.2


@dataclass
class Score:
    """One observed value and how the back-test's predictive distribution scored it."""

    series: str
    indicator: str
    scope: str
    year: int
    period: str
    observed: float
    log_sigma: float
    median: float
    p05: float
    p25: float
    p75: float
    p95: float
    pit: float
    in50: bool
    in90: bool
    crps: float
    crps_naive: float
    naive_median: float
    sources: str
    note: str = ""

    @property
    def pit_outside(self) -> bool:
        return not PIT_BAND[0] <= self.pit <= PIT_BAND[1]


@dataclass
class BacktestResult:
    """The scores of one back-test, with what a report needs."""

    scenario: Scenario
    runs: int
    seed: int
    scores: list[Score]
    unscored: list[tuple[str, str]]
    brier: list[dict] = field(default_factory=list)
    series_values: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)
    times: list[tuple[int, int, int]] = field(default_factory=list, repr=False)
    #: the scenario's own warnings and the base-year calibration's (`sim.runner.diagnostics.calibration_warnings`), as
    #: `zonesim run` prints them: a back-test whose base year the population could not reproduce says so
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        n = len(self.scores)
        in90 = sum(s.in90 for s in self.scores)
        in50 = sum(s.in50 for s in self.scores)
        outside = sum(s.pit_outside for s in self.scores)
        crps = float(np.mean([s.crps for s in self.scores])) if n else float("nan")
        compared, model_c, naive = skill_basis(self.scores)
        return {"scenario_id": self.scenario.id, "region": self.scenario.raw["backtest"]["region"],
                "base_year": self.scenario.base_year, "end_year": self.scenario.end_year, "runs": self.runs,
                "seed": self.seed, "observations": n, "in90": in90, "in50": in50, "pit_outside": outside,
                "mean_crps": crps, "compared": compared, "mean_crps_compared": model_c, "mean_crps_naive": naive,
                "skill": 1.0 - model_c / naive if compared and naive > 0 else float("nan"),
                "gate": gate(self.scores)[0]}


def skill_basis(scores: list[Score]) -> tuple[int, float, float]:
    """(values, model's mean log-CRPS, naive forecaster's) over the values the naive forecaster can forecast:
    those whose series has history up to the base year. A series without it has no naive forecast (issue 10:
    starting one from the model's own base value, 0 for a yearly flow, gave log-CRPS ≈ 27 and a skill near 1
    whatever the model did)."""
    pairs = [(s.crps, s.crps_naive) for s in scores if math.isfinite(s.crps_naive)]
    if not pairs:
        return 0, float("nan"), float("nan")
    return len(pairs), float(np.mean([a for a, _ in pairs])), float(np.mean([b for _, b in pairs]))


def gate(scores: list[Score]) -> tuple[bool, list[str]]:
    """The back-test gate and the reasons it fails (empty when it passes)."""
    why = []
    if not scores:
        return False, ["no observation was scored"]
    missed = [f"{s.series} {s.year}" for s in scores if not s.in90]
    if missed:
        why.append("outside the 90% band: " + ", ".join(missed))
    outside = [s for s in scores if s.pit_outside]
    if len(outside) > PIT_TOLERANCE * len(scores):
        which = ", ".join(f"{s.series} {s.year} ({s.pit:.2f})" for s in outside)
        why.append(f"{len(outside)} of {len(scores)} PITs outside {PIT_BAND[0]:.0%}–{PIT_BAND[1]:.0%}, "
                   f"{len(outside) / len(scores):.0%} (at most {PIT_TOLERANCE:.0%} allowed): {which}")
    compared, crps, naive = skill_basis(scores)
    if not compared:
        why.append("no scored series has history up to the base year: no naive forecaster to beat")
    elif not crps < naive:
        why.append(f"mean log-CRPS {crps:.3f} not below the naive forecaster's {naive:.3f} (over the {compared} "
                   "values with history before the base year)")
    return not why, why


def naive_forecast(series: str, region: str, period: str, base: int, year: int, n: int,
                   rng: np.random.Generator, factor: float = 1.0) -> np.ndarray | None:
    """Samples of the naive forecast of a series in `year` from the history up to `base`: the last value at
    or before `base`, grown at the last observed yearly log-growth rate, with yearly spread the standard
    deviation of the observed yearly growth rates (NAIVE_SPREAD_FEW with fewer than three points; at least
    NAIVE_SPREAD_MIN). An observation of another period (a month's count, the first three quarters) with no
    history of its own is forecast from the series' year-end history times `factor`, the back-test file's
    bridge from a year-end value to that period — the one the model's values get. None when the series has no
    history up to `base`: the naive forecaster is given the same history as the model, and without any it has
    nothing to carry forward."""
    obs = history.observed(series, region, until=base, period=period)
    scale = 1.0
    if not obs and period != "year":
        obs, scale = history.observed(series, region, until=base, period="year"), factor
    if not obs:
        return None
    start_year, start = obs[-1].year, obs[-1].value
    if len(obs) >= 2:
        rates = [(math.log(b.value) - math.log(a.value)) / (b.year - a.year)
                 for a, b in zip(obs, obs[1:], strict=False)]
        growth = rates[-1]
        spread = float(np.std(rates, ddof=1)) if len(rates) >= 2 else NAIVE_SPREAD_FEW
    else:
        growth, spread = 0.0, NAIVE_SPREAD_FEW
    horizon = year - start_year
    spread = max(spread, NAIVE_SPREAD_MIN)
    z = rng.standard_normal(n)
    return scale * np.exp(math.log(max(start, 1e-9)) + growth * horizon + spread * math.sqrt(max(horizon, 0)) * z)


def _crps_log(observed: float, samples: np.ndarray) -> float:
    import scoringrules as sr

    finite = samples[np.isfinite(samples) & (samples > 0)]
    if finite.size == 0:
        return float("inf")
    return float(sr.crps_ensemble(math.log(observed), np.log(finite)))


def _model_values(results: object, indicator: str, scope: str) -> np.ndarray:
    """(runs, snapshots) of an indicator from a Monte Carlo's results, over the zones or the region."""
    from sim.measure.indicators import ZONE_COUNT_INDICATORS

    if scope == "region" and indicator not in ZONE_COUNT_INDICATORS:
        return results.indicator(f"region_{indicator}")  # type: ignore[attr-defined]
    return results.indicator(indicator)  # type: ignore[attr-defined]


def score(results: object, seed: int = 0) -> BacktestResult:
    """Score a back-test scenario's Monte Carlo results (`sim.runner.montecarlo.Results`) against its history."""
    sc: Scenario = results.scenario  # type: ignore[attr-defined]
    bt = sc.raw["backtest"]
    region = bt["region"]
    times = results.times  # type: ignore[attr-defined]
    year_end = {y: i for i, (y, mo, _) in enumerate(times) if mo == 12}
    rng = np.random.default_rng([seed, 1729])
    scores: list[Score] = []
    values: dict[tuple[str, str], np.ndarray] = {}
    for spec in bt["observe"]:
        period = spec.get("period", "year")
        scope = spec.get("scope", "zones")
        model = _model_values(results, spec["indicator"], scope)
        values[(spec["series"], spec["indicator"])] = model
        factor = float(spec.get("factor", 1.0))
        factor_sd = float(spec.get("factor_sd", 0.0))
        for obs in history.observed(spec["series"], region, until=min(sc.end_year, history.CUTOFF[region]),
                                    since=sc.base_year + 1, period=period):
            if obs.year not in year_end:
                continue
            x = model[:, year_end[obs.year]] * factor
            sigma = math.sqrt(obs.log_sigma ** 2 + factor_sd ** 2)
            pred = x * np.exp(sigma * rng.standard_normal(x.size))
            pred = pred[np.isfinite(pred)]
            q05, q25, q50, q75, q95 = np.percentile(pred, [5, 25, 50, 75, 95])
            pit = float(np.mean(pred < obs.value) + 0.5 * np.mean(pred == obs.value))
            naive = naive_forecast(spec["series"], region, period, sc.base_year, obs.year, pred.size, rng, factor)
            if naive is not None:
                naive = naive * np.exp(obs.log_sigma * rng.standard_normal(naive.size))
            naive_crps = _crps_log(obs.value, naive) if naive is not None else float("nan")
            naive_median = float(np.median(naive)) if naive is not None else float("nan")
            scores.append(Score(spec["series"], spec["indicator"], scope, obs.year, period, obs.value,
                                sigma, float(q50), float(q05), float(q25), float(q75), float(q95), pit,
                                bool(q25 <= obs.value <= q75), bool(q05 <= obs.value <= q95),
                                _crps_log(obs.value, pred), naive_crps, naive_median,
                                ";".join(obs.sources), obs.note))
    unscored = [(u["series"], u["reason"]) for u in bt.get("unscored", [])]
    brier = _brier(results, sc)
    return BacktestResult(sc, results.runs, seed, scores, unscored, brier, values, times)  # type: ignore[attr-defined]


def _brier(results: object, sc: Scenario) -> list[dict]:
    """Brier score of each modelled `level` target of the back-test file that resolves in its window: the
    target's indicator and scope are scored under `observe`, and history holds the value at its date (the
    outcome is the observed value against the threshold)."""
    from sim.measure.targets import COMPARE

    bt = sc.raw["backtest"]
    rows = {r["target_id"]: r for r in results.summary()}  # type: ignore[attr-defined]
    out = []
    for t in sc.targets:
        if not t.modelled or t.kind != "level" or t.month != 12:
            continue
        spec = next((o for o in bt["observe"] if o["indicator"] == t.indicator
                     and o.get("scope", "zones") == t.scope), None)
        if spec is None:
            continue
        obs = [o for o in history.observed(spec["series"], bt["region"], until=min(t.year, history.CUTOFF[
            bt["region"]]), since=t.year, period=spec.get("period", "year"))]
        if not obs:
            continue
        outcome = bool(COMPARE[t.comparison](obs[0].value / float(spec.get("factor", 1.0)), t.threshold))
        p = rows[t.id]["p_hit"]
        out.append({"target_id": t.id, "year": t.year, "p_hit": p, "observed": obs[0].value,
                    "outcome": outcome, "brier": (p - float(outcome)) ** 2})
    return out


def figure(x: float) -> str:
    """An observed or simulated value as the back-test tables write it: whole with thousands separators from
    1,000 up (25,260, never 2.526e+04), 4 significant digits below (in exponent form only under 0.001, which
    no back-tested series reaches); — for a missing value."""
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.4g}"


#: Below this many runs a back-test's band edges (5% and 95% points) move visibly from seed to seed.
FEW_RUNS = 200


def format_table(result: BacktestResult) -> str:
    """The scores as a terminal table, then the coverage summary and the gate."""
    lines = [f"{'series':28} {'year':>4} {'observed':>12} {'median [5%, 95%]':>34} {'PIT':>5} "
             f"{'90%':>4} {'CRPS':>6} {'naive':>6}"]
    for s in result.scores:
        band = f"{figure(s.median)} [{figure(s.p05)}, {figure(s.p95)}]"
        naive = "—" if math.isnan(s.crps_naive) else f"{s.crps_naive:.3f}"
        lines.append(f"{s.series[:28]:28} {s.year:>4} {figure(s.observed):>12} {band:>34} {s.pit:>5.2f} "
                     f"{'yes' if s.in90 else 'NO':>4} {s.crps:>6.3f} {naive:>6}")
    sm = result.summary()
    ok, why = gate(result.scores)
    lines += ["", "PIT: the observed value's percentile among the runs; 90%: inside the 5–95% band; CRPS: the "
              "model's log-CRPS, lower is better; naive: the naive forecaster's (— where the series has no history "
              "before the base year)",
              "", f"{sm['observations']} observed values, {result.runs} runs, seed {result.seed}: {sm['in90']} in "
              f"their 90% band, {sm['in50']} in their 50% band, {sm['pit_outside']} with a PIT outside 10–90%; "
              f"mean log-CRPS {sm['mean_crps']:.3f}; over the {sm['compared']} values with history before the "
              f"base year {sm['mean_crps_compared']:.3f} against the naive forecaster's {sm['mean_crps_naive']:.3f} "
              f"(skill {sm['skill']:+.2f})",
              f"gate: {'PASS' if ok else 'FAIL'}" + ("" if ok else " — " + "; ".join(why)),
              "the gate, the naive forecaster and each series' bridge to the model: docs/backtest.md; what the "
              "model cannot produce: docs/model.md, sections 9 and 12"]
    lines += [f"outside the 90% band: {s.series} {s.year} — the history's note: {s.note}" for s in result.scores
              if not s.in90 and s.note]
    if result.runs < FEW_RUNS:
        lines.append(f"note: with {result.runs} runs the 5% and 95% points are rough; the documented back-tests "
                     "use 500")
    if result.unscored:
        lines.append("not scored: " + "; ".join(f"{s} ({r})" for s, r in result.unscored))
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines)


# --- what the back-tests say about a plan's probabilities ------------------------------------------------------

#: P(hit) below this or above 1 − it is a strong claim: the table flags it when the back-tests do not support
#: the indicator (documented in docs/backtest.md).
STRONG = 0.02
COVERAGE_COLUMNS = ("scenario_id", "scenario_sha256", "region", "indicator", "scope", "observations", "in90",
                    "pit_outside")


@dataclass(frozen=True)
class Coverage:
    """How well the back-tests covered an indicator: observations scored, and how many fell in their 90% band."""

    indicator: str
    scope: str
    observations: int
    in90: int
    pit_outside: int
    regions: tuple[str, ...]

    @property
    def status(self) -> str:
        """'supported' (every observation in its 90% band), 'poor' (some outside) or 'untested'."""
        if self.observations == 0:
            return "untested"
        return "supported" if self.in90 == self.observations else "poor"


def coverage_rows(result: BacktestResult) -> list[dict]:
    """One row per (indicator, scope) of a back-test: what `sim/data/backtest_coverage.csv` records."""
    rows: dict[tuple[str, str], dict] = {}
    for s in result.scores:
        key = (s.indicator, s.scope)
        row = rows.setdefault(key, {"scenario_id": result.scenario.id, "scenario_sha256": result.scenario.sha256,
                                    "region": result.scenario.raw["backtest"]["region"], "indicator": s.indicator,
                                    "scope": s.scope, "observations": 0, "in90": 0, "pit_outside": 0})
        row["observations"] += 1
        row["in90"] += int(s.in90)
        row["pit_outside"] += int(s.pit_outside)
    return list(rows.values())


@functools.cache
def coverage_table() -> tuple[dict, ...]:
    """The rows of sim/data/backtest_coverage.csv (written by experiments/run_backtests.py); empty if absent."""
    try:
        text = resources.files("sim").joinpath("data/backtest_coverage.csv").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return ()
    return tuple(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def coverage(indicator: str, scope: str = "zones") -> Coverage:
    """The back-tests' coverage of an indicator, over every back-test region (scope: zones or region)."""
    rows = [r for r in coverage_table() if r["indicator"] == indicator and r["scope"] == scope]
    return Coverage(indicator, scope, sum(int(r["observations"]) for r in rows), sum(int(r["in90"]) for r in rows),
                    sum(int(r["pit_outside"]) for r in rows), tuple(sorted({r["region"] for r in rows})))


def caution(indicator: str, scope: str, p_hit: float) -> tuple[str, str]:
    """(back-test status of the indicator, caution text or ''): a P(hit) below STRONG or above 1 − STRONG is
    stronger than the back-tests support when the indicator was never back-tested or some of its back-tested
    values fell outside their 90% band."""
    cov = coverage(indicator, scope)
    if p_hit != p_hit or STRONG <= p_hit <= 1 - STRONG or cov.status == "supported":  # NaN-safe
        return cov.status, ""
    what = "never back-tested" if cov.status == "untested" else \
        f"{cov.observations - cov.in90} of {cov.observations} back-tested values outside their 90% band"
    bound = f"below {STRONG:.0%}" if p_hit < STRONG else f"above {1 - STRONG:.0%}"
    return cov.status, f"P(hit) {bound} is stronger than the back-tests support ({indicator}: {what})"
