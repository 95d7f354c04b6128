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
