"""Sources (sim.input.sources, sim.input.fields.Source): every bundled quote is in its bundled plan, a wrong
quote is refused with its location, a planner may cite a file beside the scenario, a web address, or a title
and date — checked when the file can be read, kept as given otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.input import sources
from sim.input.scenario import build_scenario, load_scenario
from sim.input.yamlio import loads_yaml
from tests.conftest import GUANGXI, ROOT, SEEDS, TINY
from tests.helpers import line_of, problems_for, tiny_text

QUOTE = "{document: 002_71d7ff763af18a90.txt, quote: 高新技術企業達900家以上}"


def problems_of(text: str, file: str = "s.yaml") -> list:
    """The problems of a scenario text, [] when it is valid."""
    try:
        build_scenario(loads_yaml(text, file=file))
    except ScenarioError as err:
        return err.problems
    return []


def bundled_and_example_scenarios() -> list[Path]:
    return sorted(GUANGXI.parent.glob("*.yaml")) + sorted((GUANGXI.parent / "hindcast").glob("*.yaml")) + [TINY]


@pytest.mark.parametrize("path", bundled_and_example_scenarios(), ids=lambda p: p.name)
def test_every_bundled_quote_is_verbatim_in_its_plan(path):
    """Validation checks each quote against sim/data/plans/ (nothing outside the project is needed)."""
    sc = load_scenario(path)
    cited = [t.source for t in sc.targets] + [p.source for p in sc.policies if p.source]
    for src in cited:
        assert src.document in sources.bundled_plans()
        assert sources.quote_in(src.quote, sources.bundled_text(src.document)), (path.name, src.quote)


def test_the_bundled_plans_are_the_published_texts_when_the_originals_are_at_hand():
    if not SEEDS.is_dir():
        pytest.skip("the original seed folder is not beside the project: nothing to compare with")
    for name in sources.bundled_plans():
        assert sources.bundled_text(name) == (SEEDS / name).read_text(encoding="utf-8"), name


def test_every_bundled_plan_has_its_provenance():
    plans = sources.bundled_plans()
    assert len(plans) == 5
    for p in plans.values():
        assert p.region and p.issued_by and p.title and p.plan_period
        assert len(sources.bundled_text(p.file)) > 1000


def test_a_quote_that_is_not_in_the_plan_is_refused_at_its_line():
    probs = problems_for(tiny_text(**{QUOTE: "{document: 002_71d7ff763af18a90.txt, quote: 高新技術企業達9000家以上}"}))
    [p] = [p for p in probs if p.key == "targets[0].source.quote"]
    assert p.line is not None and "verbatim" in p.expected and "002_71d7ff763af18a90.txt" in p.expected


def test_a_file_beside_the_scenario_is_checked_when_present(tmp_path):
    text = tiny_text(**{QUOTE: "{document: plan/my_plan.txt, quote: 高新技术企业达到50家}"})
    scenario = tmp_path / "my_city.yaml"
    scenario.write_text(text, encoding="utf-8")
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "my_plan.txt").write_text("到2020年，高新技术企业\n达到50家以上。", encoding="utf-8")
    sc = load_scenario(scenario)  # line breaks in the file do not matter
    assert sc.targets[0].source.document == "plan/my_plan.txt" and not sc.warnings
    (tmp_path / "plan" / "my_plan.txt").write_text("到2020年，高新技术企业达到40家以上。", encoding="utf-8")
    probs = problems_for(text, file=str(scenario))
    assert any(p.key == "targets[0].source.quote" for p in probs)


def test_a_missing_file_keeps_the_quote_with_a_warning(tmp_path):
    scenario = tmp_path / "my_city.yaml"
    scenario.write_text(tiny_text(**{QUOTE: "{document: not_here.txt, quote: 高新技术企业达到50家}"}), encoding="utf-8")
    sc = load_scenario(scenario)
    [w] = [w for w in sc.warnings if w.key == "targets[0].source.document"]
    assert "unchecked" in w.expected and sc.targets[0].source.quote == "高新技术企业达到50家"


@pytest.mark.parametrize(("source", "ok"), [
    ("{url: 'https://kjt.example.gov.cn/plan.html', quote: 达到50家}", True),
    ("{url: 'https://kjt.example.gov.cn/plan.html', title: 某市规划, date: 2024-03, quote: 达到50家}", True),
    ("{title: 某市高新区三年行动计划, date: 2024-03-01, quote: 达到50家}", True),
    ("{title: 某市高新区三年行动计划, quote: 达到50家}", False),        # a title alone cannot be found
    ("{url: 'ftp://x', quote: 达到50家}", False),
    ("{title: 某市规划, date: 24/03/01, quote: 达到50家}", False),
    ("{quote: 达到50家}", False),
    ("{document: 002_71d7ff763af18a90.txt}", False),                 # no quote
])
def test_a_source_names_a_document_an_address_or_a_title_and_date(source, ok):
    probs = [p for p in problems_of(tiny_text(**{QUOTE: source})) if p.key.startswith("targets[0].source")]
    assert (not probs) == ok, probs
    for p in probs:
        assert p.line is not None and p.expected


def test_a_url_source_is_kept_in_the_frozen_scenario(tmp_path):
    scenario = tmp_path / "s.yaml"
    source = "{url: 'https://example.org/p', title: 规划, date: 2024, quote: 达到50家}"
    scenario.write_text(tiny_text(**{QUOTE: source}), encoding="utf-8")
    src = load_scenario(scenario).targets[0].source
    assert (src.url, src.title, src.date, src.document) == ("https://example.org/p", "规划", "2024", None)
    assert src.cite() == "规划 (2024)"


@settings(max_examples=30, deadline=None)
@given(text=st.text(st.characters(codec="utf-8"), min_size=1, max_size=60), cut=st.data())
def test_any_piece_of_a_text_is_found_whatever_its_whitespace(text, cut):
    i = cut.draw(st.integers(0, len(text) - 1))
    j = cut.draw(st.integers(i + 1, len(text)))
    piece = text[i:j]
    spaced = " \n".join(piece)  # whitespace anywhere in the quote does not matter
    assert sources.quote_in(spaced, text)


def test_no_test_or_module_needs_the_shared_folder():
    for path in list((ROOT / "sim").rglob("*.py")) + list((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]:
        assert "../shared" not in path.read_text(encoding="utf-8"), path


@given(st.integers(1, 99_999), st.sampled_from([("", "家", 1.0), ("%", "比例", 0.01), ("万", "平方米", 1e4),
                                                 ("万", "万元", 1.0), ("万", "亿元", 1e-4), ("亿", "亿元", 1.0),
                                                 ("亿", "万元", 1e4), ("万亿", "亿元", 1e4)]))
def test_a_quoted_number_matches_its_threshold_in_the_indicators_unit_only(n, case):
    mark, unit, scale = case
    quote = f"到2020年达到{n}{mark}以上"
    assert sources.threshold_quoted(n * scale, quote, unit) is True
    assert sources.threshold_quoted(n * scale * 2 + 1, quote, unit) is False
    if scale != 1.0:  # the number as written, in another unit than the indicator's, is a typo of the unit
        assert sources.threshold_quoted(float(n), quote, unit) is False


def test_years_and_months_are_not_values_and_words_ranges_and_multiples_are():
    assert sources.quoted_values("2019年10月前建成3家") == [3.0]
    assert sources.threshold_quoted(2, "高新技术企业数量比2016年翻一番") is True
    assert sources.threshold_quoted(3, "每个高新区规划2—4个500亿创新型产业集群") is True
    assert sources.threshold_quoted(5, "规划2—4个集群") is False
    assert sources.threshold_quoted(1, "实现高新区全覆蓋") is True
    assert sources.threshold_quoted(7, "大力发展高新技术产业") is None
    assert sources.threshold_quoted(1.5, "高新区工业总产值比2023年增长50%", "亿元", "multiple") is True
    assert sources.threshold_quoted(1.5, "高新区工业总产值比2023年增长50%", "亿元", "level") is False
    assert sources.threshold_quoted(0.45, "超４５％", "比例") is True
    assert sources.threshold_quoted(0.5, "高新区工业总产值比2023年增长50%", "亿元", "multiple") is False  # halving
    assert sources.threshold_quoted(1000, "高新技术企业达到1,000家以上", "家") is True  # one number, not 1 and 0
    assert sources.threshold_quoted(10_000, "培育科技型中小企业万家", "家") is True


def test_a_note_explains_a_threshold_only_by_writing_that_number():
    assert sources.writes_number("1,800: twice the plan's 900", 1800)
    assert sources.writes_number("900的两倍即1800家", 1800)
    assert not sources.writes_number("a stretch of 1,800 was discussed", 800)
    assert not sources.writes_number("not published; 10-30", 20)
    assert not sources.writes_number("18,000-30,000 firms", 25)
    assert sources.writes_number("R&D / GDP 2.5% read as 0.025", 0.025)


def test_a_threshold_its_quote_does_not_write_is_warned_about_unless_its_note_explains_it(tmp_path):
    given = "note: \"测试地区的缩小值 80\", indicator: hte, kind: level, comparison: \">=\", threshold: 80,"
    text = tiny_text(**{given: "indicator: hte, kind: level, comparison: \">=\", threshold: 1800,"})
    scenario = tmp_path / "s.yaml"
    scenario.write_text(text, encoding="utf-8")
    [w] = [w for w in load_scenario(scenario).warnings if w.key == "targets[0].threshold"]
    assert "1,800" in w.found and "in 家, it writes 900" in w.found and w.line == line_of(text, "threshold: 1800")
    scenario.write_text(text.replace("threshold: 1800,", "threshold: 900,"), encoding="utf-8")
    assert not [w for w in load_scenario(scenario).warnings if w.key == "targets[0].threshold"]
    any_note = text.replace("indicator: hte, kind: level, comparison: \">=\", threshold: 1800,",
                            "note: 两倍, indicator: hte, kind: level, comparison: \">=\", threshold: 1800,")
    scenario.write_text(any_note, encoding="utf-8")  # a note that does not explain this threshold: still warned
    assert [w for w in load_scenario(scenario).warnings if w.key == "targets[0].threshold"]
    scenario.write_text(any_note.replace("note: 两倍,", "note: 900的两倍即1800家,"), encoding="utf-8")
    assert not [w for w in load_scenario(scenario).warnings if w.key == "targets[0].threshold"]
