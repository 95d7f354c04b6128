"""The scenario file as pydantic v2 models: what each section takes, with bounds, defaults and documentation.

Structural checks (types, bounds, unknown and missing keys, a lever field its kind does not take) happen here;
rules across sections (years against the base year, ids, base facts that contradict each other, vintage,
back-tests) are in `sim.input.rules` and run beside these, so that every problem is reported in one pass. The
JSON Schema (`sim.input.schema`) and the reference in docs/scenarios.md (`sim.input.reference`) are generated
from these models.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from pydantic import Field, create_model

from sim.input.fields import (
    Flag,
    Id,
    Month,
    Source,
    Strict_,
    Text,
    Year,
    YearMonth,
    number,
    quantity,
    text,
)
from sim.input.priors import default_priors, parameter_bounds
from sim.input.sources import bundled_plans
from sim.measure.indicators import ALL_INDICATORS
from sim.model.levels import ZONE_LEVELS
from sim.model.levers import LeverParams

#: The plans bundled with zonesim (sim/data/plans/): a source may cite one by file name.
SEED_DOCUMENTS = tuple(bundled_plans())
TARGET_KINDS = ("level", "multiple", "growth", "added", "share", "per_10k", "per_zone", "zones_meeting",
                "districts_covered")
COMPARISONS = (">=", ">", "<=", "<")
IndicatorName = Literal[tuple(ALL_INDICATORS)]  # type: ignore[valid-type]


def _zh(label: str) -> dict[str, str]:
    return {"zh": label}


class Head(Strict_):
    """The scenario: its id, names, region and years."""

    id: Id
    name: Text = Field(json_schema_extra=_zh("名称"))
    name_en: Text = Field(description="English name")
    region: Text = Field(json_schema_extra=_zh("地区"))
    base_year: number(1990, 2100, whole=True, zh="基期年",  # type: ignore[valid-type]
                      description="the year whose end state the simulation starts from")
    end_year: Year | None = Field(None, description="last simulated year (defaults to the last target's)")
    source: Source | None = None
    note: Text | None = None


class Calendar(Strict_):
    """When things happen in a year."""

    hte_rounds: list[Month] = Field(min_length=1, max_length=12, json_schema_extra=_zh("高企认定批次月份"),
                                    description="months whose end issues HTE certificates (provinces run 1-4 "
                                                "batches)")
    tech_sme_listing_month: number(1, 12, whole=True, zh="科技型中小企业入库月份")  # type: ignore[valid-type]
    upgrade_application_month: number(1, 12, whole=True, zh="升级申报月份")  # type: ignore[valid-type]
    upgrade_review_months: number(0, 60, whole=True, zh="升级评审周期",  # type: ignore[valid-type]
                                  description="delay from application to decision")
    incubator_construction_months: number(0, 60, whole=True, zh="孵化器建设周期")  # type: ignore[valid-type]
    assumed: Flag | None = Field(None, description="true when the calendar itself is an assumption")
    note: Text | None = None


class Zone(Strict_):
    """A high-tech zone, a candidate park, or the rest of the region."""

    id: Id
    name: Text = Field(json_schema_extra=_zh("名称"))
    name_en: Text | None = None
    level: Literal[ZONE_LEVELS] = Field(  # type: ignore[valid-type]
        json_schema_extra=_zh("级别"),
        description="outside = the rest of the region; candidate = a park that may be established")
    firm_weight: quantity(0, 1e6, description="this zone's share weight of the region's zone firms (or of the "  # type: ignore[valid-type]
                                              "outside / candidate population)", zh="企业权重")
    population: quantity(0, 1e10, description="resident population, people", zh="常住人口") | None = None  # type: ignore[valid-type]
    district: Text | None = Field(None, json_schema_extra=_zh("所属市（区）"),
                                  description="the county-level unit the zone belongs to (for districts_covered "
                                              "targets)")
    note: Text | None = None


def _count(description: str, zh: str, hi: float = 1e6) -> Any:
    return quantity(0, hi, whole=True, description=description, zh=zh)


def _amount(description: str, zh: str, hi: float = 1e10, unit: str = "") -> Any:
    return quantity(0, hi, description=description, zh=zh, unit=unit)


def _share(description: str, zh: str, hi: float = 1.0) -> Any:
    return quantity(0, hi, description=description, zh=zh)


class Firms(Strict_):
    """Base-year facts about the firms."""

    count_in_zones: _count("firms modelled in the official zones at base-year end", "园区企业数")  # type: ignore[valid-type]
    count_outside: _count("firms modelled in the rest of the region", "区外企业数")  # type: ignore[valid-type]
    count_per_candidate: _count("firms in each candidate park", "候选园区企业数", 1e5) | None = None  # type: ignore[valid-type]
    output_in_zones: _amount("zones' industrial output in the base year, 亿元", "工业总产值", unit="亿元")  # type: ignore[valid-type]
    output_outside: _amount("the rest of the region's output in the base year, 亿元 (without it, outside "  # type: ignore[valid-type]
                            "firms follow the zones' size distribution unscaled)", "区外工业总产值",
                            unit="亿元") | None = None
    over_100m_in_zones: _amount("zone firms with revenue > 100M RMB", "收入超亿元企业数")  # type: ignore[valid-type]
    hte_in_zones: _count("HTEs in the zones", "园区高新技术企业数")  # type: ignore[valid-type]
    hte_outside: _count("HTEs in the rest of the region (candidate parks included); or give hte_region",  # type: ignore[valid-type]
                        "区外高新技术企业数") | None = None
    hte_region: _count("HTEs in the whole region (zones included), when the split is not published: the rest "  # type: ignore[valid-type]
                       "of the region then holds hte_region − hte_in_zones", "全区高新技术企业数", 1e7) | None = None
    invention_applications_base_year: _amount("invention patent applications filed region-wide in the base year "  # type: ignore[valid-type]
                                              "(calibrates the applications per 1M RMB of R&D, patent_k)",
                                              "基期年发明专利申请量", 1e8) | None = None
    hte_certified_base_year: _amount("certificates issued region-wide in the base year (calibrates the firms' "  # type: ignore[valid-type]
                                     "capability level, and the share of certificates that are new)",
                                     "基期年认定数", 1e6) | None = None
    hte_stock_base_minus_1: _count("the region's HTE stock at the end of the year before the base year (with "  # type: ignore[valid-type]
                                   "the next key, sets how many base-year certificates fall due in each "
                                   "simulated year)", "上年末高企数", 1e7) | None = None
    hte_stock_base_minus_2: _count("the region's HTE stock at the end of the year two years before the base "  # type: ignore[valid-type]
                                   "year", "前年末高企数", 1e7) | None = None
    value_added_ratio: _share("value added / output", "增加值率")  # type: ignore[valid-type]
    rd_zero_share: _share("share of firms doing no R&D", "无研发企业比例")  # type: ignore[valid-type]
    rd_median: _share("median R&D intensity of R&D-doing firms", "研发强度中位数")  # type: ignore[valid-type]
    rd_sigma: _share("log-sd of R&D intensity", "研发强度对数标准差", 5.0)  # type: ignore[valid-type]
    industry_share_of_gdp: _share("industry's share of the zones' GDP (converts industrial value added to GDP)",  # type: ignore[valid-type]
                                  "工业占园区生产总值比重")
    rd_to_gdp_in_zones: _share("zones' R&D spending / GDP in the base year (sets how R&D intensity falls with "  # type: ignore[valid-type]
                               "firm size)", "R&D经费占GDP比重")
    hightech_industry_share: _share("share of firms in high-tech industries", "高技术产业企业比例")  # type: ignore[valid-type]
    strategic_emerging_share: _share("share of firms in strategic emerging industries", "战略性新兴产业企业比例")  # type: ignore[valid-type]
    invention_patents_in_zones: _amount("invention patents held by zone firms", "发明专利拥有量", 1e8)  # type: ignore[valid-type]
    population_in_zones: _amount("resident population of the zones", "园区常住人口", 1e9) | None = None  # type: ignore[valid-type]


class Incubators(Strict_):
    """Base-year incubators (科技企业孵化器) and maker spaces (众创空间) in the zones."""

    incubators_in_zones: _count("technology business incubators", "科技企业孵化器", 1e5)  # type: ignore[valid-type]
    national_incubators_in_zones: _count("of which national-level", "国家级孵化器", 1e5)  # type: ignore[valid-type]
    provincial_incubators_in_zones: _count("of which provincial-level", "省级孵化器", 1e5)  # type: ignore[valid-type]
    incubator_area_in_zones: _amount("total incubator floor area, m²", "孵化场地面积", 1e9)  # type: ignore[valid-type]
    tenants_in_zones: _count("firms in incubation", "在孵企业")  # type: ignore[valid-type]
    maker_spaces_in_zones: _count("maker spaces", "众创空间", 1e5)  # type: ignore[valid-type]
    national_maker_spaces_in_zones: _count("of which national-level (国家级众创空间; without it: none)",  # type: ignore[valid-type]
                                           "国家级众创空间", 1e5) | None = None
    provincial_maker_spaces_in_zones: _count("of which provincial-level (without it: none)", "省级众创空间",  # type: ignore[valid-type]
                                             1e5) | None = None


class Institutions(Strict_):
    """Base-year R&D institutions and S&T organisations in the zones."""

    eng_centres_prov_in_zones: _count("engineering technology research centres, provincial+", "工程技术研究中心",  # type: ignore[valid-type]
                                      1e5)
    tech_centres_prov_in_zones: _count("enterprise technology centres, provincial+", "企业技术中心", 1e5)  # type: ignore[valid-type]
    municipal_institutions_in_zones: _count("municipal-level centres that may be recognised provincially",  # type: ignore[valid-type]
                                            "市级研发机构", 1e5)
    new_rd_institutions_in_zones: _count("new-type R&D institutions", "新型研发机构", 1e5)  # type: ignore[valid-type]
    platforms_in_zones: _count("public technology service platforms", "公共技术服务平台", 1e5)  # type: ignore[valid-type]
    service_orgs_in_zones: _count("S&T service organisations (科技服务机构; without it: none at the start)",  # type: ignore[valid-type]
                                  "科技服务机构", 1e5) | None = None
    finance_orgs_in_zones: _count("S&T finance institutions (科技金融机构; without it: none at the start)",  # type: ignore[valid-type]
                                  "科技金融机构", 1e5) | None = None
    venture_funds_in_zones: _count("venture / angel investment funds (创业（天使）投资基金; without it: none)",  # type: ignore[valid-type]
                                   "创业投资基金", 1e5) | None = None


class Region(Strict_):
    """Region-wide facts: fiscal S&T spending, the readiness bar of a national zone."""

    fiscal_st_base_year: _amount("the region's fiscal S&T spending in the base year, 万元 (grows with "  # type: ignore[valid-type]
                                 "fiscal_st_growth; the levers' payments come on top)", "财政科技支出",
                                 unit="万元") | None = None
    national_hte_reference: _amount("HTEs of a typical national zone, the bar for a provincial zone's readiness to "  # type: ignore[valid-type]
                                    "upgrade (without it: the region's national zones' median, or twice its best "
                                    "zone when it has none)", "国家高新区高企参照", 1e6) | None = None
    national_output_reference: _amount("output of a typical national zone, 亿元 (see national_hte_reference)",  # type: ignore[valid-type]
                                       "国家高新区产值参照", unit="亿元") | None = None


class Condition(Strict_):
    indicator: IndicatorName = Field(description="a per-zone indicator of the park")
    at_least: number(0, 1e12) = Field(description="the value the park must reach")  # type: ignore[valid-type]


class ZoneCreation(Strict_):
    """How candidate parks become zones: a park meeting the entry conditions applies each year (upgrade
    application month) and is approved with the establishment chance."""

    level: Literal["municipal", "provincial"] = Field(description="the level a candidate park is established at",
                                                      json_schema_extra=_zh("设立级别"))
    from_: YearMonth | None = Field(None, alias="from", json_schema_extra=_zh("开始"),
                                    description="first month a park may apply (e.g. after the plan's date); "
                                                "default: the first simulated month")
    review_months: number(0, 60, whole=True, zh="评审周期",  # type: ignore[valid-type]
                          description="delay from application to decision")
    conditions: list[Condition] | None = Field(
        None, max_length=20, json_schema_extra=_zh("申报条件"),
        description="entry conditions checked in the application month; a park that meets them all applies and "
                    "is approved with the chance establish_approval (without conditions: the readiness lottery)")
    source: Source | None = None
    note: Text | None = None


class Share(Strict_):
    indicator: IndicatorName
    scope: Literal["zones", "region"] = "zones"


class Target(Strict_):
    """A target of the plan, with the clause it quotes."""

    id: Id
    name: Text = Field(json_schema_extra=_zh("名称"))
    name_en: Text
    indicator: IndicatorName = Field(json_schema_extra=_zh("指标"))
    kind: Literal[TARGET_KINDS] = Field(json_schema_extra=_zh("目标类型"))  # type: ignore[valid-type]
    comparison: Literal[COMPARISONS]  # type: ignore[valid-type]
    threshold: number(-1e12, 1e12, zh="目标值")  # type: ignore[valid-type]
    year: number(1990, 2100, whole=True, zh="目标年")  # type: ignore[valid-type]
    month: Month = Field(12, description="a dated milestone's month (default 12: the year's end)")
    scope: Literal["zones", "region"] = "zones"
    of: Share | None = Field(None, description="share: the denominator")
    from_year: Year | None = Field(None, description="multiple / growth / added: the reference year (default: "
                                                     "base_year)")
    mode: Literal["compound", "each_year", "total"] | None = Field(
        None, description="growth: compound over the period or every single year; added: in total since from_year "
                          "or in every single year")
    zones: list[Id] | None = Field(None, min_length=1, max_length=500,
                                   description="only these zones (by id), e.g. the plan's named zones")
    each_zone: Flag = Field(False, description="level / multiple / growth / added: must hold in every zone counted "
                                               "(the weakest decides)")
    zone_level: Literal["any", "municipal", "provincial", "national"] = Field(
        "any", description="per_zone / zones_meeting: which zones")
    level: number(-1e12, 1e12) | None = Field(  # type: ignore[valid-type]
        None, description="zones_meeting: the level each zone must reach")
    status: Literal["modelled", "not_modelled"] = "modelled"
    reason: Text | None = Field(None, description="not_modelled: why")
    source: Source
    note: Text | None = None


class Observe(Strict_):
    series: text(pattern=r"[a-z][a-z0-9_]*") = Field(description="the history series (docs/history.md)")  # type: ignore[valid-type]
    indicator: IndicatorName = Field(description="the model indicator that measures it")
    scope: Literal["zones", "region"] = Field("zones", description="over the official zones (default) or the whole "
                                                                   "region")
    period: text(pattern=r"[a-z][a-z0-9_]*") = Field(  # type: ignore[valid-type]
        "year", description="the rows' period: year (a year-end stock or a year's flow), or q1_q3 ...")
    factor: number(0, 100, gt=True) = Field(  # type: ignore[valid-type]
        1.0, description="the observed share of the model's yearly value (e.g. 0.75 for a first-three-quarters "
                         "flow)")
    factor_sd: number(0, 1) = Field(0.0, description="relative uncertainty of the factor, added to the observation "  # type: ignore[valid-type]
                                                     "error")
    fit: Flag = Field(True, description="false: scored, but not data for `zonesim calibrate` — for a series that "
                                        "no calibrated parameter drives, whose misses would only add noise to the "
                                        "calibration's distance; fit_reason says why")
    fit_reason: Text | None = Field(None, description="fit: false: why the series is not calibration data")
    note: Text | None = None


class Unscored(Strict_):
    series: text(pattern=r"[a-z][a-z0-9_]*")  # type: ignore[valid-type]
    reason: Text = Field(description="why the model cannot be scored on it")


class Backtest(Strict_):
    """A back-test: the run starts at an earlier base year and is scored against the history that followed."""

    region: Id = Field(description="whose history the run is scored against")
    observe: list[Observe] = Field(min_length=1, max_length=200, description="each scored series and how the "
                                                                            "model measures it")
    calibrate: list[Id] | None = Field(None, max_length=40,
                                       description="the behavioural parameters zonesim calibrate estimates from "
                                                   "this history (the rest keep their priors)")
    unscored: list[Unscored] | None = Field(None, max_length=200, description="series of the region observed in "
                                                                              "the window that are not scored, "
                                                                              "each with its reason")
    note: Text | None = None


class Calibration(Strict_):
    """Where the behavioural parameters come from: a calibration posterior (its vintage may not be after the
    base year); parameters it does not estimate keep their priors or overrides."""

    posterior: Text = Field(description="a posterior file written by `zonesim calibrate` (JSON), relative to this "
                                        "file: each run draws its estimated parameters from it",
                            json_schema_extra=_zh("后验"))
    transfer: bool | None = Field(None, description="true when the posterior was fitted to another region (e.g. "
                                                    "the national reference used for a province or a city): each "
                                                    "run then scales the certification pace by the between-region "
                                                    "factor `regional_hte_pace` (sim/data/priors.yaml)",
                                  json_schema_extra=_zh("跨地区迁移"))
    note: Text | None = None


@cache
def parameters_model() -> type[Strict_]:
    """`parameters:` takes exactly the names of the default priors, each within the range an override may take
    (`sim.input.priors.parameter_bounds`)."""
    fields: dict[str, Any] = {}
    for name, prior in default_priors().items():
        lo, hi = parameter_bounds(prior)
        fields[name] = (quantity(lo, hi, description=prior.note or prior.source) | None, None)
    return create_model("Parameters", __base__=Strict_, __doc__="Overrides of the default priors "
                        "(sim/data/priors.yaml), by name.", **fields)


@cache
def scenario_model() -> type[Strict_]:
    """The whole scenario file."""
    params = parameters_model()
    return create_model(
        "ScenarioFile", __base__=Strict_, __doc__="A zonesim scenario: one region's zones, base year, priors, levers "
        "and plan targets.",
        scenario=(Head, Field(json_schema_extra=_zh("情景"))),
        calendar=(Calendar, Field(json_schema_extra=_zh("日历"))),
        zones=(list[Zone], Field(min_length=1, max_length=500, json_schema_extra=_zh("园区"))),
        firms=(Firms, Field(json_schema_extra=_zh("企业"))),
        incubators=(Incubators, Field(json_schema_extra=_zh("孵化器"))),
        institutions=(Institutions, Field(json_schema_extra=_zh("研发机构"))),
        region=(Region | None, Field(None, json_schema_extra=_zh("地区"))),
        zone_creation=(ZoneCreation | None, Field(None, json_schema_extra=_zh("园区设立"),
                                                  description="required when there are candidate parks")),
        parameters=(params | None, Field(None, json_schema_extra=_zh("行为参数"))),
        calibration=(Calibration | None, Field(None, json_schema_extra=_zh("校准"))),
        policies=(list[LeverParams] | None, Field(None, max_length=100, json_schema_extra=_zh("政策"))),
        targets=(list[Target], Field(max_length=500, json_schema_extra=_zh("目标"),
                                     description="the plan's targets (at least one, unless the file is a back-test "
                                                 "with `backtest:`)")),
        backtest=(Backtest | None, Field(None, json_schema_extra=_zh("回测"),
                                         description="makes the file a back-test: the history series it is scored "
                                                     "against (zonesim hindcast)")),
    )

