"""pydantic's validation errors as zonesim problems: file:line:col, key, what was found, what was expected.

pydantic reports each error with a location (the path of keys and indices, plus the tag of the union member it
tried) and a type. The location is mapped onto the YAML document's positions (`YamlDoc.where`), skipping union
tags the data does not contain; the texts are zonesim's own, built from the error type and from the JSON Schema
of the field (its bounds, choices and description), never from the library's message.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from sim.errors import Problem, closest, lookalike_hint, short
from sim.input.yamlio import YamlDoc


def data_path(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The path in `data` that a pydantic location points at: union tags (a member's name that is not a key of
    the data, e.g. 'hte_award' or 'fixed') are dropped; a path that leaves the data is cut where it does."""
    out: list[Any] = []
    node = data
    for part in loc:
        in_map = isinstance(node, Mapping) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_list:
            out.append(part)
            node = node[part]
        elif isinstance(node, Mapping) and isinstance(part, str) and part.endswith("_") and part[:-1] in node:
            out.append(part[:-1])  # a field named after a Python keyword (from_ → from)
            node = node[part[:-1]]
        else:
            continue  # a union tag or a key the data lacks (reported at the enclosing mapping)
    if loc and loc[-1] not in out and isinstance(loc[-1], str) and isinstance(node, Mapping) and loc[-1] in node:
        out.append(loc[-1])
    return tuple(out)


class SchemaView:
    """The JSON Schema of a model, walked by a pydantic location to describe what a value should be."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.root = schema
        self.defs = schema.get("$defs", {})

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = self.defs[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def _options(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        node = self.resolve(node)
        if "properties" in node:  # a model whose anyOf only lists which keys it needs (a source): one option
            return [node]
        for key in ("anyOf", "oneOf"):
            if key in node:
                return [o for opt in node[key] for o in self._options(opt)]
        return [node]

    def at(self, loc: tuple[Any, ...]) -> dict[str, Any] | None:
        """The schema of the value at `loc` (union members followed by their tag), or None."""
        nodes = [self.root]
        for part in loc:
            nxt: list[dict[str, Any]] = []
            for node in nodes:
                for opt in self._options(node):
                    if isinstance(part, int) and "items" in opt:
                        nxt.append(opt["items"])
                    elif isinstance(part, str):
                        props = opt.get("properties", {})
                        name = part[:-1] if part.endswith("_") and part[:-1] in props else part
                        if name in props:
                            nxt.append(props[name])
                        elif "discriminator" in opt and part in opt["discriminator"].get("mapping", {}):
                            nxt.append({"$ref": opt["discriminator"]["mapping"][part]})
                        elif part in ("fixed-value", "distribution"):
                            title = "Fixed" if part == "fixed-value" else "Dist"
                            nxt += [o for o in self._options(opt) if o.get("title") == title]
                        elif isinstance(opt.get("additionalProperties"), dict):  # a value of a dict[str, X]
                            nxt.append(opt["additionalProperties"])
            if not nxt:
                nodes = [n for n in nodes]  # a union tag not in the schema's words: stay
                continue
            nodes = nxt
        options = [o for n in nodes for o in self._options(n) if o.get("type") != "null"]
        return options[0] if len(options) == 1 else ({"anyOf": options} if options else None)

    def keys(self, loc: tuple[Any, ...]) -> list[str]:
        node = self.at(loc)
        if not node:
            return []
        return [k for o in self._options(node) for k in o.get("properties", {})]

    def describe(self, node: dict[str, Any] | None) -> str:
        """What a value of this schema is, in a few words."""
        if not node:
            return "a valid value"
        options = [o for o in self._options(node) if o.get("type") != "null"]
        if len(options) > 1:
            if {o.get("title") for o in options} >= {"Fixed", "Dist"}:
                return ("{value: <number>, source: ..., vintage: YYYY} or {dist: <scipy.stats name>, ..., "
                        "assumed: true, vintage: YYYY}")
            return " or ".join(dict.fromkeys(self.describe(o) for o in options))
        o = options[0] if options else node
        if "enum" in o or "const" in o:
            choices = o.get("enum", [o.get("const")])
            shown = ", ".join(str(c) for c in choices[:12]) + (", ..." if len(choices) > 12 else "")
            return f"one of: {shown}"
        kind = o.get("type")
        if kind in ("number", "integer"):
            whole = kind == "integer" or o.get("whole")
            parts = []
            for key, sym in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<=")):
                if key in o and abs(o[key]) < 1e10:
                    parts.append(f"{sym} {o[key]:g}")
            return f"{'a whole number' if whole else 'a number'} {' and '.join(parts)}".strip()
        if kind == "string":
            if o.get("pattern") == "^[a-z][a-z0-9_]*$":
                return f"a text in lower_snake_case of at most {o.get('maxLength', 64)} characters"
            if "YYYY-MM" in (o.get("description") or ""):
                return "a month written YYYY-MM, e.g. 2018-01"
            return f"a text of at most {o.get('maxLength', 2000)} characters"
        if kind == "boolean":
            return "true or false"
        if kind == "array":
            lo, hi = o.get("minItems"), o.get("maxItems")
            what = self.describe(o.get("items", {}))
            return f"a list of {what}" + (f" (at least {lo})" if lo else "") + (f" (at most {hi})" if hi else "")
        if kind == "object" or "properties" in o:
            needs = [" and ".join(alt["required"]) for alt in o.get("anyOf", []) if set(alt) == {"required"}]
            return "a mapping with keys " + ", ".join(o.get("properties", {})) + \
                (f" (with {' or '.join(needs)})" if needs else "")
        return "a valid value"

    def label(self, node: dict[str, Any] | None) -> str:
        zh = (node or {}).get("zh")
        return f" ({zh})" if zh else ""


def _found(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"an integer of {len(str(abs(value)))} digits"
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 60 else f"a text of {len(value):,} characters"
    if isinstance(value, (dict, list)):
        return short(json.loads(json.dumps(value, default=str)))
    return short(value)


def problems_from_adapter(error: ValidationError, doc: YamlDoc, adapter: TypeAdapter,
                          base: tuple[Any, ...] = ()) -> list[Problem]:
    """`problems_from` for a value validated with a `TypeAdapter`."""
    return problems_from(error, doc, adapter.json_schema(by_alias=True), base)


def problems_from_model(error: ValidationError, doc: YamlDoc, model: type[BaseModel],
                        base: tuple[Any, ...] = ()) -> list[Problem]:
    """`problems_from` for a pydantic model."""
    return problems_from(error, doc, _schema_of(model), base)


@functools.cache
def _schema_of(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(by_alias=True)


def problems_from(error: ValidationError, doc: YamlDoc, schema: dict[str, Any], base: tuple[Any, ...] = ()
                  ) -> list[Problem]:
    """Every error of a validation, located in `doc` (the value validated was `doc.data` at path `base`, against
    a model of JSON Schema `schema`)."""
    view = SchemaView(schema)
    data = doc.data
    for part in base:
        data = data[part]
    out: list[Problem] = []
    seen: set[tuple] = set()
    errors = error.errors(include_url=False)
    # unknown keys by their mapping: a required key missing beside a misspelling of it is one mistake, told once
    # (by the unknown key, with its "did you mean")
    unknown: dict[tuple, list[str]] = {}
    for err in errors:
        if err["type"] == "extra_forbidden" and err["loc"]:
            unknown.setdefault(data_path(data, tuple(err["loc"])[:-1]), []).append(str(err["loc"][-1]))
    for err in errors:
        loc = tuple(err["loc"])
        kind = err["type"]
        value = err.get("input")
        path = data_path(data, loc)
        where = (*base, *path)
        node = view.at(loc)
        ctx = err.get("ctx") or {}
        hint = ""
        if kind == "missing":
            name = loc[-1] if loc else ""
            name = name[:-1] if isinstance(name, str) and name.endswith("_") else name
            if any(closest(k, [str(name)]) for k in unknown.get(data_path(data, loc[:-1]), [])):
                continue
            found, expected = f"no key '{name}'" + view.label(node), f"the key '{name}': {view.describe(node)}"
            where = (*base, *data_path(data, loc[:-1]))
        elif kind == "extra_forbidden":
            key = loc[-1]
            parent = data_path(data, loc[:-1])
            allowed = [k for k in view.keys(loc[:-1])]
            found = f"unknown key '{key}'"
            expected = "one of: " + ", ".join(allowed) if allowed else "no such key"
            near = closest(str(key), allowed)
            hint = lookalike_hint(str(key), allowed) or (f"did you mean '{near}'?" if near else "")
            where = (*base, *parent, key)
            if kind == "extra_forbidden" and "kind" in allowed and "policies" in parent:  # a target has a kind too
                lever = _lever_at(data, parent)
                fields = _lever_fields(lever)
                if fields:  # the union's view lists every kind's fields: name only this kind's
                    a = "an" if lever[:1] in "aeiou" else "a"
                    expected = f"a field of {a} {lever} lever: " + ", ".join(fields)
                    found = f"'{key}' on {a} {lever} lever"
                    near = closest(str(key), fields)
                    hint = lookalike_hint(str(key), fields) or (f"did you mean '{near}'?" if near else "")
        elif kind == "zonesim":
            found = ctx.get("found") or _found(value)
            expected = ctx.get("expected") or view.describe(node)
            hint = ctx.get("hint", "")
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            tags = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()]
            tag = ctx.get("tag")
            if kind == "union_tag_not_found" and "quantity_kind" in str(ctx.get("discriminator", "")):
                # a base-year fact or prior given as a bare number (or a mapping with neither value nor dist)
                found = _found(value) if not isinstance(value, dict) else "neither 'value' nor 'dist'"
                expected = view.describe(node) or ("{value: <number>, source: ..., vintage: YYYY} or {dist: "
                                                   "<scipy.stats name>, ..., assumed: true, vintage: YYYY}")
                hint = "a number needs its provenance: where it is from (source) or assumed: true, and its vintage"
            elif kind == "union_tag_not_found":
                found, expected = "no key 'kind'", "one of: " + ", ".join(tags or _lever_kinds())
            else:
                found, expected = f"'{tag}'", "one of: " + ", ".join(tags)
                near = closest(str(tag), tags)
                hint = lookalike_hint(str(tag), tags) or (f"did you mean '{near}'?" if near else "")
                where = (*where, "kind")
        elif kind == "literal_error":
            found = _found(value)
            expected = view.describe(node)
            choices = [c.strip().strip("'") for c in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
            near = closest(str(value), choices) if isinstance(value, str) else None
            hint = (lookalike_hint(value, choices) if isinstance(value, str) else "") or \
                (f"did you mean '{near}'?" if near else "")
        elif kind in ("string_pattern_mismatch", "string_too_long", "string_too_short", "string_type"):
            found = _found(value) if kind != "string_too_long" else f"a text of {len(value):,} characters"
            expected = view.describe(node)
            hint = lookalike_hint(value) if isinstance(value, str) else ""
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            found, expected = _found(value), view.describe(node)
            hi = (node or {}).get("maximum")
            if isinstance(value, (int, float)) and hi is not None and hi <= 1 and 1 < value <= 100:
                hint = f"a share or rate is a fraction: write {value / 100:g} for {value:g}%"
        elif kind in ("too_short", "too_long"):
            found, expected = f"{len(value)} items" if isinstance(value, list) else _found(value), \
                view.describe(node)
        else:  # a wrong type, a non-finite number, ...: say what was found and what the field takes
            found, expected = _found(value), view.describe(node) + view.label(node)
        problem = doc.problem(where, found, expected, hint)
        sig = (problem.line, problem.column, problem.key, problem.found)
        if sig not in seen:
            seen.add(sig)
            out.append(problem)
    return out


def _lever_at(data: Any, path: tuple[Any, ...]) -> str:
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return ""
    return node.get("kind", "") if isinstance(node, Mapping) else ""


def _lever_fields(lever: str) -> list[str]:
    """The keys a lever of kind `lever` takes (its input model's fields, `kind` aside); [] for an unknown kind."""
    from sim.model.levers import KINDS

    module = KINDS.get(lever)
    if module is None:
        return []
    return [f.alias or name for name, f in module.Params.model_fields.items() if name != "kind"]


def _lever_kinds() -> list[str]:
    from sim.model.levers import KINDS

    return list(KINDS)
