"""Run every back-test (scenarios/hindcast/*.yaml) and write docs/backtest.md and sim/data/backtest_coverage.csv.

docs/backtest.md: per back-test, each observed value with its PIT, 50/90% band, log-CRPS and the naive
forecaster's, the coverage summary and the gate; then each calibration posterior of scenarios/posteriors/
(parameters against their priors, the tolerance reached, the hold-out check). sim/data/backtest_coverage.csv:
per back-tested indicator, how many values fell in their 90% band — what run tables use to flag probabilities
stronger than the back-tests support (sim.measure.backtest.caution).

Usage: python experiments/run_backtests.py [--runs 500] [--seed 0] [--workers N]
Nothing here is typed by hand: rerun it after any change to the model, a back-test file or a posterior.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "backtest.md"
FIGURES = ROOT / "docs" / "figures"
COVERAGE = ROOT / "sim" / "data" / "backtest_coverage.csv"
#: Fan charts copied into docs/ for each back-test (the others stay in the results folders).
KEY_SERIES = ("hte_stock", "zone_output", "tech_contracts", "zones_total")


def backtest_section(result, out: Path) -> list[str]:
    from sim.measure.backtest import PIT_BAND, figure, gate

    sc = result.scenario
    sm = result.summary()
    ok, why = gate(result.scores)
    post = sc.posterior
    lines = [f"### {sc.name} — `{Path(sc.path).relative_to(ROOT)}`", "",
             f"Base year {sc.base_year}, simulated to {sc.end_year}; {result.runs} runs, seed {result.seed}. "
             f"Parameters: " + (f"posterior `{Path(post.path).name}` (vintage {post.vintage}, {post.region}) for the "
                                f"{len(post.names)} it estimates, priors for the rest" if post else "the priors")
             + ". Every input has a vintage up to the base year.", "", f"*{sc.raw['backtest'].get('note', '')}*", "",
             "| series | year | observed | model median [5%, 95%] | PIT | in 50% | in 90% | log-CRPS | naive |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s in result.scores:
        flag = "" if PIT_BAND[0] <= s.pit <= PIT_BAND[1] else " ⚠"
        lines.append(f"| {s.series} | {s.year} | {figure(s.observed)} | {figure(s.median)} [{figure(s.p05)}, "
                     f"{figure(s.p95)}] | {s.pit:.2f}{flag} | {'yes' if s.in50 else 'no'} | "
                     f"{'yes' if s.in90 else '**no**'} | {s.crps:.3f} | {figure(s.crps_naive)} |")
    lines += ["", f"**{sm['observations']} values: {sm['in90']} in their 90% band, {sm['in50']} in their 50% band, "
              f"{sm['pit_outside']} with a PIT outside 10–90%; mean log-CRPS {sm['mean_crps']:.3f}; over the "
              f"{sm['compared']} values whose series has history before the base year (— where it has none: no "
              f"naive forecast), {sm['mean_crps_compared']:.3f} against the naive forecaster's "
              f"{sm['mean_crps_naive']:.3f} (skill {sm['skill']:+.2f}). Gate: "
              + ("PASS" if ok else "FAIL — " + "; ".join(why)) + ".**", ""]
    missed = [s for s in result.scores if not s.in90 and s.note]
    if missed:  # the history's note on each value that missed its band: often part of the reason
        lines += ["Outside the 90% band, with the history's note on the value (docs/history.md): "
                  + "; ".join(f"`{s.series}` {s.year}: {s.note}" for s in missed) + ".", ""]
    if result.unscored:
        lines += ["Not scored: " + "; ".join(f"`{s}` ({r})" for s, r in result.unscored) + ".", ""]
    if result.warnings:  # the scenario's and the base-year calibration's, as `zonesim hindcast` printed them
        lines += ["Warnings of this run: " + " ".join(f"({i}) {w}" for i, w in enumerate(result.warnings, 1)), ""]
    if result.brier:
        lines += ["Targets resolved in the window: " + "; ".join(
            f"`{b['target_id']}` P = {b['p_hit']:.2f}, outcome {'hit' if b['outcome'] else 'missed'}, Brier "
            f"{b['brier']:.3f}" for b in result.brier) + ".", ""]
    else:
        lines += ["No plan target of this region resolves in the window, so no Brier score is computed.", ""]
    for series in KEY_SERIES:
        png = out / f"backtest_{series}.png"
        if png.is_file():
            name = f"backtest_{sc.id}_{series}.png"
            FIGURES.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, FIGURES / name)
            lines += [f"![{series}, {sc.id}](figures/{name})", ""]
    return lines


def posterior_section(path: Path, used_by: dict[str, list[str]]) -> list[str]:
    """One posterior: its fit, parameters against their priors, and its hold-out check — or, without one, what
    checks it out of sample instead (`used_by`: posterior file name → the back-tests that run on it)."""
    from sim.input.scenario import default_priors
    from sim.measure.backtest import figure
    from sim.runner.calibrate import kish_ess

    data = json.loads(path.read_text(encoding="utf-8"))
    priors = default_priors()
    w = np.asarray(data["weights"], dtype=float)
    ess = kish_ess(w)
    took = (f"in {data['seconds']:.0f} s on 2 cores" if data["seconds"] >= 1 else
            "(its fit time was not recorded: the file was written from a resumed calibration)")
    few = (f" **Only {ess:.0f} effective particles** (Kish) of {len(w)}: one weighted particle can dominate, so the "
           f"5–95% ranges below are rough and parameter uncertainty is represented coarsely." if ess < 50 else
           f" Effective sample size {ess:.0f} of {len(w)} particles (Kish).")
    lines = [f"### `{path.name}` — {data['region']}, vintage {data['vintage']}", "",
             f"{data['method']}. Fitted to {len(data['history'])} observations of `{data['scenario']}` up to "
             f"{data['vintage']} {took} (seed {data['seed']}).{few}", "",
             "| parameter | prior | posterior median | 5% | 95% | note |", "|---|---|---|---|---|---|"]
    for name, q in data["summary"].items():
        lo, hi = priors[name].quantiles(0.0, 1.0)
        span = hi - lo
        note = ""
        # a uniform prior's own 5% and 95% quantiles sit 5% from its bounds: a posterior presses against a bound
        # only when its mass gathers there (its median in the outer quarter of the prior's range)
        if math.isfinite(span) and span > 0:
            if q["p95"] > hi - 0.05 * span and q["median"] > hi - 0.25 * span:
                note = "presses against the prior's upper bound"
            elif q["p05"] < lo + 0.05 * span and q["median"] < lo + 0.25 * span:
                note = "presses against the prior's lower bound"
        lines.append(f"| `{name}` | {data['priors'][name]} | {q['median']:.4g} | {q['p05']:.4g} | {q['p95']:.4g} | "
                     f"{note} |")
    hold = data.get("holdout") or []
    if hold:
        n90 = sum(h["in90"] for h in hold)
        lines += ["", f"Hold-out check: fitted to every observation but those of {hold[0]['year']}, which were then "
                  f"predicted: {n90} of {len(hold)} in their 90% posterior predictive band.", "",
                  "| held-out series | year | observed | predicted median [5%, 95%] | PIT | log-CRPS |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {h['series']} | {h['year']} | {figure(h['observed'])} | {figure(h['median'])} "
                  f"[{figure(h['p05'])}, {figure(h['p95'])}] | {h['pit']:.2f} | {h['crps']:.3f} |" for h in hold]
    else:
        years = sorted({h.get("year") for h in data.get("history") or [] if isinstance(h, dict)} - {None})
        users = used_by.get(path.name, [])
        earlier = [p.name for p in path.parent.glob("*.json") if p != path
                   and (d := json.loads(p.read_text(encoding="utf-8"))).get("scenario") == data["scenario"]
                   and d.get("vintage") == data["vintage"] - 1]
        if len(years) < 2:
            why = "a single observed year"
        elif users:
            why = ("calibrated with --no-holdout, to keep the calibration within the session's compute; its "
                   "out-of-sample check is the back-test that runs on it: " + ", ".join(f"`{u}`" for u in users))
        else:
            why = ("calibrated with --no-holdout, and no back-test runs on it: its vintage is its history's last "
                   "year, so nothing later can score it" + (
                       f"; the same fit one year earlier, `{earlier[0]}`, is the nearest out-of-sample check "
                       f"(back-tests: {', '.join(f'`{u}`' for u in used_by.get(earlier[0], [])) or 'none'})"
                       if earlier else ""))
        lines += ["", f"No hold-out check ({why})."]
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--out", default=str(ROOT / "results" / "backtests"))
    args = ap.parse_args(argv)

    from sim.measure import backtest
    from sim.pipeline import hindcast_to_folder, load_all
    from sim.version import __version__

    scenarios, problems = load_all([str(ROOT / "scenarios" / "hindcast")])
    if problems:
        for err, path in problems:
            print(f"{path}:\n{err}", file=sys.stderr)
        return 2
    lines = ["# Back-tests and calibration", "",
             "<!-- Written by experiments/run_backtests.py; do not edit by hand. -->", "",
             "Each back-test rebuilds a region at an earlier base year from what was known then, simulates it to "
             "the last year of its history and scores every observed value in between (section 12 of "
             "[model.md](model.md)). A value's predictive distribution is the model's value times the file's "
             "`factor`, with the observation's own error added; the naive forecaster carries the last pre-base "
             "growth rate forward with its historical spread, for the series that have history before the base "
             "year (the others, — in the tables, have no naive forecast and are left out of the comparison). "
             "⚠ marks a PIT outside 10–90%.", "",
             "**How run tables use this.** A plan's P(hit) below 2% or above 98% is flagged (†, and the `caution` "
             "column of summary.csv) as stronger than the back-tests support when its indicator was never "
             "back-tested, or when some of its back-tested values fell outside their 90% band: a probability "
             "that extreme rests on the model being right about that indicator, which the back-tests do not "
             "show.", ""]
    coverage: list[dict] = []
    summaries = []
    for sc in scenarios:
        out = Path(args.out) / f"{sc.id}-{args.seed}"
        print(f"back-test {sc.id}: {args.runs} runs", file=sys.stderr)
        outcome = hindcast_to_folder(sc, out, runs=args.runs, seed=args.seed, workers=args.workers, force=True)
        result = outcome.results
        lines += ["## " + sc.name, ""] + backtest_section(result, out)
        coverage += backtest.coverage_rows(result)
        summaries.append(result.summary())
    lines += ["## Summary", "", "| back-test | values | in 90% band | in 50% band | PIT outside 10–90% | mean log-CRPS "
              "| values with a naive forecast | their mean log-CRPS | naive | skill | gate |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {s['scenario_id']} | {s['observations']} | {s['in90']} | {s['in50']} | {s['pit_outside']} | "
              f"{s['mean_crps']:.3f} | {s['compared']} | {s['mean_crps_compared']:.3f} | {s['mean_crps_naive']:.3f} | "
              f"{s['skill']:+.2f} | {'PASS' if s['gate'] else 'FAIL'} |" for s in summaries]
    lines += ["", "## Calibration posteriors", "",
              "Each plan draws its behavioural parameters from one of these (its `calibration:` key); the "
              "back-tests above use only posteriors whose vintage is not after their base year.", ""]
    used_by: dict[str, list[str]] = {}
    for sc in scenarios:
        if sc.posterior is not None:
            used_by.setdefault(Path(sc.posterior.path).name, []).append(sc.id)
    for path in sorted((ROOT / "scenarios" / "posteriors").glob("*.json")):
        lines += posterior_section(path, used_by)
    lines += ["", f"Generated with zonesim {__version__}, {args.runs} runs per back-test, seed {args.seed}."]
    DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(COVERAGE, "w", encoding="utf-8", newline="") as fh:
        fh.write(f"# written by experiments/run_backtests.py (zonesim {__version__}, {args.runs} runs, seed "
                 f"{args.seed}); one row per back-test and indicator\n")
        w = csv.DictWriter(fh, fieldnames=backtest.COVERAGE_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(coverage)
    print(f"wrote {DOC} and {COVERAGE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from sim.cli import run_script

    run_script(main)  # SIGTERM unwinds like Ctrl-C: results folders release their locks
