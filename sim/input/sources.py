"""Where a target or lever comes from: the plan's clause, quoted, and the document it is quoted from.

A source names one of
- a **bundled plan** (`document: 002_71d7ff763af18a90.txt`, one of sim/data/plans/, listed in plans.csv);
- a **file beside the scenario** (`document: plans/my_city_2024.txt`, a path relative to the scenario file);
- a **web address** (`url: https://…`, optionally with `title` and `date`);
- a **title and date** (`title: 某市高新区发展规划`, `date: 2024-03-01`), for a document with no file or address.

When the document is a file zonesim can read (a bundled plan, or a file beside the scenario that exists), the
quote must be in it verbatim — whitespace aside, since PDF copies break lines anywhere. Otherwise the quote is
kept as given (a warning says it was not checked when a named file is missing).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

#: Largest document file read for a quote check (a plan is tens of kB; a book-length file is a mistake).
MAX_DOCUMENT_BYTES = 5_000_000


@dataclass(frozen=True)
class Plan:
    """A bundled plan text and its provenance (a row of sim/data/plans/plans.csv)."""

    file: str
    region: str
    issued_by: str
    date: str
    title: str
    plan_period: str
    target_years: str


@cache
def bundled_plans() -> dict[str, Plan]:
    """The plans shipped with zonesim, by file name."""
    text = resources.files("sim").joinpath("data/plans/plans.csv").read_text(encoding="utf-8")
    return {r["file"]: Plan(**r) for r in csv.DictReader(text.splitlines())}


@cache
def bundled_text(name: str) -> str:
    """The text of a bundled plan (raises KeyError for a name that is not one)."""
    if name not in bundled_plans():
        raise KeyError(name)
    return resources.files("sim").joinpath(f"data/plans/{name}").read_text(encoding="utf-8")


def squeeze(text: str) -> str:
    """The text without any whitespace: what a quote is compared on."""
    return re.sub(r"\s+", "", text)


def quote_in(quote: str, text: str) -> bool:
    """Whether `quote` appears in `text` verbatim, whitespace aside."""
    return squeeze(quote) in squeeze(text)


def document_path(document: str, scenario_file: str | Path) -> Path:
    """Where a non-bundled `document` is: relative to the scenario file's folder (or absolute)."""
    path = Path(document)
    return path if path.is_absolute() else Path(scenario_file).resolve().parent / path


def check(source: dict, scenario_file: str | Path) -> tuple[str, str, str] | None:
    """None when the source is fine, else (severity, found, expected): severity "error" for a quote that is not
    in the readable document, "warning" for a document file that is named but cannot be read (quote kept)."""
    document, quote = source.get("document"), source.get("quote")
    if not isinstance(document, str) or not isinstance(quote, str):
        return None
    if document in bundled_plans():
        text = bundled_text(document)
        where = f"the bundled plan {document}"
    else:
        path = document_path(document, scenario_file)
        try:
            if not path.is_file() or path.stat().st_size > MAX_DOCUMENT_BYTES:
                raise OSError
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ("warning", document, f"a readable text file (UTF-8, under {MAX_DOCUMENT_BYTES // 1_000_000} MB) "
                    f"at {path}: the quote is kept as given, unchecked")
        where = str(path)
    if quote_in(quote, text):
        return None
    short = quote if len(quote) <= 40 else quote[:40] + "…"
    return ("error", short, f"a clause copied verbatim from {where} (whitespace may differ)")


#: What a number written with a unit is worth in an indicator's unit: 100万 is 100 in 万元, 0.01 in 亿元,
#: 1,000,000 of anything else (m², firms); 200亿 is 200 in 亿元, 2,000,000 in 万元; 1.2万亿 is 12,000 in 亿元.
_MONEY = {"万": {"万元": 1.0, "亿元": 1e-4}, "亿": {"亿元": 1.0, "万元": 1e4}, "万亿": {"亿元": 1e4, "万元": 1e8}}
_PLAIN = {"万": 1e4, "亿": 1e8, "万亿": 1e12, "千": 1e3}
_TRADITIONAL = str.maketrans({"萬": "万", "億": "亿", "蓋": "盖", "兩": "两"})
_DIGITS = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"  # 1,000 is one number (thousands separators)
_NUMBER = re.compile(_DIGITS + r"\s*(万亿|%|‰|千|万|亿|倍|年|月)?")  # after NFKC: ％ is %
_RANGE = re.compile(_DIGITS + r"\s*[—–\-~～至到]\s*" + _DIGITS)
#: Words that state a value without a digit.
_WORDS = {"全覆盖": 1.0, "翻一番": 2.0, "翻番": 2.0, "翻两番": 4.0, "百家": 100.0, "千家": 1e3, "万家": 1e4}


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _normal(quote: str) -> str:
    return unicodedata.normalize("NFKC", quote).translate(_TRADITIONAL)


def quoted_values(quote: str, unit: str = "", kind: str = "level") -> list[float]:
    """Every value a threshold of a `kind` target on an indicator in `unit` may take for the numbers written in
    `quote`: each number as its unit makes it in the indicator's (`_MONEY`, `_PLAIN`; 45% is 0.45, or 1.45 for
    a multiple: "增长50%" is 1.5 times); full-width digits and traditional characters are read as
    usual. Years (2016年) and months (10月) are not values. [] when the quote writes no number (三倍): nothing
    to compare."""
    out: list[float] = []
    for num, mark in _NUMBER.findall(_normal(quote)):
        if mark in ("年", "月"):
            continue
        n = _number(num)
        if mark in ("%", "‰"):
            share = n / (100.0 if mark == "%" else 1000.0)
            out.append(1.0 + share if kind == "multiple" else share)  # a multiple: 增长50% is 1.5 times
        elif mark in _PLAIN:
            out.append(n * _MONEY.get(mark, {}).get(unit, _PLAIN[mark]))
        else:
            out.append(n)
    return out


def threshold_quoted(threshold: float, quote: str, unit: str = "", kind: str = "level") -> bool | None:
    """Whether `threshold` is one of the quote's values (`quoted_values`, to 1e-9 relative), lies within a range
    it writes (2—4: 3 is a reading of it), or is a value it states in words (全覆盖 1, 翻一番 2); None when the
    quote states no value at all."""
    values = stated_values(quote, unit, kind)
    if not values:
        return None
    close = any(abs(threshold - v) <= 1e-9 * max(abs(v), 1.0) for v in values)
    return close or any(_number(a) <= threshold <= _number(b) for a, b in _RANGE.findall(_normal(quote)))


def stated_values(quote: str, unit: str = "", kind: str = "level") -> list[float]:
    """`quoted_values` and the values the quote states in words (全覆盖 1, 翻一番 2, 万家 10,000)."""
    text = _normal(quote)
    return quoted_values(text, unit, kind) + [v for w, v in _WORDS.items() if w in text]


def writes_number(text: str, value: float) -> bool:
    """Whether `text` writes `value` as a number of its own (1800 or 1,800; 0.025; not inside 18000 or 1.8):
    how a target's note explains a threshold its quote does not write."""
    for num in re.findall(r"(?<![\d.,])" + _DIGITS + r"(?![\d])", _normal(text)):
        if abs(_number(num) - value) <= 1e-9 * max(abs(value), 1.0):
            return True
    return False
