"""Scenario files: their schema, validation and the frozen, picklable `Scenario` the engine runs.

A scenario is data: the region's zones, base-year facts (each with its source or marked as an assumption),
behavioural priors, policy levers and the plan's targets, each quoting the clause it comes from.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import Problem, ScenarioError, closest
from sim.input.posterior import Posterior
from sim.input.spec import (
    Bool,
    Enum,
    Field,
    ListOf,
    Num,
    Obj,
    Prior,
    Quantity,
    Str,
    YearMonth,
    parse_year_month,
)
from sim.input.yamlio import YamlDoc, load_yaml, loads_yaml
from sim.measure.indicators import ALL_INDICATORS, INST_TYPES, ZONE_COUNT_INDICATORS

#: The plans zonesim models (the seed texts); a target's `source.document` must name one of them.
SEED_DOCUMENTS = (
    "000_e83077ba89652f73.txt",  # Meizhou
    "001_2cccbe40d0005b5e.txt",  # Hunan
    "002_71d7ff763af18a90.txt",  # Guangxi
    "003_0379f150b067e840.txt",  # Taizhou
    "004_2b5f0542b5beac8f.txt",  # Zengcheng
)

ZONE_LEVELS = ("outside", "candidate", "municipal", "provincial", "national")
LEVEL_CODE = {name: i for i, name in enumerate(ZONE_LEVELS)}
#: Levels at which a park counts as a high-tech zone in the plan's statistics.
OFFICIAL_MIN_LEVEL = LEVEL_CODE["municipal"]

TARGET_KINDS = ("level", "multiple", "growth", "added", "share", "per_10k", "per_zone", "zones_meeting",
                "districts_covered")
COMPARISONS = (">=", ">", "<=", "<")
POLICY_KINDS = ("hte_award", "rd_subsidy", "incubator_subsidy", "innovation_voucher", "institution_award",
                "gazelle_grant", "hte_cultivation")
SLUG = r"[a-z][a-z0-9_]*"


@cache
def default_priors() -> dict[str, Prior]:
    """The package's default priors (sim/data/priors.yaml), each with its source or marked assumed."""
    text = resources.files("sim").joinpath("data/priors.yaml").read_text(encoding="utf-8")
    doc = loads_yaml(text, file="sim/data/priors.yaml")
    problems: list[Problem] = []
    q = Quantity(minimum=None, maximum=None)
    for name, raw in doc.data.items():
        q.check(doc, raw, (name,), problems)
    if problems:
        raise ScenarioError(problems)
    return {name: Prior.from_yaml(raw) for name, raw in doc.data.items()}


def _q(doc: str, zh: str = "", minimum: float | None = 0, maximum: float | None = 1e10, integer: bool = False,
       unit: str = "") -> Field:
    return Field(Quantity(minimum, maximum, integer, True, unit, doc, zh), doc=doc, zh=zh)


def _opt(f: Field) -> Field:
    return replace(f, required=False)


SOURCE_SPEC = Obj(
    {
        "document": Field(Enum(SEED_DOCUMENTS, doc="seed file name"), doc="the seed file the clause is in"),
        "quote": Field(Str(doc="the clause, verbatim"), doc="the clause copied verbatim (whitespace may differ)",
                       zh="原文"),
    },
    doc="Where a target comes from: the plan's clause, quoted verbatim.",
)

SCENARIO_HEAD = Obj({
    "id": Field(Str(SLUG, "in lower_snake_case")),
    "name": Field(Str(), zh="名称"),
    "name_en": Field(Str(), doc="English name"),
    "region": Field(Str(), zh="地区"),
    "base_year": Field(Num(1990, 2100, integer=True), doc="the year whose end state the simulation starts from",
                       zh="基期年"),
    "end_year": Field(Num(1990, 2100, integer=True), doc="last simulated year (defaults to the last target's)",
                      required=False),
    "source": Field(SOURCE_SPEC, required=False),
    "note": Field(Str(), required=False),
})

MONTHS = ListOf(Num(1, 12, integer=True), min_items=1, max_items=12)

CALENDAR = Obj({
    "hte_rounds": Field(MONTHS, doc="months whose end issues HTE certificates (provinces run 1-4 batches)",
                        zh="高企认定批次月份"),
    "tech_sme_listing_month": Field(Num(1, 12, integer=True), zh="科技型中小企业入库月份"),
    "upgrade_application_month": Field(Num(1, 12, integer=True), zh="升级申报月份"),
    "upgrade_review_months": Field(Num(0, 60, integer=True), doc="delay from application to decision",
                                   zh="升级评审周期"),
    "incubator_construction_months": Field(Num(0, 60, integer=True), zh="孵化器建设周期"),
    "assumed": Field(Bool(), required=False, doc="true when the calendar itself is an assumption"),
    "note": Field(Str(), required=False),
})

ZONE = Obj({
    "id": Field(Str(SLUG, "in lower_snake_case")),
    "name": Field(Str(), zh="名称"),
    "name_en": Field(Str(), required=False),
    "level": Field(Enum(ZONE_LEVELS), zh="级别",
                   doc="outside = the rest of the region; candidate = a park that may be established"),
    "firm_weight": _q("this zone's share weight of the region's zone firms (or of the outside / candidate "
                      "population)", "企业权重", maximum=1e6),
    "population": _opt(_q("resident population, people", "常住人口", integer=False)),
    "district": Field(Str(doc="a name"), required=False, zh="所属市（区）",
                      doc="the county-level unit the zone belongs to (for districts_covered targets)"),
    "note": Field(Str(), required=False),
})

FIRMS = Obj({
    "count_in_zones": _q("firms modelled in the official zones at base-year end", "园区企业数", integer=True,
                         maximum=1e6),
    "count_outside": _q("firms modelled in the rest of the region", "区外企业数", integer=True, maximum=1e6),
    "count_per_candidate": _opt(_q("firms in each candidate park", "候选园区企业数", integer=True, maximum=1e5)),
    "output_in_zones": _q("zones' industrial output in the base year, 亿元", "工业总产值", unit="亿元"),
    "output_outside": _opt(_q("the rest of the region's output in the base year, 亿元 (without it, outside firms "
                              "follow the zones' size distribution unscaled)", "区外工业总产值", unit="亿元")),
    "over_100m_in_zones": _q("zone firms with revenue > 100M RMB", "收入超亿元企业数"),
    "hte_in_zones": _q("HTEs in the zones", "园区高新技术企业数", integer=True, maximum=1e6),
    "hte_outside": _opt(_q("HTEs in the rest of the region (candidate parks included); or give hte_region",
                           "区外高新技术企业数", integer=True, maximum=1e6)),
    "hte_region": _opt(_q("HTEs in the whole region (zones included), when the split is not published: the rest "
                          "of the region then holds hte_region − hte_in_zones", "全区高新技术企业数", integer=True,
                          maximum=1e7)),
    "invention_applications_base_year": _opt(_q("invention patent applications filed region-wide in the base "
                                                "year (calibrates the applications per 1M RMB of R&D, patent_k)",
                                                "基期年发明专利申请量", maximum=1e8)),
    "hte_certified_base_year": _opt(_q("certificates issued region-wide in the base year (calibrates the firms' "
                                       "capability level, and the share of certificates that are new)",
                                       "基期年认定数", maximum=1e6)),
    "hte_stock_base_minus_1": _opt(_q("the region's HTE stock at the end of the year before the base year (with "
                                      "the next key, sets how many base-year certificates fall due in each "
                                      "simulated year)", "上年末高企数", integer=True, maximum=1e7)),
    "hte_stock_base_minus_2": _opt(_q("the region's HTE stock at the end of the year two years before the base "
                                      "year", "前年末高企数", integer=True, maximum=1e7)),
    "value_added_ratio": _q("value added / output", "增加值率", maximum=1),
    "rd_zero_share": _q("share of firms doing no R&D", "无研发企业比例", maximum=1),
    "rd_median": _q("median R&D intensity of R&D-doing firms", "研发强度中位数", maximum=1),
    "rd_sigma": _q("log-sd of R&D intensity", "研发强度对数标准差", maximum=5),
    "industry_share_of_gdp": _q("industry's share of the zones' GDP (converts industrial value added to GDP)",
                                "工业占园区生产总值比重", maximum=1),
    "rd_to_gdp_in_zones": _q("zones' R&D spending / GDP in the base year (sets how R&D intensity falls with "
                             "firm size)", "R&D经费占GDP比重", maximum=1),
    "hightech_industry_share": _q("share of firms in high-tech industries", "高技术产业企业比例", maximum=1),
    "strategic_emerging_share": _q("share of firms in strategic emerging industries", "战略性新兴产业企业比例",
                                   maximum=1),
    "invention_patents_in_zones": _q("invention patents held by zone firms", "发明专利拥有量", maximum=1e8),
    "population_in_zones": _opt(_q("resident population of the zones", "园区常住人口", maximum=1e9)),
})

INCUBATORS = Obj({
    "incubators_in_zones": _q("technology business incubators", "科技企业孵化器", integer=True, maximum=1e5),
    "national_incubators_in_zones": _q("of which national-level", "国家级孵化器", integer=True, maximum=1e5),
    "provincial_incubators_in_zones": _q("of which provincial-level", "省级孵化器", integer=True, maximum=1e5),
    "incubator_area_in_zones": _q("total incubator floor area, m²", "孵化场地面积", maximum=1e9),
    "tenants_in_zones": _q("firms in incubation", "在孵企业", integer=True, maximum=1e6),
    "maker_spaces_in_zones": _q("maker spaces", "众创空间", integer=True, maximum=1e5),
    "national_maker_spaces_in_zones": _opt(_q("of which national-level (国家级众创空间; without it: none)",
                                              "国家级众创空间", integer=True, maximum=1e5)),
    "provincial_maker_spaces_in_zones": _opt(_q("of which provincial-level (without it: none)", "省级众创空间",
                                                integer=True, maximum=1e5)),
})

INSTITUTIONS = Obj({
    "eng_centres_prov_in_zones": _q("engineering technology research centres, provincial+", "工程技术研究中心",
                                    integer=True, maximum=1e5),
    "tech_centres_prov_in_zones": _q("enterprise technology centres, provincial+", "企业技术中心", integer=True,
                                     maximum=1e5),
    "municipal_institutions_in_zones": _q("municipal-level centres that may be recognised provincially",
                                          "市级研发机构", integer=True, maximum=1e5),
    "new_rd_institutions_in_zones": _q("new-type R&D institutions", "新型研发机构", integer=True, maximum=1e5),
    "platforms_in_zones": _q("public technology service platforms", "公共技术服务平台", integer=True,
                             maximum=1e5),
    "service_orgs_in_zones": _opt(_q("S&T service organisations (科技服务机构; without it: none at the start)",
                                     "科技服务机构", integer=True, maximum=1e5)),
    "finance_orgs_in_zones": _opt(_q("S&T finance institutions (科技金融机构; without it: none at the start)",
                                     "科技金融机构", integer=True, maximum=1e5)),
    "venture_funds_in_zones": _opt(_q("venture / angel investment funds (创业（天使）投资基金; without it: none)",
                                      "创业投资基金", integer=True, maximum=1e5)),
})

REGION = Obj({
    "fiscal_st_base_year": _opt(_q("the region's fiscal S&T spending in the base year, 万元 (grows with "
                                   "fiscal_st_growth; the levers' payments come on top)", "财政科技支出",
                                   unit="万元")),
    "national_hte_reference": _opt(_q("HTEs of a typical national zone, the bar for a provincial zone's "
                                      "readiness to upgrade (without it: the region's national zones' median, or "
                                      "twice its best zone when it has none)", "国家高新区高企参照", maximum=1e6)),
    "national_output_reference": _opt(_q("output of a typical national zone, 亿元 (see national_hte_reference)",
                                         "国家高新区产值参照", unit="亿元")),
})

#: Indicators whose base-year count comes from an optional key: a target on them needs the key.
OPTIONAL_BASE = {
    "maker_spaces_national": ("incubators", "national_maker_spaces_in_zones"),
    "maker_spaces_provincial_plus": ("incubators", "provincial_maker_spaces_in_zones"),
    "service_orgs": ("institutions", "service_orgs_in_zones"),
    "finance_orgs": ("institutions", "finance_orgs_in_zones"),
    "venture_funds": ("institutions", "venture_funds_in_zones"),
    "fiscal_st": ("region", "fiscal_st_base_year"),
}

ZONE_CREATION = Obj({
    "level": Field(Enum(("municipal", "provincial")), zh="设立级别",
                   doc="the level a candidate park is established at"),
    "from": Field(YearMonth(), required=False, zh="开始", doc="first month a park may apply (e.g. after the plan's "
                                                             "date); default: the first simulated month"),
    "review_months": Field(Num(0, 60, integer=True), zh="评审周期", doc="delay from application to decision"),
    "conditions": Field(ListOf(Obj({
        "indicator": Field(Enum(tuple(ALL_INDICATORS)), doc="a per-zone indicator of the park"),
        "at_least": Field(Num(0, 1e12), doc="the value the park must reach"),
    }), max_items=20), required=False, zh="申报条件",
        doc="entry conditions checked in the application month; a park that meets them all applies and is "
            "approved with the chance establish_approval (without conditions: the readiness lottery)"),
    "source": Field(SOURCE_SPEC, required=False),
    "note": Field(Str(), required=False),
}, doc="How candidate parks become zones: a park meeting the entry conditions applies each year (upgrade "
       "application month) and is approved with the establishment chance.")

MONEY = Num(0, 1e12)

POLICY = Obj({
    "id": Field(Str(SLUG, "in lower_snake_case")),
    "kind": Field(Enum(POLICY_KINDS), zh="政策类型"),
    "name": Field(Str(), zh="名称"),
    "name_en": Field(Str(), required=False),
    "start": Field(YearMonth(), zh="开始"),
    "end": Field(YearMonth(), zh="结束"),
    "scope": Field(Enum(("zones", "region")), required=False, default="zones",
                   doc="who is eligible: firms in official zones, or in the whole region"),
    "amount_new": Field(MONEY, required=False, doc="hte_award: RMB per first certification", zh="首次认定奖励"),
    "amount_renewal": Field(MONEY, required=False, doc="hte_award: RMB per re-certification", zh="重新认定奖励"),
    "rate": Field(Num(0, 1), required=False, doc="rd_subsidy: share of R&D spending reimbursed", zh="补助比例"),
    "eligible": Field(Enum(("hte", "tech_sme", "all")), required=False,
                      doc="rd_subsidy / innovation_voucher: which firms"),
    "per_m2": Field(MONEY, required=False, doc="incubator_subsidy: RMB per m² built", zh="每平方米补助"),
    "award_provincial": Field(MONEY, required=False, doc="incubator_subsidy: RMB on provincial recognition"),
    "award_national": Field(MONEY, required=False, doc="incubator_subsidy: RMB on national recognition"),
    "amount": Field(MONEY, required=False,
                    doc="innovation_voucher: RMB per voucher; institution_award: RMB per new institution; "
                        "gazelle_grant: RMB per project; hte_cultivation: RMB per enrolled firm (services and "
                        "subsidy)"),
    "types": Field(ListOf(Enum(INST_TYPES), min_items=1, max_items=len(INST_TYPES)), required=False,
                   doc="institution_award: which organisations it rewards (default: the four R&D kinds); a venture "
                       "guidance fund is an award per new venture_fund"),
    "vouchers_per_year": Field(Num(0, 1e7, integer=True), required=False, doc="innovation_voucher: count"),
    "grants_per_year": Field(Num(0, 1e7, integer=True), required=False,
                             doc="gazelle_grant: projects approved each January (事前立项)"),
    "firms_per_year": Field(Num(1, 1e6, integer=True), required=False, zh="培育入库企业数",
                            doc="hte_cultivation: near-eligible firms enrolled each January (高企培育库); they "
                                "prepare for certification for sure"),
    "paid_after_months": Field(Num(0, 60, integer=True), required=False,
                               doc="gazelle_grant: months from approval to the ex-post payment (事后补助)"),
    "budget_per_year": Field(Num(0, 1e12, exclusive_minimum=True), required=False,
                             doc="yearly cap, RMB, above 0 (none = uncapped; a cap of 0 would pay nothing: remove "
                                 "the lever instead)", zh="年度预算"),
    "when_exhausted": Field(Enum(("pro_rata", "first_come")), required=False, default="pro_rata",
                            doc="how a capped budget is shared when claims exceed it"),
    "source": Field(SOURCE_SPEC, required=False),
    "note": Field(Str(), required=False),
})

#: The fields each lever kind needs; others are refused so that a typo cannot silently do nothing.
POLICY_FIELDS = {
    "hte_award": ("amount_new", "amount_renewal"),
    "rd_subsidy": ("rate", "eligible"),
    "incubator_subsidy": ("per_m2", "award_provincial", "award_national"),
    "innovation_voucher": ("amount", "vouchers_per_year", "eligible"),
    "institution_award": ("amount",),
    "gazelle_grant": ("amount", "grants_per_year", "paid_after_months"),
    "hte_cultivation": ("amount", "firms_per_year"),
}
#: Optional fields of a lever kind (allowed, not required).
POLICY_OPTIONAL = {"institution_award": ("types",)}

TARGET = Obj({
    "id": Field(Str(SLUG, "in lower_snake_case")),
    "name": Field(Str(), zh="名称"),
    "name_en": Field(Str()),
    "indicator": Field(Enum(tuple(ALL_INDICATORS)), zh="指标"),
    "kind": Field(Enum(TARGET_KINDS), zh="目标类型"),
    "comparison": Field(Enum(COMPARISONS)),
    "threshold": Field(Num(-1e12, 1e12), zh="目标值"),
    "year": Field(Num(1990, 2100, integer=True), zh="目标年"),
    "month": Field(Num(1, 12, integer=True), required=False, default=12,
                   doc="a dated milestone's month (default 12: the year's end)"),
    "scope": Field(Enum(("zones", "region")), required=False, default="zones"),
    "of": Field(Obj({"indicator": Field(Enum(tuple(ALL_INDICATORS))),
                     "scope": Field(Enum(("zones", "region")), required=False, default="zones")}),
                required=False, doc="share: the denominator"),
    "from_year": Field(Num(1990, 2100, integer=True), required=False,
                       doc="multiple / growth / added: the reference year (default: base_year)"),
    "mode": Field(Enum(("compound", "each_year", "total")), required=False,
                  doc="growth: compound over the period or every single year; added: in total since from_year "
                      "or in every single year"),
    "zones": Field(ListOf(Str(SLUG, "a zone id"), min_items=1, max_items=500), required=False,
                   doc="only these zones (by id), e.g. the plan's named zones"),
    "each_zone": Field(Bool(), required=False, default=False,
                       doc="level / multiple / growth / added: must hold in every zone counted (the weakest decides)"),
    "zone_level": Field(Enum(("any", "municipal", "provincial", "national")), required=False, default="any",
                        doc="per_zone / zones_meeting: which zones"),
    "level": Field(Num(-1e12, 1e12), required=False, doc="zones_meeting: the level each zone must reach"),
    "status": Field(Enum(("modelled", "not_modelled")), required=False, default="modelled"),
    "reason": Field(Str(), required=False, doc="not_modelled: why"),
    "source": Field(SOURCE_SPEC),
    "note": Field(Str(), required=False),
})


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


def _scenario_rules(doc: YamlDoc, data: dict, path: tuple, out: list[Problem]) -> None:
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
                                           hint=_did_you_mean(zid, zone_ids)))


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


def _backtest_rules(doc: YamlDoc, data: dict, base: int, end: int | None, out: list[Problem]) -> None:
    """A back-test names a region with history, series it has there, and accounts for every series observed
    in its window (scored, or unscored with a reason): no observation is silently left out."""
    from sim.input import history

    bt = data["backtest"]
    region = bt["region"]
    if region not in history.regions():
        out.append(doc.problem(("backtest", "region"), region, "a region of sim/data/history.csv",
                               _did_you_mean(region, sorted(history.regions()))))
        return
    if end is None:
        out.append(doc.problem(("scenario",), "no key 'end_year'", "the last year a back-test simulates"))
        return
    known = {r.series for r in history.rows() if r.region == region}
    window = {r.series for r in history.rows() if r.region == region and base < r.year <= end}
    named: set[str] = set()
    for i, obs in enumerate(bt["observe"]):
        named.add(obs["series"])
        if obs["series"] not in known:
            out.append(doc.problem(("backtest", "observe", i, "series"), obs["series"],
                                   f"a series with history in {region}", _did_you_mean(obs["series"], sorted(known))))
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
                                   _did_you_mean(name, list(priors))))
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


def _did_you_mean(name: str, candidates: list[str]) -> str:
    guess = closest(name, candidates)
    return f"did you mean '{guess}'?" if guess else ""


def policy_rules(doc: YamlDoc, pol: dict, p: tuple, end: int, out: list[Problem], base: int | None = None) -> None:
    """A lever's cross-field rules: exactly its kind's keys, and a window that makes sense: start not after
    end, and active in at least one simulated month (January of base_year + 1 to December of the end year)."""
    need = POLICY_FIELDS[pol["kind"]]
    for name in need:
        if name not in pol:
            out.append(doc.problem(p, f"no key '{name}'", f"required by a {pol['kind']} lever"))
    for name in set(POLICY_FIELDS_ALL) - set(need) - set(POLICY_OPTIONAL.get(pol["kind"], ())):
        if name in pol:
            out.append(doc.problem((*p, name), f"'{name}' on a {pol['kind']} lever", "only " + ", ".join(need)))
    start, stop = parse_year_month(pol["start"]), parse_year_month(pol["end"])
    if start and stop and start > stop:
        out.append(doc.problem((*p, "end"), pol["end"], f"a month not before start {pol['start']}"))
    if start and start[0] > end:
        out.append(doc.problem((*p, "start"), pol["start"], f"a month up to the end year {end}"))
    if base is not None and stop and stop < (base + 1, 1):
        out.append(doc.problem((*p, "end"), pol["end"], f"a month from {base + 1}-01 on: a lever that ends before "
                                                      "the simulated period starts never pays"))


def policy_from_raw(p: Mapping) -> Policy:
    """Freeze a validated lever mapping."""
    return Policy(p["id"], p["kind"], p["name"], p.get("name_en", p["id"]), parse_year_month(p["start"]),
                  parse_year_month(p["end"]), p.get("scope", "zones"),  # type: ignore[arg-type]
                  tuple((k, tuple(p[k]) if isinstance(p[k], list) else p[k])
                        for k in (*POLICY_FIELDS[p["kind"]], *POLICY_OPTIONAL.get(p["kind"], ())) if k in p),
                  p.get("budget_per_year"), p.get("when_exhausted", "pro_rata"), _source(p.get("source")))


POLICY_FIELDS_ALL = sorted({f for fs in (*POLICY_FIELDS.values(), *POLICY_OPTIONAL.values()) for f in fs})


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
        hint = f"write {thr / 100:.2f} for {thr:g}%" if 1 < abs(thr) <= 100 else ""
        what = "a growth rate" if kind == "growth" else "a share or ratio"
        out.append(doc.problem((*p, "threshold"), f"{thr:g}", f"{what} as a fraction, from {bounds[0]:g} to "
                                                             f"{bounds[1]:g}", hint
                               or ("for growth beyond 100% a year use kind: multiple" if kind == "growth" else "")))
    if kind == "zones_meeting" and "level" in tgt and ALL_INDICATORS[tgt["indicator"]].unit == "比例" \
            and not 0 <= tgt["level"] <= 1:
        out.append(doc.problem((*p, "level"), f"{tgt['level']:g}", "a ratio as a fraction, from 0 to 1",
                               f"write {tgt['level'] / 100:.2f} for {tgt['level']:g}%"
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


BACKTEST = Obj({
    "region": Field(Str(SLUG, "a region of sim/data/history.csv"), doc="whose history the run is scored against"),
    "observe": Field(ListOf(Obj({
        "series": Field(Str(SLUG, "a series of sim/data/history.csv"), doc="the history series (docs/history.md)"),
        "indicator": Field(Enum(tuple(ALL_INDICATORS)), doc="the model indicator that measures it"),
        "scope": Field(Enum(("zones", "region")), required=False, default="zones",
                       doc="over the official zones (default) or the whole region"),
        "period": Field(Str(SLUG), required=False, default="year",
                        doc="the rows' period: year (a year-end stock or a year's flow), or q1_q3 ..."),
        "factor": Field(Num(0, 100, exclusive_minimum=True), required=False, default=1.0,
                        doc="the observed share of the model's yearly value (e.g. 0.75 for a first-three-quarters "
                            "flow)"),
        "factor_sd": Field(Num(0, 1), required=False, default=0.0,
                           doc="relative uncertainty of the factor, added to the observation error"),
        "note": Field(Str(), required=False),
    }), min_items=1, max_items=200), doc="each scored series and how the model measures it"),
    "calibrate": Field(ListOf(Str(SLUG, "a parameter of sim/data/priors.yaml"), max_items=40), required=False,
                       doc="the behavioural parameters zonesim calibrate estimates from this history (the rest "
                           "keep their priors)"),
    "unscored": Field(ListOf(Obj({
        "series": Field(Str(SLUG, "a series of sim/data/history.csv")),
        "reason": Field(Str(), doc="why the model cannot be scored on it"),
    }), max_items=200), required=False,
        doc="series of the region observed in the window that are not scored, each with its reason"),
    "note": Field(Str(), required=False),
}, doc="A back-test: the run starts at an earlier base year and is scored against the history that followed.")

SCENARIO_SPEC = Obj(
    {
        "scenario": Field(SCENARIO_HEAD, zh="情景"),
        "calendar": Field(CALENDAR, zh="日历"),
        "zones": Field(ListOf(ZONE, min_items=1, max_items=500), zh="园区"),
        "firms": Field(FIRMS, zh="企业"),
        "incubators": Field(INCUBATORS, zh="孵化器"),
        "institutions": Field(INSTITUTIONS, zh="研发机构"),
        "region": Field(REGION, required=False, zh="地区",
                        doc="region-wide facts: fiscal S&T spending, the readiness bar of a national zone"),
        "zone_creation": Field(ZONE_CREATION, required=False, zh="园区设立",
                               doc="required when there are candidate parks"),
        "parameters": Field(Obj({}), required=False, zh="行为参数",
                            doc="overrides of the default priors (sim/data/priors.yaml), by name"),
        "calibration": Field(Obj({
            "posterior": Field(Str(doc="a path"), zh="后验",
                               doc="a posterior file written by `zonesim calibrate` (JSON), relative to this file: "
                                   "each run draws its estimated parameters from it"),
            "note": Field(Str(), required=False),
        }), required=False, zh="校准",
            doc="where the behavioural parameters come from: a calibration posterior (its vintage may not be after "
                "the base year); parameters it does not estimate keep their priors or overrides"),
        "policies": Field(ListOf(POLICY, max_items=100), required=False, zh="政策"),
        "targets": Field(ListOf(TARGET, min_items=0, max_items=500), zh="目标",
                         doc="the plan's targets (at least one, unless the file is a back-test with `backtest:`)"),
        "backtest": Field(BACKTEST, required=False, zh="回测",
                          doc="makes the file a back-test: the history series it is scored against (zonesim "
                              "hindcast)"),
    },
    doc="A zonesim scenario: one region's zones, base year, priors, levers and plan targets.",
    rules=(_scenario_rules,),
)


#: How far an override may stray from its default prior's central 99.8% range: beyond ten times it, a value
#: is a typo or a unit slip (1e7 teams per maker space), not a belief [assumption].
OVERRIDE_SPAN = 10.0


def _parameter_bounds(prior: Prior) -> tuple[float | None, float | None]:
    """An override must stay in the kind of range its default lives in: a share or probability in [0, 1]; a
    rate or count from 0 to ten times its default's 99.9% quantile; a parameter whose default can be negative
    within ten times its default's quantiles on either side."""
    lo, hi = prior.bounds()
    if lo >= 0 and hi <= 1:
        return 0.0, 1.0
    q_lo, q_hi = prior.quantiles(0.001, 0.999)
    top = OVERRIDE_SPAN * max(abs(q_hi), abs(q_lo), 1e-9)
    return (0.0, top) if lo >= 0 else (-top, top)


def _parameters_spec() -> Obj:
    """`parameters:` accepts exactly the names of the default priors, each within its default's range."""
    return Obj({name: Field(Quantity(*_parameter_bounds(prior), doc=prior.note or prior.source), required=False)
                for name, prior in default_priors().items()})


def scenario_spec() -> Obj:
    spec = SCENARIO_SPEC
    fields = dict(spec.fields)
    fields["parameters"] = replace(fields["parameters"], spec=_parameters_spec())
    return replace(spec, fields=fields)


# --- the frozen scenario ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    document: str
    quote: str


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
    conditions: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Policy:
    id: str
    kind: str
    name: str
    name_en: str
    start: tuple[int, int]
    end: tuple[int, int]
    scope: str
    params: tuple[tuple[str, Any], ...]
    budget_per_year: float | None
    when_exhausted: str
    source: Source | None

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
    return Source(raw["document"], raw["quote"]) if raw else None


def _priors(raw: Mapping) -> tuple[tuple[str, Prior], ...]:
    return tuple((k, Prior.from_yaml(v)) for k, v in raw.items())


def build_scenario(doc: YamlDoc) -> Scenario:
    """Validate a parsed YAML document and freeze it; raises ScenarioError listing every problem."""
    problems: list[Problem] = []
    spec = scenario_spec()
    spec.check(doc, doc.data, (), problems)
    if problems:
        raise ScenarioError(problems)
    d = doc.data
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
                                tuple((c["indicator"], float(c["at_least"])) for c in zc.get("conditions", [])))
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
    )


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
                                         f"{path}: {exc}")]) from None
    problems = []
    if post.vintage > base:
        problems.append(doc.problem(where, f"a posterior of vintage {post.vintage}",
                                    f"one fitted to history up to the base year {base} (calibrate with --until "
                                    f"{base})"))
    for k, name in enumerate(post.names):
        if name not in params:
            problems.append(doc.problem(where, f"parameter '{name}'", "parameters of sim/data/priors.yaml",
                                        _did_you_mean(name, list(params))))
            continue
        lo, hi = _parameter_bounds(params[name])
        column = [row[k] for row in post.samples]
        if (lo is not None and min(column) < lo) or (hi is not None and max(column) > hi):
            problems.append(doc.problem(where, f"'{name}' from {min(column):g} to {max(column):g}",
                                        f"values within [{lo}, {hi}]"))
    if problems:
        raise ScenarioError(problems)
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
