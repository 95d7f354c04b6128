"""Rules across the sections of a scenario file: years against the base year, unique ids, lever windows, target
kinds and their fields, base facts that contradict each other, vintage, back-tests.

They run on the raw data beside the models' structural checks (`sim.input.models`), each rule and each item on
its own, so that a malformed field elsewhere does not hide them: every problem of a file is reported in one
pass.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from sim.errors import Problem, closest
from sim.input import sources
from sim.input.fields import parse_year_month
from sim.input.priors import Prior, default_priors
from sim.input.yamlio import YamlDoc
from sim.measure.indicators import ALL_INDICATORS, ZONE_COUNT_INDICATORS

#: Indicators whose base-year count comes from an optional key: a target on them needs the key.
OPTIONAL_BASE = {
    "maker_spaces_national": ("incubators", "national_maker_spaces_in_zones"),
    "maker_spaces_provincial_plus": ("incubators", "provincial_maker_spaces_in_zones"),
    "service_orgs": ("institutions", "service_orgs_in_zones"),
    "finance_orgs": ("institutions", "finance_orgs_in_zones"),
    "venture_funds": ("institutions", "venture_funds_in_zones"),
    "fiscal_st": ("region", "fiscal_st_base_year"),
}


def _unique_ids(doc: YamlDoc, items: list, path: tuple, out: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            if item["id"] in seen:
                out.append(doc.problem((*path, i, "id"), f"'{item['id']}' again",
                                       f"a unique id (already used by item {seen[item['id']]})"))
            seen[item["id"]] = i


def _tolerant() -> contextlib.AbstractContextManager:
    """Run a cross-field rule on data that may be malformed: a rule that trips over a value the structural
    check has already reported is skipped, so every other problem is still found in the same pass."""
    return contextlib.suppress(KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError)


def scenario_rules(doc: YamlDoc, data: dict, out: list[Problem]) -> None:
    """Rules that span sections: years, ids, lever fields, target kinds, base facts, vintages, back-tests. They
    run even when some fields are malformed (each rule, and each item, on its own), so that structural and
    cross-field problems are reported together."""
    head = data.get("scenario") if isinstance(data.get("scenario"), Mapping) else {}
    base = head.get("base_year")
    if isinstance(base, bool) or not isinstance(base, int):
        base = None
    targets = data.get("targets") if isinstance(data.get("targets"), list) else []
    zones = [z for z in data.get("zones") or [] if isinstance(z, Mapping)] if isinstance(data.get("zones"), list) \
        else []
    firms = data.get("firms") if isinstance(data.get("firms"), Mapping) else {}
    if not targets and "backtest" not in data and isinstance(data.get("targets"), list):
        out.append(doc.problem(("targets",), "no target", "at least one target (only a back-test file, with a "
                                                          "`backtest:` section, may have none)"))
    end = None
    with _tolerant():
        last = max([t["year"] for t in targets if isinstance(t.get("year"), int)], default=base + 1)
        end = head.get("end_year", last)
        if not isinstance(end, int) or isinstance(end, bool):
            end = None
        elif end <= base:
            out.append(doc.problem(("scenario", "end_year"), str(end), f"a year after base_year {base}"))
        elif end - base > 30:
            out.append(doc.problem(("scenario", "end_year"), str(end), f"at most 30 years after base_year {base}"))
    if "backtest" in data and base is not None:
        with _tolerant():
            _backtest_rules(doc, data, base, head.get("end_year"), out)
    for sec in ("zones", "policies", "targets"):
        with _tolerant():
            _unique_ids(doc, data.get(sec, []), (sec,), out)
    with _tolerant():
        if zones and not any(z.get("level") in ("municipal", "provincial", "national") for z in zones):
            out.append(doc.problem(("zones",), "no official zone",
                                   "at least one municipal, provincial or national zone"))
    with _tolerant():
        levels = {z.get("level") for z in zones}
        if "candidate" in levels and "count_per_candidate" not in firms:
            out.append(doc.problem(("firms",), "no key 'count_per_candidate'",
                                   "the firm count of each candidate park (there are candidate zones)"))
        if "candidate" in levels and "zone_creation" not in data:
            out.append(doc.problem((), "no section 'zone_creation'",
                                   "how candidate parks become zones (there are candidate zones)"))
    with _tolerant():
        creation = data.get("zone_creation") or {}
        for i, cond in enumerate(creation.get("conditions", [])):
            if cond["indicator"] in ZONE_COUNT_INDICATORS:
                out.append(doc.problem(("zone_creation", "conditions", i, "indicator"), cond["indicator"],
                                       "a per-zone indicator (not a count of zones)"))
    with _tolerant():
        months = data["calendar"]["hte_rounds"]
        if len(set(months)) != len(months):
            out.append(doc.problem(("calendar", "hte_rounds"), str(months), "distinct months"))
    if end is not None:
        for i, pol in enumerate(data.get("policies") or []):
            with _tolerant():
                policy_rules(doc, pol, ("policies", i), end, out, base)
    if firms and ("hte_outside" in firms) == ("hte_region" in firms):
        out.append(doc.problem(("firms",), "both hte_outside and hte_region" if "hte_region" in firms
                               else "neither hte_outside nor hte_region",
                               "one of them: the HTEs outside the zones, or the region's total"))
    with _tolerant():
        _base_fact_rules(doc, data, out)
    with _tolerant():
        _implied_range_rules(doc, data)
    _source_rules(doc, data, out)
    if base is not None:
        with _tolerant():
            _vintage_rules(doc, data, base, out)
    zone_ids = [z.get("id") for z in zones]
    for i, tgt in enumerate(targets):
        with _tolerant():
            if tgt.get("status", "modelled") == "modelled" and tgt["indicator"] in OPTIONAL_BASE:
                sec, key = OPTIONAL_BASE[tgt["indicator"]]
                if key not in (data.get(sec) or {}):
                    out.append(doc.problem(("targets", i, "indicator"), tgt["indicator"],
                                           f"a base-year value for it: key '{key}' in section '{sec}'"))
            if tgt["kind"] == "districts_covered" and not any("district" in z for z in zones):
                out.append(doc.problem(("targets", i, "kind"), "districts_covered", "zones with a 'district'"))
            if tgt["kind"] == "districts_covered" and tgt["indicator"] != "zones":
                out.append(doc.problem(("targets", i, "indicator"), tgt["indicator"],
                                       "zones (a districts_covered target counts districts with a zone)"))
        if base is not None and end is not None:
            with _tolerant():
                _target_rules(doc, tgt, ("targets", i), base, end, out)
        with _tolerant():
            for k, zid in enumerate(tgt.get("zones", [])):
                if zid not in zone_ids:
                    out.append(doc.problem(("targets", i, "zones", k), zid, "the id of a zone of this scenario",
                                           hint=did_you_mean(zid, zone_ids)))


def _base_fact_rules(doc: YamlDoc, data: dict, out: list[Problem]) -> None:
    """Base-year facts that contradict each other: parts larger than their whole (more HTEs than firms, more
    national and provincial incubators than incubators, more certificates issued than held). Parts and whole are
    drawn independently, so: refused when the parts' lowest values exceed the whole's highest (a contradiction in
    every run); a warning with the share of runs when only some draws contradict (the engine then caps the
    part at the whole, `sim.model.population`)."""

    def prior(section: str, key: str) -> Prior | None:
        raw = (data.get(section) or {}).get(key)
        return None if raw is None else Prior.from_yaml(raw)

    candidates = any(z.get("level") == "candidate" for z in data["zones"])
    rules = (
        ([("firms", "hte_in_zones")], [("firms", "count_in_zones")], "firms in the zones"),
        ([("firms", "over_100m_in_zones")], [("firms", "count_in_zones")], "firms in the zones"),
        ([("firms", "hte_certified_base_year")], [("firms", "hte_in_zones"), ("firms", "hte_outside")],
         "HTEs held at the base year's end"),
        ([("firms", "hte_certified_base_year")], [("firms", "hte_region")], "HTEs held at the base year's end"),
        ([("firms", "hte_in_zones")], [("firms", "hte_region")], "HTEs of the region"),
        ([("incubators", "national_incubators_in_zones"), ("incubators", "provincial_incubators_in_zones")],
         [("incubators", "incubators_in_zones")], "incubators"),
        ([("incubators", "national_maker_spaces_in_zones"), ("incubators", "provincial_maker_spaces_in_zones")],
         [("incubators", "maker_spaces_in_zones")], "maker spaces"),
    ) + (() if candidates else (([("firms", "hte_outside")], [("firms", "count_outside")], "firms outside"),))
    u = (np.arange(4000) + 0.5) / 4000
    for parts, whole, label in rules:
        ps = [prior(*k) for k in parts]
        ws = [prior(*k) for k in whole]
        if any(w is None for w in ws) or all(p is None for p in ps):
            continue
        known = [(k, p) for k, p in zip(parts, ps, strict=True) if p is not None]
        if any(q.bounds()[0] < 0 for q in [p for _, p in known] + ws):  # type: ignore[union-attr]
            continue  # a negative count is already an error: a contradiction computed from it would mislead
        part_lo = sum(p.bounds()[0] for _, p in known)
        whole_hi = sum(w.bounds()[1] for w in ws)  # type: ignore[union-attr]
        names = " + ".join(".".join(k) for k, _ in known)
        wnames = " + ".join(".".join(k) for k in whole)
        where = known[0][0]
        if part_lo > whole_hi:
            out.append(doc.problem(where, f"at least {part_lo:,.0f}",
                                   f"at most {whole_hi:,.0f}, the highest number of {label} ({wnames})",
                                   f"{names} is a part of {wnames} and cannot exceed it: one of them is wrong"))
            continue
        # independent draws, as the engine makes them (each prior's own quantiles, shuffled apart)
        rng = np.random.default_rng(0)
        part_draws = sum(p.sample(rng.permutation(u)) for _, p in known)
        whole_draws = sum(w.sample(rng.permutation(u)) for w in ws)  # type: ignore[union-attr]
        share = float(np.mean(np.round(part_draws) > np.round(whole_draws)))
        if share > 0.005:
            doc.warnings.append(doc.problem(where, f"more than the {label} in {share:.1%} of runs",
                                            f"ranges where {names} never exceeds {wnames}",
                                            "those runs cap the part at the whole: narrow one of the ranges"))


#: A certificate runs three years (DOMAIN §1), so in a steady state a third of the stock is certified each year
#: (first certifications and renewals together), plus the stock's net growth. Outside half to twice that, a
#: base-year count is more likely a different measure (new certifications only, one batch, zones only) than a
#: fact: the capability calibration it drives then swings every HTE probability.
CERT_CYCLE_YEARS, CERT_LOW, CERT_HIGH = 3, 0.5, 2.0


def _implied_range_rules(doc: YamlDoc, data: dict) -> None:
    """Warn when an input that swings results lies far from what the rest of the scenario implies: the base
    year's certificates against the HTE stock and the three-year certificate cycle."""
    firms = data.get("firms") or {}

    def median(key: str) -> float | None:
        raw = firms.get(key)
        return None if raw is None else float(Prior.from_yaml(raw).sample(np.array([0.5]))[0])

    used = {k: median(k) for k in ("hte_certified_base_year", "hte_region", "hte_in_zones", "hte_outside",
                                   "hte_stock_base_minus_1")}
    if any(v is not None and v < 0 for v in used.values()):
        return  # a negative count is already an error: a range implied from it would only mislead
    certified, stock = used["hte_certified_base_year"], used["hte_region"]
    if stock is None and used["hte_in_zones"] is not None and used["hte_outside"] is not None:
        stock = used["hte_in_zones"] + used["hte_outside"]
    if certified is None or stock is None or stock <= 0:
        return
    before = used["hte_stock_base_minus_1"]
    growth = max(stock - before, 0.0) if before is not None else 0.0
    implied = stock / CERT_CYCLE_YEARS + growth
    lo, hi = CERT_LOW * implied, CERT_HIGH * implied
    if not lo <= certified <= hi:
        how = f"a third of the {stock:,.0f} HTEs held (certificates run {CERT_CYCLE_YEARS} years)" + (
            f" plus the stock's growth of {growth:,.0f}" if growth else "")
        doc.warnings.append(doc.problem(
            ("firms", "hte_certified_base_year"), f"{certified:,.0f} (median)",
            f"about {implied:,.0f}, between {lo:,.0f} and {hi:,.0f}: {how}",
            "it calibrates how close firms are to certification, so it moves every HTE probability: check that it "
            "counts first certifications and renewals, region-wide, for the whole base year"))


def _backtest_rules(doc: YamlDoc, data: dict, base: int, end: int | None, out: list[Problem]) -> None:
    """A back-test names a region with history, series it has there, and accounts for every series observed
    in its window (scored, or unscored with a reason): no observation is silently left out."""
    from sim.input import history

    bt = data["backtest"]
    region = bt["region"]
    if region not in history.regions():
        out.append(doc.problem(("backtest", "region"), region, "a region of sim/data/history.csv",
                               did_you_mean(region, sorted(history.regions()))))
        return
    if end is None:
        out.append(doc.problem(("scenario",), "no key 'end_year'", "the last year a back-test simulates"))
        return
    known = {r.series for r in history.rows() if r.region == region}
    window = {r.series for r in history.rows() if r.region == region and base < r.year <= end}
    named: set[str] = set()
    for i, obs in enumerate(bt["observe"]):
        named.add(obs["series"])
        if obs.get("fit") is False and "fit_reason" not in obs:
            out.append(doc.problem(("backtest", "observe", i), "fit: false without 'fit_reason'",
                                   "why the series is not calibration data (fit_reason)"))
        if obs["series"] not in known:
            out.append(doc.problem(("backtest", "observe", i, "series"), obs["series"],
                                   f"a series with history in {region}", did_you_mean(obs["series"], sorted(known))))
    for i, item in enumerate(bt.get("unscored", [])):
        named.add(item["series"])
        if item["series"] not in known:
            out.append(doc.problem(("backtest", "unscored", i, "series"), item["series"],
                                   f"a series with history in {region}"))
    priors = default_priors()
    overrides = set(data.get("parameters") or {})
    for i, name in enumerate(bt.get("calibrate", [])):
        if name not in priors:
            out.append(doc.problem(("backtest", "calibrate", i), name, "a parameter of sim/data/priors.yaml",
                                   did_you_mean(name, list(priors))))
        elif name not in overrides and priors[name].dist is None:
            out.append(doc.problem(("backtest", "calibrate", i), name, "a parameter with a prior distribution"))
    for series in sorted(window - named):
        out.append(doc.problem(("backtest",), f"series '{series}' observed in {base + 1}-{end}, neither scored "
                                              "nor listed", "every series of the window under observe: or "
                                                            "unscored: (with its reason)"))


def _vintage_rules(doc: YamlDoc, data: dict, base: int, out: list[Problem]) -> None:
    """No input may use information dated after the base year (its vintage): a plan's probabilities may rest
    only on what was known when it was written. Checks every base-year fact, zone quantity and parameter
    override, and the default priors the scenario does not override."""
    quantities: list[tuple[tuple, Any]] = []
    for section in ("firms", "incubators", "institutions", "region", "parameters"):
        quantities += [((section, k), v) for k, v in (data.get(section) or {}).items()]
    for i, z in enumerate(data["zones"]):
        quantities += [(("zones", i, k), z[k]) for k in ("firm_weight", "population") if k in z]
    for path, raw in quantities:
        if isinstance(raw, Mapping) and isinstance(raw.get("vintage"), int) and raw["vintage"] > base:
            out.append(doc.problem((*path, "vintage"), str(raw["vintage"]),
                                   f"a year up to the base year {base}: a plan may use only what was known then"))
    overridden = set(data.get("parameters") or {})
    for name, prior in default_priors().items():
        if name not in overridden and prior.vintage is not None and prior.vintage > base:
            out.append(doc.problem(("scenario", "base_year"), f"{base}, but the default prior '{name}' uses "
                                                              f"information from {prior.vintage}",
                                   "an override under parameters: with information up to the base year",
                                   "sim/data/priors.yaml gives the default's source"))


def did_you_mean(name: str, candidates: list[str]) -> str:
    guess = closest(name, candidates)
    return f"did you mean '{guess}'?" if guess else ""


def policy_rules(doc: YamlDoc, pol: dict, p: tuple, end: int, out: list[Problem], base: int | None = None) -> None:
    """A lever's window against the simulated period: active in at least one simulated month (January of
    base_year + 1 to December of the end year). Its fields and its start-before-end are the lever model's."""
    start, stop = parse_year_month(pol["start"]), parse_year_month(pol["end"])
    if start and start[0] > end:
        out.append(doc.problem((*p, "start"), pol["start"], f"a month up to the end year {end}"))
    if base is not None and stop and stop < (base + 1, 1):
        out.append(doc.problem((*p, "end"), pol["end"], f"a month from {base + 1}-01 on: a lever that ends before "
                                                      "the simulated period starts never pays"))


def _fraction_target(tgt: dict) -> tuple[float, float] | None:
    """The range a target's threshold must lie in when it is a fraction (a share, a growth rate, or a level of a
    ratio indicator such as R&D / GDP), else None."""
    kind = tgt["kind"]
    unit = ALL_INDICATORS[tgt["indicator"]].unit
    if kind == "share":
        return 0.0, 1.0
    if kind == "growth":
        return -1.0, 1.0
    if kind in ("level", "per_zone", "added") and unit == "比例":
        return (-1.0, 1.0) if kind == "added" else (0.0, 1.0)
    return None


def _target_rules(doc: YamlDoc, tgt: dict, p: tuple, base: int, end: int, out: list[Problem]) -> None:
    kind, year = tgt["kind"], tgt["year"]
    bounds = _fraction_target(tgt)
    if bounds is not None and not bounds[0] <= tgt["threshold"] <= bounds[1]:
        thr = tgt["threshold"]
        hint = f"write {thr / 100:g} for {thr:g}%" if 1 < abs(thr) <= 100 else ""
        what = "a growth rate" if kind == "growth" else "a share or ratio"
        out.append(doc.problem((*p, "threshold"), f"{thr:g}", f"{what} as a fraction, from {bounds[0]:g} to "
                                                             f"{bounds[1]:g}", hint
                               or ("for growth beyond 100% a year use kind: multiple" if kind == "growth" else "")))
    if kind == "zones_meeting" and "level" in tgt and ALL_INDICATORS[tgt["indicator"]].unit == "比例" \
            and not 0 <= tgt["level"] <= 1:
        out.append(doc.problem((*p, "level"), f"{tgt['level']:g}", "a ratio as a fraction, from 0 to 1",
                               f"write {tgt['level'] / 100:g} for {tgt['level']:g}%"
                               if 1 < tgt["level"] <= 100 else ""))
    if tgt.get("mode") == "each_year" and tgt.get("month", 12) != 12:
        out.append(doc.problem((*p, "month"), str(tgt["month"]), "12: a target that must hold every year is checked "
                                                                "at year ends"))
    if not base < year <= end:
        out.append(doc.problem((*p, "year"), str(year), f"a year after base_year {base} and up to {end}"))
    if tgt.get("status") == "not_modelled" and "reason" not in tgt:
        out.append(doc.problem(p, "no key 'reason'", "why the target is not modelled"))
    needs = {"share": "of", "growth": "mode", "added": "mode", "zones_meeting": "level"}
    if kind in needs and needs[kind] not in tgt:
        out.append(doc.problem(p, f"no key '{needs[kind]}'", f"required by a {kind} target"))
    growth_modes = {"growth": ("compound", "each_year"), "added": ("total", "each_year")}
    if kind in growth_modes and tgt.get("mode", growth_modes[kind][0]) not in growth_modes[kind]:
        out.append(doc.problem((*p, "mode"), tgt["mode"], f"{' or '.join(growth_modes[kind])} for a {kind} target"))
    for key, kinds in (("of", ("share",)), ("mode", ("growth", "added")), ("level", ("zones_meeting",)),
                       ("from_year", ("multiple", "growth", "added")),
                       ("zone_level", ("per_zone", "zones_meeting", "level", "multiple", "growth", "added")),
                       ("each_zone", ("level", "multiple", "growth", "added"))):
        if key in tgt and kind not in kinds:
            out.append(doc.problem((*p, key), f"'{key}' on a {kind} target", f"only on {', '.join(kinds)} targets"))
    from_year = tgt.get("from_year", base)
    if "from_year" in tgt and not base <= from_year < year:  # an implicit base_year is covered by `year`
        out.append(doc.problem((*p, "from_year"), str(from_year), f"a year from {base} up to before {year}"))
    if tgt["indicator"] in ZONE_COUNT_INDICATORS and (kind not in ("level", "multiple", "growth", "added",
                                                                   "districts_covered") or tgt.get("each_zone")):
        out.append(doc.problem((*p, "kind"), kind, "level, multiple, growth, added (not each_zone) or "
                                                   "districts_covered for a count of zones"))
    if tgt.get("zone_level", "any") != "any" and kind in ("level", "multiple", "growth", "added") \
            and not tgt.get("each_zone"):
        out.append(doc.problem((*p, "zone_level"), tgt["zone_level"], "each_zone: true (or a per_zone target)"))
    _threshold_rule(doc, tgt, p)


#: How a threshold of each target kind is written, for the warning (the indicator's unit for the others).
_THRESHOLD_AS = {"share": "as a fraction", "growth": "as a yearly rate", "multiple": "as a multiple"}


def _threshold_rule(doc: YamlDoc, tgt: dict, p: tuple) -> None:
    """A warning when a modelled target's threshold (or zones_meeting level) is none of the values its quote
    writes in the indicator's unit (`sources.threshold_quoted`): 1800 against "高新技术企业达900家以上", or 100
    m² against "100万平方米", are typos the verbatim check of the quote cannot see. A threshold that follows
    from the clause another way (a mid-range, a derived share) is explained by writing its value in the
    target's note (`sources.writes_number`)."""
    src = tgt.get("source")
    quote = src.get("quote") if isinstance(src, Mapping) else None
    if not isinstance(quote, str) or tgt.get("status") == "not_modelled" or tgt["kind"] == "districts_covered":
        return  # districts_covered: 全覆盖 is every district, a count the quote does not write
    kind, indicator = tgt["kind"], ALL_INDICATORS.get(tgt["indicator"])
    unit = "" if indicator is None else indicator.unit
    values = [tgt["threshold"], *([tgt["level"]] if isinstance(tgt.get("level"), (int, float)) else [])]
    found = [sources.threshold_quoted(float(v), quote, unit, kind) for v in values]
    explained = any(sources.writes_number(str(tgt.get("note") or ""), float(v)) for v in values)
    if False in found and True not in found and not explained:
        shown = ", ".join(_plain(v) for v in dict.fromkeys(sources.stated_values(quote, unit, kind)))
        as_ = _THRESHOLD_AS.get(kind) or (unit and f"in {unit}") or "in the indicator's unit"
        doc.warnings.append(doc.problem(
            (*p, "threshold"), f"{_plain(tgt['threshold'])}, a value its quote does not write (read {as_}, it "
                               f"writes {shown})",
            "the clause's value in the indicator's unit (45% is 0.45, 100万平方米 is 1,000,000, 200亿元 is 200 in "
            "亿元, 增长50% is a multiple of 1.5)",
            "if the threshold follows from the clause another way (a mid-range, a derived share), write its "
            "value and how in the target's note"))


def _plain(x: float) -> str:
    """A number as a planner writes it: 1,500,000 or 0.025, never 1.5e+06."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.10g}"


def _source_rules(doc: YamlDoc, data: dict, out: list[Problem]) -> None:
    """Every quote from a document zonesim can read is in it verbatim (sim.input.sources): an error when not, a
    warning when a named file beside the scenario cannot be read (the quote is then kept as given)."""
    head = data.get("scenario")
    places: list[tuple[tuple, Any]] = [(("scenario", "source"),
                                        head.get("source") if isinstance(head, Mapping) else None)]
    for sec in ("targets", "policies"):
        items = data.get(sec) if isinstance(data.get(sec), list) else []
        places += [((sec, i, "source"), item.get("source")) for i, item in enumerate(items)
                   if isinstance(item, Mapping)]
    for path, src in places:
        if not isinstance(src, Mapping):
            continue
        with _tolerant():
            found = sources.check(dict(src), doc.file)
            if found is None:
                continue
            severity, what, expected = found
            problem = doc.problem((*path, "quote" if severity == "error" else "document"), what, expected)
            (out if severity == "error" else doc.warnings).append(problem)

