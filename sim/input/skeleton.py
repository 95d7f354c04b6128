"""`zonesim new`: a commented skeleton scenario for a region with N zones, and the table of base-year inputs
the user guide shows — both from the input models (what each key means, whether it is required) and
sim/data/inputs.yaml (where a planner finds each, the skeleton's placeholder value, what happens without it).

The skeleton validates and runs as written: every placeholder is a wide prior marked `assumed`, so a planner
sees at once which figures are still to be replaced (the table's `assumed` column, and `zonesim validate`).
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from sim.input.fields import QuantitySchema
from sim.input.models import Firms, Incubators, Institutions, Region
from sim.input.priors import default_priors

SECTIONS = {"firms": Firms, "incubators": Incubators, "institutions": Institutions, "region": Region}
#: Keys of which exactly one is required (the skeleton writes the first).
ONE_OF = {("firms", "hte_outside"): "hte_region", ("firms", "hte_region"): "hte_outside"}


@dataclass(frozen=True)
class Input:
    """One base-year input: its section and key, labels, whether required, where to find it, the skeleton's
    placeholder (a number or a (low, high) range, per official zone when `per_zone`), and what happens without."""

    section: str
    key: str
    zh: str
    meaning: str
    unit: str
    required: str            # "yes", "no", or "one of …"
    find: str
    example: float | tuple[float, float] | None
    per_zone: bool
    absent: str


@cache
def _guide() -> dict[str, dict[str, dict[str, Any]]]:
    return yaml.safe_load(resources.files("sim").joinpath("data/inputs.yaml").read_text(encoding="utf-8"))


def inputs() -> list[Input]:
    """Every base-year input of the firms, incubators, institutions and region sections, in file order."""
    guide = _guide()
    out = []
    for section, model in SECTIONS.items():
        for key, info in model.model_fields.items():
            meta = _schema_of(info)
            g = guide.get(section, {}).get(key, {})
            other = ONE_OF.get((section, key))
            required = f"one of this and {other}" if other else ("yes" if info.is_required() else "no")
            ex = g.get("example")
            out.append(Input(section, key, meta.zh if meta else "", meta.description if meta else "",
                             meta.unit if meta else "", required, g.get("find", ""),
                             tuple(ex) if isinstance(ex, list) else ex, bool(g.get("per_zone")),
                             g.get("absent", "")))
    return out


def _schema_of(info: Any) -> QuantitySchema | None:
    """The QuantitySchema of a model field, also when the field is optional (`quantity(...) | None`)."""
    found = [m for m in info.metadata if isinstance(m, QuantitySchema)]
    for arg in typing.get_args(info.annotation):
        found += [m for m in getattr(arg, "__metadata__", ()) if isinstance(m, QuantitySchema)]
    return found[0] if found else None


def _value(inp: Input, n_zones: int, year: int) -> str:
    """The skeleton's YAML for an input: a uniform prior over its range (or a fixed value), marked assumed."""
    k = n_zones if inp.per_zone else 1
    whole = inp.section in ("incubators", "institutions") or inp.key.startswith(("count", "hte_", "over_"))
    ex = inp.example
    if isinstance(ex, tuple):
        lo, hi = ex[0] * k, ex[1] * k
        if whole:
            lo, hi = round(lo), round(hi)
        return (f"{{dist: uniform, loc: {_num(lo)}, scale: {_num(hi - lo)}, assumed: true, vintage: {year}, "
                f"note: \"placeholder: replace\"}}")
    v = round(ex * k) if whole else ex * k
    return f"{{value: {_num(v)}, assumed: true, vintage: {year}, note: \"placeholder: replace\"}}"


def _num(x: float) -> str:
    return f"{int(x)}" if float(x).is_integer() else f"{x:.4g}"


def _slug(text: str) -> str:
    s = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_")
    return s or "my_region"


def skeleton(region: str, n_zones: int, base_year: int, end_year: int, scenario_id: str | None = None) -> str:
    """A commented scenario for `region` with `n_zones` official zones (the first provincial, the others
    municipal) and the rest of the region, base year `base_year`, targets in `end_year`. Raises ValueError
    ("<what>: expected …") for n_zones outside 1..50, a base year before the default priors' latest vintage, or
    end_year not within 30 years after base_year."""
    if not 1 <= n_zones <= 50:
        raise ValueError("n_zones: expected 1 to 50 zones")
    latest = max(p.vintage or 0 for p in default_priors().values())
    if base_year < latest:
        raise ValueError(f"base_year: expected {latest} or later (the default behavioural priors use information "
                         f"up to {latest}; an earlier plan needs its own priors under parameters:)")
    if not base_year < end_year <= min(base_year + 30, 2100):
        raise ValueError("years: expected base_year < end_year <= base_year + 30")
    sid = scenario_id or f"{_slug(region)}_{end_year}"
    y, mid = base_year, base_year + max(1, (end_year - base_year) // 2)
    plan = f"{{title: {region}高新区发展规划（{base_year + 1}—{end_year}年）, date: {base_year + 1}"
    lines = [
        f"# A skeleton scenario for {region}, written by `zonesim new`. It validates and runs as written, but every",
        "# figure marked `assumed: true` with note \"placeholder\" is a wide placeholder: replace it with the region's",
        "# own base-year figure (the comment above each key says where to find it), with `source:` or `assumed: true`",
        "# and the year of the information (`vintage`, at most the base year). Then `zonesim validate` this file.",
        "# The keys are described in docs/scenarios.md (scenario reference) and docs/user-guide.md (§7). For",
        "# completion in an editor: `zonesim schema > zonesim.schema.json`, then make the first line of this file",
        "# `# yaml-language-server: $schema=zonesim.schema.json`.",
        "",
        "scenario:",
        f"  id: {sid}",
        f"  name: {region}高新区发展规划",
        f"  name_en: {region if region.isascii() else 'City'} high-tech zone development plan   # the title in English",
        f"  region: {region}",
        f"  base_year: {base_year}          # the year whose end state the simulation starts from",
        f"  end_year: {end_year}",
        "  # Cite your plan: a text file beside this scenario (document: my_plan.txt — quotes are then checked",
        "  # verbatim), a web address (url: https://...), or a title and date (as below).",
        f"  source: {plan}, quote: 发展规划}}",
        "",
        "calendar:                  # when things happen in a year (your province's practice)",
        "  hte_rounds: [6, 11]      # months whose end issues HTE certificates (高企认定批次; provinces run 1-4)",
        "  tech_sme_listing_month: 5  # 科技型中小企业入库",
        "  upgrade_application_month: 6",
        "  upgrade_review_months: 12  # from a zone's upgrade application to the decision",
        "  incubator_construction_months: 12",
        "  assumed: true",
        "",
        "zones:                     # the official zones, then the rest of the region (level: outside)",
    ]
    for j in range(n_zones):
        level = "provincial" if j == 0 else "municipal"
        lines.append(f"  - {{id: zone_{j + 1}, name: {region}第{j + 1}高新区, level: {level}, "
                     f"firm_weight: {{value: 1, assumed: true, vintage: {y}}}}}")
    lines += [
        f"  - {{id: rest, name: {region}其他地区, level: outside, "
        f"firm_weight: {{value: 1, assumed: true, vintage: {y}}}}}",
        "  # firm_weight: each zone's share of the zones' firms (relative weights). A park that may become a zone",
        "  # is `level: candidate` (then add firms.count_per_candidate and a zone_creation section).",
        "",
    ]
    for section in SECTIONS:
        body = []
        for inp in (i for i in inputs() if i.section == section):
            body.append(f"  # {inp.zh} — {inp.meaning}" + (f" [{inp.unit}]" if inp.unit else ""))
            req = {"yes": "required", "no": "optional"}.get(inp.required, inp.required)
            body.append(f"  #   {req}. Where: {inp.find}" if inp.find else f"  #   {req}.")
            if inp.absent:
                body.append(f"  #   Without it: {inp.absent}.")
            if inp.example is not None and inp.key != "count_per_candidate":
                body.append(f"  {inp.key}: {_value(inp, n_zones, y)}")
            else:
                body.append(f"  # {inp.key}: {{value: ..., source: ..., vintage: {y}}}")
        has_values = any(not ln.lstrip().startswith("#") for ln in body)
        lines += [f"{section}:" if has_values else f"{section}: {{}}   # every key optional: uncomment to use", *body,
                  ""]
    lines += [
        "# parameters:               # behavioural priors: the defaults (docs/scenarios.md) apply; override by name",
        "#   hte_pass_rate: {dist: uniform, loc: 0.7, scale: 0.2, source: \"your province's pass rate\", "
        f"vintage: {y}}}",
        "",
        "policies:                  # the plan's levers; see docs/scenarios.md for every kind",
        "  - id: hte_award",
        "    kind: hte_award",
        "    name: 新认定高新技术企业奖励",
        f"    start: {base_year + 1}-01",
        f"    end: {end_year}-12",
        "    scope: zones            # zones: firms of official zones; region: every firm",
        "    amount_new: 100000      # RMB per first certification",
        "    amount_renewal: 50000   # RMB per re-certification",
        f"    source: {plan}, quote: 对新认定的高新技术企业给予奖励}}",
        "",
        "targets:                   # one of each shape; quote each from your plan",
        "  - id: hte_level          # a level: HTEs in the zones at the end of the plan",
        "    name: 高新技术企业数",
        "    name_en: High-tech enterprises",
        "    indicator: hte",
        "    kind: level",
        "    comparison: \">=\"",
        f"    threshold: {max(1, round(n_zones * 150))}",
        f"    year: {end_year}",
        f"    source: {plan}, quote: 高新技术企业达到{max(1, round(n_zones * 150))}家}}",
        "  - id: output_double      # a multiple of the base year",
        "    name: 工业总产值翻番",
        "    name_en: Industrial output doubled",
        "    indicator: output",
        "    kind: multiple",
        "    comparison: \">=\"",
        "    threshold: 2",
        f"    year: {end_year}",
        f"    source: {plan}, quote: 工业总产值比{base_year}年翻一番}}",
        "  - id: rd_growth          # a compound yearly growth rate (a fraction: 0.15 = 15%)",
        "    name: R&D经费年均增长",
        "    name_en: R&D spending, compound yearly growth",
        "    indicator: rd_reported",
        "    kind: growth",
        "    mode: compound",
        "    comparison: \">=\"",
        "    threshold: 0.15",
        f"    year: {end_year}",
        f"    source: {plan}, quote: R&D经费支出年均增长15%以上}}",
        "  - id: hte_share          # a share of another indicator (here: of the whole region's HTEs)",
        "    name: 高企占全市比重",
        "    name_en: Zones' share of the region's HTEs",
        "    indicator: hte",
        "    kind: share",
        "    of: {indicator: hte, scope: region}",
        "    comparison: \">=\"",
        "    threshold: 0.5",
        f"    year: {end_year}",
        f"    source: {plan}, quote: 园区高新技术企业占全市50%以上}}",
        "  - id: patents_per_10k    # per 10,000 residents of the zones (needs firms.population_in_zones)",
        "    name: 每万人发明专利拥有量",
        "    name_en: Invention patents per 10,000 residents",
        "    indicator: invention_patents",
        "    kind: per_10k",
        "    comparison: \">=\"",
        "    threshold: 20",
        f"    year: {end_year}",
        f"    source: {plan}, quote: 每万人发明专利拥有量达到20件}}",
        "  - id: incubators_each    # every zone (of a level) reaches a value",
        "    name: 每个高新区孵化器数",
        "    name_en: Incubators in each zone",
        "    indicator: incubators",
        "    kind: per_zone",
        "    zone_level: any",
        "    comparison: \">=\"",
        "    threshold: 2",
        f"    year: {end_year}",
        f"    source: {plan}, quote: 每个高新区至少建成2家科技企业孵化器}}",
        "  - id: zones_over_500     # how many zones reach a level",
        "    name: 产值超500亿元园区数",
        "    name_en: Zones with output above 50 bn RMB",
        "    indicator: output",
        "    kind: zones_meeting",
        "    level: 500",
        "    comparison: \">=\"",
        f"    threshold: {max(1, n_zones // 2)}",
        f"    year: {end_year}",
        f"    source: {plan}, quote: 产值超500亿元园区达到{max(1, n_zones // 2)}家}}",
        "  - id: incubators_milestone  # a dated milestone (month before December)",
        "    name: 中期孵化器数",
        "    name_en: Incubators by the mid-term review",
        "    indicator: incubators",
        "    kind: level",
        "    comparison: \">=\"",
        f"    threshold: {max(1, round(n_zones * 4))}",
        f"    year: {mid}",
        "    month: 10",
        f"    source: {plan}, quote: {mid}年10月前孵化器达到{max(1, round(n_zones * 4))}家}}",
    ]
    return "\n".join(lines) + "\n"


def inputs_table() -> list[str]:
    """Markdown rows of every base-year input: key, 中文, meaning, required, without it, where to find it."""
    rows = ["| section.key | 中文 | meaning | required | without it | where to find it |", "|---|---|---|---|---|---|"]
    for i in inputs():
        rows.append(f"| `{i.section}.{i.key}` | {i.zh} | {i.meaning}{f' ({i.unit})' if i.unit else ''} | "
                    f"{i.required} | {i.absent or '—'} | {i.find or '—'} |")
    return rows
