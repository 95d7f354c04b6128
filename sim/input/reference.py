"""The generated part of docs/scenarios.md: every key a scenario file accepts, and the default priors.

Rendered from the input models (`sim.input.models`, the lever modules) through their JSON Schema, and from
`sim/data/priors.yaml`, so the reference cannot drift from what the validator accepts. Run
`python -m sim.input.reference` to rewrite the block between the markers in docs/scenarios.md, or
`python -m sim.input.reference --check` to fail (exit 1) when it is out of date (the test suite does the latter).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.input.fields import DISTRIBUTIONS, Dist, Fixed, dist_arg_names
from sim.input.models import scenario_model
from sim.input.priors import Prior, default_priors, frozen_dist
from sim.input.problems import SchemaView
from sim.input.sources import bundled_plans
from sim.measure.indicators import ALL_INDICATORS, ZONE_COUNT_INDICATORS
from sim.model.levers import KINDS

BEGIN = "<!-- BEGIN GENERATED REFERENCE -->"
END = "<!-- END GENERATED REFERENCE -->"
#: docs/scenarios.md of a source checkout (pass --file when zonesim is installed elsewhere).
DEFAULT_DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"
#: The user guide's table of base-year inputs (sim.input.skeleton.inputs_table), between these markers.
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"
INPUTS_BEGIN, INPUTS_END = "<!-- inputs-table:begin -->", "<!-- inputs-table:end -->"


def _cell(text: str) -> str:
    """Text safe for one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`"


@dataclass
class Section:
    """A mapping of the schema (a `$defs` entry) with the key paths it appears at."""

    name: str
    schema: dict
    paths: list[str]


class Reference:
    """The scenario file's JSON Schema, walked section by section (`$defs` are the models)."""

    def __init__(self) -> None:
        self.root = scenario_model().model_json_schema(by_alias=True)
        self.view = SchemaView(self.root)
        self.sections: dict[str, Section] = {}

    def ref(self, node: dict) -> str | None:
        """The model a node stands for (its `$ref`, also inside lists and optional unions), or None."""
        if "$ref" in node:
            return node["$ref"].rsplit("/", 1)[-1]
        if node.get("type") == "array" and "items" in node:
            return self.ref(node["items"])
        for key in ("anyOf", "oneOf"):
            refs = [self.ref(o) for o in node.get(key, []) if o.get("type") != "null"]
            if len(refs) == 1 and refs[0]:
                return refs[0]
        return None

    def collect(self, schema: dict, path: str) -> None:
        for name, node in schema.get("properties", {}).items():
            ref = self.ref(node)
            if ref is None or ref in ("Fixed", "Dist"):
                continue
            sub = f"{path}.{name}" if path else name
            if node.get("type") == "array" or any(o.get("type") == "array" for o in node.get("anyOf", [])):
                sub += "[]"
            if ref in self.sections:
                self.sections[ref].paths.append(sub)
                continue
            self.sections[ref] = Section(ref, self.view.defs[ref], [sub])
            self.collect(self.view.defs[ref], sub)

    def describe(self, node: dict) -> str:
        """The type column: what a key accepts, in the planner's words."""
        options = [o for o in node.get("anyOf", [node]) if o.get("type") != "null"]
        node = options[0] if len(options) == 1 else node
        if node.get("type") == "array" and "discriminator" in node.get("items", {}):
            return "list of levers, each of one `kind` (see *the lever kinds* below)"
        ref = self.ref(node)
        titles = {self.view.resolve(o).get("title") for o in node.get("oneOf", node.get("anyOf", []))}
        if {"Fixed", "Dist"} <= titles or ref in ("Fixed", "Dist"):
            lo, hi = node.get("quantity_minimum"), node.get("quantity_maximum")
            kind = "whole number" if node.get("whole") else "number"
            rng = ", ".join(p for p in ((f"≥ {lo:g}" if lo is not None else ""),
                                        (f"≤ {hi:g}" if hi is not None and hi < 1e10 else "")) if p)
            unit = f", in {node['unit']}" if node.get("unit") else ""
            return f"quantity: {kind}" + (f" {rng}" if rng else "") + unit + "; with provenance and vintage"
        if ref and ref not in ("Fixed", "Dist"):
            if node.get("type") == "array":
                return f"list of mappings: see {_code(self.sections[ref].paths[0])}" if ref in self.sections \
                    else "list of mappings"
            return f"mapping: see {_code(self.sections[ref].paths[0])}" if ref in self.sections else "mapping"
        if "enum" in node and set(node["enum"]) == set(ALL_INDICATORS):
            return "an indicator name (see *Indicators* below)"
        if node.get("type") == "array" and "enum" in node.get("items", {}) \
                and set(node["items"]["enum"]) == set(ALL_INDICATORS):
            return "list of indicator names"
        return self.view.describe(node)

    def table(self, schema: dict) -> list[str]:
        required = set(schema.get("required", []))
        out = ["| key | required | type / allowed values | 中文 | description |", "|---|---|---|---|---|"]
        for name, node in schema.get("properties", {}).items():
            default = node.get("default")
            req = "yes" if name in required else "no" + (f" (default {_code(default)})"
                                                           if default not in (None, False, []) else "")
            zh = node.get("zh") or next((o.get("zh") for o in node.get("anyOf", []) if o.get("zh")), "")
            doc = node.get("description", "")
            out.append(f"| {_code(name)} | {req} | {_cell(self.describe(node))} | {_cell(zh)} | {_cell(doc)} |")
        return out


def _bound(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1e4 and float(x).is_integer() else f"{x:g}"


def _prior_range(prior: Prior) -> str:
    """The support of a bounded prior, the central 90% of an unbounded one, the value of a fixed one."""
    if prior.dist is None:
        return _bound(float(prior.value))  # type: ignore[arg-type]
    lo, hi = prior.bounds()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        lo, hi = frozen_dist(dict(prior.dist)).ppf([0.05, 0.95])
        return f"{lo:.3g} – {hi:.3g} (90%)"
    return f"{lo:.4g} – {hi:.4g}"


def _priors_table() -> Iterator[str]:
    yield "| name | prior | range | vintage | source or assumption |"
    yield "|---|---|---|---|---|"
    for name, prior in default_priors().items():
        if prior.source and not prior.assumed:
            prov = prior.source
        else:
            prov = "**assumption**" + (f": {prior.note}" if prior.note else "") + (
                f" ({prior.source})" if prior.source else "")
        yield (f"| {_code(name)} | {_cell(prior.describe())} | {_cell(_prior_range(prior))} | {prior.vintage} "
               f"| {_cell(prov)} |")


def _indicators_table() -> Iterator[str]:
    yield "| indicator | 中文 | English | unit | computed as |"
    yield "|---|---|---|---|---|"
    for name, ind in ALL_INDICATORS.items():
        if name in ZONE_COUNT_INDICATORS:
            how = "count of zones by level (region-wide, any `scope`)"
        elif ind.denominator is None:
            how = f"sum of `{ind.numerator}`" + (f" × {ind.scale:g}" if ind.scale != 1 else "")
        else:
            how = f"sum of `{ind.numerator}` / sum of `{ind.denominator}`" + (
                f" × {ind.scale:g}" if ind.scale != 1 else "")
        yield f"| {_code(name)} | {_cell(ind.zh)} | {_cell(ind.en)} | {_cell(ind.unit)} | {_cell(how)} |"


def scenario_reference_markdown() -> str:
    """The reference block of docs/scenarios.md, generated from the input models (`sim.input.models`, the lever
    modules of `sim.model.levers`) and sim/data/priors.yaml: one table per section, each lever kind's keys,
    the indicators, the prior distributions and the default priors."""
    ref = Reference()
    ref.collect(ref.root, "")
    lever_refs = {k: m.Params.__name__ for k, m in KINDS.items()}
    out: list[str] = [
        "<!-- Generated by `python -m sim.input.reference` from the input models and sim/data/priors.yaml: do not "
        "edit by hand. -->", "", "### Top level", "", _cell(ref.root.get("description", "")), "",
        *ref.table(ref.root)]
    for sec in ref.sections.values():
        if sec.name in ("Parameters",) or sec.name.endswith("Params"):
            continue
        out += ["", f"### {_code(sec.paths[0])}", ""]
        if len(sec.paths) > 1:
            out += ["Also used at " + ", ".join(_code(p) for p in sec.paths[1:]) + ".", ""]
        if sec.schema.get("description"):
            out += [_cell(sec.schema["description"]), ""]
        out += ref.table(sec.schema)
    out += ["", "### `parameters`", "", "Every key is optional and named after a default prior; see *Default "
            "priors* below for each one's default, range, vintage and source."]
    out += ["", "### `policies[]`: the lever kinds", "",
            "Every lever takes the common keys below; its `kind` decides which others it takes, and a key of "
            "another kind is refused. Each kind is one module of `sim/model/levers/`.", ""]
    for kind, module in KINDS.items():
        schema = module.Params.model_json_schema(by_alias=True)
        doc = (module.__doc__ or "").strip().split("\n\n")[0]
        out += [f"#### `kind: {kind}`", "", _cell(doc), ""]
        own = {k: v for k, v in schema.get("properties", {}).items() if k not in _common_lever_keys()}
        out += ref.table({"properties": own, "required": [k for k in schema.get("required", []) if k in own]})
        out.append("")
    common = KINDS["hte_award"].Params.model_json_schema(by_alias=True)
    commons = {k: v for k, v in common["properties"].items() if k in _common_lever_keys()}
    out += ["#### Common lever keys", "", *ref.table({"properties": commons, "required":
                                                      [k for k in common.get("required", []) if k in commons]})]
    out += ["", "### Indicators", "",
            "Each indicator is a ratio of per-zone sums (or one sum), summed over the zones in a target's `scope`.",
            "", *_indicators_table()]
    out += ["", "### Quantities", "",
            "A base-year fact or a prior is a mapping: a number (`value`) or a distribution (`dist` and its "
            "arguments), with where it comes from (`source`, or `assumed: true` with a `note`) and its `vintage`. "
            "A bare number is refused.", ""]
    fixed, dist = Fixed.model_json_schema(), Dist.model_json_schema()
    out += ref.table({"properties": {**fixed["properties"], **{k: v for k, v in dist["properties"].items()
                                                              if k not in fixed["properties"]}},
                      "required": ["vintage"]})
    out += ["", "### Prior distributions", "",
            "`dist:` names a `scipy.stats` distribution; its shape arguments are required, `loc` and `scale` "
            "optional.", "", "| `dist` | arguments |", "|---|---|"]
    out += [f"| {_code(d)} | {', '.join(_code(a) for a in dist_arg_names(d))} |" for d in DISTRIBUTIONS]
    out += ["", "### Sources", "",
            "A `source` quotes the clause and names where it is from: `document` (a bundled plan below, or a text "
            "file beside the scenario, by relative path), `url` (http:// or https://), or `title` with `date`. "
            "A quote from a bundled plan or a readable file must be in it verbatim (whitespace aside); otherwise "
            "it is kept as given (a warning says so when a named file cannot be read).", "",
            "| bundled plan (`document:`) | region | issued by | date |", "|---|---|---|---|"]
    out += [f"| {_code(p.file)} | {p.region} | {p.issued_by} | {p.date or '—'} |" for p in bundled_plans().values()]
    out += [""]
    out += ["### Default priors", "",
            "Sampled once per run (sim/data/priors.yaml); override any of them under `parameters:` by name. "
            "The prior is written as its `scipy.stats` call; the range is its support (or its central 90% when "
            "unbounded); the vintage is the latest year of the information it rests on.", "", *_priors_table()]
    del lever_refs
    return "\n".join(out) + "\n"


def _common_lever_keys() -> set[str]:
    from sim.model.levers.base import LeverBase

    return set(LeverBase.model_fields) | {"kind"}


# --- the docs/scenarios.md block ------------------------------------------------------------------------------

def replace_block(text: str, block: str, begin: str = BEGIN, end: str = END) -> str:
    """`text` with everything between the markers replaced by `block`; ValueError when the markers are missing."""
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < 0 or stop < start or text.count(begin) != 1 or text.count(end) != 1:
        raise ValueError(f"expected one '{begin}' followed by one '{end}'")
    return text[: start + len(begin)] + "\n" + block.strip("\n") + "\n" + text[stop:]


def generated_block(text: str) -> str:
    """What is between the markers of `text` now."""
    start, stop = text.find(BEGIN), text.find(END)
    if start < 0 or stop < start:
        raise ValueError(f"expected '{BEGIN}' followed by '{END}'")
    return text[start + len(BEGIN): stop]


def _blocks(path: Path) -> tuple[str, str, str]:
    """The generated block a file takes: (block, begin marker, end marker) — the scenario reference, or the
    guide's table of base-year inputs."""
    if path.resolve() == GUIDE.resolve() or INPUTS_BEGIN in path.read_text(encoding="utf-8"):
        from sim.input.skeleton import inputs_table

        return "\n".join(inputs_table()), INPUTS_BEGIN, INPUTS_END
    return scenario_reference_markdown(), BEGIN, END


def is_up_to_date(path: Path = DEFAULT_DOC) -> bool:
    """True when the file's generated block is what zonesim renders now."""
    text = path.read_text(encoding="utf-8")
    return replace_block(text, *_blocks(path)) == text


def update(path: Path = DEFAULT_DOC) -> bool:
    """Rewrite the file's generated block; True when it changed."""
    text = path.read_text(encoding="utf-8")
    new = replace_block(text, *_blocks(path))
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m sim.input.reference [--check] [--file docs/scenarios.md]`: 0 done or up to date, 1 out of date
    (with --check), 2 the file or its markers are missing."""
    parser = argparse.ArgumentParser(prog="python -m sim.input.reference",
                                     description="Regenerate the scenario reference in docs/scenarios.md.")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the block is out of date")
    parser.add_argument("--file", type=Path, action="append", default=None,
                        help=f"a Markdown file (default {DEFAULT_DOC} and {GUIDE}); repeatable")
    args = parser.parse_args(argv)
    code = 0
    for path in args.file or [DEFAULT_DOC, GUIDE]:
        try:
            if args.check:
                if not is_up_to_date(path):
                    print(f"{path}: the generated block is out of date; run: python -m sim.input.reference",
                          file=sys.stderr)
                    code = max(code, 1)
                continue
            changed = update(path)
        except (OSError, ValueError) as err:
            print(f"{path}: {err}", file=sys.stderr)
            return 2
        print(f"{path}: {'updated' if changed else 'already up to date'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
