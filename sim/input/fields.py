"""The value types of zonesim's input files, as pydantic v2 types: texts, ids, years, months, numbers with their
bounds, money, and quantities (a sourced number or a prior distribution with its provenance and vintage).

Every type carries its bounds as pydantic constraints, so the validator, the JSON Schema for editors and the
generated reference in docs/scenarios.md come from one description. Error texts are zonesim's own: the checks
raise `PydanticCustomError("zonesim", ...)` with `found` / `expected` / `hint` in their context, which
`sim.input.problems` turns into located problems.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError
from scipy import stats

#: Hard ceiling for any count or amount a planner may type: beyond it the number is a typo, not a plan.
ABSURD = 1e10
#: Longest identifier (an id becomes part of folder and file names, which file systems limit to 255 bytes).
MAX_ID = 64
#: Longest free text (names, notes, quotes, reasons): a paragraph, not a document.
MAX_TEXT = 2000
SLUG = r"[a-z][a-z0-9_]*"
#: Years a `vintage` may name.
VINTAGE_RANGE = (1950, 2100)


def schema_extra(**extra: Any) -> Any:
    """JSON Schema keys of a field (Chinese label, unit, bounds), as a function: a dict inside `Annotated` would
    make the type unhashable, and `X | None` hashes its members."""
    extra = {k: v for k, v in extra.items() if v not in ("", None, False)}

    def add(schema: dict[str, Any]) -> None:
        schema.update(extra)

    return add if extra else None


def problem(found: str, expected: str, hint: str = "") -> PydanticCustomError:
    """An error in zonesim's own words (never a library's message)."""
    return PydanticCustomError("zonesim", "{expected}", {"found": found, "expected": expected, "hint": hint})


class Strict_(BaseModel):
    """Base of every input model: unknown keys refused, no silent type coercion ('12' is not 12)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False)


def _whole(value: float) -> float:
    if not float(value).is_integer():
        raise problem(f"{value:g}", "a whole number")
    return value


def number(lo: float | None = None, hi: float | None = ABSURD, *, whole: bool = False, gt: bool = False,
           description: str = "", zh: str = "", unit: str = "") -> Any:
    """A finite number within [lo, hi] (or (lo, hi] with `gt`); `whole` for counts, months and years."""
    constraints: dict[str, Any] = {"allow_inf_nan": False}
    if lo is not None:
        constraints["gt" if gt else "ge"] = lo
    if hi is not None:
        constraints["le"] = hi
    parts: list[Any] = [float, Strict(), Field(description=description or None,
                                                json_schema_extra=schema_extra(zh=zh, unit=unit, whole=whole),
                                                **constraints)]
    if whole:
        parts.append(AfterValidator(_whole))
    return Annotated[tuple(parts)]  # type: ignore[return-value]


def text(description: str = "", zh: str = "", *, pattern: str | None = None, max_length: int | None = None) -> Any:
    return Annotated[str, Strict(), Field(min_length=1, max_length=max_length or (MAX_ID if pattern else MAX_TEXT),
                                          pattern=f"^{pattern}$" if pattern else None,
                                          description=description or None, json_schema_extra=schema_extra(zh=zh)),
                     AfterValidator(_not_blank)]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise problem(repr(value), "a non-empty text")
    return value


Text = text()
Id = text("an id in lower_snake_case", pattern=SLUG)
Year = number(1990, 2100, whole=True)
Month = number(1, 12, whole=True)
Money = number(0, 1e12, description="RMB")
Flag = Annotated[bool, Strict()]

_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def parse_year_month(value: Any) -> tuple[int, int] | None:
    """`'2018-01'` → (2018, 1); anything else → None."""
    if not isinstance(value, str):
        return None
    m = _YEAR_MONTH.fullmatch(value.strip())
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not (1900 <= year <= 2200 and 1 <= month <= 12):
        return None
    return year, month


def _year_month(value: Any) -> str:
    if parse_year_month(value) is None:
        raise problem(repr(value) if not isinstance(value, str) else value, "a month written YYYY-MM, e.g. 2018-01")
    return value


YearMonth = Annotated[str, BeforeValidator(_year_month),
                      Field(pattern=r"^(19|20|21)\d\d-(0?[1-9]|1[0-2])$", description="a month, YYYY-MM")]


# --- quantities: a sourced number, or a prior distribution --------------------------------------------------

#: scipy.stats distributions a prior may name, and why they are enough: bounded (uniform, triang, beta,
#: truncnorm), positive (lognorm, gamma, loguniform) and symmetric (norm, laplace).
DISTRIBUTIONS = ("uniform", "triang", "beta", "truncnorm", "norm", "lognorm", "gamma", "loguniform", "laplace",
                 "expon")
#: What scipy requires of each distribution's arguments, for messages.
ARG_RULES = {"uniform": "scale > 0", "triang": "0 <= c <= 1, scale > 0", "beta": "a > 0, b > 0, scale > 0",
             "truncnorm": "a < b, scale > 0", "norm": "scale > 0", "lognorm": "s > 0, scale > 0",
             "gamma": "a > 0, scale > 0", "loguniform": "0 < a < b, scale > 0", "laplace": "scale > 0",
             "expon": "scale > 0"}


def dist_arg_names(name: str) -> tuple[str, ...]:
    shapes = getattr(stats, name).shapes
    names = tuple(s.strip() for s in shapes.split(",")) if shapes else ()
    return (*names, "loc", "scale")


def frozen_dist(name: str, args: tuple[tuple[str, float], ...]) -> Any:
    """The scipy frozen distribution (cached: freezing formats a docstring, which costs more than drawing)."""
    return _frozen(name, tuple(args))


@cache
def _frozen(name: str, args: tuple[tuple[str, float], ...]) -> Any:
    return getattr(stats, name)(**dict(args))


class Provenance(Strict_):
    """Where a value comes from: a `source`, or `assumed: true` (with a `note`); and its `vintage`."""

    source: Text | None = Field(None, description="where the value comes from")
    assumed: Flag | None = Field(None, description="true when the value is an assumption (give a wide range)")
    note: Text | None = None
    vintage: Annotated[float, Strict(), Field(ge=VINTAGE_RANGE[0], le=VINTAGE_RANGE[1], allow_inf_nan=False,
                                              description="the latest year of the information the value rests on "
                                                          "(it may not be after the base year)"),
                       AfterValidator(_whole)]

    @model_validator(mode="after")
    def _provenance(self) -> Provenance:
        if not (self.source or self.assumed is True):
            raise problem("no provenance", "a 'source' or 'assumed: true' (with a note)")
        return self


class Fixed(Provenance):
    """A number with its provenance: `{value: 535, source: "...", vintage: 2017}`."""

    value: Annotated[float, Strict(), Field(allow_inf_nan=False)]


class Dist(Provenance):
    """A prior: a scipy.stats distribution and its arguments, e.g. `{dist: uniform, loc: 10, scale: 5}`."""

    dist: Literal[DISTRIBUTIONS]  # type: ignore[valid-type]
    loc: Annotated[float, Strict(), Field(allow_inf_nan=False)] | None = None
    scale: Annotated[float, Strict(), Field(allow_inf_nan=False)] | None = None
    s: Annotated[float, Strict(), Field(allow_inf_nan=False)] | None = None
    a: Annotated[float, Strict(), Field(allow_inf_nan=False)] | None = None
    b: Annotated[float, Strict(), Field(allow_inf_nan=False)] | None = None
    c: Annotated[float, Strict(), Field(allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _arguments(self) -> Dist:
        names = dist_arg_names(self.dist)
        given = {k: getattr(self, k) for k in ("loc", "scale", "s", "a", "b", "c") if getattr(self, k) is not None}
        wrong = sorted(set(given) - set(names))
        if wrong:
            raise problem(f"argument '{wrong[0]}' for scipy.stats.{self.dist}",
                          "the arguments " + ", ".join(names) + f" of scipy.stats.{self.dist}")
        missing = [n for n in names if n not in ("loc", "scale") and n not in given]
        if missing:
            raise problem(f"no argument '{missing[0]}'", f"the '{missing[0]}' shape of scipy.stats.{self.dist}")
        # scipy's own argument check: invalid arguments make the support and quantiles NaN rather than raise
        try:
            with np.errstate(all="ignore"):
                d = frozen_dist(self.dist, self.args)
                lo, hi = (float(x) for x in d.support())
                mid = np.asarray(d.ppf([0.001, 0.5, 0.999]), dtype=float)
            valid = not (math.isnan(lo) or math.isnan(hi) or np.isnan(mid).any())
        except Exception:  # noqa: BLE001 - scipy raises several types for bad arguments
            valid = False
        if not valid:
            shown = ", ".join(f"{k}={v:g}" for k, v in self.args)
            raise problem(f"{self.dist}({shown})", f"arguments scipy.stats.{self.dist} accepts "
                                                   f"({ARG_RULES[self.dist]})")
        return self

    @property
    def args(self) -> tuple[tuple[str, float], ...]:
        return tuple((k, getattr(self, k)) for k in dist_arg_names(self.dist) if getattr(self, k) is not None)


def _quantity_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        if "value" in value and "dist" in value:
            return None
        return "fixed-value" if "value" in value else "distribution" if "dist" in value else None
    return None


def quantity(lo: float | None = 0, hi: float | None = ABSURD, *, whole: bool = False, description: str = "",
             zh: str = "", unit: str = "") -> Any:
    """A model input: a fixed number or a prior, with provenance and vintage, whose values (the number, or the
    distribution's support) lie within [lo, hi]. A bare number is refused: a base-year fact without provenance
    is how dishonest models begin."""

    def bounded(q: Fixed | Dist) -> Fixed | Dist:
        if isinstance(q, Fixed):
            v = q.value
            if (lo is not None and v < lo) or (hi is not None and v > hi) or (whole and not float(v).is_integer()):
                expected = _range_text(lo, hi, whole)
                hint = f"a share is a fraction: write {v / 100:g} for {v:g}%" \
                    if hi is not None and hi <= 1 and 1 < v <= 100 else ""
                raise problem(_number_text(v), expected, hint)
            return q
        support = tuple(float(x) for x in frozen_dist(q.dist, q.args).support())
        if (lo is not None and support[0] < lo) or (hi is not None and support[1] > hi):
            shown = ", ".join("-inf" if b is None and i == 0 else "inf" if b is None else f"{b:g}"
                              for i, b in enumerate((lo, hi)))
            raise problem(f"support [{support[0]:g}, {support[1]:g}]",
                          f"a distribution within [{shown}] (use uniform, beta, triang or truncnorm to bound it)")
        return q

    return Annotated[Annotated[Fixed, Tag("fixed-value")] | Annotated[Dist, Tag("distribution")],
                     Discriminator(_quantity_kind), AfterValidator(bounded),
                     QuantitySchema(lo, hi, whole, description, zh, unit)]


@dataclass(frozen=True)
class QuantitySchema:
    """The JSON Schema of a quantity field, with its bounds on `value` (what editors can check; the support
    of a distribution is checked by the validator). A frozen dataclass: hashable inside `Annotated`."""

    lo: float | None
    hi: float | None
    whole: bool
    description: str
    zh: str
    unit: str

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict[str, Any]:
        fixed = Fixed.model_json_schema()
        value = dict(fixed["properties"]["value"])
        if self.lo is not None:
            value["minimum"] = self.lo
        if self.hi is not None:
            value["maximum"] = self.hi
        if self.whole:
            value["multipleOf"] = 1
        fixed["properties"] = {**fixed["properties"], "value": value}
        out: dict[str, Any] = {"oneOf": [fixed, Dist.model_json_schema()], "quantity_minimum": self.lo,
                               "quantity_maximum": self.hi}
        for key, val in (("description", self.description), ("zh", self.zh), ("unit", self.unit),
                         ("whole", self.whole)):
            if val:
                out[key] = val
        return out


def _number_text(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"


def _range_text(lo: float | None, hi: float | None, whole: bool = False) -> str:
    kind = "a whole number" if whole else "a number"
    parts = []
    if lo is not None and lo > -ABSURD:
        parts.append(f">= {lo:g}")
    if hi is not None and hi < ABSURD:
        parts.append(f"<= {hi:g}")
    return f"{kind} {' and '.join(parts)}".strip()


URL = re.compile(r"^https?://\S+$")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class Source(Strict_):
    """Where a target, lever or scenario comes from: the plan's clause, quoted, and its document — a bundled
    plan or a file beside the scenario (`document`), a web address (`url`), or a `title` and `date`
    (sim.input.sources). A quote from a readable file is checked verbatim."""

    model_config = ConfigDict(json_schema_extra={"anyOf": [{"required": ["document"]}, {"required": ["url"]},
                                                           {"required": ["title", "date"]}]})

    document: Text | None = Field(None, description="a bundled plan (sim/data/plans/, e.g. "
                                  "002_71d7ff763af18a90.txt) or a text file beside the scenario (a relative path)")
    url: Text | None = Field(None, description="a web address of the plan (http:// or https://)")
    title: Text | None = Field(None, description="the plan's title (with date when there is no file or address)",
                               json_schema_extra={"zh": "文件名称"})
    date: Text | Year | None = Field(None, description="the plan's date: YYYY, YYYY-MM or YYYY-MM-DD",
                              json_schema_extra={"zh": "发布日期"})
    quote: Text = Field(description="the clause copied verbatim (whitespace may differ)",
                        json_schema_extra={"zh": "原文"})

    @model_validator(mode="after")
    def _which_document(self) -> Source:
        if self.url is not None and not URL.match(self.url):
            raise problem(self.url, "a web address starting with http:// or https://")
        if isinstance(self.date, str) and not DATE.match(self.date):
            raise problem(self.date, "a date YYYY, YYYY-MM or YYYY-MM-DD")
        if self.document is None and self.url is None and self.title is None:
            raise problem("no document, url or title", "where the quote comes from: document (a bundled plan or a "
                          "file beside the scenario), url, or title and date")
        if self.document is None and self.url is None and self.date is None:
            raise problem(f"title {self.title!r} without a date", "a date (YYYY, YYYY-MM or YYYY-MM-DD) with the "
                          "title, so that a reader can find the document")
        return self

