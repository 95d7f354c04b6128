"""docs/scenarios.md's generated plan tables: every target shown as certain (P exactly 0.0% or 100.0%) has a
hand-written explanation in "Why some probabilities are 0 or 1" (and a generated line with its range)."""

from __future__ import annotations

import re

from tests.conftest import ROOT

DOC = ROOT / "docs" / "scenarios.md"
BEGIN, END = "<!-- plan-tables:begin -->", "<!-- plan-tables:end -->"
WHY = "## Why some probabilities are 0 or 1"
PLAN = re.compile(r"^### `([a-z][a-z0-9_]*)`")
TARGET = re.compile(r"^`([a-z][a-z0-9_]*)`")
PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%")
ITEM = re.compile(r"^- `([a-z][a-z0-9_]*/[a-z][a-z0-9_]*)`:\s*\S")


def cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def generated_tables(text: str) -> dict[str, dict[str, str]]:
    """scenario id -> target id -> the P(hit) cell, for every row of every generated table."""
    assert text.count(BEGIN) == 1 and text.count(END) == 1, "docs/scenarios.md lost its plan-table markers"
    block = text[text.index(BEGIN): text.index(END)]
    tables: dict[str, dict[str, str]] = {}
    plan, p_col = None, None
    for line in block.splitlines():
        if m := PLAN.match(line):
            plan, p_col = m.group(1), None
            tables[plan] = {}
        elif line.startswith("|") and plan is not None:
            row = cells(line)
            if p_col is None:
                p_col = next(i for i, c in enumerate(row) if c.startswith("P(hit)"))
            elif (m := TARGET.match(row[0])) is not None:
                tables[plan][m.group(1)] = row[p_col]
    return tables


def certain_targets(text: str) -> list[str]:
    out = []
    for plan, rows in generated_tables(text).items():
        for target, p in rows.items():
            m = PERCENT.match(p)
            if m and float(m.group(1)) in (0.0, 100.0):
                out.append(f"{plan}/{target}")
    return out


def explained(text: str) -> set[str]:
    assert WHY in text, f"docs/scenarios.md has no section '{WHY}'"
    section = text.split(WHY, 1)[1].split("\n## ", 1)[0]
    return {m.group(1) for line in section.splitlines() if (m := ITEM.match(line))}


def test_parser_on_a_sample():
    sample = "\n".join([
        BEGIN, "### `plan_a` — 甲", "", "| target | clause | P(hit) [95% CI], 10 runs, seed 0 |", "|---|---|---|",
        "| `sure`<br>名 | a \\| b | 100.0% [72.2%, 100.0%] |", "| `maybe`<br>名 | x | 50.0% [23.7%, 76.3%] |",
        "| `never`<br>名 | x | 0.0% [0.0%, 27.8%] |", "| `almost`<br>名 | x | <0.1% [0.0%, 0.2%] |",
        "| `skip`<br>名 | x | *not modelled*: no data |", END, "", WHY, "", "- `plan_a/sure`: because.", "",
        "## Next", "- `plan_a/never`: not in the section."])
    assert certain_targets(sample) == ["plan_a/sure", "plan_a/never"]
    assert explained(sample) == {"plan_a/sure"}


def test_every_certain_probability_is_explained_by_hand():
    text = DOC.read_text(encoding="utf-8")
    tables = generated_tables(text)
    missing = sorted(set(certain_targets(text)) - explained(text))
    assert not missing, (f"targets shown with P(hit) exactly 0.0% or 100.0% need a hand-written item "
                         f"'- `scenario/target`: why' under '{WHY}' in docs/scenarios.md: {missing}")
    for key in certain_targets(text):  # and the generated line with the range of values
        plan, target = key.split("/")
        plan_text = text[text.index(f"### `{plan}`"):text.index(END)].split("\n### ", 1)[0]
        assert f"- `{target}` (P = " in plan_text, f"{key}: no generated line with its range of values"
    assert all(tables.values()), "a generated plan table has no target rows"


def test_no_hand_written_reason_outlives_its_certain_probability():
    # a reason left after a re-run moved the target off 0 or 1 explains a figure the tables no longer show
    text = DOC.read_text(encoding="utf-8")
    stale = sorted(explained(text) - set(certain_targets(text)))
    assert not stale, f"items under '{WHY}' for targets no longer at 0.0% or 100.0%: {stale}"
