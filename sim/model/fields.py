"""The per-zone sums the model records at every snapshot (its state as numbers), and the organisation types.

Indicators (`sim.measure.indicators`) are ratios of these sums; the model itself only adds them up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Organisations counted per zone, type and level. The first four are R&D institutions (their count raises
#: nearby firms' patenting); the others are S&T service organisations, S&T finance institutions and venture
#: (angel) investment funds, which the plans count per zone.
INST_TYPES = ("eng_centre", "tech_centre", "new_rd", "platform", "service_org", "finance_org", "venture_fund")
N_INST_TYPES = len(INST_TYPES)
ENG, TECH, NEW_RD, PLATFORM, SERVICE, FINANCE, FUND = range(N_INST_TYPES)
N_RD_TYPES = 4

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
    "hte_returned",          # of these, re-certifications of firms whose certificate had lapsed (flow)
    "hte_lapsed",            # certificates that expired unrenewed, or whose firm exited, during the year
    "hte_certified",         # certificates issued during the year: first certifications plus re-certifications
    "hte_certified_less_net",  # certificates issued less the stock's net change: renewals of valid certificates
                               # plus lapses (a re-certification after a lapse adds to the stock)
    "fiscal_cost",           # all levers' payments during the year, 万元 (10k RMB)
    "fiscal_st",             # fiscal S&T spending during the year: the region's own, grown, plus the levers', 万元
)
FIELD_INDEX = {name: i for i, name in enumerate(FIELDS)}
#: Fields that are flows over the year rather than stocks at its end.
FLOW_FIELDS = ("entries", "exits", "hte_new", "hte_renewed", "hte_returned", "hte_lapsed", "hte_certified",
               "hte_certified_less_net", "invention_applications",
               "invention_grants", "tech_contracts", "fiscal_cost", "fiscal_st")


@dataclass(frozen=True)
class FieldCondition:
    """A threshold on a ratio of fields, checked per zone by the model (e.g. a candidate park's entry condition
    "HTEs ≥ 30"): numerator / denominator × scale ≥ at_least. The input layer compiles an indicator's name into
    its fields (`sim.measure.indicators`), so the model never evaluates targets or indicators itself."""

    indicator: str
    numerator: str
    denominator: str | None
    scale: float
    at_least: float

    def holds(self, fields: np.ndarray) -> np.ndarray:
        """(…, zones) mask where the condition holds, given (…, zones, FIELDS) sums; a zero denominator fails."""
        num = fields[..., FIELD_INDEX[self.numerator]]
        if self.denominator is None:
            return num * self.scale >= self.at_least
        den = fields[..., FIELD_INDEX[self.denominator]]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # inf compares as it should
            return (den > 0) & (num / np.where(den > 0, den, 1.0) * self.scale >= self.at_least)
