"""sim.input.reference: docs/scenarios.md's generated reference must match the schema: current, and naming every key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from sim.input import reference
from sim.input.fields import Dist, Fixed
from sim.input.models import scenario_model
from sim.input.priors import default_priors
from sim.model.levers import KINDS
from tests.conftest import ROOT

DOC = ROOT / "docs" / "scenarios.md"


def model_keys(model: type[BaseModel], path: str = "", seen: frozenset = frozenset()) -> list[tuple[str, str]]:
    """(path, key) of every field of every model under `model` (walking the Python models, independently of the
    JSON Schema that sim.input.reference renders)."""
    import typing

    out: list[tuple[str, str]] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        out.append((path, key))
        stack = [info.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel) and ann not in seen \
                    and ann.__name__ not in ("Parameters", "Fixed", "Dist"):  # quantities: their own table
                out += model_keys(ann, f"{path}.{key}" if path else key, seen | {ann})
            else:
                stack += [a for a in typing.get_args(ann) if a is not None]
    return out


def generated() -> str:
    return reference.generated_block(DOC.read_text(encoding="utf-8"))


def test_generated_block_is_up_to_date() -> None:
    assert reference.is_up_to_date(DOC), "docs/scenarios.md is out of date: run `python -m sim.input.reference`"
    assert reference.main(["--check", "--file", str(DOC)]) == 0


def test_every_model_key_is_documented() -> None:
    block = generated()
    keys = model_keys(scenario_model())
    keys += [("policies", k) for m in KINDS.values() for k in m.Params.model_fields]
    keys += [("quantity", k) for m in (Fixed, Dist) for k in m.model_fields]
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
