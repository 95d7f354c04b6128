"""Project-wide error types.

Planners hand-edit scenario files, so every failure must say *where* (file, line, column, key path),
*what* was found and *what* was expected -- never a Python traceback.  All project errors therefore
carry a list of :class:`Problem` records instead of a free-form message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["Problem", "ZonesimError", "ScenarioError", "RunError", "OutputError", "RunAborted", "closest", "short",
           "odd_characters", "lookalike_hint"]

#: Longest ``found`` text kept in a Problem; longer text is cut so one problem stays one readable line.
FOUND_LIMIT = 80

_E = TypeVar("_E", bound="ZonesimError")


def _one_line(text: str) -> str:
    """Collapse control characters so a problem always prints on a single line."""
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


def short(value: object, limit: int = 60) -> str:
    """Return a short ``repr`` of *value* for the ``found`` field (strings keep their quotes)."""
    text = _one_line(repr(value))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file, located as precisely as we know."""

    file: str
    line: int | None
    column: int | None
    key: str
    found: str
    expected: str
    hint: str = ""

    def __post_init__(self) -> None:
        # Keep every problem on one line and the "found" part short, whoever built it (and with what).
        for name in ("key", "found", "expected", "hint"):
            value = getattr(self, name)
            if not isinstance(value, str):
                object.__setattr__(self, name, "" if value is None else short(value))
        found = _one_line(self.found)
        if len(found) > FOUND_LIMIT:
            found = found[: FOUND_LIMIT - 1] + "…"
        object.__setattr__(self, "found", found)
        object.__setattr__(self, "expected", _one_line(self.expected))
        object.__setattr__(self, "hint", _one_line(self.hint))

    def location(self) -> str:
        """``file:line:col`` with whatever parts are known."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        """Render as ``file:line:col: key: found X, expected Y (hint)``, omitting missing parts."""
        if self.found and self.expected:
            body = f"found {self.found}, expected {self.expected}"
        elif self.found:
            body = self.found
        elif self.expected:
            body = f"expected {self.expected}"
        else:
            body = "problem"
        if self.hint:
            body += f" ({self.hint})"
        prefix = f"{self.key}: " if self.key else ""
        return f"{self.location()}: {prefix}{body}"

    def __str__(self) -> str:
        return self.format()


class ZonesimError(Exception):
    """Base of all project errors; carries every problem found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        problems = list(problems)
        # Passing the list as the only arg keeps the exception picklable (multiprocessing workers).
        super().__init__(problems)
        self.problems: list[Problem] = problems

    def __str__(self) -> str:
        if not self.problems:
            return type(self).__name__
        return "\n".join(p.format() for p in self.problems)

    @classmethod
    def single(
        cls: type[_E],
        file: str,
        message: str,
        key: str = "",
        line: int | None = None,
        column: int | None = None,
        found: str = "",
        expected: str = "",
    ) -> _E:
        """Build an error with one problem.

        *message* describes the problem; it becomes ``found`` when no *found* is given,
        otherwise it is kept as the hint so no information is lost.
        """
        if found:
            problem = Problem(file, line, column, key, found, expected, hint=message)
        else:
            problem = Problem(file, line, column, key, message, expected)
        return cls([problem])


class ScenarioError(ZonesimError):
    """Bad scenario or experiment input: the user must fix a file."""


class RunError(ZonesimError):
    """A simulation run broke (NaN, violated invariant): the model or its parameters are at fault."""


class OutputError(ZonesimError):
    """Results could not be written (disk full, read-only, not a folder): the machine, not the input, is at
    fault; every batch already computed stays on disk for `--resume`."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: the run stops, finished batches are kept. `signum` says which signal."""

    def __init__(self, signum: int = 2) -> None:
        super().__init__(signum)
        self.signum = signum


#: The signal that asked the run to stop (0: none). Set by the command's signal handler and checked between
#: batches too, so that a library that swallows the exception raised in the handler cannot lose the request.
STOP = {"signum": 0}


class RunAborted(ZonesimError):
    """The run could not go on (a worker process died, a signal arrived); finished batches are kept."""

    def __init__(self, problems: Iterable[Problem], exit_code: int = 4) -> None:
        super().__init__(problems)
        self.exit_code = exit_code


def odd_characters(text: str) -> list[str]:
    """Characters of a key or identifier that are not plain ASCII, named with their code point: a Cyrillic 'о'
    or a zero-width space looks identical on screen, so only its code point tells the planner what is wrong."""
    import unicodedata

    out = []
    for i, ch in enumerate(text):
        if not (" " <= ch <= "~"):
            name = unicodedata.name(ch, "unnamed character")
            out.append(f"U+{ord(ch):04X} {name} at position {i + 1}")
    return out


def lookalike_hint(text: str, candidates: Iterable[str] = ()) -> str:
    """'contains U+043E CYRILLIC SMALL LETTER O at position 4 — retype it (did you mean 'provincial'?)', or ''
    when the text is plain ASCII."""
    odd = odd_characters(text)
    if not odd:
        return ""
    hint = "contains " + ", ".join(odd[:3]) + (f" and {len(odd) - 3} more" if len(odd) > 3 else "")
    hint += ", which may look like ASCII but is not: retype it"
    guess = closest(text, candidates)
    if guess is not None and guess != text:
        hint += f" as '{guess}'"
    return hint


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """Best guess at what a misspelt *name* was meant to be, for "did you mean ...?" hints.

    Case and ``-``/``_``/space differences are forgiven first, then difflib similarity (cutoff 0.6).
    """
    pool = [c for c in candidates if isinstance(c, str)]
    if not pool or not isinstance(name, str):
        return None
    if name in pool:
        return name
    norm = _normalise(name)
    by_norm: dict[str, str] = {}
    for cand in pool:
        by_norm.setdefault(_normalise(cand), cand)
    if norm in by_norm:
        return by_norm[norm]
    match = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if match:
        return match[0]
    match = difflib.get_close_matches(norm, list(by_norm), n=1, cutoff=0.6)
    if match:
        return by_norm[match[0]]
    return None
