"""docs/scenarios.md's generated reference must match the schema: current, and naming every key."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.input import reference
from sim.input.scenario import default_priors, scenario_spec
from sim.input.spec import ListOf, Obj, Spec

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"


def spec_keys(spec: Spec, path: str = "") -> list[tuple[str, str]]:
    """(path, key) of every key of every mapping in the schema, walked independently of sim.input.reference."""
    while isinstance(spec, ListOf):
        spec = spec.item
    if not isinstance(spec, Obj):
        return []
    out: list[tuple[str, str]] = []
    for name, fld in spec.fields.items():
        out.append((path, name))
        out += spec_keys(fld.spec, f"{path}.{name}" if path else name)
    return out


def generated() -> str:
    return reference.generated_block(DOC.read_text(encoding="utf-8"))


def test_generated_block_is_up_to_date() -> None:
    assert reference.is_up_to_date(DOC), "docs/scenarios.md is out of date: run `python -m sim.input.reference`"
    assert reference.main(["--check", "--file", str(DOC)]) == 0


def test_every_spec_key_is_documented() -> None:
    block = generated()
    keys = spec_keys(scenario_spec())
    assert len(keys) > 100  # the walk reached the nested sections
    missing = [f"{path}.{key}" if path else key for path, key in keys if f"| `{key}` |" not in block]
    assert not missing, f"keys missing from the generated reference: {missing}"


def test_every_default_prior_is_documented_with_provenance() -> None:
    block = generated()
    for name, prior in default_priors().items():
        rows = [line for line in block.splitlines() if line.startswith(f"| `{name}` |")]
        assert rows, name
        assert prior.describe() in rows[-1]
        assert (prior.source and prior.source.split(":")[0] in rows[-1]) or "assumption" in rows[-1], name


def test_check_detects_a_stale_block_and_main_rewrites_it(tmp_path: Path) -> None:
    stale = tmp_path / "scenarios.md"
    stale.write_text(f"# Title\n\n{reference.BEGIN}\nold table\n{reference.END}\n\nAfter.\n", encoding="utf-8")
    assert reference.main(["--check", "--file", str(stale)]) == 1
    assert reference.main(["--file", str(stale)]) == 0
    text = stale.read_text(encoding="utf-8")
    assert "old table" not in text and text.startswith("# Title\n") and text.endswith("After.\n")
    assert reference.main(["--check", "--file", str(stale)]) == 0
    assert reference.main(["--file", str(stale)]) == 0  # idempotent


def test_missing_markers_are_an_error(tmp_path: Path) -> None:
    bare = tmp_path / "bare.md"
    bare.write_text("# No markers\n", encoding="utf-8")
    assert reference.main(["--check", "--file", str(bare)]) == 2
    with pytest.raises(ValueError):
        reference.replace_block("no markers", "x")
