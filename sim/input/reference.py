"""The generated part of docs/scenarios.md: every key a scenario file accepts, and the default priors.

Rendered from the schema itself (`sim.input.scenario.scenario_spec()`) and from `sim/data/priors.yaml`, so the
reference cannot drift from what the validator accepts. Run `python -m sim.input.reference` to rewrite the block
between the markers in docs/scenarios.md, or `python -m sim.input.reference --check` to fail (exit 1) when it is out
of date (the test suite does the latter).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.input.scenario import POLICY_FIELDS, SEED_DOCUMENTS, default_priors, scenario_spec
from sim.input.spec import (
    ABSURD,
    DISTRIBUTIONS,
    Bool,
    Enum,
    Field,
    ListOf,
    Num,
    Obj,
    Prior,
    Quantity,
    Spec,
    Str,
    YearMonth,
    dist_arg_names,
    frozen_dist,
)
from sim.measure.indicators import ALL_INDICATORS, ZONE_COUNT_INDICATORS

BEGIN = "<!-- BEGIN GENERATED REFERENCE -->"
END = "<!-- END GENERATED REFERENCE -->"
#: docs/scenarios.md of a source checkout (pass --file when zonesim is installed elsewhere).
DEFAULT_DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


@dataclass
class Section:
    """A mapping of the schema with the key paths it appears at (a shared mapping is documented once)."""

    obj: Obj
    paths: list[str]


def _cell(text: str) -> str:
    """Text safe for one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`"


def _bound(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1e4 and float(x).is_integer() else f"{x:g}"


def _range(minimum: float | None, maximum: float | None, exclusive_minimum: bool = False) -> str:
    lo = "" if minimum is None or minimum <= -ABSURD else f"{'>' if exclusive_minimum else '≥'} {_bound(minimum)}"
    hi = "" if maximum is None or maximum >= ABSURD else f"≤ {_bound(maximum)}"
    return ", ".join(p for p in (lo, hi) if p)


def _enum(choices: tuple[str, ...]) -> str:
    if set(choices) == set(ALL_INDICATORS):
        return "an indicator name (see *Indicators* below)"
    return "one of " + ", ".join(_code(c) for c in choices)


def _section_name(obj: Obj, sections: dict[int, Section]) -> str:
    return sections[id(obj)].paths[0]


def describe_type(spec: Spec, sections: dict[int, Section]) -> str:
    """The type column: what a key accepts, in the planner's words."""
    if isinstance(spec, Quantity):
        kind = "integer" if spec.integer else "number"
        rng = _range(spec.minimum, spec.maximum)
        text = f"quantity: {kind}" + (f" {rng}" if rng else "") + (f", in {spec.unit}" if spec.unit else "")
        return text + ("; with provenance" if spec.require_provenance else "")
    if isinstance(spec, Num):
        rng = _range(spec.minimum, spec.maximum, spec.exclusive_minimum)
        return ("integer" if spec.integer else "number") + (f" {rng}" if rng else "")
    if isinstance(spec, Bool):
        return "`true` or `false`"
    if isinstance(spec, Enum):
        return _enum(spec.choices)
    if isinstance(spec, YearMonth):
        return "month `YYYY-MM`"
    if isinstance(spec, Str):
        return "text" + (f" {spec.pattern_doc}" if spec.pattern_doc else "")
    if isinstance(spec, ListOf):
        size = (f"{spec.min_items}–{spec.max_items} items" if spec.min_items else f"up to {spec.max_items} items")
        return f"list ({size}) of " + describe_type(spec.item, sections)
    if isinstance(spec, Obj):
        return f"mapping: see {_code(_section_name(spec, sections))}"
    return spec.expected()  # a Spec type this module does not know yet: the validator's own words


def _collect(obj: Obj, path: str, sections: dict[int, Section]) -> None:
    """Every mapping under `obj`, depth first, in the order the schema declares its keys."""
    for name, fld in obj.fields.items():
        spec = fld.spec
        suffix = ""
        while isinstance(spec, ListOf):
            spec, suffix = spec.item, suffix + "[]"
        if not isinstance(spec, Obj):
            continue
        sub = f"{path}.{name}{suffix}" if path else f"{name}{suffix}"
        if id(spec) in sections:
            sections[id(spec)].paths.append(sub)
            continue
        sections[id(spec)] = Section(spec, [sub])
        _collect(spec, sub, sections)


def _required(fld: Field) -> str:
    if fld.required:
        return "yes"
    return "no" + (f" (default {_code(fld.default)})" if fld.default is not None else "")


def _table(obj: Obj, sections: dict[int, Section]) -> Iterator[str]:
    yield "| key | required | type / allowed values | 中文 | description |"
    yield "|---|---|---|---|---|"
    for name, fld in obj.fields.items():
        zh = fld.zh or fld.spec.zh
        doc = fld.doc or fld.spec.doc
        yield (f"| {_code(name)} | {_required(fld)} | {_cell(describe_type(fld.spec, sections))} | {_cell(zh)} "
               f"| {_cell(doc)} |")


def _prior_range(prior: Prior) -> str:
    """The support of a bounded prior, the central 90% of an unbounded one, the value of a fixed one."""
    if prior.dist is None:
        return _bound(float(prior.value))  # type: ignore[arg-type]
    lo, hi = prior.bounds()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        lo, hi = frozen_dist(dict(prior.dist)).ppf([0.05, 0.95])
        return f"{lo:.3g} – {hi:.3g} (90%)"
    return f"{lo:.4g} – {hi:.4g}"


def _priors_table(parameters: Obj, sections: dict[int, Section]) -> Iterator[str]:
    yield "| name | type | prior | range | source or assumption |"
    yield "|---|---|---|---|---|"
    for name, prior in default_priors().items():
        if prior.source and not prior.assumed:
            prov = prior.source
        else:
            prov = "**assumption**" + (f": {prior.note}" if prior.note else "") + (
                f" ({prior.source})" if prior.source else "")
        fld = parameters.fields.get(name)
        kind = describe_type(fld.spec, sections) if fld is not None else "(not accepted under `parameters:`)"
        yield (f"| {_code(name)} | {_cell(kind)} | {_cell(prior.describe())} | {_cell(_prior_range(prior))} "
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
    """The reference block of docs/scenarios.md: one table per mapping of the schema, the lever kinds' keys,
    the indicators, the prior distributions and the default priors."""
    spec = scenario_spec()
    parameters = spec.fields["parameters"].spec
    assert isinstance(parameters, Obj)
    sections: dict[int, Section] = {}
    _collect(spec, "", sections)
    out: list[str] = [
        "<!-- Generated by `python -m sim.input.reference` from sim/scenario.py and sim/data/priors.yaml: do not edit "
        "by hand. -->",
        "",
        "### Top level",
        "",
        _cell(spec.doc),
        "",
        *_table(spec, sections),
    ]
    for sec in sections.values():
        out += ["", f"### {_code(sec.paths[0])}", ""]
        if len(sec.paths) > 1:
            out += ["Also used at " + ", ".join(_code(p) for p in sec.paths[1:]) + ".", ""]
        if sec.obj.doc:
            out += [_cell(sec.obj.doc), ""]
        if sec.obj is parameters:
            out.append("Every key is optional and named after a default prior; see *Default priors* below for "
                       "each one's type, default, source and meaning.")
            continue
        if not sec.obj.fields:
            out.append("(no keys)")
            continue
        out += list(_table(sec.obj, sections))
    out += ["", "### Keys each lever kind requires", "",
            "A lever must carry exactly the keys of its kind (besides the common ones); keys of other kinds are "
            "refused.", "", "| `kind` | required keys |", "|---|---|"]
    out += [f"| {_code(kind)} | {', '.join(_code(k) for k in keys)} |" for kind, keys in POLICY_FIELDS.items()]
    out += ["", "### Indicators", "",
            "Each indicator is a ratio of per-zone sums (or one sum), summed over the zones in a target's `scope`.",
            "", *_indicators_table()]
    out += ["", "### Prior distributions", "",
            "`dist:` names a `scipy.stats` distribution; its shape arguments are required, `loc` and `scale` "
            "optional.", "", "| `dist` | arguments |", "|---|---|"]
    out += [f"| {_code(d)} | {', '.join(_code(a) for a in dist_arg_names(d))} |" for d in DISTRIBUTIONS]
    out += ["", "### Seed documents", "", "`source.document` must be one of: "
            + ", ".join(_code(d) for d in SEED_DOCUMENTS) + ".", ""]
    out += ["### Default priors", "",
            "Sampled once per run (sim/data/priors.yaml); override any of them under `parameters:` by name. "
            "The prior is written as its `scipy.stats` call; the range is its support (or its central 90% when "
            "unbounded).", "", *_priors_table(parameters, sections)]
    return "\n".join(out) + "\n"


# --- the docs/scenarios.md block ------------------------------------------------------------------------------

def replace_block(text: str, block: str) -> str:
    """`text` with everything between the markers replaced by `block`; ValueError when the markers are missing."""
    start, stop = text.find(BEGIN), text.find(END)
    if start < 0 or stop < 0 or stop < start or text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ValueError(f"expected one '{BEGIN}' followed by one '{END}'")
    return text[: start + len(BEGIN)] + "\n" + block.strip("\n") + "\n" + text[stop:]


def generated_block(text: str) -> str:
    """What is between the markers of `text` now."""
    start, stop = text.find(BEGIN), text.find(END)
    if start < 0 or stop < start:
        raise ValueError(f"expected '{BEGIN}' followed by '{END}'")
    return text[start + len(BEGIN): stop]


def is_up_to_date(path: Path = DEFAULT_DOC) -> bool:
    """True when the file's generated block is what `scenario_reference_markdown()` renders now."""
    text = path.read_text(encoding="utf-8")
    return replace_block(text, scenario_reference_markdown()) == text


def update(path: Path = DEFAULT_DOC) -> bool:
    """Rewrite the file's generated block; True when it changed."""
    text = path.read_text(encoding="utf-8")
    new = replace_block(text, scenario_reference_markdown())
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
    parser.add_argument("--file", type=Path, default=DEFAULT_DOC, help=f"the Markdown file (default {DEFAULT_DOC})")
    args = parser.parse_args(argv)
    try:
        if args.check:
            if is_up_to_date(args.file):
                return 0
            print(f"{args.file}: the generated reference is out of date; run: python -m sim.input.reference",
                  file=sys.stderr)
            return 1
        changed = update(args.file)
    except (OSError, ValueError) as err:
        print(f"{args.file}: {err}", file=sys.stderr)
        return 2
    print(f"{args.file}: {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
