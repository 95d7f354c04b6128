"""JSON Schemas of scenario and experiment files, generated from the pydantic models the validator runs.

Editors with the YAML language server read them for completion and inline errors (a first line
`# yaml-language-server: $schema=../docs/zonesim.schema.json`). They are a convenience: the schema cannot say
everything the validator checks (rules across fields, lever paths against the base scenario, quotes), so
`zonesim validate` stays the authority. `python -m sim.input.schema` rewrites the files in docs/; a test fails when
they differ from what the specification generates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DRAFT = "https://json-schema.org/draft/2020-12/schema"
FILES = {"scenario": "zonesim.schema.json", "experiment": "zonesim-experiment.schema.json"}


def schema(kind: str = "scenario") -> dict[str, Any]:
    """The JSON Schema of a scenario (`kind="scenario"`) or experiment file."""
    from sim.input.experiment import ExperimentFile
    from sim.input.models import scenario_model

    model = scenario_model() if kind == "scenario" else ExperimentFile
    title = "zonesim scenario" if kind == "scenario" else "zonesim experiment"
    return {**model.model_json_schema(by_alias=True), "$schema": DRAFT,
            "$id": f"https://zonesim.example/{FILES[kind]}", "title": title}


def dumps(kind: str) -> str:
    return json.dumps(schema(kind), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write(folder: str | Path) -> list[Path]:
    out = []
    for kind, name in FILES.items():
        path = Path(folder) / name
        path.write_text(dumps(kind), encoding="utf-8")
        out.append(path)
    return out


if __name__ == "__main__":
    for p in write(Path(__file__).resolve().parents[2] / "docs"):
        print(p, file=sys.stderr)
