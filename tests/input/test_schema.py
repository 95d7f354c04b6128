"""sim.input.schema: the JSON Schemas are generated from the validator's models, the files in docs/ are current, and the
schema and the validator agree on bundled and broken files."""

from __future__ import annotations

import copy

import jsonschema
import pytest
import yaml

from sim.errors import ScenarioError
from sim.input.scenario import build_scenario
from sim.input.schema import DRAFT, FILES, dumps, schema, write
from sim.input.yamlio import loads_yaml
from tests.conftest import ROOT

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))


@pytest.mark.parametrize("kind", list(FILES))
def test_schema_files_are_generated_from_the_models(kind):
    on_disk = (ROOT / "docs" / FILES[kind]).read_text(encoding="utf-8")
    assert on_disk == dumps(kind), "docs/ schema is stale: run `python -m sim.input.schema`"


def validator(kind):
    import json

    return jsonschema.Draft202012Validator(json.loads(dumps(kind)))


@pytest.mark.parametrize("path", SCENARIOS + EXPERIMENTS, ids=lambda p: p.name)
def test_bundled_files_satisfy_the_schema(path):
    kind = "scenario" if path.parent.name == "scenarios" else "experiment"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = sorted(validator(kind).iter_errors(_jsonable(data)), key=str)
    assert not errors, errors[0].message


def _jsonable(value):
    """YAML dates and the like as the strings the loader keeps them as (YAML 1.2 numbers and strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()[:7]
    return value


MUTATIONS = [
    ("unknown key", lambda d: d["scenario"].update(colour="red")),
    ("missing section", lambda d: d.pop("firms")),
    ("negative count", lambda d: d["firms"].update(count_in_zones={"value": -5, "assumed": True, "vintage": 2017})),
    ("a field another lever kind takes", lambda d: d["policies"][0].update(rate=0.3)),
    ("no vintage", lambda d: d["firms"].update(hte_in_zones={"value": 535, "source": "x"})),
    ("bad level", lambda d: d["zones"][0].update(level="galactic")),
    ("bad comparison", lambda d: d["targets"][0].update(comparison="~=")),
    ("bare number", lambda d: d["firms"].update(hte_in_zones=535)),
    ("source without quote", lambda d: d["targets"][0]["source"].pop("quote")),
    ("source without a document, address or title", lambda d: d["targets"][0]["source"].pop("document")),
]


@pytest.mark.parametrize("name,mutate", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_schema_and_validator_agree_on_broken_scenarios(name, mutate):
    data = yaml.safe_load((ROOT / "scenarios" / "guangxi_2020.yaml").read_text(encoding="utf-8"))
    bad = copy.deepcopy(data)
    mutate(bad)
    assert list(validator("scenario").iter_errors(_jsonable(bad))), f"the schema accepts: {name}"
    with pytest.raises(ScenarioError):
        build_scenario(loads_yaml(yaml.safe_dump(bad, allow_unicode=True), file="mutated.yaml"))


def test_write_puts_both_schemas_in_a_folder_as_dumps_gives_them(tmp_path):
    written = write(tmp_path)
    assert sorted(p.name for p in written) == sorted(FILES.values())
    for kind, name in FILES.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == dumps(kind)


@pytest.mark.parametrize("kind", list(FILES))
def test_a_schema_names_its_draft_its_file_and_its_kind(kind):
    s = schema(kind)
    assert s["$schema"] == DRAFT and s["$id"].endswith(FILES[kind]) and kind in s["title"]
    jsonschema.Draft202012Validator.check_schema(s)
