"""sim.input.yamlio: bad input must become a located ScenarioError, never a traceback; positions of every key and
value; YAML 1.1 surprises avoided."""

from __future__ import annotations

import json
import math
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import Problem, ScenarioError
from sim.input import yamlio
from sim.input.yamlio import YamlDoc, format_path, load_yaml, loads_yaml
from tests.conftest import ROOT


def problems_of(text: str | bytes) -> list[Problem]:
    """Load *text*, insisting that it fails, and return the problems."""
    with pytest.raises(ScenarioError) as info:
        loads_yaml(text, file="s.yaml")
    problems = info.value.problems
    assert problems, "a ScenarioError must carry at least one problem"
    for p in problems:
        assert p.file == "s.yaml"
        assert "Traceback" not in p.format()
    return problems


def only_problem(text: str | bytes) -> Problem:
    problems = problems_of(text)
    assert len(problems) == 1, [p.format() for p in problems]
    return problems[0]


# --------------------------------------------------------------------------------------------------
# Positions

SCENARIO = """\
# 某高新区规划
scenario:
  name: 苏州高新区
  base_year: 2020
targets:
  - id: t1
    名称: 研发投入强度
    threshold: 3.5
  - id: t2
    threshold: 12
    note: "目标: 翻一番"
  - {id: t3, threshold: 0.8}
list_of_lists:
  - - 甲
    - 乙
"""


def test_positions_of_nested_keys_and_list_items() -> None:
    doc = loads_yaml(SCENARIO, file="plan.yaml")
    assert doc.data["scenario"]["name"] == "苏州高新区"
    assert doc.data["targets"][1]["note"] == "目标: 翻一番"
    assert doc.key_pos[("scenario",)] == (2, 1)
    assert doc.key_pos[("scenario", "name")] == (3, 3)
    assert doc.value_pos[("scenario", "name")] == (3, 9)
    assert doc.value_pos[("targets", 0)] == (6, 5)
    assert doc.key_pos[("targets", 0, "名称")] == (7, 5)
    assert doc.value_pos[("targets", 0, "名称")] == (7, 9)
    assert doc.key_pos[("targets", 1, "threshold")] == (10, 5)
    assert doc.value_pos[("targets", 1, "note")] == (11, 11)
    assert doc.key_pos[("targets", 2, "threshold")] == (12, 14)
    assert doc.value_pos[("targets", 2, "threshold")] == (12, 25)
    assert doc.value_pos[("list_of_lists", 0, 1)] == (15, 7)
    assert ("targets", 0) not in doc.key_pos  # list items have no key


def test_where_prefers_key_then_value_then_ancestor() -> None:
    doc = loads_yaml(SCENARIO, file="plan.yaml")
    assert doc.where(("targets", 1, "threshold")) == (10, 5)
    assert doc.where(("targets", 1)) == (9, 5)
    assert doc.where(("targets", 1, "missing", 3)) == (9, 5)
    assert doc.where(()) == (2, 1)
    assert YamlDoc({}, "x.yaml").where(("a",)) == (None, None)


def test_problem_builds_located_problem() -> None:
    doc = loads_yaml(SCENARIO, file="plan.yaml")
    p = doc.problem(("targets", 1, "threshold"), "12", "a share between 0 and 1", "did you mean 0.12?")
    assert (p.file, p.line, p.column, p.key) == ("plan.yaml", 10, 5, "targets[1].threshold")
    assert p.format() == (
        "plan.yaml:10:5: targets[1].threshold: found 12, expected a share between 0 and 1"
        " (did you mean 0.12?)"
    )


def test_format_path_writes_keys_as_planners_read_them() -> None:
    assert format_path(()) == ""
    assert format_path(("targets", 3, "threshold")) == "targets[3].threshold"
    assert format_path((0, "a")) == "[0].a"
    assert format_path(("目标", "名称")) == "目标.名称"
    assert format_path(("a.b", "c d", "")) == '["a.b"]["c d"][""]'


def test_alias_values_are_copies_and_positions_point_at_the_anchor() -> None:
    doc = loads_yaml("base: &b {x: 1, y: [1, 2]}\nother: *b\n")
    assert doc.data["other"] == {"x": 1, "y": [1, 2]}
    assert doc.data["other"] is not doc.data["base"]
    assert doc.data["other"]["y"] is not doc.data["base"]["y"]
    assert doc.value_pos[("other",)] == (2, 8)
    assert doc.value_pos[("other", "y", 1)] == doc.value_pos[("base", "y", 1)] == (1, 24)
    assert doc.key_pos[("other",)] == (2, 1)


# --------------------------------------------------------------------------------------------------
# Scalars


def test_scalar_resolution_avoids_yaml11_surprises() -> None:
    doc = loads_yaml(
        "a: [yes, no, on, off, y, n, true, False, TRUE]\n"
        "b: [2018-01, 2018-01-01, 1:30, 12:30:00]\n"
        "c: [1, -2, 0x1f, 1_000, 3.5, .nan, -.inf, .inf]\n"
        "d: [~, null, '', 'true', '12']\n"
        "e: !!str 12\n"
        "f: !!float '3'\n"
        "g: !!int '7'\n"
    )
    d = doc.data
    assert d["a"] == ["yes", "no", "on", "off", "y", "n", True, False, "TRUE"]
    assert d["b"] == ["2018-01", "2018-01-01", "1:30", "12:30:00"]
    assert d["c"][:5] == [1, -2, 31, 1000, 3.5]
    assert math.isnan(d["c"][5]) and d["c"][6] == -math.inf and d["c"][7] == math.inf
    assert d["d"] == [None, None, "", "true", "12"]
    assert (d["e"], d["f"], d["g"]) == ("12", 3.0, 7)
    assert type(d["c"][0]) is int and type(d["a"][6]) is bool


def test_keys_are_text_or_integers() -> None:
    doc = loads_yaml("2025: a\n'2025': b\ntrue: c\n1.5: d\n~: e\n")
    assert doc.data == {2025: "a", "2025": "b", "true": "c", "1.5": "d", "~": "e"}


def test_non_scalar_key_is_a_problem() -> None:
    p = only_problem("a: 1\n? [1, 2]\n: x\n")
    assert p.line == 2 and "list used as a key" in p.found


# --------------------------------------------------------------------------------------------------
# Bad input, each with the right line


def test_duplicate_key_reported_at_second_occurrence() -> None:
    problems = problems_of("scenario:\n  name: 甲\n  base_year: 2020\n  name: 乙\nother: 1\nother: 2\n")
    assert [(p.line, p.column, p.key) for p in problems] == [(4, 3, "scenario.name"), (6, 1, "other")]
    assert "duplicate key 'name' (first at line 2)" in problems[0].found


def test_tab_indentation_is_refused_with_a_hint() -> None:
    p = only_problem("scenario:\n  name: 高新区\n\tend_year: 2030\n")
    assert (p.line, p.column, p.key) == (3, 1, "scenario")
    assert "tabs" in p.format() and "spaces" in p.format()


def test_tab_as_only_indentation_is_refused_with_a_hint() -> None:
    p = only_problem("a:\n\tb: 1\n")
    assert (p.line, p.key) == (2, "a") and "tabs" in p.hint


def test_non_utf8_bytes_are_located() -> None:
    raw = b"name: ok\nzone: " + "高新区".encode("gbk") + b"\n"
    p = only_problem(raw)
    assert (p.line, p.column) == (2, 7)
    assert "UTF-8" in p.expected and "GBK" in p.hint


def test_utf8_bom_is_accepted() -> None:
    doc = loads_yaml("\ufeff名称: 高新区\n".encode())
    assert doc.data == {"名称": "高新区"}
    assert doc.key_pos[("名称",)] == (1, 1)


def test_a_utf16_file_is_named() -> None:
    p = only_problem("a: 1\n".encode("utf-16"))
    assert "UTF-16" in p.found


def test_a_binary_file_is_located_at_its_first_nul_byte() -> None:
    p = only_problem(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary" in p.found and (p.line, p.column) == (3, 1)


def test_a_control_character_is_located_by_its_code_point() -> None:
    p = only_problem("a: 1\nb: x\x07y\n")
    assert (p.line, p.column) == (2, 5) and "U+0007" in p.found


@pytest.mark.parametrize("text", ["", "# 只有注释\n# only comments\n", "\n\n", "---\n"])
def test_an_empty_file_is_a_problem(text: str) -> None:
    p = only_problem(text)
    assert p.found == "empty file" and p.expected == "a YAML mapping"
    assert p.line is not None


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    p = only_problem(text)
    assert p.line == 1 and "top level" in p.found and "mapping" in p.expected


def test_python_and_custom_tags_are_refused() -> None:
    problems = problems_of(
        "ok: 1\n"
        "evil: !!python/object/apply:os.system ['echo hi']\n"
        "custom: !zone 高新区\n"
        "bin: !!binary aGVsbG8=\n"
        "m: !!omap [a: 1]\n"
    )
    assert [p.line for p in problems] == [2, 3, 4, 5]
    assert all("tag not allowed" in p.found for p in problems)
    assert "python" in problems[0].found


def test_a_bad_explicit_scalar_is_located() -> None:
    p = only_problem("a: 1\nb: !!int 十二\n")
    assert p.line == 2 and p.expected == "an integer"


def test_billion_laughs_is_stopped_quickly() -> None:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        refs = ", ".join([f"*l{i - 1}"] * 10)
        lines.append(f"l{i}: &l{i} [{refs}]")
    start = time.perf_counter()
    p = only_problem("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 1.0
    assert "10000 nodes" in p.found
    assert p.line == 4  # l1 and l2 expand to 1220 nodes, the 8th *l2 in l3 (1111 each) passes 10000


def test_recursive_and_undefined_aliases_are_located() -> None:
    assert only_problem("a: 1\nb: &x [*x]\n").line == 2
    p = only_problem("a: 1\nb: *nowhere\n")
    assert p.line == 2 and "nowhere" in p.found


@pytest.mark.parametrize("flow", [True, False])
def test_nesting_deeper_than_50_levels_is_refused_where_it_passes_50(flow: bool) -> None:
    if flow:
        text = "x: " + "[" * 60 + "]" * 60 + "\n"
        where = (1, 53)  # the root mapping is level 1, so the 50th '[' is level 51
    else:
        text = "".join("  " * i + "a:\n" for i in range(60)) + "  " * 60 + "leaf\n"
        where = (51, 101)
    p = only_problem(text)
    assert (p.line, p.column) == where and "50" in p.found


def test_very_deep_flow_nesting_does_not_crash() -> None:
    # Whether our depth limit or the parser's own limit speaks first depends on the PyYAML release, so only
    # the outcome is ours to assert: one located problem, never an exception.
    p = only_problem("[" * 200_000)
    assert p.line == 1 and p.column is not None and p.found


def test_merge_keys_are_refused() -> None:
    p = only_problem("base: &b {x: 1}\nzone:\n  <<: *b\n  y: 2\n")
    assert (p.line, p.column, p.key) == (3, 3, "zone.<<")
    assert "merge" in p.found


def test_a_second_document_is_refused() -> None:
    p = only_problem("a: 1\n---\nb: 2\n")
    assert p.line == 2 and "second YAML document" in p.found


SYNTAX_ERRORS = [
    ("a: b: c\n", 1, 5, "':'"),
    ("a:\n  b: 1\n c: 2\n", 3, 2, "indentation"),
    ('a: 1\nb: "unterminated\nc: 2\n', 2, 4, "quote"),
    ("a: [1, 2\nb: 3\n", 2, 2, "'['"),
    ("a: @x\n", 1, 4, "'@'"),
    ("a:\n  - 1\n  b: 2\n", 3, 3, "list item"),
    ('path: "C:\\data"\n', 1, 10, "escape"),
]

#: Loads each text of argv[1] (JSON) with PyYAML as if built without libyaml, printing every problem (JSON).
PURE_PYTHON = """
import json, sys
sys.modules["yaml._yaml"] = None  # PyYAML as if built without libyaml: its pure-Python parser
import yaml
assert not yaml.__with_libyaml__
from sim.errors import ScenarioError
from sim.input.yamlio import loads_yaml
out = []
for text in json.loads(sys.argv[1]):
    try:
        loads_yaml(text, file="s.yaml")
        out.append([])
    except ScenarioError as err:
        out.append([[p.file, p.line, p.column, p.format()] for p in err.problems])
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def pure_python_problems() -> list[list[list[Any]]]:
    """The problems of every text of SYNTAX_ERRORS, read by the pure-Python parser (in a fresh process)."""
    done = subprocess.run([sys.executable, "-c", PURE_PYTHON, json.dumps([t for t, *_ in SYNTAX_ERRORS])],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(("text", "line", "column", "word"), SYNTAX_ERRORS)
def test_syntax_errors_in_plain_english(text: str, line: int, column: int, word: str) -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML built without libyaml")
    p = only_problem(text)
    assert p.line == line, p.format()
    assert p.column == column, p.format()
    assert word in p.format()


@pytest.mark.parametrize("case", range(len(SYNTAX_ERRORS)))
def test_syntax_errors_in_plain_english_with_the_pure_python_parser(case: int, pure_python_problems) -> None:
    _, line, _, word = SYNTAX_ERRORS[case]
    problems = pure_python_problems[case]
    assert len(problems) == 1, problems
    [(file, p_line, _column, text)] = problems  # the pure-Python scanner puts a few marks one column later
    assert file == "s.yaml" and "Traceback" not in text
    assert p_line == line, text
    assert word in text


def test_earlier_problems_are_kept_when_a_syntax_error_follows() -> None:
    problems = problems_of("a: 1\na: 2\nb: [1\n")
    assert [p.line for p in problems] == [2, 4]


class Kaput:
    """A limit that cannot be compared: reading any value against it raises, as a bug in the reader would."""

    def __le__(self, other: object) -> bool:
        raise RuntimeError("kaput")

    __ge__ = __lt__ = __gt__ = __le__


def test_unexpected_exception_is_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_NODES", Kaput())
    p = only_problem("a: 1\n")
    assert p.found == "could not read YAML" and "RuntimeError: kaput" in p.hint


def test_non_text_input_is_a_problem() -> None:
    p = only_problem(12)  # type: ignore[arg-type]
    assert "int" in p.found


# --------------------------------------------------------------------------------------------------
# Files


def test_load_yaml_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "规划.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    doc = load_yaml(path)
    assert doc.file == str(path) and doc.data["targets"][2]["id"] == "t3"


def test_missing_file_suggests_a_neighbour(tmp_path: Path) -> None:
    (tmp_path / "suzhou.yaml").write_text("a: 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_yaml(tmp_path / "suzhuo.yaml")
    (p,) = info.value.problems
    assert p.found == "no such file" and "suzhou.yaml" in p.hint


def test_a_missing_file_is_not_likened_to_a_neighbour_by_its_extension_alone(tmp_path: Path) -> None:
    """Regression (new-user trial): 'nothere.yaml' was met with "did you mean 'e_range.yaml'?"."""
    (tmp_path / "e_range.yaml").write_text("a: 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_yaml(tmp_path / "nothere.yaml")
    (p,) = info.value.problems
    assert p.found == "no such file" and p.hint == ""


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_yaml(tmp_path)
    assert info.value.problems[0].found == "a directory"


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"a: 1\na: 2\n")
    with pytest.raises(ScenarioError) as info:
        load_yaml(str(path))
    assert str(info.value).startswith(f"{path}:2:1: a: found duplicate key")


def test_a_file_at_the_value_limit_loads_and_one_beyond_is_refused() -> None:
    def items(n: int) -> list[dict]:
        return [{"名称": f"园区{i}", "threshold": i * 1.5, "enabled": True, "tags": ["a", "b", str(i)], "id": i}
                for i in range(n)]

    n = yamlio.MAX_NODES // 15  # each item holds at most 15 values, keys included
    doc = loads_yaml(yaml.safe_dump({"targets": items(n)}, allow_unicode=True).encode())
    assert doc.data == {"targets": items(n)}
    p = only_problem(yaml.safe_dump({"targets": items(4 * n)}, allow_unicode=True).encode())
    assert f"{yamlio.MAX_NODES:,}" in p.found and p.line is not None


# --------------------------------------------------------------------------------------------------
# Property tests: nothing but ScenarioError escapes, and plain data round-trips

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YAMLISH = st.text(alphabet=":-[]{}&*!|>'\"#?,%@`\t\n  ab1.~<=高", max_size=60)


def _load_or_error(data: str | bytes) -> None:
    try:
        doc = loads_yaml(data)
    except ScenarioError as err:
        assert err.problems
        for p in err.problems:
            assert p.found != "could not read YAML", p.hint  # that would be an internal bug
            assert p.line is None or p.line >= 1
            assert p.column is None or p.column >= 1
            assert "\n" not in p.format()
        assert str(err)
    else:
        assert isinstance(doc.data, dict)


@FUZZ
@given(st.text())
def test_arbitrary_text_never_crashes(text: str) -> None:
    _load_or_error(text)


@FUZZ
@given(YAMLISH)
def test_yaml_like_text_never_crashes(text: str) -> None:
    _load_or_error(text)


@FUZZ
@given(st.binary())
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    _load_or_error(data)


CJK = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 200))
KEYS = st.text(alphabet=string.ascii_letters + CJK, min_size=1, max_size=6)
SCALARS = st.integers() | st.booleans() | st.text(alphabet=string.ascii_letters + CJK, max_size=8)
TREES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, path + (i,))
    return out


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, TREES, min_size=1, max_size=5))
def test_round_trip_of_safe_dump(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    doc = loads_yaml(text)
    assert doc.data == data
    for path in _paths(data)[1:]:
        assert path in doc.value_pos
        line, column = doc.where(path)
        assert line is not None and column is not None
