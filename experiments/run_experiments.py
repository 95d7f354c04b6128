"""Run the policy experiments in experiments/*.yaml and write their figures into docs/experiments.md.

Usage:
    python experiments/run_experiments.py                  # every experiment, with the runs its file sets
    python experiments/run_experiments.py --runs 100       # a quick check (the doc then says 100 runs)
    python experiments/run_experiments.py guangxi_hte_award.yaml   # that experiment's section only, the
                                                                    # others kept as they are in the doc

Each experiment is run as `zonesim compare` runs it (`sim.runner.compare.run_experiment`, every variant on the same
seed) and written to results/experiments/<id>-<seed>/ (`sim.report.compare_files.write_comparison`: compare.csv,
cost_effectiveness.csv, plots). For the Guangxi award experiment the script also measures the variance reduction
of common random numbers: each variant's difference from the base estimated again without pairing, the variant
run with another seed than the base, and the widths of the two 95% intervals compared. Everything between the markers of
docs/experiments.md is written here from those numbers; the rest of the page is hand-written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.input.experiment import Experiment, load_experiment  # noqa: E402
from sim.report.compare_files import write_comparison  # noqa: E402
from sim.runner.compare import Comparison, independent_difference, run_experiment  # noqa: E402

DOC = ROOT / "docs" / "experiments.md"
BEGIN, END = "<!-- experiments:begin -->", "<!-- experiments:end -->"
VARIANCE_EXPERIMENT = "guangxi_hte_award"


def pct(x: float) -> str:
    return f"{x:.1%}"


def points(x: float) -> str:
    return f"{x * 100:+.1f}"


def money(rmb: float) -> str:
    return f"{rmb / 1e4:,.0f}"


def per(extra_cost: float, gain: float, unit: str, least: float) -> str:
    """Extra cost per unit of gain, when there is a gain worth pricing (at least `least`); a variant that
    gains while costing no more than the base is "cheaper than the base"."""
    if not np.isfinite(gain) or gain < least:
        return "—"
    if extra_cost <= 0:
        return "cheaper than the base"
    return f"{extra_cost / gain / 1e4:,.1f} 万元 {unit}"


def targets_shown(c: Comparison) -> list[str]:
    """ALL, the targets on the experiment's indicator, and every target some variant moves (Δ interval off 0)."""
    sc = c.experiment.base.scenario
    on_indicator = {t.id for t in sc.targets if t.modelled and t.indicator == c.experiment.indicator}
    moved = {r["target_id"] for r in c.rows() if r["variant"] != c.experiment.base_id
             and (r["delta_low"] > 0 or r["delta_high"] < 0)}
    return [t for t in c.target_ids() if t in on_indicator | moved] + ["ALL"]


def section(c: Comparison, out_dir: Path) -> list[str]:
    exp, base_id = c.experiment, c.experiment.base_id
    names = {v.id: v.name for v in exp.variants}
    targets = {t.id: t for t in exp.base.scenario.targets}
    rows = {(r["variant"], r["target_id"]): r for r in c.rows()}
    effects = {(e["variant"], e["target_id"]): e for e in c.effect_rows()}
    shown = targets_shown(c)
    seed = c.results[base_id].seed
    lines = [f"### `{exp.id}` — {exp.name}", "",
             f"`{Path(exp.path).resolve().relative_to(ROOT)}` on `{Path(exp.base.scenario.path).name}` · "
             f"{len(exp.variants)} variants × {c.runs:,} runs, seed {seed}, paired (common random numbers) · "
             f"{c.wall_seconds:.0f} s on 2 cores · output `{out_dir.relative_to(ROOT)}/`", ""]
    ind = exp.indicator
    lines += ["Cost is every lever's payments over the plan period (mean, 5–95% over runs). "
              f"Δ{ind}: the paired mean change of `{ind}` (zones, at the end) against the base; "
              "cost per unit: extra cost over the base per additional unit of it (when it gains at least one).", "",
              f"| variant | cost, 万元 mean [5%, 95%] | Δ{ind} | cost per unit |", "|---|---|---|---|"]
    base_ind = c.indicator_at_end(base_id)
    for v in exp.variants:
        r = rows[(v.id, "ALL")]
        d_ind = float(np.nanmean(c.indicator_at_end(v.id) - base_ind))
        unit = "—" if v.id == base_id else per(effects[(v.id, "ALL")]["delta_cost_mean"], d_ind, f"per {ind}", 1.0)
        lines.append(f"| {names[v.id]} (`{v.id}`) | {money(r['cost_mean'])} [{money(r['cost_p05'])}, "
                     f"{money(r['cost_p95'])}] | {d_ind:+.1f} | {unit} |")
    lines += ["", "P(hit) [95% Wilson] and Δ = P(hit) − P(base) in points [paired 95% Newcombe interval]; cost "
              "per point: extra cost over the base per +1 point of P(hit) (only when Δ's interval lies above 0). "
              "Targets shown: ALL, those on the experiment's indicator, and every target some variant moves.", ""]
    for tid in shown:
        if tid == "ALL":
            label = "ALL · every modelled target at once"
        else:
            t = targets[tid]
            label = f"`{tid}` {t.name} · {t.name_en} ({t.comparison} {t.threshold:g}, {t.year})"
        lines += [f"**{label}**", "", "| variant | P(hit) | Δ points | cost per point |", "|---|---|---|---|"]
        for v in exp.variants:
            r = rows[(v.id, tid)]
            p = f"{pct(r['p_hit'])} [{pct(r['p_hit_low'])}, {pct(r['p_hit_high'])}]"
            if v.id == base_id:
                lines.append(f"| {names[v.id]} | {p} | (base) | — |")
                continue
            d = f"{points(r['delta'])} [{points(r['delta_low'])}, {points(r['delta_high'])}]"
            e = effects[(v.id, tid)]
            cpp = per(e["delta_cost_mean"], e["delta_points"], "per point", 0.0) if r["delta_low"] > 0 else "—"
            lines.append(f"| {names[v.id]} | {p} | {d} | {cpp} |")
        lines.append("")
    best = c.best_per_yuan_text(digits=3)
    lines.append("Most probability per yuan (points per 100 万元 = 1M RMB of extra cost; only variants with Δ's "
                 "interval above 0):")
    lines.append("")
    lines += [f"- `{tid}`: {name} (`{vid}`), {what}" for tid, vid, name, what in best]
    if not best:
        lines.append("- none: no variant raises any target's P(hit) with an interval above 0")
    lines.append("")
    return lines


def variance_reduction(exp: Experiment, c: Comparison, runs: int) -> list[str]:
    """Paired against independent intervals, for every variant of the award experiment (targets hte and ALL)."""
    seed = c.results[exp.base_id].seed
    lines = ["### Variance reduction of common random numbers (Guangxi award experiment)", "",
             f"Each variant's difference from the base, on the same {runs:,} runs: paired (variant and base on "
             f"seed {seed}, Newcombe's paired interval) and independent (the variant on seed {seed + 1}, the base "
             f"on seed {seed}, Newcombe's interval for independent samples). Width = upper − lower bound, points.",
             "", "| variant | target | Δ paired [95%] | width paired | Δ independent [95%] | width independent | "
             "width ratio |", "|---|---|---|---|---|---|---|"]
    paired = {(r["variant"], r["target_id"]): r for r in c.rows()}
    ratios = []
    for v in exp.variants:
        if v.id == exp.base_id:
            continue
        indep = independent_difference(exp, v.id, runs, seed + 1, c.results[exp.base_id])
        for tid in ("hte", "ALL"):
            r = paired[(v.id, tid)]
            d, lo, hi = indep[tid]
            wp, wi = (r["delta_high"] - r["delta_low"]) * 100, (hi - lo) * 100
            ratio = wp / wi if wi > 0 else float("nan")
            if tid == "hte":
                ratios.append(ratio)
            lines.append(f"| {v.name} | `{tid}` | {points(r['delta'])} [{points(r['delta_low'])}, "
                         f"{points(r['delta_high'])}] | {wp:.1f} | {points(d)} [{points(lo)}, {points(hi)}] | "
                         f"{wi:.1f} | {ratio:.2f} |")
    finite = [x for x in ratios if np.isfinite(x)]
    if finite:
        lines += ["", f"On `hte` the paired interval is {np.median(finite):.2f} times the independent one (median "
                  f"over variants; range {min(finite):.2f}–{max(finite):.2f}): to be as sharp without common random "
                  f"numbers would take about {1 / np.median(finite) ** 2:.1f} times as many runs."]
    return lines + [""]


def write_doc(blocks: list[str]) -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOC.write_text(text[:start] + "\n" + "\n".join(blocks).rstrip() + "\n" + text[end:], encoding="utf-8")


def splice_doc(sections: dict[str, list[str]], header: str) -> None:
    """Replace, in the generated block, each section whose heading starts with a key of `sections` (up to the
    next `### ` heading or the block's end), and the header line; the other experiments' sections stay as they
    are. A section not yet in the block goes before the variance-reduction section."""
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    block = text[start:end]
    lines = block.split("\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("*Generated by"))
    lines[first] = header
    block = "\n".join(lines)
    for head, new in sections.items():
        body = "\n".join(new).rstrip() + "\n\n"
        at = block.find("\n" + head)
        if at < 0:
            at = block.find("\n### Variance reduction")
            block = block[:at + 1] + body + block[at + 1:] if at >= 0 else block.rstrip() + "\n\n" + body
            continue
        nxt = block.find("\n### ", at + 1)
        block = block[:at + 1] + body + (block[nxt + 1:] if nxt >= 0 else "")
    DOC.write_text(text[:start] + block.rstrip() + "\n" + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", help="experiment files (default: experiments/*.yaml)")
    ap.add_argument("--runs", type=int, default=None, help="runs per variant (default: each file's)")
    ap.add_argument("--no-plots", action="store_true")
    args = ap.parse_args(argv)
    files = [(Path(f) if Path(f).exists() else ROOT / "experiments" / f).resolve() for f in args.files] or \
        sorted((ROOT / "experiments").glob("*.yaml"))
    header = (f"*Generated by `python experiments/run_experiments.py` on {time.strftime('%Y-%m-%d')}"
              + (f" ({', '.join(f.stem for f in files)}; the other sections from earlier runs)" if args.files else "")
              + "; do not edit by hand.*")
    blocks: list[str] = [header, ""]
    variance: list[str] = []
    sections: dict[str, list[str]] = {}
    for f in files:
        exp = load_experiment(f)
        runs = args.runs or exp.runs
        print(f"{exp.id}: {len(exp.variants)} variants × {runs} runs", file=sys.stderr)
        c = run_experiment(exp, runs=runs, progress=True)
        out = ROOT / "results" / "experiments" / f"{exp.id}-{exp.seed}"
        write_comparison(c, out, plots=not args.no_plots)
        blocks += section(c, out)
        sections[f"### `{exp.id}` — "] = section(c, out)
        if exp.id == VARIANCE_EXPERIMENT:
            variance = variance_reduction(exp, c, runs)
            sections["### Variance reduction"] = variance
    if args.files:
        splice_doc(sections, header)
    else:
        write_doc(blocks + variance)
    print(f"wrote {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from sim.cli import run_script

    run_script(main)  # SIGTERM unwinds like Ctrl-C: results folders release their locks
