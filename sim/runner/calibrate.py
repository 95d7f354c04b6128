"""Calibration: a posterior of behavioural parameters from a region's history, by ABC-SMC (pyabc).

The data are a back-test scenario's observations (`sim.measure.backtest`, `sim.input.history`) up to a cut-off year. The
parameters named in its `backtest.calibrate` list (or on the command line) get their priors from the scenario
(`sim/data/priors.yaml` and its overrides); everything else keeps its prior and is drawn afresh in every
simulation, so the posterior integrates over it.

Why ABC-SMC: the model has no likelihood one could write down, but it can be simulated. pyabc's sequential
Monte Carlo keeps a population of parameter sets (particles), simulates one run for each candidate, accepts it
when its distance to the data is below a tolerance ε that shrinks from generation to generation (the median of
the last generation's distances), and reweights the particles by prior over proposal density. The result is
the ABC posterior at the ε of the last generation whose weights keep an effective sample size of at least 10% of
the particles (`MIN_ESS_SHARE`; later generations whose weight collapsed onto a few particles are recorded, not
used): the prior conditioned on the simulated log values lying within ε of the observed ones, in the distance

    d = sqrt( Σ_i ((log model_i × factor_i − log observed_i) / σ_i)² ),

with σ_i the observation's error on the log scale (sources' flags, disagreement, the factor's uncertainty,
`sim.input.history`). It approximates the Bayesian posterior as ε → 0; the file records ε.

Reproducible and parallel: each candidate of generation t is drawn from its own seed (calibration seed, t,
candidate index) and the candidates are mapped over worker processes in order, so the same seed gives the same
posterior whatever the number of workers. Resumable: pyabc keeps every generation in an SQLite database in
the output folder (numbers stored with NumPy's `allow_pickle=False`); `resume` continues from the last one.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import multiprocessing as mp
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyabc

from sim.errors import STOP, Interrupted, Problem, ScenarioError
from sim.input import history
from sim.input.scenario import Scenario
from sim.runner.montecarlo import worker_init


@dataclass(frozen=True)
class Datum:
    """One observation the calibration fits: how to measure it in the model, and its value and error."""

    key: str
    series: str
    indicator: str
    scope: str
    year: int
    factor: float
    log_observed: float
    sigma: float


def data_of(scenario: Scenario, until: int) -> list[Datum]:
    """The back-test scenario's observations from the year after its base year up to `until`, of the series it
    fits (not those marked `fit: false`: scored by the back-test, but driven by no calibrated parameter)."""
    bt = scenario.raw["backtest"]
    out = []
    for spec in bt["observe"]:
        if spec.get("fit") is False:
            continue
        period = spec.get("period", "year")
        for obs in history.observed(spec["series"], bt["region"], until=until, since=scenario.base_year + 1,
                                    period=period):
            if obs.year > scenario.end_year:
                continue
            sigma = math.sqrt(obs.log_sigma ** 2 + float(spec.get("factor_sd", 0.0)) ** 2)
            out.append(Datum(f"{spec['series']}_{obs.year}", spec["series"], spec["indicator"],
                             spec.get("scope", "zones"), obs.year, float(spec.get("factor", 1.0)),
                             math.log(obs.value), sigma))
    return out


def simulate(scenario: Scenario, data: list[Datum], params: dict[str, float], seed: int) -> dict[str, float]:
    """One run of the scenario with `params` fixed: the log of each datum's model value (× its factor)."""
    from sim.measure.indicators import ZONE_COUNT_INDICATORS
    from sim.measure.targets import indicator_series
    from sim.model.engine import BatchSim

    sc = scenario.with_parameters(params)
    sim = BatchSim(sc, seed, np.array([0]), check_invariants=False)
    result = sim.run()
    year_end = {y: i for i, (y, mo, _) in enumerate(sim.times) if mo == 12}
    out = {}
    for d in data:
        scope = "zones" if d.indicator in ZONE_COUNT_INDICATORS else d.scope
        value = indicator_series(d.indicator, result.snapshots, result.zone_levels, scope)[0, year_end[d.year]]
        out[d.key] = math.log(max(float(value) * d.factor, 1e-9)) if np.isfinite(value) else -20.0
    sim.release()  # its agents go now, not at the next full collection (sim.model.engine.run_batch)
    return out


def distance(x: dict[str, float], x0: dict[str, float], sigma: dict[str, float]) -> float:
    """Observation-error-weighted Euclidean distance of log values (the keys of x0)."""
    return math.sqrt(sum(((x[k] - x0[k]) / sigma[k]) ** 2 for k in x0))


@contextlib.contextmanager
def _progress_from_log(say: Callable[[str], None], t0: float) -> Any:
    """pyabc reports each generation on its 'ABC' logger: pass those lines on as progress, keep the rest
    off the terminal."""

    class Relay(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage()
            if text.startswith("t: ") or text.startswith("Accepted") or text.startswith("Stop"):
                say(f"{text} ({time.perf_counter() - t0:.0f} s)")

    loggers = [logging.getLogger(name) for name in ("ABC", "ABC.Sampler", "ABC.History", "ABC.Distance",
                                                      "ABC.Epsilon", "ABC.Transition", "ABC.Predictor")]
    saved = [(lg, lg.level, lg.propagate, list(lg.handlers)) for lg in loggers]
    relay = Relay()
    for lg in loggers:
        lg.handlers = []
        lg.propagate = False
        lg.setLevel(logging.WARNING)
    loggers[0].setLevel(logging.INFO)
    loggers[0].addHandler(relay)
    try:
        yield
    finally:
        for lg, level, propagate, handlers in saved:
            lg.setLevel(level)
            lg.propagate = propagate
            lg.handlers = handlers


def _list_map(fn: Callable, items: list) -> list:
    return [fn(x) for x in items]


@contextlib.contextmanager
def _mapping(workers: int, client: Any) -> Iterator[Callable[[Callable, list], list]]:
    """`map(fn, items)`, results in the order of `items`: on a Dask cluster (`sim.runner.cluster.mapper`), over a
    pool of `workers` processes (stopped at once on an interruption or failure), or here for one worker."""
    if client is not None:
        from sim.runner.cluster import mapper

        yield mapper(client)
        return
    if workers <= 1:
        yield _list_map
        return
    ctx = mp.get_context("fork") if sys.platform.startswith("linux") else mp.get_context("spawn")
    pool = ctx.Pool(workers, initializer=worker_init, initargs=(os.getpid(),))
    try:
        yield lambda fn, items: pool.map(fn, items, chunksize=max(1, len(items) // 8))
    except BaseException:
        pool.terminate()
        raise
    pool.close()
    pool.join()


def _pyabc_prior(scenario: Scenario, names: list[str]) -> Any:
    priors = scenario.param_priors()
    rvs = {}
    for name in names:
        prior = priors[name]
        if prior.dist is None:
            raise ScenarioError([Problem(scenario.path, None, None, f"parameters.{name}", "a fixed value",
                                         "a parameter with a prior distribution to calibrate")])
        args = dict(prior.dist)
        rvs[name] = pyabc.RV(args.pop("dist"), **args)
    return pyabc.Distribution(**rvs)


_LOADED: dict[int, Any] = {}
#: Candidates seed NumPy's global generator: the threads of one process (a Dask worker's) take turns.
_CANDIDATE_LOCK = threading.Lock()


def _run_candidate(packed: bytes, item: tuple[int, int, int]) -> Any:
    """One ABC candidate in a worker: seeded by (calibration seed, generation, index), so its parameter draw
    and its simulation are the same whichever process runs it. A generation's sampling function is
    unpacked once per worker."""
    import cloudpickle

    with _CANDIDATE_LOCK:
        key = hash(packed)
        if key not in _LOADED:
            _LOADED.clear()
            _LOADED[key] = cloudpickle.loads(packed)
        simulate_one = _LOADED[key]
        np.random.seed(list(item))
        random.seed(repr(item))
        return simulate_one()


class SeededMappingSampler(pyabc.sampler.MappingSampler):
    """pyabc's MappingSampler with seeded candidates, taken in candidate order: pyabc's own samplers reseed
    workers from the system's entropy, which no seed reproduces."""

    def __init__(self, map_: Callable, seed: int, chunk: int) -> None:
        super().__init__(map_=map_, mapper_pickles=False)
        self.seed = seed
        self.chunk = chunk

    def sample_until_n_accepted(self, n: int, simulate_one: Any, t: int, *, max_eval: float = np.inf,
                                all_accepted: bool = False, ana_vars: Any = None) -> Any:  # noqa: ARG002
        import cloudpickle

        packed = cloudpickle.dumps(simulate_one)
        fn = functools.partial(_run_candidate, packed)
        sample = self._create_empty_sample()
        accepted, evals, start = 0, 0, 0
        while accepted < n and evals < max_eval:
            seeds = [(self.seed, t + 2, start + i) for i in range(self.chunk)]
            start += self.chunk
            for particle in self.map_(fn, seeds):  # in candidate order, any worker count
                if accepted >= n:
                    break  # a sequential sampler stops at the n-th acceptance: so do we
                evals += 1
                sample.append(particle)
                accepted += particle.accepted
            if STOP["signum"]:  # pyabc or multiprocessing may have swallowed the signal's exception
                raise Interrupted(STOP["signum"])
        self.nr_evaluations_ = evals
        return sample


#: The posterior is the last generation whose weighted particles keep a Kish effective sample size of at least
#: this share of the population [assumption]. ABC-SMC's importance weights can collapse onto one particle near a
#: corner of a uniform prior, where the Gaussian proposal is thin (Hunan's fit of issue 10: 86% of the weight on
#: one particle, ESS 1 of 200); such a generation is a point fit, not a posterior, so the last generation that
#: still spreads its weight is taken, at its (larger) tolerance.
MIN_ESS_SHARE = 0.1


def kish_ess(weights: np.ndarray) -> float:
    """Kish's effective sample size of weighted particles: (Σw)² / Σw²."""
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    return float(1.0 / ((w / total) ** 2).sum()) if total > 0 else 0.0  # normalised first: no underflow


def posterior_index(ess: list[float], population: int) -> int:
    """Index of the generation that makes the posterior: the last with ESS ≥ MIN_ESS_SHARE · population (the
    first generation's particles, drawn from the prior, are unweighted, so one always qualifies)."""
    ok = [t for t, e in enumerate(ess) if e >= MIN_ESS_SHARE * population]
    return ok[-1] if ok else 0


@dataclass
class Calibration:
    """A finished calibration: the posterior, its history of generations and the hold-out check."""

    scenario: Scenario
    names: list[str]
    samples: np.ndarray
    weights: np.ndarray
    until: int
    data: list[Datum]
    generations: list[dict]
    evaluations: int
    seconds: float
    holdout: list[dict] = field(default_factory=list)
    seed: int = 0

    def posterior_generation(self) -> dict:
        """The generation whose particles are the posterior (`posterior_index`): t, epsilon, simulations, ess."""
        chosen = [g for g in self.generations if g.get("posterior")]
        return chosen[0] if chosen else (self.generations[-1] if self.generations else {"t": 0, "epsilon": math.nan})

    def summary(self) -> list[tuple[str, float, float, float]]:
        out = []
        for k, name in enumerate(self.names):
            x = self.samples[:, k]
            order = np.argsort(x)
            cw = np.cumsum(self.weights[order]) / self.weights.sum()
            q = [float(x[order][min(np.searchsorted(cw, p), len(x) - 1)]) for p in (0.5, 0.05, 0.95)]
            out.append((name, q[0], q[1], q[2]))
        return out


def calibrate(scenario: Scenario, until: int, names: list[str] | None = None, population: int = 200,
              generations: int = 8, min_epsilon: float | None = None, seed: int = 0, workers: int = 1,
              db: Path | None = None, resume: bool = False, holdout: bool = True,
              progress: Callable[[str], None] | None = None, client: Any = None) -> Calibration:
    """ABC-SMC posterior of `names` (default: the scenario's `backtest.calibrate`) given its observations up
    to `until` — without the last observed year when `holdout`, which is then predicted from the posterior
    and scored. Stops after `generations` or when ε falls to `min_epsilon` (default: √(number of data),
    i.e. one observation error per datum on average). With `client` (a Dask `distributed.Client`) the candidates
    run on its cluster instead of `workers` processes: the same posterior. Raises ScenarioError for a scenario that
    cannot be calibrated (no back-test section, no data, a parameter without a prior distribution), RunAborted for
    a cluster task that fails for good."""
    if scenario.raw is None or "backtest" not in scenario.raw:
        raise ScenarioError([Problem(scenario.path, None, None, "backtest", "no section 'backtest'",
                                     "a back-test scenario (scenarios/hindcast/)")])
    names = list(names or scenario.raw["backtest"].get("calibrate", []))
    if not names:
        raise ScenarioError([Problem(scenario.path, None, None, "backtest.calibrate", "no parameter to calibrate",
                                     "a list of parameter names (sim/data/priors.yaml)")])
    unknown = [n for n in names if n not in scenario.param_priors()]
    if unknown:
        raise ScenarioError([Problem(scenario.path, None, None, "backtest.calibrate", ", ".join(unknown),
                                     "parameters of sim/data/priors.yaml")])
    all_data = data_of(scenario, until)
    years = sorted({d.year for d in all_data})
    if not all_data or (holdout and len(years) < 2):
        raise ScenarioError([Problem(scenario.path, None, None, "--until", str(until),
                                     "a year with observations after the base year" + (" in at least two years "
                                                                                       "(one is held out)" if holdout
                                                                                       else ""))])
    fit_data = [d for d in all_data if not holdout or d.year < years[-1]]
    observed = {d.key: d.log_observed for d in fit_data}
    sigma = {d.key: d.sigma for d in fit_data}
    say = progress or (lambda _text: None)
    if len(fit_data) < len(names):
        say(f"warning: {len(names)} parameters from {len(fit_data)} observed value(s): the data cannot pin them all "
            "down, so some posteriors stay close to their priors (the summary at the end compares each with its "
            "prior)")
    t0 = time.perf_counter()

    def model(params: dict) -> dict:
        return simulate(scenario, fit_data, {k: float(v) for k, v in params.items()},
                        int(np.random.randint(0, 2**31 - 1)))

    if client is not None:
        from sim.runner.cluster import threads

        workers = threads(client)
    with _mapping(workers, client) as map_:
        sampler = SeededMappingSampler(map_, seed, max(population // 2, workers))
        abc = pyabc.ABCSMC(model, _pyabc_prior(scenario, names),
                           lambda x, x0: distance(x, x0, sigma), population_size=population, sampler=sampler)
        db_url = "sqlite:///" + str(Path(db).resolve()) if db is not None else "sqlite://"
        if resume and db is not None and Path(db).is_file():
            abc.load(db_url, 1)
            say(f"resuming the calibration in {db}")
        else:
            if db is not None and Path(db).exists():
                Path(db).unlink()
            abc.new(db_url, observed)
        eps_min = min_epsilon if min_epsilon is not None else math.sqrt(len(fit_data))
        done = 0 if not resume else len(abc.history.get_all_populations()) - 1
        reached = resume and done > 0 and float(abc.history.get_all_populations()["epsilon"].iloc[-1]) <= eps_min
        if resume and (done >= generations or reached):
            hist = abc.history  # finished (every generation asked for, or the minimum ε): export it as it is
            say(f"{done} generations already in {db}: writing the posterior without running more")
        else:
            with _progress_from_log(say, t0):
                hist = abc.run(max_nr_populations=generations - max(done, 0), minimum_epsilon=eps_min)
        pops = hist.get_all_populations()
        gens = [{"t": int(r["t"]), "epsilon": float(r["epsilon"]), "simulations": int(r["samples"]),
                 "ess": round(kish_ess(hist.get_distribution(t=int(r["t"]))[1]), 1)}
                for _, r in pops.iterrows() if int(r["t"]) >= 0]
        chosen = posterior_index([g["ess"] for g in gens], population)
        for g in gens:
            g["posterior"] = g["t"] == gens[chosen]["t"]
        frame, weights = hist.get_distribution(t=gens[chosen]["t"])
        samples = frame[names].to_numpy(dtype=float)
        cal = Calibration(scenario, names, samples, np.asarray(weights, dtype=float), until, fit_data, gens,
                          int(sum(g["simulations"] for g in gens)),
                          # pyabc times each generation: a resumed fit still reports all it took
                          float(pops["wall_time"].sum()), seed=seed)
        if holdout:
            cal.holdout = predict_holdout(cal, [d for d in all_data if d.year == years[-1]], seed, map_)
    return cal


def _predict_with(scenario: Scenario, data: list[Datum], job: tuple[dict[str, float], int]) -> dict[str, float]:
    params, seed = job
    return simulate(scenario, data, params, seed)


def predict_holdout(cal: Calibration, data: list[Datum], seed: int,
                    map_: Callable[[Callable, list], list] = _list_map, n: int = 200) -> list[dict]:
    """Posterior predictive of held-out observations: n runs, each with a posterior row drawn by weight and
    the datum's observation error added; PIT, 90% band and log-CRPS of each. `map_(fn, items)` runs the
    simulations (`_mapping`), results in item order."""
    import scoringrules as sr

    rng = np.random.default_rng([seed, 99])
    rows = rng.choice(len(cal.weights), size=n, p=cal.weights / cal.weights.sum())
    jobs = [(dict(zip(cal.names, cal.samples[r], strict=True)), int(rng.integers(2**31 - 1))) for r in rows]
    sims = map_(functools.partial(_predict_with, cal.scenario, data), jobs)
    out = []
    for d in data:
        pred = np.array([s[d.key] for s in sims]) + d.sigma * rng.standard_normal(n)
        lo, med, hi = np.percentile(pred, [5, 50, 95])
        out.append({"series": d.series, "year": d.year, "observed": math.exp(d.log_observed),
                    "median": math.exp(med), "p05": math.exp(lo), "p95": math.exp(hi),
                    "pit": float(np.mean(pred < d.log_observed)), "in90": bool(lo <= d.log_observed <= hi),
                    "crps": float(sr.crps_ensemble(d.log_observed, pred))})
    return out


def write(cal: Calibration, path: Path) -> Path:
    """The posterior file (`sim.input.posterior`): samples, weights, vintage and everything needed to judge it."""
    from sim.input.posterior import write_posterior
    from sim.version import __version__

    bt = cal.scenario.raw["backtest"]
    chosen = cal.posterior_generation()
    later = len(cal.generations) - 1 - chosen["t"]
    collapsed = (f" (generation {chosen['t'] + 1}: the {later} later one{'s' if later > 1 else ''} kept an effective "
                 f"sample size under {MIN_ESS_SHARE:.0%} of the particles)") if later > 0 else \
        f" (generation {chosen['t'] + 1}, the last)"
    method = (f"ABC-SMC (pyabc {pyabc.__version__}): {len(cal.weights)} particles, {len(cal.generations)} "
              f"generations, {cal.evaluations} simulations, tolerance ε = {chosen['epsilon']:.3g}{collapsed} in the "
              "observation-error-weighted Euclidean distance of log values; an approximate posterior: the prior "
              "conditioned on simulated values within ε of the observed ones")
    return write_posterior(
        path, cal.names, cal.samples, cal.weights, cal.until, bt["region"], method,
        created_by=f"zonesim {__version__} calibrate", seed=cal.seed, scenario=cal.scenario.path,
        scenario_sha256=cal.scenario.sha256, seconds=round(cal.seconds, 1),
        history=[{"series": d.series, "year": d.year, "indicator": d.indicator, "scope": d.scope,
                  "observed": round(math.exp(d.log_observed), 6), "log_sigma": round(d.sigma, 4),
                  "factor": d.factor} for d in cal.data],
        generations=cal.generations, holdout=cal.holdout,
        summary={name: {"median": m, "p05": lo, "p95": hi} for name, m, lo, hi in cal.summary()},
        priors={name: cal.scenario.param_priors()[name].describe() for name in cal.names})
