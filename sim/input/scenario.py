"""Scenario files: read with positions, validated (`sim.input.models` for structure, `sim.input.rules` across
sections, both in one pass), and frozen into the picklable `Scenario` the model runs.

A scenario is data: the region's zones, base-year facts (each with its source or marked as an assumption, and its
vintage), behavioural priors, policy levers and the plan's targets, each quoting the clause it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.errors import Problem, ScenarioError
from sim.input.fields import parse_year_month
from sim.input.models import SEED_DOCUMENTS, scenario_model
from sim.input.posterior import Posterior
from sim.input.priors import Prior, default_priors, parameter_bounds
from sim.input.problems import problems_from_model
from sim.input.rules import did_you_mean, scenario_rules
from sim.input.yamlio import YamlDoc, load_yaml
from sim.measure.indicators import INDICATORS
from sim.model.fields import FieldCondition
from sim.model.levels import LEVEL_CODE, OFFICIAL_MIN_LEVEL, ZONE_LEVELS
from sim.model.levers import KINDS as POLICY_KINDS

__all__ = ["SEED_DOCUMENTS", "ZONE_LEVELS", "LEVEL_CODE", "OFFICIAL_MIN_LEVEL", "POLICY_KINDS", "Scenario",
           "build_scenario", "load_scenario", "validate_file", "default_priors", "parameter_bounds"]



def validate(doc: YamlDoc) -> list[Problem]:
    """Every problem of a scenario document, structural and across sections, in one pass."""
    problems: list[Problem] = []
    if not isinstance(doc.data, Mapping):
        return [doc.problem((), "a YAML value that is not a mapping", "a mapping of sections")]
    try:
        scenario_model().model_validate(doc.data)
    except ValidationError as err:
        problems += problems_from_model(err, doc, scenario_model())
    scenario_rules(doc, dict(doc.data), problems)
    return problems


# --- the frozen scenario ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """A clause and where it is from (sim.input.sources): a document (bundled plan or file), a url, a title and
    date — at least one of the three."""

    document: str | None
    quote: str
    url: str | None = None
    title: str | None = None
    date: str | None = None

    def cite(self) -> str:
        """How a report names the document: title (date), else the file name, else the address."""
        if self.title:
            return f"{self.title} ({self.date})" if self.date else self.title
        return self.document or self.url or ""


@dataclass(frozen=True)
class Zone:
    id: str
    name: str
    name_en: str
    level: str
    firm_weight: Prior
    population: Prior | None
    district: str = ""


@dataclass(frozen=True)
class ZoneCreation:
    level: str
    first_month: int                      # month index (1 = January after the base year)
    review_months: int
    conditions: tuple[FieldCondition, ...]


def _condition(indicator: str, at_least: float) -> FieldCondition:
    """An entry condition compiled into the fields the model sums (validated names only)."""
    ind = INDICATORS[indicator]
    return FieldCondition(indicator, ind.numerator, ind.denominator, ind.scale, at_least)


@dataclass(frozen=True)
class Policy:
    """A lever of the scenario, frozen: its common fields and `spec`, the kind's typed input model
    (`sim.model.levers.<kind>.Params`), which the kind's effect hooks read."""

    id: str
    kind: str
    name: str
    name_en: str
    start: tuple[int, int]
    end: tuple[int, int]
    scope: str
    spec: Any
    budget_per_year: float | None
    when_exhausted: str
    source: Source | None

    @property
    def params(self) -> tuple[tuple[str, Any], ...]:
        """The kind's own fields as (name, value) pairs (for files and experiments)."""
        return self.spec.params()

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.params).get(key, default)


@dataclass(frozen=True)
class Target:
    id: str
    name: str
    name_en: str
    indicator: str
    kind: str
    comparison: str
    threshold: float
    year: int
    month: int
    scope: str
    of_indicator: str | None
    of_scope: str
    from_year: int
    mode: str | None
    zone_level: str
    level: float | None
    status: str
    reason: str
    source: Source
    zones: tuple[str, ...] = ()          # only these zones (ids) ...
    zone_index: tuple[int, ...] = ()     # ... and their positions
    each_zone: bool = False
    district_of: tuple[int, ...] = ()    # districts_covered: each zone's district number (-1: none)

    @property
    def modelled(self) -> bool:
        return self.status == "modelled"


@dataclass(frozen=True)
class Scenario:
    """Everything a run needs, frozen and picklable (sent as-is to worker processes)."""

    id: str
    name: str
    name_en: str
    region: str
    base_year: int
    end_year: int
    calendar: tuple[tuple[str, Any], ...]
    zones: tuple[Zone, ...]
    firms: tuple[tuple[str, Prior], ...]
    incubators: tuple[tuple[str, Prior], ...]
    institutions: tuple[tuple[str, Prior], ...]
    parameters: tuple[tuple[str, Prior], ...]
    policies: tuple[Policy, ...]
    targets: tuple[Target, ...]
    region_facts: tuple[tuple[str, Prior], ...] = ()
    zone_creation: ZoneCreation | None = None
    path: str = ""
    sha256: str = ""
    raw: Any = field(default=None, compare=False, repr=False)
    warnings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)  # doubts that do not stop a run
    posterior: Posterior | None = None  # calibrated parameters, drawn per run (sim.input.posterior)
    transfer: bool = False  # the posterior was fitted to another region: runs carry the between-region pace

    @property
    def months(self) -> int:
        return 12 * (self.end_year - self.base_year)

    def cal(self, key: str) -> Any:
        return dict(self.calendar)[key]

    def firm(self, key: str) -> Prior | None:
        return dict(self.firms).get(key)

    def param_priors(self) -> dict[str, Prior]:
        return dict(self.parameters)

    def with_policies(self, policies: tuple[Policy, ...]) -> Scenario:
        return replace(self, policies=policies)

    def with_parameters(self, values: dict[str, float]) -> Scenario:
        """This scenario with the named parameters fixed (e.g. one calibration particle); its posterior keeps
        estimating the others."""
        fixed = {name: Prior(float(v), None, "fixed by the caller", False, "", None) for name, v in values.items()}
        params = {**dict(self.parameters), **fixed}
        post = self.posterior.without(list(values)) if self.posterior is not None else None
        return replace(self, parameters=tuple(sorted(params.items())), posterior=post)


def _source(raw: Mapping | None) -> Source | None:
    if not raw:
        return None
    date = raw.get("date")
    return Source(raw.get("document"), raw["quote"], raw.get("url"), raw.get("title"),
                  None if date is None else str(date))


def _priors(raw: Mapping) -> tuple[tuple[str, Prior], ...]:
    return tuple((k, Prior.from_yaml(v)) for k, v in raw.items())


def _without_nulls(node: Any) -> Any:
    """The document with every explicit null dropped: an optional key written as `key:` or `key: null` means
    what leaving it out means (the input models give such keys the default None, and validation has passed)."""
    if isinstance(node, Mapping):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_without_nulls(v) for v in node]
    return node


def build_scenario(doc: YamlDoc) -> Scenario:
    """Validate a parsed YAML document and freeze it; raises ScenarioError listing every problem."""
    problems = validate(doc)
    if problems:
        raise ScenarioError(problems)
    d = _without_nulls(doc.data)
    head = d["scenario"]
    base = head["base_year"]
    end = head["end_year"] if "end_year" in head else max(t["year"] for t in d["targets"])
    params = dict(default_priors())
    params.update({k: Prior.from_yaml(v) for k, v in (d.get("parameters") or {}).items()})
    zones = tuple(Zone(z["id"], z["name"], z.get("name_en", z["id"]), z["level"], Prior.from_yaml(z["firm_weight"]),
                       Prior.from_yaml(z["population"]) if "population" in z else None, z.get("district", ""))
                  for z in d["zones"])
    zc = d.get("zone_creation")
    creation = None
    if zc:
        first = parse_year_month(zc["from"]) if "from" in zc else None
        creation = ZoneCreation(zc["level"], 1 if first is None else max(1, (first[0] - base - 1) * 12 + first[1]),
                                zc["review_months"],
                                tuple(_condition(c["indicator"], float(c["at_least"]))
                                      for c in zc.get("conditions", [])))
    policies = tuple(policy_from_raw(p) for p in d.get("policies") or [])
    zone_pos = {z.id: j for j, z in enumerate(zones)}
    districts = sorted({z.district for z in zones if z.district})
    district_of = tuple(districts.index(z.district) if z.district else -1 for z in zones)
    targets = tuple(
        Target(t["id"], t["name"], t["name_en"], t["indicator"], t["kind"], t["comparison"], float(t["threshold"]),
               t["year"], t.get("month", 12), t.get("scope", "zones"), (t.get("of") or {}).get("indicator"),
               (t.get("of") or {}).get("scope", "zones"), t.get("from_year", base), t.get("mode"),
               t.get("zone_level", "any"), t.get("level"), t.get("status", "modelled"), t.get("reason", ""),
               _source(t["source"]), zones=tuple(t.get("zones", ())),  # type: ignore[arg-type]
               zone_index=tuple(zone_pos[z] for z in t.get("zones", ())), each_zone=bool(t.get("each_zone", False)),
               district_of=district_of if t["kind"] == "districts_covered" else ())
        for t in d["targets"])
    posterior = _load_calibration(doc, d, base, params)
    cal = {k: v for k, v in d["calendar"].items() if k not in ("assumed", "note")}
    cal["hte_rounds"] = tuple(sorted(cal["hte_rounds"]))
    return Scenario(
        id=head["id"], name=head["name"], name_en=head["name_en"], region=head["region"], base_year=base,
        end_year=end, calendar=tuple(sorted(cal.items())), zones=zones, firms=_priors(d["firms"]),
        incubators=_priors(d["incubators"]), institutions=_priors(d["institutions"]),
        parameters=tuple(sorted(params.items())), policies=policies, targets=targets,
        region_facts=_priors(d.get("region") or {}), zone_creation=creation, path=doc.file, sha256="", raw=d,
        warnings=tuple(doc.warnings), posterior=posterior,
        transfer=bool((d.get("calibration") or {}).get("transfer")),
    )


def policy_from_raw(p: Mapping) -> Policy:
    """Freeze a validated lever mapping."""
    spec = POLICY_KINDS[p["kind"]].Params.model_validate(dict(p))
    return Policy(p["id"], p["kind"], p["name"], p.get("name_en", p["id"]), parse_year_month(p["start"]),
                  parse_year_month(p["end"]), p.get("scope", "zones"),  # type: ignore[arg-type]
                  spec, p.get("budget_per_year"), p.get("when_exhausted", "pro_rata"), _source(p.get("source")))




def _load_calibration(doc: YamlDoc, d: dict, base: int, params: dict[str, Prior]) -> Posterior | None:
    """The posterior a scenario names, checked: readable, of a vintage up to the base year, estimating known
    parameters within the bounds an override may take. Raises ScenarioError at the `posterior:` line."""
    from sim.input.posterior import PosteriorError, load_posterior

    cal = d.get("calibration")
    if not cal:
        return None
    where = ("calibration", "posterior")
    path = Path(doc.file).parent / cal["posterior"]
    try:
        post = load_posterior(path)
    except PosteriorError as exc:
        raise ScenarioError([doc.problem(where, cal["posterior"], "a posterior file written by zonesim calibrate",
                                         f"{path}: {exc}; the path is relative to the scenario file's folder, "
                                         "and the bundled posteriors are in scenarios/posteriors/")]) from None
    problems = []
    if post.vintage > base:
        problems.append(doc.problem(where, f"a posterior of vintage {post.vintage}",
                                    f"one fitted to history up to the base year {base} (calibrate with --until "
                                    f"{base})"))
    for k, name in enumerate(post.names):
        if name not in params:
            problems.append(doc.problem(where, f"parameter '{name}'", "parameters of sim/data/priors.yaml",
                                        did_you_mean(name, list(params))))
            continue
        lo, hi = parameter_bounds(params[name])
        column = [row[k] for row in post.samples]
        if (lo is not None and min(column) < lo) or (hi is not None and max(column) > hi):
            problems.append(doc.problem(where, f"'{name}' from {min(column):g} to {max(column):g}",
                                        f"values within [{lo}, {hi}]"))
    if problems:
        raise ScenarioError(problems)
    if post.region == "national" and cal.get("transfer") is None:
        doc.warnings.append(doc.problem(
            ("calibration", "posterior"), f"a posterior fitted to the national reference ({cal['posterior']})",
            "for a province or a city, `transfer: true`, so that runs carry the spread between regions "
            "(`regional_hte_pace`); `transfer: false` for a national scenario"))
    return post


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and freeze a scenario file. Every problem is reported at once as a ScenarioError."""
    doc = load_yaml(path)
    scenario = build_scenario(doc)
    return replace(scenario, path=str(path), sha256=doc.sha256)


def validate_file(path: str | Path) -> list[Problem]:
    """All problems of a scenario file (empty when it is valid)."""
    try:
        load_scenario(path)
    except ScenarioError as err:
        return list(err.problems)
    return []
