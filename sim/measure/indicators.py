"""What the model measures: raw per-zone sums (fields) and the indicators planners' targets are written in.

Every indicator is a ratio of two per-zone sums (or one sum), so that it aggregates correctly over any set
of zones: the R&D intensity of all zones is total R&D over total GDP, not the mean of zone intensities.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Organisations counted per zone (R&D institutions first, then S&T service, finance and venture funds).
INST_TYPES = ("eng_centre", "tech_centre", "new_rd", "platform", "service_org", "finance_org", "venture_fund")

#: Per-zone sums recorded at every snapshot (statistical year end, or a target's month).
FIELDS: tuple[str, ...] = (
    "firms",                 # living firms
    "hte",                   # firms holding a valid high-tech enterprise certificate
    "tech_sme",              # firms on this year's technology-based SME list
    "firms_over_100m",       # firms with annual revenue >= 100M RMB (收入超亿元企业)
    "hte_over_1bn",          # HTEs with revenue >= 1bn RMB (十亿级高新技术明星企业)
    "hte_over_10bn",         # HTEs with revenue >= 10bn RMB (百亿级高新技术领军企业)
    "above_size",            # firms with revenue >= 20M RMB (规上)
    "output",                # total revenue, 亿元 (industrial output proxy)
    "value_added",           # industrial value added, 亿元
    "gdp",                   # zone GDP, 亿元: value added / industry's share of the zones' GDP
    "above_size_va",         # value added of above-size firms, 亿元
    "hightech_va",           # value added of above-size firms in high-tech industries, 亿元
    "sei_va",                # value added of firms in strategic emerging industries, 亿元
    "above_size_output",     # output of above-size firms, 亿元
    "hightech_product_output",  # output of high-tech products of above-size firms (revenue × high-tech share), 亿元
    "rd_real",               # real R&D spending, 亿元
    "rd_reported",           # reported R&D spending (incl. relabelling), 亿元
    "invention_patents",     # stock of invention patents held
    "invention_applications",  # invention patent applications filed during the year (flow)
    "invention_grants",      # invention patents granted during the year (flow)
    "tech_contracts",        # technology contract turnover during the year, 亿元 (flow)
    "high_growth_firms",     # HTEs and listed tech SMEs whose revenue grew >= 20% a year over 3 years from >= 10M
    "firms_over_500m",       # firms with annual revenue >= 500M RMB
    "firms_over_500m_with_rd_centre",  # ... that host an enterprise R&D centre
    "population",            # resident population (people), for per-10,000 figures
    "incubators",            # technology business incubators (科技企业孵化器)
    "incubators_national",
    "incubators_provincial_plus",
    "incubator_area",        # m²
    "incubator_tenants",     # firms in incubation (在孵企业)
    "maker_spaces",          # maker spaces (众创空间)
    "maker_spaces_national",
    "maker_spaces_provincial_plus",
    "eng_centres_prov",      # engineering technology research centres, provincial level or above
    "tech_centres_prov",     # enterprise technology centres, provincial level or above
    "new_rd_institutions",   # new-type R&D institutions (any level)
    "platforms",             # public technology service platforms (any level)
    "institutions",          # all R&D institutions (the four kinds above, any level)
    "service_orgs",          # S&T service organisations (科技服务机构)
    "finance_orgs",          # S&T finance institutions (科技金融机构)
    "venture_funds",         # venture / angel investment funds (创业（天使）投资基金)
    "clusters_100",          # industries of the zone with output >= 100亿 (百亿级产业集群)
    "clusters_500",          # ... >= 500亿
    "clusters_1000",         # ... >= 1,000亿 (千亿级)
    "innovative_clusters",   # industries with output >= 100亿 and >= 10 HTEs (创新型产业集群, assumed criterion)
    "sei_clusters",          # strategic-emerging industries with >= 20% of the zone's output (特色战略性新兴产业)
    "entries",               # firms entered during the year (flow)
    "exits",                 # firms exited during the year (flow)
    "hte_new",               # first certifications during the year (flow)
    "hte_renewed",           # re-certifications during the year (flow)
    "hte_lapsed",            # certificates that expired unrenewed, or whose firm exited, during the year
    "hte_certified",         # certificates issued during the year: first certifications plus re-certifications
    "fiscal_cost",           # all levers' payments during the year, 万元 (10k RMB)
    "fiscal_st",             # fiscal S&T spending during the year: the region's own, grown, plus the levers', 万元
)
FIELD_INDEX = {name: i for i, name in enumerate(FIELDS)}
#: Fields that are flows over the year rather than stocks at its end.
FLOW_FIELDS = ("entries", "exits", "hte_new", "hte_renewed", "hte_lapsed", "hte_certified", "invention_applications",
               "invention_grants", "tech_contracts", "fiscal_cost", "fiscal_st")


@dataclass(frozen=True)
class Indicator:
    name: str
    numerator: str
    denominator: str | None
    scale: float
    unit: str
    zh: str
    en: str

    def is_ratio(self) -> bool:
        return self.denominator is not None


def _count(name: str, zh: str, en: str, unit: str = "家") -> Indicator:
    return Indicator(name, name, None, 1.0, unit, zh, en)


INDICATORS: dict[str, Indicator] = {
    i.name: i
    for i in (
        _count("firms", "企业数", "Firms"),
        _count("hte", "高新技术企业数", "High-tech enterprises (HTE)"),
        _count("tech_sme", "科技型中小企业数", "Technology-based SMEs"),
        _count("firms_over_100m", "收入超亿元企业数", "Firms with revenue > 100M RMB"),
        _count("hte_over_1bn", "十亿级高新技术企业数", "HTEs with revenue >= 1bn RMB"),
        _count("hte_over_10bn", "百亿级高新技术企业数", "HTEs with revenue >= 10bn RMB"),
        _count("above_size", "规模以上企业数", "Above-designated-size firms"),
        Indicator("output", "output", None, 1.0, "亿元", "工业总产值", "Industrial output"),
        Indicator("value_added", "value_added", None, 1.0, "亿元", "工业增加值", "Value added"),
        Indicator("gdp", "gdp", None, 1.0, "亿元", "园区生产总值", "Zone GDP"),
        Indicator("rd_reported", "rd_reported", None, 1.0, "亿元", "R&D经费内部支出", "R&D spending (reported)"),
        Indicator("rd_real", "rd_real", None, 1.0, "亿元", "实际R&D支出", "R&D spending (real)"),
        Indicator("rd_to_gdp", "rd_reported", "gdp", 1.0, "比例", "R&D经费占GDP比重",
                  "R&D spending / GDP"),
        Indicator("hightech_va_share", "hightech_va", "above_size_va", 1.0, "比例",
                  "高技术产业增加值占规上工业增加值比重", "High-tech industry share of above-size value added"),
        Indicator("hightech_va", "hightech_va", None, 1.0, "亿元", "高技术产业增加值(规上)",
                  "High-tech industry value added (above-size firms)"),
        Indicator("above_size_va", "above_size_va", None, 1.0, "亿元", "规上工业增加值", "Above-size value added"),
        Indicator("sei_va", "sei_va", None, 1.0, "亿元", "战略性新兴产业增加值", "Strategic emerging industries' VA"),
        Indicator("above_size_output", "above_size_output", None, 1.0, "亿元", "规上工业总产值",
                  "Above-size industrial output"),
        Indicator("hightech_product_output", "hightech_product_output", None, 1.0, "亿元", "高新技术产品产值",
                  "High-tech product output (above-size firms)"),
        Indicator("hightech_product_share", "hightech_product_output", "above_size_output", 1.0, "比例",
                  "高新技术产品产值占规上工业总产值比重", "High-tech products' share of above-size output"),
        Indicator("sei_va_share", "sei_va", "gdp", 1.0, "比例",
                  "战略性新兴产业增加值占GDP比重", "Strategic emerging industries' share of GDP"),
        _count("invention_patents", "发明专利拥有量", "Invention patents held", "件"),
        Indicator("patents_per_10k", "invention_patents", "population", 1e4, "件/万人",
                  "每万人发明专利拥有量", "Invention patents per 10,000 people"),
        _count("invention_applications", "发明专利申请量", "Invention patent applications in the year", "件"),
        _count("invention_grants", "发明专利授权量", "Invention patents granted in the year", "件"),
        Indicator("tech_contracts", "tech_contracts", None, 1.0, "亿元", "技术合同交易额",
                  "Technology contract turnover in the year"),
        _count("high_growth_firms", "高成长性科技企业数", "High-growth technology firms (gazelles)"),
        _count("firms_over_500m", "营业收入5亿元以上企业数", "Firms with revenue >= 500M RMB"),
        _count("firms_over_500m_with_rd_centre", "建有研发机构的5亿元以上企业数",
               "Firms with revenue >= 500M RMB hosting an enterprise R&D centre"),
        _count("population", "常住人口", "Population", "人"),
        _count("incubators", "科技企业孵化器数", "Technology business incubators"),
        _count("incubators_national", "国家级科技企业孵化器数", "National-level incubators"),
        _count("incubators_provincial_plus", "省级以上科技企业孵化器数", "Provincial-or-higher incubators"),
        Indicator("incubator_area", "incubator_area", None, 1.0, "平方米", "孵化场地面积", "Incubator floor area"),
        _count("incubator_tenants", "在孵企业数", "Firms in incubation"),
        _count("maker_spaces", "众创空间数", "Maker spaces"),
        _count("maker_spaces_national", "国家级众创空间数", "National-level maker spaces"),
        _count("maker_spaces_provincial_plus", "省级以上众创空间数", "Provincial-or-higher maker spaces"),
        _count("eng_centres_prov", "省级以上工程技术研究中心数", "Provincial+ engineering technology research centres"),
        _count("tech_centres_prov", "省级以上企业技术中心数", "Provincial+ enterprise technology centres"),
        _count("new_rd_institutions", "新型研发机构数", "New-type R&D institutions"),
        _count("platforms", "公共技术服务平台数", "Public technology service platforms"),
        _count("institutions", "研发机构数", "R&D institutions"),
        _count("service_orgs", "科技服务机构数", "S&T service organisations"),
        _count("finance_orgs", "科技金融机构数", "S&T finance institutions"),
        _count("venture_funds", "创业（天使）投资基金数", "Venture / angel investment funds"),
        _count("clusters_100", "百亿级产业集群数", "Industries with output >= 100亿"),
        _count("clusters_500", "五百亿级产业集群数", "Industries with output >= 500亿"),
        _count("clusters_1000", "千亿级产业集群数", "Industries with output >= 1,000亿"),
        _count("innovative_clusters", "创新型产业集群数", "Innovative industrial clusters (>= 100亿, >= 10 HTEs)"),
        _count("sei_clusters", "特色战略性新兴产业数", "Distinctive strategic emerging industries (>= 20% of output)"),
        _count("entries", "新进入企业数", "Firm entries in the year"),
        _count("exits", "退出企业数", "Firm exits in the year"),
        _count("hte_new", "首次认定高企数", "First HTE certifications in the year"),
        _count("hte_renewed", "重新认定高企数", "HTE re-certifications in the year"),
        _count("hte_lapsed", "失效高企数", "HTE certificates lapsed in the year"),
        _count("hte_certified", "认定高企数", "HTE certificates issued in the year (first and renewed)"),
        Indicator("fiscal_cost", "fiscal_cost", None, 1.0, "万元", "财政支出(政策)", "Fiscal cost of levers"),
        Indicator("fiscal_st", "fiscal_st", None, 1.0, "万元", "财政科技经费投入", "Fiscal S&T spending"),
    )
}

#: Region-level counts of zones, computed from zone levels rather than from per-zone sums.
ZONE_COUNT_INDICATORS: dict[str, Indicator] = {
    "zones": Indicator("zones", "", None, 1.0, "家", "高新区数量", "High-tech zones"),
    "zones_national": Indicator("zones_national", "", None, 1.0, "家", "国家级高新区数量", "National high-tech zones"),
    "zones_provincial": Indicator("zones_provincial", "", None, 1.0, "家", "省级高新区数量",
                                  "Provincial high-tech zones"),
}

ALL_INDICATORS: dict[str, Indicator] = {**INDICATORS, **ZONE_COUNT_INDICATORS}

assert set(FIELDS) <= set(INDICATORS), "every field is also an indicator"
for _ind in INDICATORS.values():
    assert _ind.numerator in FIELD_INDEX and (_ind.denominator is None or _ind.denominator in FIELD_INDEX)
