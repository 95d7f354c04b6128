"""Write one table per plan — every target, its clause, base value, P(hit) — into docs/scenarios.md.

Usage:
    python experiments/plan_tables.py                     # run every scenario in scenarios/ (seed 0, default runs)
    python experiments/plan_tables.py --runs 50           # a quick check with fewer runs
    python experiments/plan_tables.py --from-results results/plan-tables   # reuse earlier results, run nothing

Running goes through the command line (`zonesim run scenarios/ --out DIR --no-plots`), so DIR (default
results/plan-tables) then holds `<scenario id>-<seed>/` and `combined-<seed>.csv` exactly as the command
writes them; `--from-results DIR` reads such a folder (its results must come from the current scenario files:
the manifest's SHA-256 is checked). Everything between the markers below is computed here from those files:

- the base value is the median over runs of the target's indicator at the end of the base year (from
  indicators.parquet; for share, per-10,000, per-zone and zones-meeting targets also the target's own measure,
  recomputed from zones.parquet with `sim.measure.targets`), with the provenance of the scenario input that sets it
  (`INPUTS` below: indicator -> scenario keys; "derived by the model" where no input sets it);
- for a target hit in no run or in every run, a line with the range of its value over all runs and how far
  the threshold lies beyond it. Why such a target is certain is hand-written in docs/scenarios.md, in the
  section WHY_HEADING (one item per `<scenario id>/<target id>`), outside the markers; this script warns about
  certain targets that lack one, and tests/system/test_docs_tables.py fails on them.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "scenarios.md"
BEGIN, END = "<!-- plan-tables:begin -->", "<!-- plan-tables:end -->"
WHY_HEADING = "## Why some probabilities are 0 or 1"
ITEM = re.compile(r"^- `([a-z][a-z0-9_]*)/([a-z][a-z0-9_]*)`")

#: Which scenario inputs set an indicator's base-year value (section.key). Indicators not listed, or whose keys
#: a scenario does not give, are derived by the model (firm sizes, certifications, lists).
INPUTS: dict[str, tuple[str, ...]] = {
    "firms": ("firms.count_in_zones",),
    "hte": ("firms.hte_in_zones",),
    "firms_over_100m": ("firms.over_100m_in_zones",),
    "output": ("firms.output_in_zones",),
    "value_added": ("firms.output_in_zones", "firms.value_added_ratio"),
    "gdp": ("firms.output_in_zones", "firms.value_added_ratio", "firms.industry_share_of_gdp"),
    "rd_to_gdp": ("firms.rd_to_gdp_in_zones",),
    "rd_reported": ("firms.rd_to_gdp_in_zones", "firms.output_in_zones", "firms.value_added_ratio",
                    "firms.industry_share_of_gdp"),
    "rd_real": ("firms.rd_to_gdp_in_zones", "firms.output_in_zones"),
    "hightech_va_share": ("firms.hightech_industry_share",),
    "hightech_va": ("firms.hightech_industry_share", "firms.output_in_zones", "firms.value_added_ratio"),
    "sei_va_share": ("firms.strategic_emerging_share", "firms.industry_share_of_gdp"),
    "sei_va": ("firms.strategic_emerging_share", "firms.output_in_zones", "firms.value_added_ratio"),
    "invention_patents": ("firms.invention_patents_in_zones",),
    "patents_per_10k": ("firms.invention_patents_in_zones", "firms.population_in_zones"),
    "population": ("firms.population_in_zones",),
    "incubators": ("incubators.incubators_in_zones",),
    "incubators_national": ("incubators.national_incubators_in_zones",),
    "incubators_provincial_plus": ("incubators.national_incubators_in_zones",
                                   "incubators.provincial_incubators_in_zones"),
    "incubator_area": ("incubators.incubator_area_in_zones",),
    "incubator_tenants": ("incubators.tenants_in_zones",),
    "maker_spaces": ("incubators.maker_spaces_in_zones",),
    "eng_centres_prov": ("institutions.eng_centres_prov_in_zones",),
    "tech_centres_prov": ("institutions.tech_centres_prov_in_zones",),
    "new_rd_institutions": ("institutions.new_rd_institutions_in_zones",),
    "platforms": ("institutions.platforms_in_zones",),
    "maker_spaces_national": ("incubators.national_maker_spaces_in_zones",),
    "maker_spaces_provincial_plus": ("incubators.national_maker_spaces_in_zones",
                                     "incubators.provincial_maker_spaces_in_zones"),
    "service_orgs": ("institutions.service_orgs_in_zones",),
    "finance_orgs": ("institutions.finance_orgs_in_zones",),
    "venture_funds": ("institutions.venture_funds_in_zones",),
    "invention_applications": ("firms.invention_applications_base_year",),
    "fiscal_st": ("region.fiscal_st_base_year",),
    "institutions": ("institutions.eng_centres_prov_in_zones", "institutions.tech_centres_prov_in_zones",
                     "institutions.municipal_institutions_in_zones", "institutions.new_rd_institutions_in_zones",
                     "institutions.platforms_in_zones"),
}
#: Added when a target counts the whole region rather than the official zones.
REGION_INPUTS: dict[str, tuple[str, ...]] = {
    "firms": ("firms.count_outside",), "hte": ("firms.hte_outside",), "output": ("firms.output_outside",),
}
ZONE_LEVEL_INDICATORS = ("zones", "zones_national", "zones_provincial")
#: Target kinds measured against the indicator's own path (the base value is the indicator at `from_year`).
OVER_TIME = ("level", "multiple", "growth", "added")
CMP = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}
NOTE_LIMIT = 110


# --- reading one scenario's result folder ------------------------------------------------------------------------

@dataclass
class PlanResult:
    scenario: object            # sim.Scenario
    folder: Path
    manifest: dict
    summary: dict[str, dict]    # target id -> summary.csv row (strings)
    values: dict[str, np.ndarray]   # modelled target id -> its value at the target date, per run
    base_indicator: dict[str, float]   # target id -> median base value of its indicator
    base_measure: dict[str, float]     # target id -> median base value of the target's own measure


def _num(text: str) -> float:
    return float(text) if text not in ("", None) else math.nan


def _p(row: dict) -> tuple[float, float, float]:
    """P(hit) and its 95% Wilson interval of a summary.csv row, exact from its hits and runs (summary.csv rounds
    probabilities to 4 decimals; older files without `hits` are read as written)."""
    from sim.measure.stats import wilson

    if not row.get("hits"):
        return _num(row["p_hit"]), _num(row["p_hit_low"]), _num(row["p_hit_high"])
    k, n = int(row["hits"]), int(row["runs"])
    lo, hi = wilson(k, n)
    return k / n, float(lo), float(hi)


def _snapshots(sc, zones_path: Path, times: list[tuple[int, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Rebuild the engine's per-zone snapshot array (runs, snaps, zones, FIELDS) and zone levels from
    zones.parquet, so that `sim.measure.targets` evaluates the targets exactly as the run did."""
    from sim.measure.indicators import FIELD_INDEX, FIELDS, INDICATORS

    for f in FIELDS:  # a field's own indicator is the field itself, so zones.parquet holds every field
        ind = INDICATORS[f]
        if (ind.numerator, ind.denominator, ind.scale) != (f, None, 1.0):
            raise SystemExit(f"plan_tables: indicator '{f}' is not its field; cannot rebuild snapshots")
    t = pq.read_table(zones_path)
    run_ids, r_idx = np.unique(t["run"].to_numpy(), return_inverse=True)
    snap_of = {(y, mo): i for i, (y, mo, _) in enumerate(times)}
    keys, k_idx = np.unique(t["year"].to_numpy().astype(np.int64) * 100 + t["month"].to_numpy(), return_inverse=True)
    try:
        s_idx = np.array([snap_of[(int(k) // 100, int(k) % 100)] for k in keys])[k_idx]
    except KeyError as err:
        raise SystemExit(f"plan_tables: {zones_path} has snapshot {err} the scenario does not have") from None
    zone_of = {z.id: i for i, z in enumerate(sc.zones)}
    zkeys, zk_idx = np.unique(np.array(t["zone"].to_pylist(), dtype=object), return_inverse=True)
    z_idx = np.array([zone_of[str(z)] for z in zkeys])[zk_idx]
    shape = (len(run_ids), len(times), len(sc.zones))
    if t.num_rows != int(np.prod(shape)):
        raise SystemExit(f"plan_tables: {zones_path} has {t.num_rows} rows, expected {int(np.prod(shape))}")
    snaps = np.zeros((*shape, len(FIELDS)))
    for f in FIELDS:
        snaps[r_idx, s_idx, z_idx, FIELD_INDEX[f]] = t[f].to_numpy()
    levels = np.zeros(shape, dtype=np.int64)
    levels[r_idx, s_idx, z_idx] = t["zone_level"].to_numpy()
    return snaps, levels


def read_results(sc, folder: Path) -> PlanResult:
    from sim.measure.targets import evaluate, target_series
    from sim.model.engine import snapshot_times

    if not (folder / "manifest.json").exists():
        raise SystemExit(f"plan_tables: no results for {sc.path} in {folder}/ (run without --from-results)")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest["scenario_sha256"] != sc.sha256:
        raise SystemExit(f"plan_tables: {folder}/ holds results of another version of {sc.path} (SHA-256 differs); "
                         "run the scenarios again")
    with open(folder / "summary.csv", encoding="utf-8-sig", newline="") as fh:  # written with a BOM, for Excel
        summary = {r["target_id"]: r for r in csv.DictReader(fh)}
    times = snapshot_times(sc)
    snaps, levels = _snapshots(sc, folder / "zones.parquet", times)
    ind = pq.read_table(folder / "indicators.parquet").to_pydict()
    year, month = np.array(ind["year"]), np.array(ind["month"])
    values, base_indicator, base_measure = {}, {}, {}
    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices (a share of nothing) are misses, as in a run
    for t in sc.targets:
        base_year = t.from_year if t.kind in OVER_TIME[1:] else sc.base_year
        column = t.indicator if t.scope == "zones" or t.indicator in ZONE_LEVEL_INDICATORS else f"region_{t.indicator}"
        at_base = (year == base_year) & (month == 12)
        base_indicator[t.id] = float(np.nanmedian(np.array(ind[column], dtype=float)[at_base]))
        if t.kind not in OVER_TIME or getattr(t, "each_zone", False) or getattr(t, "zones", ()):
            si = next(i for i, (y, mo, _) in enumerate(times) if (y, mo) == (base_year, 12))
            series = target_series(replace(t, kind="level") if t.kind in OVER_TIME else t, snaps, levels, times)[:, si]
            base_measure[t.id] = float(np.nanmedian(series)) if np.isfinite(series).any() else math.nan
        if t.modelled:
            v, hit = evaluate(t, snaps, levels, times)
            hits = summary[t.id].get("hits")  # written since summary.csv's probabilities are rounded
            want = int(hits) if hits else round(_num(summary[t.id]["p_hit"]) * manifest["runs"])
            if int(hit.sum()) != want:
                raise SystemExit(f"plan_tables: {folder}/: target {t.id} hit in {int(hit.sum())} runs when rebuilt, "
                                 f"{want} in summary.csv; the results do not match the model's code")
            values[t.id] = v
    return PlanResult(sc, folder, manifest, summary, values, base_indicator, base_measure)


# --- formatting --------------------------------------------------------------------------------------------------

def num(x: float) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    if x != 0 and abs(x) < 1:
        return f"{x:.3g}"
    if abs(x) >= 100 or float(x).is_integer():
        return f"{x:,.0f}"
    return f"{x:,.1f}"


def exact(x: float) -> str:
    """Four significant digits (whole numbers from 1,000 up), for ranges that end just short of a threshold."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def pct(p: float) -> str:
    """A probability to one decimal; never "0.0%" or "100.0%" unless it is exactly 0 or 1."""
    text = f"{p:.1%}"
    if p > 0 and text == "0.0%":
        return "<0.1%"
    if p < 1 and text == "100.0%":
        return ">99.9%"
    return text


def cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def short(text: str, limit: int = NOTE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def prior_text(key: str, prior) -> str:
    if prior.dist is None:
        value = num(prior.value)
    else:
        lo, hi = prior.bounds()
        value = f"{num(lo)}–{num(hi)}" if np.isfinite(lo) and np.isfinite(hi) else prior.describe()
    if prior.source:
        why = f"source: {short(prior.source)}"
    elif prior.assumed:
        why = "assumed" + (f": {short(prior.note)}" if prior.note else "")
    else:
        why = short(prior.note) if prior.note else "no provenance"
    return f"`{key}` = {value} ({why})"


def provenance(sc, t) -> str:
    if t.indicator in ZONE_LEVEL_INDICATORS:
        n = sum(z.level in ("municipal", "provincial", "national") for z in sc.zones)
        text = f"`zones[]`: the levels of the {n} official zones listed in the scenario file"
        if getattr(t, "zones", ()):
            text = "`zones[]`: the named parks' levels in the scenario file (0 official at the start)" \
                if not any(z.id in t.zones and z.level in ("municipal", "provincial", "national") for z in sc.zones) \
                else f"`zones[]`: the levels of the named zones ({len(t.zones)}) in the scenario file"
        if getattr(sc, "zone_creation", None) is not None:
            text += "; candidate parks are established by `zone_creation` (entry conditions, review months)"
        return text
    names = [t.indicator]
    if t.kind == "share" and t.of_indicator:
        names.append(t.of_indicator)
    if t.kind == "per_10k":
        names.append("population")
    keys: list[str] = []
    for name in names:
        keys += INPUTS.get(name, ())
        if t.scope == "region" or (t.kind == "share" and t.of_scope == "region"):
            keys += REGION_INPUTS.get(name, ())
    sections = {"firms": dict(sc.firms), "incubators": dict(sc.incubators), "institutions": dict(sc.institutions),
                "region": dict(getattr(sc, "region_facts", ()))}
    parts = []
    for key in dict.fromkeys(keys):
        section, name = key.split(".")
        prior = sections[section].get(name)
        if prior is not None:
            parts.append(prior_text(key, prior))
    return "; ".join(parts) if parts else "derived by the model"


def what(t) -> str:
    cmp = CMP[t.comparison]
    when = f"{t.year}" + (f"-{t.month:02d}" if t.month != 12 else "")
    thr = num(t.threshold)
    mode = f" ({t.mode})" if getattr(t, "mode", None) else ""
    if t.kind == "level":
        body = f"level {cmp} {thr}"
    elif t.kind == "multiple":
        body = f"multiple of {t.from_year} {cmp} {thr}"
    elif t.kind == "growth":
        body = f"growth{mode} from {t.from_year} {cmp} {thr}"
    elif t.kind == "added":
        body = f"added since {t.from_year}{mode} {cmp} {thr}"
    elif t.kind == "share":
        body = f"share of `{t.of_indicator or t.indicator}`" + (" (region)" if t.of_scope == "region" else "") \
            + f" {cmp} {thr}"
    elif t.kind == "per_10k":
        body = f"per 10,000 residents {cmp} {thr}"
    elif t.kind == "per_zone":
        body = f"every {'' if t.zone_level == 'any' else t.zone_level + ' '}zone {cmp} {thr}"
    elif t.kind == "zones_meeting":
        body = f"zones with {num(t.level)} or more {cmp} {thr}"
    elif t.kind == "districts_covered":
        body = f"districts with an official zone {cmp} {thr}"
    else:
        body = f"{t.kind} {cmp} {thr}"
    if getattr(t, "each_zone", False):
        body += ", in each zone"
    if getattr(t, "zones", ()):
        body += ", zones " + ", ".join(f"`{z}`" for z in t.zones)
    return f"{body}, {when}"


def indicator_text(t) -> str:
    from sim.measure.indicators import ALL_INDICATORS

    ind = ALL_INDICATORS.get(t.indicator)
    label = f" {ind.zh}" if ind else ""
    return f"`{t.indicator}`{label}" + (" (region)" if t.scope == "region" else "")


def base_text(pr: PlanResult, t) -> str:
    year = t.from_year if t.kind in OVER_TIME[1:] else pr.scenario.base_year
    text = f"{num(pr.base_indicator[t.id])} ({year})"
    measure = pr.base_measure.get(t.id)
    if measure is not None:
        label = {"share": "share", "per_10k": "per 10,000", "per_zone": "weakest zone",
                 "zones_meeting": "zones meeting it", "districts_covered": "districts covered"}.get(t.kind, "measure")
        if t.kind in OVER_TIME:
            label = "weakest zone" if getattr(t, "each_zone", False) else "named zones"
        text += f"; {label}: {num(measure)}"
    return text


def certainty_line(pr: PlanResult, t, p: float) -> str:
    v = pr.values[t.id]
    finite = v[np.isfinite(v)]
    n = len(v)
    when = f"{t.year}" + (f"-{t.month:02d}" if t.month != 12 else "")
    head = f"- `{t.id}` (P = {pct(p)}): "
    if finite.size == 0:
        return head + f"in none of the {n:,} runs could the value at {when} be computed (counted as misses)."
    lo, hi = float(finite.min()), float(finite.max())
    missing = n - finite.size
    runs = f"in all {n:,} runs" if not missing else f"in the {finite.size:,} runs with a value ({missing:,} without)"
    if getattr(t, "mode", None) == "each_year":
        measure = "the weakest yearly value"
    elif t.kind == "per_zone" or getattr(t, "each_zone", False):
        measure = "the weakest zone's value"
    elif t.kind == "zones_meeting":
        measure = "the number of zones meeting it"
    else:
        measure = "the value"
    if lo == hi:
        text = head + f"{runs} {measure} at {when} was {exact(lo)}; "
    else:
        text = head + f"{runs} {measure} at {when} stayed between {exact(lo)} and {exact(hi)}; "
    upward = t.comparison in (">=", ">")
    edge, side = (hi, "maximum") if upward == (p == 0) else (lo, "minimum")
    direction = "above" if edge == hi else "below"
    gap = abs(t.threshold - edge)
    if gap == 0:
        return text + f"the threshold {exact(t.threshold)} equals the {side}."
    if edge <= 0 or t.kind in ("growth", "added") or max(abs(edge), abs(t.threshold)) <= 1:
        # rates, shares and values at or below zero: a relative distance would mislead
        return text + f"the threshold {exact(t.threshold)} lies {exact(gap)} {direction} the {side}."
    rel = gap / abs(edge)
    share = f"{rel:.0%}" if rel >= 0.1 else f"{rel:.1%}"
    return text + f"the threshold {exact(t.threshold)} lies {share} {direction} the {side}."


def shown_path(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def plan_section(pr: PlanResult, explained: set[str]) -> tuple[list[str], list[str]]:
    sc, m = pr.scenario, pr.manifest
    joint = pr.summary["ALL"]
    modelled = [t for t in sc.targets if t.modelled]
    lines = [f"### `{sc.id}` — {sc.name}", "",
             f"`{shown_path(sc.path)}` · seed {m['seed']} · {m['runs']:,} runs ({m['stopping_rule']}) · wall time "
             f"{m['wall_seconds']:.0f} s on {m['workers']} worker(s) · **P(all {len(modelled)} modelled targets) = "
             "{} [{}, {}]**".format(*(pct(x) for x in _p(joint))), ""]
    if m.get("warnings"):  # the scenario's own and the base-year calibration's, as `zonesim run` printed them
        lines += ["Warnings of this run (its manifest.json):", "", *(f"- {cell(w)}" for w in m["warnings"]), ""]
    lines += [f"| target | clause (source.quote) | indicator | kind, threshold, date | base value (model median) "
              f"| base value set by | P(hit) [95% CI], {m['runs']:,} runs, seed {m['seed']} |",
              "|---|---|---|---|---|---|---|"]
    certain, missing = [], []
    for t in sc.targets:
        row = pr.summary[t.id]
        if t.modelled:
            p, low, high = _p(row)
            result = f"{pct(p)} [{pct(low)}, {pct(high)}]"
            if p in (0.0, 1.0):
                certain.append(certainty_line(pr, t, p))
                if f"{sc.id}/{t.id}" not in explained:
                    missing.append(f"{sc.id}/{t.id}")
        else:
            result = f"*{t.status.replace('_', ' ')}*: {t.reason}"
        model = [indicator_text(t), what(t), base_text(pr, t), provenance(sc, t)] if t.modelled else ["—"] * 4
        cells = [f"`{t.id}`<br>{t.name}<br>{t.name_en}", t.source.quote, *model, result]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    if certain:
        lines += ["", "Hit in no run, or in every run — a count of runs, not a certainty: the 95% interval above still "
                  f"allows a small probability (why: [{WHY_HEADING[3:]}](#why-some-probabilities-are-0-or-1)):", "",
                  *certain]
    lines.append("")
    return lines, missing


def block(results: list[PlanResult], explained: set[str]) -> tuple[str, list[str]]:
    out = [BEGIN, "<!-- Generated by `python experiments/plan_tables.py` from the result folders: do not edit by "
           "hand. -->", "",
           "One table per plan. *Base value*: the median over runs of the target's indicator at the end of the "
           "base year (for a multiple, a growth rate or an increment, of the year it is measured from), with the"
           " scenario input that sets it and that input's provenance; *derived by the model* means no scenario "
           "input sets it directly. P(hit): the share of runs that hit the target, with its 95% Wilson interval "
           "(Monte Carlo error only); \"<0.1%\" and \">99.9%\" are not certainties, \"0.0%\" and \"100.0%\" are. "
           "Not-modelled targets give the scenario's reason instead.", ""]
    missing: list[str] = []
    for pr in results:
        lines, miss = plan_section(pr, explained)
        out += lines
        missing += miss
    out.append(END)
    return "\n".join(out), missing


def explained_items(text: str) -> set[str]:
    """`<scenario id>/<target id>` of every item of the hand-written section WHY_HEADING."""
    if WHY_HEADING not in text:
        return set()
    section = text.split(WHY_HEADING, 1)[1]
    section = section.split("\n## ", 1)[0]
    return {f"{m.group(1)}/{m.group(2)}" for line in section.splitlines() if (m := ITEM.match(line))}


def replace_block(text: str, new: str) -> str:
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise SystemExit(f"plan_tables: {DOC} needs one '{BEGIN}' followed by one '{END}'")
    return text[: text.index(BEGIN)] + new + text[text.index(END) + len(END):]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", type=int, default=None, help="fixed number of runs (default: the adaptive rule)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--out", default=str(ROOT / "results" / "plan-tables"), help="where the runs are written")
    ap.add_argument("--from-results", metavar="DIR", default=None,
                    help="read <scenario id>-<seed>/ folders from DIR instead of running")
    ap.add_argument("--scenarios", default=str(ROOT / "scenarios"), help="folder of scenario files")
    ap.add_argument("--doc", default=str(DOC))
    args = ap.parse_args(argv)

    from sim import cli
    from sim.pipeline import load_all, scenario_files

    files, problems = scenario_files([args.scenarios])
    scenarios, load_problems = load_all(files)
    for err, path in problems + load_problems:
        print(f"error: {path}:\n{err}", file=sys.stderr)
    if problems or load_problems:
        return 2
    folder = Path(args.from_results or args.out)
    if args.from_results is None:
        cmd = ["run", *files, "--seed", str(args.seed), "--out", str(folder), "--no-plots"]
        cmd += ["--runs", str(args.runs)] if args.runs else []
        cmd += ["--workers", str(args.workers)] if args.workers else []
        code = cli.main(cmd)
        if code != 0:
            return code
    results = [read_results(sc, folder / f"{sc.id}-{args.seed}") for sc in scenarios]
    if args.from_results and args.runs and any(r.manifest["runs"] != args.runs for r in results):
        print(f"plan_tables: --runs {args.runs} given, but the results in {folder} have "
              f"{sorted({r.manifest['runs'] for r in results})} runs", file=sys.stderr)
        return 2
    doc = Path(args.doc)
    text = doc.read_text(encoding="utf-8")
    explained = explained_items(text)
    new, missing = block(results, explained)
    doc.write_text(replace_block(text, new), encoding="utf-8")
    print(f"plan_tables: wrote {len(results)} tables into {doc}")
    certain = set()
    for pr in results:
        certain |= {f"{pr.scenario.id}/{t.id}" for t in pr.scenario.targets
                    if t.modelled and _p(pr.summary[t.id])[0] in (0.0, 1.0)}
    if missing:
        print(f"warning: {len(missing)} target(s) shown with P exactly 0 or 1 lack a hand-written item in "
              f"'{WHY_HEADING}' of {doc}:", file=sys.stderr)
        for key in missing:
            print(f"  - `{key}`", file=sys.stderr)
    stale = sorted(explained - certain)
    if stale:
        print(f"note: hand-written item(s) for targets no longer certain (0 < P < 1 now): {', '.join(stale)}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    from sim.cli import run_script

    run_script(main)  # SIGTERM unwinds like Ctrl-C: results folders release their locks
