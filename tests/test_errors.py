"""sim.errors: a Problem prints as `file:line:col: key: found X, expected Y (hint)` on one line; errors carry every
problem and survive pickling (worker processes); misspelt and look-alike names get a suggestion."""

from __future__ import annotations

import pickle
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import (
    FOUND_LIMIT,
    Interrupted,
    OutputError,
    Problem,
    RunAborted,
    RunError,
    ScenarioError,
    ZonesimError,
    closest,
    lookalike_hint,
    odd_characters,
    short,
)

CJK = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 100))
WORDS = st.text(alphabet=string.ascii_letters + string.digits + "_.[]" + CJK, min_size=1, max_size=30)


@settings(max_examples=50, deadline=None)
@given(file=WORDS, line=st.integers(1, 10**6), column=st.integers(1, 500), key=WORDS, found=WORDS,
       expected=WORDS, hint=WORDS)
def test_problem_format_has_location_key_found_expected_and_hint(file, line, column, key, found, expected, hint):
    p = Problem(file, line, column, key, found, expected, hint)
    assert p.format() == f"{file}:{line}:{column}: {key}: found {found}, expected {expected} ({hint})"
    assert p.location() == f"{file}:{line}:{column}" and str(p) == p.format()


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300), st.text(max_size=300))
def test_a_problem_is_always_one_line_with_a_short_found(found, expected, hint):
    p = Problem("f.yaml", 1, 2, "k", found, expected, hint)
    assert "\n" not in p.format() and "\r" not in p.format()
    assert len(p.found) <= FOUND_LIMIT
    assert p.format().startswith("f.yaml:1:2: k: ")


def test_problem_format_omits_missing_parts() -> None:
    full = Problem("f.yaml", 3, 7, "a.b", "x", "y", "h")
    assert full.format() == "f.yaml:3:7: a.b: found x, expected y (h)"
    assert Problem("f.yaml", 3, None, "", "x", "y").format() == "f.yaml:3: found x, expected y"
    assert Problem("f.yaml", None, 2, "k", "", "y").format() == "f.yaml: k: expected y"
    assert Problem("f.yaml", None, None, "", "empty file", "").format() == "f.yaml: empty file"


def test_problem_found_is_short_and_one_line() -> None:
    p = Problem("f", 1, 1, "k", "x" * 500 + "\nmore", "y")
    assert len(p.found) <= 80 and "\n" not in p.format()
    assert Problem("f", 1, 1, "k", 12, 3.5).format() == "f:1:1: k: found 12, expected 3.5"  # type: ignore[arg-type]


def test_zonesim_error_collects_problems() -> None:
    a = Problem("f", 1, 1, "a", "x", "y")
    b = Problem("f", 2, 1, "b", "x", "y")
    err = ScenarioError([a, b])
    assert isinstance(err, ZonesimError) and err.problems == [a, b]
    assert str(err) == f"{a.format()}\n{b.format()}"
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is ScenarioError and clone.problems == [a, b]


def test_single_makes_an_error_of_one_problem_keeping_its_message() -> None:
    err = RunError.single("run 3", "NaN in firm revenue", key="firms[12].revenue", line=None, column=None)
    assert isinstance(err, RunError)
    assert str(err) == "run 3: firms[12].revenue: NaN in firm revenue"
    err2 = ScenarioError.single(
        "f.yaml", "bad value", key="a", line=2, column=3, found="'x'", expected="a num"
    )
    assert str(err2) == "f.yaml:2:3: a: found 'x', expected a num (bad value)"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("treshold", "threshold"),
        ("Threshold", "threshold"),
        ("base-year", "base_year"),
        ("BASE_YEAR", "base_year"),
        ("zzzzzz", None),
        ("", None),
    ],
)
def test_closest_forgives_case_separators_and_small_typos(name: str, expected: str | None) -> None:
    assert closest(name, ["threshold", "base_year", "end_year", "name"]) == expected


def test_closest_without_candidates_is_none() -> None:
    assert closest("a", []) is None


def test_an_unknown_file_is_shown_as_input():
    assert Problem("", 3, 4, "k", "x", "y").location() == "<input>:3:4"
    assert Problem("", None, 4, "k", "x", "y").location() == "<input>"  # a column without its line is dropped


def test_short_keeps_quotes_and_cuts_long_values():
    assert short("abc") == "'abc'" and short(12) == "12"
    cut = short("x" * 500, limit=20)
    assert len(cut) == 20 and cut.endswith("…")
    assert "\n" not in short("a\nb")


@pytest.mark.parametrize("kind", [ScenarioError, RunError, OutputError])
def test_every_error_kind_is_a_zonesim_error_and_survives_pickling(kind):
    problem = Problem("out", None, None, "--out", "1 MB free", "at least 9 MB")
    err = kind([problem])
    assert isinstance(err, ZonesimError)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is kind and clone.problems == [problem] and str(clone) == problem.format()


def test_an_aborted_run_keeps_its_exit_code():
    problem = Problem("s.yaml", None, None, "worker", "a worker process died", "workers that finish")
    assert RunAborted([problem]).exit_code == 4
    assert RunAborted([problem], exit_code=143).exit_code == 143
    assert isinstance(RunAborted([problem]), ZonesimError)


def test_an_interruption_records_its_signal_and_is_a_keyboard_interrupt():
    assert Interrupted().signum == 2 and Interrupted(15).signum == 15
    assert isinstance(Interrupted(15), KeyboardInterrupt)


def test_an_error_without_problems_prints_its_kind():
    assert str(ScenarioError([])) == "ScenarioError"


def test_odd_characters_are_named_with_their_code_point_and_position():
    assert odd_characters("provincial") == []
    [odd] = odd_characters("pr\u043evincial")
    assert odd.startswith("U+043E CYRILLIC SMALL LETTER O") and "position 3" in odd
    assert odd_characters("base\u200b_year")[0].startswith("U+200B ZERO WIDTH SPACE")


def test_a_lookalike_hint_names_the_character_and_suggests_the_ascii_word():
    hint = lookalike_hint("pr\u043evincial", ["national", "provincial", "municipal"])
    assert "U+043E" in hint and "'provincial'" in hint
    assert lookalike_hint("provincial", ["provincial"]) == ""
    many = lookalike_hint("\u043e\u043e\u043e\u043e\u043e")
    assert "and 2 more" in many
