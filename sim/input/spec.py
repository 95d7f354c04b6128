"""A small declarative schema language for zonesim's YAML files.

Why not hand-written checks: one description of every key serves the validator (which reports every problem
at once, with file, line and the closest valid key), the reference documentation and the JSON Schema, so the
three cannot drift apart.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from sim.errors import Problem, closest, lookalike_hint
from sim.input.yamlio import YamlDoc

Path_ = tuple[Any, ...]

#: Hard ceiling for any count or amount a planner may type: beyond it the number is a typo, not a plan.
ABSURD = 1e10


def _found(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"an integer of {len(str(abs(value)))} digits"
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "..."


class Spec:
    """One node of the schema: checks a value and describes itself."""

    doc: str = ""
    zh: str = ""

    def check(self, doc: YamlDoc, value: Any, path: Path_, out: list[Problem]) -> None:
        raise NotImplementedError

    def expected(self) -> str:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        raise NotImplementedError

    def _bad(self, doc: YamlDoc, path: Path_, value: Any, out: list[Problem], expected: str | None = None,
             hint: str = "") -> None:
        label = f"{expected or self.expected()}"
        if self.zh:
            label += f" ({self.zh})"
        out.append(doc.problem(path, _found(value), label, hint))


@dataclass
class Num(Spec):
    minimum: float | None = None
    maximum: float | None = ABSURD
    integer: bool = False
    exclusive_minimum: bool = False
    doc: str = ""
    zh: str = ""

    def expected(self) -> str:
        kind = "an integer" if self.integer else "a number"
        lo = "" if self.minimum is None or self.minimum <= -ABSURD else (
            f"> {self.minimum:g}" if self.exclusive_minimum else f">= {self.minimum:g}")
        hi = "" if self.maximum is None or self.maximum >= ABSURD else f"<= {self.maximum:g}"
        rng = " and ".join(p for p in (lo, hi) if p)
        return f"{kind} {rng}".strip()

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        try:
            if not math.isfinite(value):
                return False
        except OverflowError:  # an integer of hundreds of digits
            return False
        if self.integer and not float(value).is_integer():
            return False
        if self.minimum is not None and (value <= self.minimum if self.exclusive_minimum else value < self.minimum):
            return False
        return not (self.maximum is not None and value > self.maximum)

    def check(self, doc: YamlDoc, value: Any, path: Path_, out: list[Problem]) -> None:
        if not self.accepts(value):
            hint = ""
            if self.fraction and isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and 1 < value <= 100:
                hint = f"a share or rate is a fraction: write {value / 100:.2f} for {value:g}%"
            self._bad(doc, path, value, out, hint=hint)

    @property
    def fraction(self) -> bool:
        return self.maximum is not None and self.maximum <= 1 and not self.integer

    def json_schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "integer" if self.integer else "number"}
        if self.minimum is not None:
            s["exclusiveMinimum" if self.exclusive_minimum else "minimum"] = self.minimum
        if self.maximum is not None:
            s["maximum"] = self.maximum
        return s


#: Longest identifier (an id becomes part of folder and file names, which file systems limit to 255 bytes).
MAX_ID = 64
#: Longest free text (names, notes, quotes, reasons): a paragraph, not a document.
MAX_TEXT = 2000


@dataclass
class Str(Spec):
    pattern: str | None = None
    pattern_doc: str = ""
    doc: str = ""
    zh: str = ""
    max_length: int | None = None

    @property
    def limit(self) -> int:
        return self.max_length or (MAX_ID if self.pattern else MAX_TEXT)

    def expected(self) -> str:
        return f"a text{' ' + self.pattern_doc if self.pattern_doc else ''} of at most {self.limit} characters"

    def check(self, doc: YamlDoc, value: Any, path: Path_, out: list[Problem]) -> None:
        if not isinstance(value, str) or not value.strip() or self.pattern and not re.fullmatch(self.pattern, value):
            self._bad(doc, path, value, out, hint=lookalike_hint(value) if isinstance(value, str) else "")
        elif len(value) > self.limit:
            self._bad(doc, path, f"a text of {len(value):,} characters", out)

    def json_schema(self) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": self.limit}
        if self.pattern:
            s["pattern"] = f"^{self.pattern}$"
        return s


@dataclass
class Bool(Spec):
    doc: str = ""
    zh: str = ""

    def expected(self) -> str:
        return "true or false"

    def check(self, doc: YamlDoc, value: Any, path: Path_, out: list[Problem]) -> None:
        if not isinstance(value, bool):
            self._bad(doc, path, value, out)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass
class Enum(Spec):
    choices: tuple[str, ...] = ()
    doc: str = ""
    zh: str = ""

    def expected(self) -> str:
        shown = ", ".join(self.choices[:12]) + (", ..." if len(self.choices) > 12 else "")
        return f"one of: {shown}"

    def check(self, doc: YamlDoc, value: Any, path: Path_, out: list[Problem]) -> None:
        if not isinstance(value, str) or value not in self.choices:
            near = closest(str(value), self.choices) if isinstance(value, str) else None
            hint = lookalike_hint(value, self.choices) if isinstance(value, str) else ""
            self._bad(doc, path, value, out, hint=hint or (f"did you mean '{near}'?" if near else ""))

    def json_schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}


@dataclass
class YearMonth(Spec):
    """A calendar month written `YYYY-MM` (quoted or not)."""

    doc: str = ""
    zh: str = ""

    def expected(self) -> str:
        return "a month written YYYY-MM, e.g. 2018-01"

    def check(self, doc: YamlDoc, value: Any, path: Path_, out: list[Problem]) -> None:
        if parse_year_month(value) is None:
            self._bad(doc, path, value, out)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^(19|20|21)\d\d-(0[1-9]|1[0-2])$"}


def parse_year_month(value: Any) -> tuple[int, int] | None:
    """`'2018-01'` → (2018, 1); anything else → None."""
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", value.strip())
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not (1900 <= year <= 2200 and 1 <= month <= 12):
        return None
    return year, month


@dataclass
class ListOf(Spec):
    item: Spec = field(default_factory=Spec)
    min_items: int = 0
    max_items: int = 10_000
    doc: str = ""
    zh: str = ""

    def expected(self) -> str:
        return f"a list of {self.item.expected()}" + (f" (at least {self.min_items})" if self.min_items else "")

    def check(self, doc: YamlDoc, value: Any, path: Path_, out: list[Problem]) -> None:
        if not isinstance(value, list):
            self._bad(doc, path, value, out)
            return
        if not self.min_items <= len(value) <= self.max_items:
            self._bad(doc, path, f"{len(value)} items", out,
                      f"between {self.min_items} and {self.max_items} items")
            if len(value) > self.max_items:
                return  # its items are not checked one by one: a million of them would take minutes
        for i, item in enumerate(value):
            self.item.check(doc, item, (*path, i), out)

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.json_schema(), "minItems": self.min_items,
                "maxItems": self.max_items}


@dataclass
class Field:
    spec: Spec
    required: bool = True
    doc: str = ""
    zh: str = ""
    default: Any = None


@dataclass
class Obj(Spec):
    fields: dict[str, Field] = field(default_factory=dict)
    doc: str = ""
    zh: str = ""
    #: Extra whole-object rules, run when every field is well-typed: (doc, value, path, out) -> None.
    rules: tuple[Callable[[YamlDoc, dict, Path_, list[Problem]], None], ...] = ()

    def expected(self) -> str:
        return "a mapping with keys " + ", ".join(self.fields)

    def check(self, doc: YamlDoc, value: Any, path: Path_, out: list[Problem]) -> None:
        if not isinstance(value, Mapping):
            self._bad(doc, path, value, out)
            return
        for key in value:
            if key not in self.fields:
                near = closest(str(key), self.fields)
                odd = lookalike_hint(str(key), self.fields)
                out.append(doc.problem((*path, key), f"unknown key '{key}'",
                                       "one of: " + ", ".join(self.fields),
                                       odd or (f"did you mean '{near}'?" if near else "")))
        for name, fld in self.fields.items():
            if name in value:
                fld.spec.check(doc, value[name], (*path, name), out)
            elif fld.required:
                label = f"key '{name}'" + (f" ({fld.zh})" if fld.zh else "")
                out.append(doc.problem(path, "no " + label, fld.spec.expected()))
        for rule in self.rules:  # every rule copes with malformed fields (see sim.input.scenario._tolerant)
            rule(doc, dict(value), path, out)

    def json_schema(self) -> dict[str, Any]:
        props = {}
        for name, fld in self.fields.items():
            s = fld.spec.json_schema()
            desc = " · ".join(p for p in (fld.zh, fld.doc or fld.spec.doc) if p)
            if desc:
                s = {**s, "description": desc}
            props[name] = s
        out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False,
                               "required": [n for n, f in self.fields.items() if f.required]}
        if self.doc:
            out["description"] = self.doc
        return out


# --- quantities: a number, a sourced number, or a prior distribution -------------------------------------------

#: scipy.stats distributions a scenario may name for a prior, and why they are enough: bounded (uniform,
#: triang, beta, truncnorm), positive (lognorm, gamma, loguniform) and symmetric (norm, laplace).
DISTRIBUTIONS = ("uniform", "triang", "beta", "truncnorm", "norm", "lognorm", "gamma", "loguniform", "laplace",
                 "expon")


def dist_arg_names(name: str) -> tuple[str, ...]:
    shapes = getattr(stats, name).shapes
    names = tuple(s.strip() for s in shapes.split(",")) if shapes else ()
    return (*names, "loc", "scale")


def frozen_dist(spec: Mapping[str, Any]) -> Any:
    """The scipy frozen distribution a validated `{dist: ..., args}` mapping names (cached: freezing a scipy
    distribution formats its docstring, which costs more than drawing from it)."""
    name = spec["dist"]
    args = tuple((k, spec[k]) for k in dist_arg_names(name) if k in spec)
    try:
        return _frozen(name, args)
    except TypeError:  # an unhashable argument (only in invalid input, which validation reports)
        return getattr(stats, name)(**dict(args))


@functools.lru_cache(maxsize=4096)
def _frozen(name: str, args: tuple[tuple[str, Any], ...]) -> Any:
    return getattr(stats, name)(**dict(args))


_PROVENANCE = ("source", "assumed", "note", "vintage")
#: Years a `vintage` may name.
VINTAGE_RANGE = (1950, 2100)


#: What scipy requires of each distribution's arguments, for messages.
_ARG_RULES = {"uniform": "scale > 0", "triang": "0 <= c <= 1, scale > 0", "beta": "a > 0, b > 0, scale > 0",
              "truncnorm": "a < b, scale > 0", "norm": "scale > 0", "lognorm": "s > 0, scale > 0",
              "gamma": "a > 0, scale > 0", "loguniform": "0 < a < b, scale > 0", "laplace": "scale > 0",
              "expon": "scale > 0"}


@dataclass
class Quantity(Spec):
    """A model input: a fixed number, or a prior to sample per Monte Carlo run.

    Written as `535`, as `{value: 535, source: "..."}`, or as `{dist: uniform, loc: 5000, scale: 4000,
    assumed: true, note: "..."}` (scipy.stats names and arguments). With `require_provenance`, a mapping must
    say where the value comes from (`source`) or that it is an assumption (`assumed: true`), and a bare
    number is refused: a base-year fact without provenance is how dishonest models begin.
    """

    minimum: float | None = None
    maximum: float | None = ABSURD
    integer: bool = False
    require_provenance: bool = True
    unit: str = ""
    doc: str = ""
    zh: str = ""

    def _num(self) -> Num:
        return Num(self.minimum, self.maximum, self.integer)

    def expected(self) -> str:
        base = self._num().expected()
        if self.require_provenance:
            return f"{{value: <{base}>, source: ...}} or {{dist: <scipy.stats name>, ..., assumed: true}}"
        return f"{base}, or {{dist: <scipy.stats name>, ...}}"

    def check(self, doc: YamlDoc, value: Any, path: Path_, out: list[Problem]) -> None:
        num = self._num()
        if not isinstance(value, Mapping):
            if self.require_provenance:
                self._bad(doc, path, value, out,
                          "a mapping with its provenance, e.g. {value: 535, source: 'DOMAIN §8'} "
                          "or {dist: uniform, loc: 10, scale: 5, assumed: true}")
            else:
                num.check(doc, value, path, out)
            return
        keys = set(value)
        if "value" in keys and "dist" in keys:
            out.append(doc.problem(path, "both 'value' and 'dist'", "one of them"))
            return
        if "value" in keys:
            allowed = {"value", *_PROVENANCE}
            num.check(doc, value["value"], (*path, "value"), out)
        elif "dist" in keys:
            name = value["dist"]
            if name not in DISTRIBUTIONS:
                near = closest(str(name), DISTRIBUTIONS)
                out.append(doc.problem((*path, "dist"), _found(name), "one of: " + ", ".join(DISTRIBUTIONS),
                                       f"did you mean '{near}'?" if near else ""))
                return
            arg_names = dist_arg_names(name)
            allowed = {"dist", *arg_names, *_PROVENANCE}
            bad_args = False
            for a in arg_names:
                if a in value and not Num(None, None).accepts(value[a]):
                    out.append(doc.problem((*path, a), _found(value[a]), "a finite number"))
                    bad_args = True
            shapes = [a for a in arg_names if a not in ("loc", "scale")]
            for a in shapes:
                if a not in value:
                    out.append(doc.problem(path, f"no key '{a}'", f"the '{a}' shape of scipy.stats.{name}"))
                    bad_args = True
            if not bad_args and not (keys - allowed):
                self._check_support(doc, value, path, out)
        else:
            out.append(doc.problem(path, "a mapping without 'value' or 'dist'",
                                   "{value: <number>, ...} or {dist: <scipy.stats name>, ...}"))
            return
        for key in sorted(keys - allowed, key=str):
            near = closest(str(key), allowed)
            out.append(doc.problem((*path, key), f"unknown key '{key}'", "one of: " + ", ".join(sorted(allowed)),
                                   f"did you mean '{near}'?" if near else ""))
        if "assumed" in keys and not isinstance(value["assumed"], bool):
            out.append(doc.problem((*path, "assumed"), _found(value["assumed"]), "true or false"))
        for key in ("source", "note"):
            if key in keys and (not isinstance(value[key], str) or not value[key].strip()):
                out.append(doc.problem((*path, key), _found(value[key]), "a non-empty text"))
        if self.require_provenance and not (value.get("source") or value.get("assumed") is True):
            out.append(doc.problem(path, "no provenance", "a 'source' or 'assumed: true' (with a note)"))
        if "vintage" in keys:
            v = value["vintage"]
            if isinstance(v, bool) or not isinstance(v, int) or not VINTAGE_RANGE[0] <= v <= VINTAGE_RANGE[1]:
                out.append(doc.problem((*path, "vintage"), _found(v), "a year (the latest year of the information "
                                                                       "the value rests on)"))
        elif self.require_provenance:
            out.append(doc.problem(path, "no key 'vintage'", "the latest year of the information the value rests "
                                                             "on, e.g. vintage: 2016 (it may not be after the base "
                                                             "year)"))

    def _check_support(self, doc: YamlDoc, value: Mapping[str, Any], path: Path_, out: list[Problem]) -> None:
        # scipy's own argument check: invalid arguments (scale <= 0, loguniform a >= b or a <= 0, ...) make the
        # frozen distribution's support and quantiles NaN rather than raise, so those are what is tested.
        args = ", ".join(f"{k}={value[k]}" for k in dist_arg_names(value["dist"]) if k in value)
        try:
            with np.errstate(all="ignore"):
                dist = frozen_dist(value)
                lo, hi = (float(x) for x in dist.support())
                mid = np.asarray(dist.ppf([0.001, 0.5, 0.999]), dtype=float)
            valid = not (np.isnan(lo) or np.isnan(hi) or np.isnan(mid).any())
        except Exception:  # noqa: BLE001 - scipy raises several types for bad arguments
            valid = False
        if not valid:
            rule = _ARG_RULES.get(value["dist"], "scale > 0")
            out.append(doc.problem(path, f"{value['dist']}({args})",
                                   f"arguments scipy.stats.{value['dist']} accepts ({rule})"))
            return
        if (self.minimum is not None and lo < self.minimum) or (self.maximum is not None and hi > self.maximum):
            out.append(doc.problem(path, f"support [{lo:g}, {hi:g}]",
                                   f"a distribution within [{self.minimum}, {self.maximum}] "
                                   "(use uniform, beta, triang or truncnorm to bound it)"))

    def json_schema(self) -> dict[str, Any]:
        num = self._num().json_schema()
        prov = {"source": {"type": "string"}, "assumed": {"type": "boolean"}, "note": {"type": "string"},
                "vintage": {"type": "integer", "minimum": VINTAGE_RANGE[0], "maximum": VINTAGE_RANGE[1]}}
        need = ["vintage"] if self.require_provenance else []
        fixed = {"type": "object", "properties": {"value": num, **prov}, "required": ["value", *need],
                 "additionalProperties": False}
        dist = {"type": "object", "properties": {"dist": {"enum": list(DISTRIBUTIONS)}, **prov},
                "required": ["dist", *need], "additionalProperties": {"type": "number"}}
        options = [fixed, dist] if self.require_provenance else [num, fixed, dist]
        return {"anyOf": options}


@dataclass(frozen=True)
class Prior:
    """A validated quantity: fixed value or scipy distribution, with its provenance."""

    value: float | None
    dist: tuple[tuple[str, Any], ...] | None  # frozen mapping for picklability and hashing
    source: str
    assumed: bool
    note: str
    vintage: int | None = None  # the latest year of the information the value rests on

    @classmethod
    def from_yaml(cls, raw: Any) -> Prior:
        if not isinstance(raw, Mapping):
            return cls(float(raw), None, "", False, "")
        dist = tuple(sorted((k, v) for k, v in raw.items() if k not in ("value", *_PROVENANCE))) or None
        value = float(raw["value"]) if "value" in raw else None
        vintage = raw.get("vintage")
        return cls(value, dist, str(raw.get("source", "")), bool(raw.get("assumed", False)),
                   str(raw.get("note", "")), int(vintage) if isinstance(vintage, int) else None)

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Values for uniforms `u` by inverse CDF, so two scenarios sharing `u` share their parameter draws."""
        if self.dist is None:
            return np.full(np.shape(u), self.value, dtype=float)
        return np.asarray(frozen_dist(dict(self.dist)).ppf(u), dtype=float)

    def bounds(self) -> tuple[float, float]:
        if self.dist is None:
            return float(self.value), float(self.value)  # type: ignore[arg-type]
        lo, hi = frozen_dist(dict(self.dist)).ppf([0.0, 1.0])
        return float(lo), float(hi)

    def quantiles(self, *q: float) -> tuple[float, ...]:
        """Quantiles of the prior (its value at every q when fixed)."""
        if self.dist is None:
            return tuple(float(self.value) for _ in q)  # type: ignore[arg-type]
        return tuple(float(x) for x in frozen_dist(dict(self.dist)).ppf(list(q)))

    def describe(self) -> str:
        if self.dist is None:
            return f"{self.value:g}"
        d = dict(self.dist)
        args = ", ".join(f"{k}={v:g}" for k, v in d.items() if k != "dist")
        return f"{d['dist']}({args})"
