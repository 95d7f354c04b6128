"""Experiment files: a base scenario and variants of its policy levers, compared with common random numbers.

An experiment is data, like a scenario. Each variant changes the base scenario's levers by *path*
(`policies.<lever id>.<field>`), removes levers, or adds new ones (checked with the scenario's own lever
schema); a `grid` over one or two paths generates the variants. Every variant runs with the same seed, so run k
of each variant meets the same random numbers (`sim.model.rng`): differences between variants are paired.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, Strict, ValidationError

from sim.errors import Problem, ScenarioError, closest
from sim.input.fields import Id, Strict_, Text, number, schema_extra
from sim.input.models import IndicatorName
from sim.input.problems import problems_from_model
from sim.input.rules import policy_rules
from sim.input.scenario import Policy, Scenario, load_scenario, policy_from_raw
from sim.input.yamlio import NO_SUCH_FILE, YamlDoc, load_yaml
from sim.model.levers import KINDS, LeverParams
from sim.model.levers.base import LeverBase

#: Lever fields a path may set, whatever the kind (a kind's own fields are added per lever).
COMMON_LEVER_FIELDS = ("start", "end", "scope", "budget_per_year", "when_exhausted")
BASE_ID = "base"
Scalar = Annotated[float, Strict()] | Annotated[str, Strict()] | Annotated[bool, Strict()]


def _settable(policy: Policy) -> tuple[str, ...]:
    own = [f for f in KINDS[policy.kind].Params.model_fields if f not in LeverBase.model_fields and f != "kind"]
    return (*COMMON_LEVER_FIELDS, *own)


class VariantModel(Strict_):
    """A variant: lever fields changed by path, levers removed, levers added."""

    id: Id
    name: Text = Field(description="a short label for tables and plots (Chinese or English)",
                       json_schema_extra={"zh": "名称"})
    set: dict[str, Scalar] | None = Field(None, description="lever fields to change: "
                                                            "`policies.<lever id>.<field>: value`")
    remove: list[Id] | None = Field(None, description="levers of the base scenario to drop")
    add: list[LeverParams] | None = Field(None, description="new levers, written as in a scenario's `policies:`")
    note: Text | None = None


class GridAxis(Strict_):
    path: Text = Field(description="the lever field this axis varies: policies.<lever id>.<field>")
    values: list[number(-1e15, 1e15)] = Field(  # type: ignore[valid-type]
        min_length=1, max_length=50, description="its values, one variant each")
    label: Text | None = Field(None, description="axis label for plots (default: the path)")


class ExperimentHead(Strict_):
    id: Id
    name: Text = Field(json_schema_extra={"zh": "名称"})
    name_en: Text | None = None
    scenario: Text = Field(description="the base scenario file, relative to this file")
    base: Id | None = Field(None, description="the variant differences are taken against (default: `base`, the "
                                              "scenario as it is)")
    runs: number(1, 1_000_000, whole=True) = Field(  # type: ignore[valid-type]
        1000, description="runs per variant (the same runs, with the same seed, for every variant)")
    seed: Annotated[int, Strict(), Field(ge=0, le=2**63 - 1)] = 0
    indicator: IndicatorName = Field("hte", description="the indicator of the overlaid fan chart and of the cost "
                                                        "per additional unit")
    note: Text | None = None


class ExperimentFile(Strict_):
    """A zonesim experiment: variants of a scenario's levers, run with the same seeds."""

    experiment: ExperimentHead = Field(json_schema_extra=schema_extra(zh="实验"))
    add: list[LeverParams] | None = Field(None, json_schema_extra={"zh": "新增政策"},
                                          description="levers added to the base scenario itself (so that every "
                                                      "variant and the grid can set them)")
    variants: list[VariantModel] | None = Field(None, max_length=200, json_schema_extra={"zh": "方案"})
    grid: list[GridAxis] | None = Field(None, min_length=1, max_length=2, json_schema_extra={"zh": "网格"},
                                        description="one or two lever fields; every combination of their values is "
                                                    "a variant")


@dataclass(frozen=True)
class Variant:
    id: str
    name: str
    scenario: Scenario
    grid: tuple[float, ...] = ()       # the variant's values on the grid axes, if it comes from the grid


@dataclass(frozen=True)
class Experiment:
    id: str
    name: str
    name_en: str
    path: str
    base_id: str
    runs: int
    seed: int
    indicator: str
    variants: tuple[Variant, ...]
    grid_axes: tuple[tuple[str, str], ...] = ()   # (path, label) of each grid axis
    sha256: str = ""                               # of the experiment file

    def variant(self, variant_id: str) -> Variant:
        return next(v for v in self.variants if v.id == variant_id)

    @property
    def base(self) -> Variant:
        return self.variant(self.base_id)


def load_experiment(path: str | Path) -> Experiment:
    """Read, validate and build an experiment; every problem of the file at once, as a ScenarioError."""
    doc = load_yaml(path)
    problems: list[Problem] = []
    if not isinstance(doc.data, Mapping):
        raise ScenarioError([doc.problem((), "a YAML value that is not a mapping", "a mapping of sections")])
    try:
        ExperimentFile.model_validate(doc.data)
    except ValidationError as err:
        problems += problems_from_model(err, doc, ExperimentFile)
    head = doc.data.get("experiment") if isinstance(doc.data, Mapping) else None
    if not isinstance(head, Mapping) or not isinstance(head.get("scenario"), str):
        raise ScenarioError(problems)
    scenario_path = Path(path).parent / head["scenario"]
    base = _load_base(doc, scenario_path, head["scenario"], problems)
    if problems:  # the structure is wrong somewhere: still check every lever path against the scenario
        _check_paths_only(doc, base, problems)
        raise ScenarioError(problems)
    if doc.data.get("add"):
        base = _apply(doc, (), base, {}, [], doc.data["add"], problems)
    variants: list[Variant] = [Variant(BASE_ID, "基准 · base scenario", base)]
    for i, raw in enumerate(doc.data.get("variants") or []):
        scenario = _apply(doc, ("variants", i), base, raw.get("set") or {}, raw.get("remove") or [],
                          raw.get("add") or [], problems)
        variants.append(Variant(raw["id"], raw["name"], scenario))
    axes = doc.data.get("grid") or []
    for combo in itertools.product(*[list(enumerate(a["values"])) for a in axes]) if axes else []:
        settings = {axes[k]["path"]: v for k, (_, v) in enumerate(combo)}
        where = {axes[k]["path"]: ("grid", k, "values", j) for k, (j, _) in enumerate(combo)}
        scenario = _apply(doc, ("grid",), base, settings, [], [], problems, where)
        vid = "grid_" + "_".join(f"{_short(p)}_{_fmt(v)}" for p, v in settings.items())
        label = ", ".join(f"{_short(p)}={_fmt(v)}" for p, v in settings.items())
        variants.append(Variant(vid, label, scenario, tuple(float(v) for v in settings.values())))
    ids = [v.id for v in variants]
    names = [v.name for v in variants]
    for i, raw in enumerate(doc.data.get("variants") or []):
        if ids.count(raw["id"]) > 1:
            problems.append(doc.problem(("variants", i, "id"), raw["id"], "a unique variant id (not 'base')"))
        if names.count(raw["name"]) > 1:
            problems.append(doc.problem(("variants", i, "name"), raw["name"],
                                        "a name no other variant has (tables and plots label variants by name)"))
    paths = [a["path"] for a in axes]
    for k, axis in enumerate(axes):
        if paths.index(axis["path"]) != k:
            problems.append(doc.problem(("grid", k, "path"), axis["path"],
                                        "a path no other grid axis varies (two axes on one field would contradict "
                                        "each other in every variant)"))
    base_id = head.get("base", BASE_ID)
    if base_id not in ids:
        problems.append(doc.problem(("experiment", "base"), base_id, "the id of a variant, or 'base'",
                                    _did_you_mean(base_id, ids)))
    if len(variants) < 2:
        problems.append(doc.problem((), "no variants", "`variants:` or `grid:` with at least one variant"))
    if problems:
        raise ScenarioError(problems)
    return Experiment(head["id"], head["name"], head.get("name_en", head["id"]), str(path), base_id,
                      head.get("runs", 1000), head.get("seed", 0), head.get("indicator", "hte"), tuple(variants),
                      tuple((a["path"], a.get("label", a["path"])) for a in axes), doc.sha256)


def _load_base(doc: YamlDoc, scenario_path: Path, written: str, problems: list[Problem]) -> Scenario:
    """The experiment's base scenario. A file that is not a zonesim scenario is refused at the experiment's
    `scenario:` line without quoting it (it may be any file on the machine); a scenario's own problems are
    reported in the scenario file."""
    loc = ("experiment", "scenario")
    if scenario_path.suffix not in (".yaml", ".yml"):
        raise ScenarioError([*problems, doc.problem(loc, written, "a scenario file (*.yaml)")])
    try:
        raw = load_yaml(scenario_path)
    except ScenarioError as err:
        if any(p.found == NO_SUCH_FILE for p in err.problems):
            raise ScenarioError([*problems, doc.problem(loc, written, f"a scenario file (looked for "
                                                                       f"{scenario_path.resolve()})")]) from None
        raise ScenarioError([*problems, doc.problem(loc, written, "a readable zonesim scenario file (this one "
                                                                   "cannot be read as YAML: run zonesim validate "
                                                                   "on it)")]) from None
    if not isinstance(raw.data, Mapping) or not {"scenario", "targets"} <= set(raw.data):
        raise ScenarioError([*problems, doc.problem(loc, written, "a zonesim scenario file (with 'scenario:' and "
                                                                   "'targets:' sections)")])
    return load_scenario(scenario_path)


def _check_paths_only(doc: YamlDoc, base: Scenario, problems: list[Problem]) -> None:
    """After structural problems, the variants' `set` paths that can be checked against the scenario are, so
    that one run of the validator reports them too."""
    variants = doc.data.get("variants")
    for i, raw in enumerate(variants if isinstance(variants, list) else []):
        if isinstance(raw, Mapping):
            settings = raw.get("set") if isinstance(raw.get("set"), Mapping) else {}
            remove = [r for r in raw.get("remove") or [] if isinstance(r, str)] \
                if isinstance(raw.get("remove"), list) else []
            try:
                _apply(doc, ("variants", i), base, settings, remove, [], problems)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue  # its structure is already reported


def _did_you_mean(name: str, candidates: list[str]) -> str:
    guess = closest(name, candidates)
    return f"did you mean '{guess}'?" if guess else ""


def _short(path: str) -> str:
    return path.split(".")[-1]


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _apply(doc: YamlDoc, at: tuple, base: Scenario, settings: Mapping[str, Any], remove: list[str],
           add: list[Mapping], problems: list[Problem], where: Mapping[str, tuple] | None = None) -> Scenario:
    """The base scenario with `settings` applied to its levers, `remove`d levers dropped and `add`ed ones
    appended. A bad path or value is reported at its line in the experiment file."""
    levers = {p.id: p for p in base.policies}
    raw = {p.id: _raw(p) for p in base.policies}
    set_at: dict[str, dict[str, tuple]] = {}  # lever id -> field -> where its setting is written
    for key, value in settings.items():
        loc = where[key] if where else (*at, "set", key)
        parts = key.split(".")
        if len(parts) != 3 or parts[0] != "policies":
            problems.append(doc.problem(loc, key, "a path policies.<lever id>.<field>",
                                        _path_hint(key, levers)))
            continue
        _, lever_id, name = parts
        if lever_id not in levers:
            known = ", ".join(f"policies.{i}" for i in levers) or "none: add one with `add`"
            problems.append(doc.problem(loc, key, f"a lever of the base scenario ({known})",
                                        _path_hint(key, levers)))
            continue
        allowed = _settable(levers[lever_id])
        if name not in allowed:
            problems.append(doc.problem(loc, key, f"a field of the {levers[lever_id].kind} lever '{lever_id}'",
                                        _did_you_mean(f"policies.{lever_id}.{name}",
                                                      [f"policies.{lever_id}.{f}" for f in allowed])))
            continue
        trial = {**raw[lever_id], name: value}
        try:
            KINDS[levers[lever_id].kind].Params.model_validate(trial)
        except ValidationError as err:  # located at the setting's line: the value is the experiment's
            field_problems = [p for p in _lever_problems(err, trial) if p[0] == name] or \
                [(name, *p[1:]) for p in _lever_problems(err, trial)]
            problems += [doc.problem(loc, found, expected, hint) for _, found, expected, hint in field_problems]
            continue
        raw[lever_id][name] = value
        set_at.setdefault(lever_id, {})[name] = loc
    for k, lever_id in enumerate(remove):
        if lever_id not in raw:
            problems.append(doc.problem((*at, "remove", k), lever_id, "a lever of the base scenario",
                                        _did_you_mean(lever_id, list(raw))))
        raw.pop(lever_id, None)
    for k, item in enumerate(add):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            continue  # its structure is reported by the file's model
        if item["id"] in raw:
            problems.append(doc.problem((*at, "add", k, "id"), item["id"], "an id no other lever has"))
        with contextlib.suppress(KeyError, TypeError, ValueError):
            policy_rules(doc, dict(item), (*at, "add", k), base.end_year, problems, base.base_year)
        raw[item["id"]] = dict(item)
    for lever_id, locs in set_at.items():  # the changed lever as a whole, by the scenario's own rules
        if lever_id in raw:
            policy_rules(_Located(doc, next(iter(locs.values())), locs), raw[lever_id], (), base.end_year, problems,
                         base.base_year)
    try:
        return base.with_policies(tuple(policy_from_raw(item) for item in raw.values()))
    except (KeyError, TypeError, ValueError, ValidationError):  # only after a reported problem: never returned
        return base


def _lever_problems(err: ValidationError, lever: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(field, found, expected, hint) of each problem of a lever validated on its own."""
    from sim.input.problems import problems_from

    kind = lever.get("kind", "")
    tmp = YamlDoc({"lever": lever}, "<lever>")
    out = []
    for p in problems_from(err, tmp, KINDS[kind].Params.model_json_schema(by_alias=True), ("lever",)):
        field = p.key.split(".")[-1] if p.key.startswith("lever.") else ""
        out.append((field, p.found, p.expected, p.hint))
    return out


def _path_hint(key: str, levers: Mapping[str, Policy]) -> str:
    valid = [f"policies.{i}.{f}" for i, p in levers.items() for f in _settable(p)]
    return _did_you_mean(key, valid)


def _raw(policy: Policy) -> dict[str, Any]:
    """A frozen lever back as the mapping a scenario file would hold."""
    raw: dict[str, Any] = {"id": policy.id, "kind": policy.kind, "name": policy.name, "name_en": policy.name_en,
                           "start": "{:04d}-{:02d}".format(*policy.start),
                           "end": "{:04d}-{:02d}".format(*policy.end),
                           "scope": policy.scope, "when_exhausted": policy.when_exhausted}
    if policy.budget_per_year is not None:
        raw["budget_per_year"] = policy.budget_per_year
    if policy.source is not None:
        raw["source"] = {k: v for k, v in vars(policy.source).items() if v is not None}
    for k, v in policy.params:
        raw[k] = list(v) if isinstance(v, tuple) else v
    return raw


class _Located:
    """A YamlDoc view that reports problems where the values were set by path: a problem about a field set in
    the experiment file at that setting's line, any other at `loc`."""

    def __init__(self, doc: YamlDoc, loc: tuple, fields: dict[str, tuple] | None = None) -> None:
        self.doc, self.loc, self.fields = doc, loc, fields or {}
        self.file = doc.file

    def problem(self, path: tuple, found: str, expected: str, hint: str = "") -> Problem:
        where = self.fields.get(path[-1], self.loc) if path else self.loc
        return self.doc.problem(where, found, expected, hint)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.doc, name)

