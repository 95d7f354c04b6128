"""What the model measures: raw per-zone sums (fields) and the indicators planners' targets are written in.

Every indicator is a ratio of two per-zone sums (or one sum), so that it aggregates correctly over any set
of zones: the R&D intensity of all zones is total R&D over total GDP, not the mean of zone intensities.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.fields import FIELD_INDEX, FIELDS, FLOW_FIELDS, INST_TYPES  # noqa: F401 - re-exported


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

    @property
    def is_count(self) -> bool:
        """A whole number of things (家, 个, 件, 人): printed without decimals."""
        return self.denominator is None and self.unit in COUNT_UNITS


#: Units of indicators that count things: their values, thresholds and bands are whole numbers.
COUNT_UNITS = frozenset({"家", "个", "件", "人", "项", "所"})


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
        _count("hte_lapsed", "失效或退出高企数", "HTE certificates lapsed, or held by firms that exited, in the year"),
        _count("hte_certified", "认定高企数", "HTE certificates issued in the year (first and renewed)"),
        _count("hte_returned", "失效后再认定高企数", "HTE re-certifications of firms whose certificate had lapsed"),
        _count("hte_certified_less_net", "认定数减净增（到期重新认定+失效/退出）",
               "HTE certificates issued less the stock's net change (renewals of valid certificates + lapses)"),
        Indicator("fiscal_cost", "fiscal_cost", None, 1.0, "万元", "财政支出(政策)", "Fiscal cost of levers"),
        Indicator("fiscal_st", "fiscal_st", None, 1.0, "万元", "财政科技经费投入", "Fiscal S&T spending"),
    )
}

#: Indicators that count the levers' own payments (sim.model.mechanisms.fiscal, sim.model.levers.ledger): a lever
#: raises them by spending, so "probability per yuan" on them is circular, and comparisons say so.
LEVER_SPENDING_INDICATORS = frozenset({"fiscal_cost", "fiscal_st"})

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
