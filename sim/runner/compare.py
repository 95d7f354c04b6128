"""Compare policy levers: run every variant of an experiment with the same seed, then pair the runs.

Run k of every variant draws the same random numbers for the same agents and events (`sim.model.rng`), so the
difference in P(hit) between a variant and the base is estimated from paired runs: its interval (Newcombe's
paired score interval, `sim.measure.stats.newcombe_difference`) is much narrower than with independent seeds. Fiscal
cost is the sum of every lever's payments over the plan period, per run.

This module computes the statistics only; `sim.report.compare_files` writes them (compare.csv,
cost_effectiveness.csv, lever_costs.csv, plots) and lays out the terminal table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.input.experiment import Experiment, Variant
from sim.measure.stats import newcombe_difference, wilson
from sim.runner.montecarlo import Results, run_scenario
from sim.version import __version__


@dataclass
class Comparison:
    """Every variant's runs, by variant id, and the pairwise statistics against the base."""

    experiment: Experiment
    results: dict[str, Results] = field(default_factory=dict)
    wall_seconds: float = 0.0

    @property
    def runs(self) -> int:
        return self.results[self.experiment.base_id].runs

    def hits(self, variant_id: str) -> np.ndarray:
        """(runs, targets + 1) hits of the modelled targets, then ALL, in run order."""
        res = self.results[variant_id]
        modelled = [j for j, t in enumerate(res.scenario.targets) if t.modelled]
        return np.column_stack([res.target_hits[:, modelled], res.all_hit()])

    def target_ids(self) -> list[str]:
        sc = self.experiment.base.scenario
        return [t.id for t in sc.targets if t.modelled] + ["ALL"]

    def cost(self, variant_id: str) -> np.ndarray:
        """(runs,) total fiscal cost of every lever over the plan period, RMB."""
        return self.results[variant_id].lever_costs.sum(axis=(1, 2))

    def indicator_at_end(self, variant_id: str) -> np.ndarray:
        return self.results[variant_id].indicator(self.experiment.indicator)[:, -1]

    def rows(self) -> list[dict]:
        """compare.csv: each variant × target (and ALL), P(hit) and the paired difference against the base, with
        the counts they are computed from: hits and runs, and the runs the variant hits and the base misses
        (`gained`) or the other way round (`lost`)."""
        base_id = self.experiment.base_id
        base_hits = self.hits(base_id)
        out = []
        for v in self.experiment.variants:
            hits, cost = self.hits(v.id), self.cost(v.id)
            lo, hi = wilson(hits.sum(axis=0), hits.shape[0])
            for j, tid in enumerate(self.target_ids()):
                delta, d_lo, d_hi = newcombe_difference(hits[:, j], base_hits[:, j], paired=True)
                out.append({"variant": v.id, "target_id": tid, "p_hit": float(hits[:, j].mean()),
                            "p_hit_low": float(lo[j]), "p_hit_high": float(hi[j]), "delta": delta,
                            "delta_low": d_lo, "delta_high": d_hi, "hits": int(hits[:, j].sum()),
                            "runs": int(hits.shape[0]), "gained": int(np.sum(hits[:, j] & ~base_hits[:, j])),
                            "lost": int(np.sum(~hits[:, j] & base_hits[:, j])), "cost_mean": float(cost.mean()),
                            "cost_p05": float(np.percentile(cost, 5)), "cost_p95": float(np.percentile(cost, 95))})
        return out

    def effect_rows(self) -> list[dict]:
        """Cost-effectiveness against the base: extra cost per +1 point of P(hit) and per additional unit of
        the experiment's indicator (e.g. per additional HTE), from paired means. Each is NaN unless the variant
        gains (Δ > 0): a cost per point lost, or money saved per point lost, is not a cost-effectiveness figure. A
        negative one is a variant cheaper than the base that gains."""
        base_id = self.experiment.base_id
        base_hits, base_cost = self.hits(base_id), self.cost(base_id)
        base_ind = self.indicator_at_end(base_id)
        out = []
        for v in self.experiment.variants:
            if v.id == base_id:
                continue
            d_cost = float((self.cost(v.id) - base_cost).mean())
            d_ind = float(np.nanmean(self.indicator_at_end(v.id) - base_ind))
            hits = self.hits(v.id)
            for j, tid in enumerate(self.target_ids()):
                points = float((hits[:, j].mean() - base_hits[:, j].mean()) * 100.0)
                out.append({"variant": v.id, "target_id": tid, "delta_points": points, "delta_cost_mean": d_cost,
                            "cost_per_point": _per_gain(d_cost, points), "indicator": self.experiment.indicator,
                            "delta_indicator": d_ind, "cost_per_unit": _per_gain(d_cost, d_ind)})
        return out

    def lever_cost_rows(self) -> list[dict]:
        """Each variant's cost per lever and calendar year (RMB over runs), with the lever's yearly cap: the
        ledger never pays more than the cap, so `cost_max` ≤ `budget_per_year`."""
        out = []
        for v in self.experiment.variants:
            res = self.results[v.id]
            costs = res.lever_costs  # (runs, years, levers)
            for li, lever in enumerate(v.scenario.policies):
                for y in range(costs.shape[1]):
                    c = costs[:, y, li]
                    out.append({"variant": v.id, "lever": lever.id, "kind": lever.kind,
                                "year": v.scenario.base_year + 1 + y, "budget_per_year": lever.budget_per_year,
                                "cost_mean": float(c.mean()), "cost_p05": float(np.percentile(c, 5)),
                                "cost_p95": float(np.percentile(c, 95)), "cost_max": float(c.max())})
        return out

    def best_per_yuan(self) -> dict[str, tuple[str, float]]:
        """For each target, the variant that buys the most P(hit) per yuan over the base (`best_per_yuan`)."""
        rows = {(r["variant"], r["target_id"]): r for r in self.rows()}
        return best_per_yuan([(e["variant"], e["target_id"], rows[(e["variant"], e["target_id"])]["delta_low"],
                               e["delta_points"], e["delta_cost_mean"]) for e in self.effect_rows()])

    def best_per_yuan_text(self, digits: int = 2) -> list[tuple[str, str, str, str]]:
        """(target, variant id, variant name, how much) of `best_per_yuan`, in target order, for reports: "1.23
        points per 100 万元 (+4.5 points for 366 万元 more)", "cheaper than the base by 120 万元, and +4.5
        points", or "at no extra cost, +4.5 points". Money in 万元 (10,000 RMB). On a target whose indicator
        counts the levers' own payments (`LEVER_SPENDING_INDICATORS`) it adds that a lever moves it by spending."""
        from sim.measure.indicators import LEVER_SPENDING_INDICATORS

        names = {v.id: v.name for v in self.experiment.variants}
        spending = {t.id for t in self.experiment.base.scenario.targets
                    if t.indicator in LEVER_SPENDING_INDICATORS}
        effects = {(e["variant"], e["target_id"]): e for e in self.effect_rows()}
        best = self.best_per_yuan()
        out = []
        for tid in self.target_ids():
            if tid not in best:
                continue
            vid, value = best[tid]
            e = effects[(vid, tid)]
            wan, points = e["delta_cost_mean"] / 1e4, e["delta_points"]
            if np.isinf(value) and wan < -0.5e-4:  # saves at least a yuan
                what = f"cheaper than the base by {wan_text(-wan)} 万元, and {points:+.1f} points"
            elif np.isinf(value):
                what = f"at no extra cost, {points:+.1f} points"
            else:
                what = f"{value:.{digits}f} points per 100 万元 ({points:+.1f} points for {wan_text(wan)} 万元 more)"
            if tid in spending:
                what += ("; the levers' own payments count in this target's indicator, so a lever moves it by its "
                         "spending and that spending's timing, not only through the zones")
            out.append((tid, vid, names[vid], what))
        return out


def best_per_yuan(effects: list[tuple[str, str, float, float, float]]) -> dict[str, tuple[str, float]]:
    """For each target, the variant that buys the most P(hit) per yuan over the base (points per million RMB,
    i.e. per 100 万元, of extra cost), from (variant, target, lower end of the paired 95% interval of Δ P(hit),
    Δ in points, mean extra cost in RMB) of every variant but the base. Only a variant that raises P(hit) is ever
    proposed: its interval of Δ must lie above 0 (a variant that lowers P(hit), or may not raise it, never is). A
    variant that raises P(hit) and costs no more than the base (or less) wins outright (value infinite); among
    several such, the larger rise, then the cheaper. Used on a `Comparison` and on compare.csv read back."""
    best: dict[str, tuple[str, float]] = {}
    rank: dict[str, tuple[float, float, float]] = {}
    for variant, target, delta_low, points, cost in effects:
        if not (delta_low > 0 and points > 0):  # NaN fails too
            continue
        value = np.inf if cost <= 0 else points / (cost / 1e6)
        key = (float(value), points, -cost)
        if target not in rank or key > rank[target]:
            rank[target] = key
            best[target] = (variant, float(value))
    return best


def wan_text(wan: float) -> str:
    """An amount of 万元 for a sentence: whole from 10 万元 up (12,284), else to two decimals (0.35)."""
    return f"{wan:,.0f}" if abs(wan) >= 10 else f"{wan:,.2f}"


def _per_gain(cost: float, gain: float) -> float:
    """Cost per unit of gain, NaN unless there is a gain (> 0; NaN fails too)."""
    return cost / gain if gain > 1e-12 else float("nan")


def run_experiment(experiment: Experiment, runs: int | None = None, seed: int | None = None,
                   workers: int | None = None, batch_size: int | None = None, progress: bool = False,
                   variants: list[Variant] | None = None, checkpoint: str | Path | None = None,
                   resume: bool = False, notes: Callable[[str], None] | None = None, client: Any = None,
                   store: str | Path | None = None) -> Comparison:
    """Run every variant (the base first) with the same seed and the same runs; nothing else differs.
    checkpoint: a folder where each variant's finished batches are kept (`<folder>/<variant id>/`), so that an
    interrupted comparison can be resumed (variants already finished are then only loaded). client, store: run
    on a Dask cluster (`sim.runner.montecarlo.run_scenario`), every variant in one sweep of the store
    (`<store>/<sweep>/variant=<id>/`) named by the experiment's identity; `resume` then loads the partitions
    already there."""
    import time

    t0 = time.perf_counter()
    comparison = Comparison(experiment)
    n = runs or experiment.runs
    s = experiment.seed if seed is None else seed
    todo = variants or sorted(experiment.variants, key=lambda v: v.id != experiment.base_id)
    sweep = {"experiment_id": experiment.id, "experiment_sha256": experiment.sha256,
             "scenario_sha256": experiment.base.scenario.sha256, "seed": s, "runs": n, "version": __version__}
    for i, v in enumerate(todo, start=1):
        folder = None if checkpoint is None else Path(checkpoint) / v.id
        again = resume and (client is not None or (folder is not None and (folder / "state.json").is_file()))
        res = run_scenario(v.scenario, runs=n, seed=s, workers=workers, batch_size=batch_size, progress=progress,
                           checkpoint=folder, resume=again, notes=notes, label=f"variant {i}/{len(todo)}: {v.id}",
                           client=client, store=store, sweep=(sweep, v.id))
        for part in res.parts:  # per-zone values are not needed here: keep memory flat over many variants
            part.zone_values = part.zone_values[:, :0]
        comparison.results[v.id] = res
    comparison.wall_seconds = time.perf_counter() - t0
    return comparison


def independent_difference(experiment: Experiment, variant_id: str, runs: int, seed: int, base: Results,
                           workers: int | None = None) -> dict[str, tuple[float, float, float]]:
    """The same difference estimated without common random numbers: the variant run on another seed than the
    base's `Results`, unpaired Newcombe interval. For measuring the variance reduction of pairing."""
    a = run_scenario(experiment.variant(variant_id).scenario, runs=runs, seed=seed, workers=workers)
    ids = [t.id for t in a.scenario.targets if t.modelled] + ["ALL"]

    def hits(res: Results) -> np.ndarray:
        modelled = [j for j, t in enumerate(res.scenario.targets) if t.modelled]
        return np.column_stack([res.target_hits[:, modelled], res.all_hit()])

    ha, hb = hits(a), hits(base)
    return {tid: newcombe_difference(ha[:, j], hb[:, j], paired=False) for j, tid in enumerate(ids)}
