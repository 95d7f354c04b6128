"""Strict, position-aware YAML loading for hand-edited scenario files.

Why not ``yaml.safe_load``?  It silently keeps the last of two duplicate keys, turns ``no``/``on``
into booleans and ``1:30`` into 90, expands alias bombs without limit, and loses every line number,
so later validation could not tell a planner *where* a bad value is.  Here we read the parser's
event stream ourselves (libyaml's C parser when available, for speed), build plain Python data,
record the line/column of every key and value, and report every problem as a
:class:`~sim.errors.Problem` inside a single :class:`~sim.errors.ScenarioError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from sim.errors import Problem, ScenarioError, closest, short

__all__ = ["YamlDoc", "load_yaml", "loads_yaml", "format_path", "MAX_ALIAS_NODES", "MAX_DEPTH", "MAX_NODES",
           "MAX_FILE_BYTES", "NO_SUCH_FILE"]

#: What a problem says it found when the file named does not exist (callers tell this case apart).
NO_SUCH_FILE = "no such file"

#: Alias expansion budget: more nodes than this produced via ``*alias`` is treated as an alias bomb.
MAX_ALIAS_NODES = 10_000
#: Most values (scalars, lists, mappings) a file may hold: the largest bundled scenario has ≈ 2,500; a file with
#: twenty times as many is not a scenario, and stopping early keeps validation within a second.
MAX_NODES = 50_000
#: Deepest allowed nesting of mappings/lists; scenario files are shallow, deeper is a mistake or attack.
MAX_DEPTH = 50

Pos = tuple[int, int]
PathT = tuple[Any, ...]

try:  # libyaml's event parser is ~10x faster than the pure-Python one (1 MB files must load fast).
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CParser = None


class _PyParser(Reader, Scanner, Parser):  # type: ignore[misc]
    """Pure-Python event parser, used only when PyYAML was built without libyaml."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


def _make_parser(text: str) -> Any:
    return _CParser(text) if _CParser is not None else _PyParser(text)


# ---------------------------------------------------------------------------------------------------
# Paths and the document object


def _needs_brackets(key: str) -> bool:
    return key == "" or any(ch in key for ch in ".[]\"'") or any(ch.isspace() for ch in key)


def format_path(path: tuple[Any, ...]) -> str:
    """Render a key path as planners read it: ``("targets", 3, "threshold")`` -> ``targets[3].threshold``.

    Integers (list indices and integer mapping keys alike) are shown as ``[n]``; string keys that contain
    dots, brackets, quotes or spaces are shown as ``["a.b"]`` so the path stays unambiguous.
    """
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
            continue
        text = str(part)
        if _needs_brackets(text):
            out += f"[{json.dumps(text, ensure_ascii=False)}]"
        else:
            out += f".{text}" if out else text
    return out


@dataclass
class YamlDoc:
    """Loaded YAML data plus where each key and value sits in the file, for precise error messages."""

    data: Any
    file: str
    value_pos: dict[PathT, Pos] = field(default_factory=dict)
    key_pos: dict[PathT, Pos] = field(default_factory=dict)
    sha256: str = ""  # of the file's bytes, when read from a file
    warnings: list[Problem] = field(default_factory=list)  # located doubts that do not stop a run

    def where(self, path: tuple[Any, ...]) -> tuple[int | None, int | None]:
        """1-based (line, column) for *path*: its key if known, else its value, else the nearest ancestor.

        Pointing at the key is what a planner wants ("threshold: abc" -> the line of ``threshold``);
        paths that do not exist (a missing required key) fall back to the enclosing mapping.
        """
        path = tuple(path)
        for end in range(len(path), -1, -1):
            sub = path[:end]
            pos = self.key_pos.get(sub) or self.value_pos.get(sub)
            if pos is not None:
                return pos
        return None, None

    def problem(self, path: tuple[Any, ...], found: str, expected: str, hint: str = "") -> Problem:
        """Build a located :class:`Problem` for *path* (used by the validators downstream)."""
        line, column = self.where(path)
        return Problem(self.file, line, column, format_path(tuple(path)), found, expected, hint)


# ---------------------------------------------------------------------------------------------------
# Public entry points


#: Largest input file read, bytes: the biggest bundled scenario is ≈ 40 kB; a file 25 times larger is a mistake
#: (or an attack), and refusing it up front keeps validation within a second.
MAX_FILE_BYTES = 1_000_000


def load_yaml(path: str | os.PathLike[str]) -> YamlDoc:
    """Read and parse a YAML file; any problem at all is raised as one :class:`ScenarioError`.

    Only a regular file of at most MAX_FILE_BYTES is read: a folder, device (`/dev/zero`), named pipe (which
    would block forever), symlink loop or larger file is refused before reading."""
    name = os.fspath(path)
    try:
        p = Path(name)
        try:
            info = p.stat()
        except FileNotFoundError:
            hint = ""
            guess = _closest_file(p)
            if guess is not None:
                hint = f"did you mean '{guess}'?"
            raise ScenarioError(
                [Problem(name, None, None, "", NO_SUCH_FILE, "an existing YAML file", hint)]
            ) from None
        except OSError as exc:  # ELOOP, EACCES on a parent, a name too long ...
            raise ScenarioError([Problem(name, None, None, "", f"a path that cannot be opened "
                                         f"({exc.strerror or type(exc).__name__})", "a readable YAML file")]) from None
        if not stat.S_ISREG(info.st_mode):
            kind = ("a directory" if stat.S_ISDIR(info.st_mode) else "a named pipe" if stat.S_ISFIFO(info.st_mode)
                    else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                    else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
            raise ScenarioError([Problem(name, None, None, "", kind, "a YAML file")])
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError([Problem(name, None, None, "", f"a file of {info.st_size:,} bytes",
                                         f"a YAML file of at most {MAX_FILE_BYTES:,} bytes",
                                         "scenario files are a few tens of kB; is this the right file?")])
        try:
            with p.open("rb") as fh:
                raw = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ScenarioError(
                [Problem(name, None, None, "", f"file cannot be read: {reason}", "a readable YAML file")]
            ) from exc
        if len(raw) > MAX_FILE_BYTES:
            raise ScenarioError([Problem(name, None, None, "", f"a file of more than {MAX_FILE_BYTES:,} bytes",
                                         f"a YAML file of at most {MAX_FILE_BYTES:,} bytes")])
    except ScenarioError:
        raise
    except Exception as exc:  # e.g. an invalid path string; never show planners a traceback
        raise ScenarioError(
            [Problem(name, None, None, "", "could not read YAML", "", f"{type(exc).__name__}: {exc}")]
        ) from exc
    doc = loads_yaml(raw, file=name)
    doc.sha256 = hashlib.sha256(raw).hexdigest()
    return doc


def _closest_file(path: Path) -> str | None:
    """Suggest a similarly named file next to a missing one (typos in scenario names are common)."""
    parent = path.parent
    try:
        names = os.listdir(parent)
    except OSError:
        return None
    # compare the names without their shared extension: '.yaml' alone made 'nothere.yaml' look like 'e_range.yaml'
    stems = {Path(n).stem: n for n in names if Path(n).suffix == path.suffix}
    stem = closest(path.stem, stems)
    if stem is None:
        return None
    guess = stems[stem]
    return guess if str(parent) in ("", ".") else str(parent / guess)


def loads_yaml(text: str | bytes, file: str = "<string>") -> YamlDoc:
    """Parse YAML from a string or bytes; raises only :class:`ScenarioError`, whatever the input."""
    try:
        return _loads(text, file)
    except ScenarioError:
        raise
    except Exception as exc:  # a bug or parser corner case: still a problem report, not a traceback
        raise ScenarioError(
            [Problem(file, None, None, "", "could not read YAML", "", f"{type(exc).__name__}: {exc}")]
        ) from exc


def _loads(text: str | bytes, file: str) -> YamlDoc:
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = _decode(bytes(text), file)
    elif not isinstance(text, str):
        raise ScenarioError([Problem(file, None, None, "", f"a {type(text).__name__}", "YAML text")])
    if text.startswith("\ufeff"):
        text = text[1:]
    _check_characters(text, file)
    composer = _Composer(text, file)
    data = composer.run()
    if composer.problems:
        raise ScenarioError(composer.problems)
    return YamlDoc(data, file, dict(composer.value_pos), dict(composer.key_pos))


# ---------------------------------------------------------------------------------------------------
# Bytes and characters


def _line_col(text: str, offset: int) -> Pos:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _decode(raw: bytes, file: str) -> str:
    """Decode UTF-8 (optionally with BOM); anything else is a located problem, not a UnicodeDecodeError."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError(
            [Problem(file, 1, 1, "", "a UTF-16 encoded file", "UTF-8 text", "re-save the file as UTF-8")]
        )
    if b"\x00" in raw:
        off = raw.index(b"\x00")
        line = raw.count(b"\n", 0, off) + 1
        column = len(raw[raw.rfind(b"\n", 0, off) + 1 : off].decode("utf-8", "replace")) + 1
        raise ScenarioError(
            [Problem(file, line, column, "", "binary file (contains NUL bytes)", "a UTF-8 YAML text file")]
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        off = exc.start
        line = raw.count(b"\n", 0, off) + 1
        column = len(raw[raw.rfind(b"\n", 0, off) + 1 : off].decode("utf-8", "replace")) + 1
        bad = " ".join(f"0x{b:02x}" for b in raw[off : min(exc.end + 1, off + 4)])
        raise ScenarioError(
            [
                Problem(
                    file,
                    line,
                    column,
                    "",
                    f"bytes that are not valid UTF-8 ({bad})",
                    "UTF-8 text",
                    "files saved as GBK/GB2312/GB18030 must be re-saved as UTF-8",
                )
            ]
        ) from None


# What YAML 1.1 allows in a stream (same set as PyYAML's Reader); checked up front so the C and
# pure-Python parsers report bad characters identically and with a line/column.
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _check_characters(text: str, file: str) -> None:
    match = _NON_PRINTABLE.search(text)
    if match is None:
        return
    line, column = _line_col(text, match.start())
    ch = match.group()
    if ch == "\x00":
        found, expected = "binary file (contains NUL characters)", "a UTF-8 YAML text file"
    else:
        found, expected = f"control character U+{ord(ch):04X}", "printable text"
    hint = "" if ch == "\x00" else "often pasted in from another program; delete it"
    raise ScenarioError([Problem(file, line, column, "", found, expected, hint)])


# ---------------------------------------------------------------------------------------------------
# Scalar resolution (YAML 1.1 core, minus its surprises)

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP, _TIMESTAMP, _MERGE = (_TAG + t for t in ("seq", "map", "timestamp", "merge"))

# YAML 1.2 numbers, as planners type them: `012` is twelve (not octal ten), `1e5` is a number; digit
# separators `1_000` are allowed. No sexagesimal (1:30) forms; timestamps are not resolved at all.
_INT_RE = re.compile(r"[-+]?(?:[0-9][0-9_]*|0x[0-9a-fA-F_]+)\Z")
_FLOAT_RE = re.compile(
    r"(?:[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN))\Z"
)
_BOOLS = {"true": True, "True": True, "false": False, "False": False}
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_NUMBER_START = frozenset("-+0123456789.")


def _to_int(text: str) -> int:
    value = text.replace("_", "")
    sign = 1
    if value[:1] in "+-" and value:
        if value[0] == "-":
            sign = -1
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    return sign * int(value, 10)


def _to_float(text: str) -> float:
    value = text.replace("_", "").lower()
    sign = -1.0 if value.startswith("-") else 1.0
    if value.lstrip("+-") == ".inf":
        return sign * math.inf
    if value == ".nan":
        return math.nan
    return float(value)


# An explicit ``!!bool`` tag is the author insisting on a boolean, so the YAML 1.1 words are fine there.
_EXPLICIT_BOOLS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


def _to_bool(text: str) -> bool:
    value = _EXPLICIT_BOOLS.get(text.lower())
    if value is None:
        raise ValueError(text)
    return value


def _to_null(text: str) -> None:
    if text not in _NULLS:
        raise ValueError(text)
    return None


def _implicit(value: str) -> Any:
    """Type of an untagged plain scalar: int, float, true/false, null -- everything else stays text."""
    if value in _NULLS:
        return None
    first = value[0]
    if first in _NUMBER_START:
        try:
            if _INT_RE.match(value):
                return _to_int(value)
            if _FLOAT_RE.match(value):
                return _to_float(value)
        except ValueError:  # e.g. "0x_" matches the pattern but has no digits: keep it as text
            return value
        return value
    return _BOOLS.get(value, value)


_EXPLICIT: dict[str, tuple[Callable[[str], Any], str]] = {
    _STR: (str, "text"),
    _INT: (_to_int, "an integer"),
    _FLOAT: (_to_float, "a number"),
    _BOOL: (_to_bool, "true or false"),
    _NULL: (_to_null, "null"),
    _TIMESTAMP: (str, "a date"),  # dates stay as their original text
}


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def _describe(value: Any) -> str:
    """Plain-English description of a value's kind, for "found ..." messages."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null (no value)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    return f"the text {short(value)}"


def _copy(value: Any) -> Any:
    """Deep copy of plain data, so an alias never shares mutable state with its anchor."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------
# Syntax errors in plain English

_TAB_MESSAGE = "YAML forbids tabs for indentation; use spaces"


def _explain_syntax(exc: yaml.MarkedYAMLError, text: str) -> tuple[str, str, str, Pos | None]:
    """Turn a parser error into (found, expected, hint, better position) a planner can act on."""
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    mark = exc.problem_mark
    ctx_mark = exc.context_mark
    ctx_line = f"line {ctx_mark.line + 1}" if ctx_mark is not None else "earlier"
    lines = text.split("\n")

    # Tabs: the usual culprit when an editor inserted one; look at the offending line(s).
    for m in (mark, ctx_mark):
        if m is None or m.line >= len(lines):
            continue
        line_text = lines[m.line]
        indent = line_text[: len(line_text) - len(line_text.lstrip(" \t"))]
        near = line_text[max(m.column - 1, 0) : m.column + 1]
        if "\t" in indent or "\t" in near or "tab" in problem:
            column = line_text.index("\t") + 1 if "\t" in line_text else m.column + 1
            return "a tab character", "spaces", _TAB_MESSAGE, (m.line + 1, column)

    if "cannot start any token" in problem:
        ch = ""
        if mark is not None and mark.line < len(lines) and mark.column < len(lines[mark.line]):
            ch = lines[mark.line][mark.column]
        return (
            f"a value starting with {ch!r}" if ch else "a character that cannot start a value",
            "a value",
            "put text that starts with @, ` or another YAML symbol in quotes",
            None,
        )
    if "mapping values are not allowed" in problem:
        return (
            "an unexpected ':'",
            "one 'key: value' per line",
            "put text containing ': ' in quotes, or check the indentation",
            None,
        )
    if "could not find expected ':'" in problem:
        return (
            "a line without 'key: value'",
            "'key: value'",
            f"a missing ':' or an unclosed quote after {ctx_line}",
            None,
        )
    # libyaml and the pure-Python parser word the same errors differently; match both.
    block_end = "<block end>" in problem
    if "did not find expected key" in problem or (block_end and "block mapping" in context):
        return (
            "text at an unexpected indentation",
            "keys of one mapping aligned at the same column",
            f"in the mapping that starts at {ctx_line}",
            None,
        )
    if "'-' indicator" in problem or (block_end and "block collection" in context):
        return (
            "a line that is not a list item",
            "every item of the list to start with '- ' at the same column",
            f"the list starts at {ctx_line}",
            None,
        )
    if "',' or ']'" in problem:
        return "an unclosed '['", "a matching ']'", f"the '[' is at {ctx_line}", None
    if "',' or '}'" in problem:
        return "an unclosed '{'", "a matching '}'", f"the '{{' is at {ctx_line}", None
    if "quoted scalar" in context and "end of stream" in problem:
        return "an unterminated quoted text", "a closing quote", "", _mark_pos(ctx_mark)
    if "unknown escape character" in problem:
        return (
            "an invalid backslash escape in double-quoted text",
            "a valid escape such as \\n",
            "use single quotes for text containing backslashes, e.g. Windows paths",
            None,
        )
    if "block sequence entries are not allowed" in problem:
        return (
            "a '- ' list item on the same line as its key",
            "the list to start on the next line, indented",
            "",
            None,
        )
    if "alias" in context or "anchor" in context:
        return (
            "a '*' or '&' not followed by a name",
            "an alias/anchor name",
            "put text starting with * or & in quotes",
            None,
        )
    if "expected <document start>" in problem or "expected '<document start>'" in problem:
        return (
            "more text after the end of the top-level mapping",
            "one top-level mapping",
            "check the indentation of this line",
            None,
        )
    found = f"{problem} ({context})" if context else problem
    return found or "invalid YAML", "valid YAML", "", None


#: A key typed with a Chinese input method: an ASCII key followed by a full-width colon, or indentation with an
#: ideographic space. YAML sees neither as punctuation, so the parser's own error lands a line later.
_FULL_WIDTH_KEY = re.compile(r"^(?P<lead>[ \u3000]*(?:- )?)(?P<key>[A-Za-z_][\w.-]*)\s*(?P<ch>[\uff1a\ufe55])")
_IDEOGRAPHIC_INDENT = re.compile(r"^ *\u3000")


def _full_width_punctuation(text: str, upto: int | None) -> tuple[Pos, str, str, str] | None:
    """The first line up to the syntax error's (or just after it) with a full-width colon after a key, or an
    ideographic space in its indentation: (position, found, expected, hint), or None."""
    lines = text.split("\n")
    last = len(lines) if upto is None else min(len(lines), upto + 1)
    for i in range(last):
        line = lines[i]
        m = _FULL_WIDTH_KEY.match(line)
        if m is not None:
            ch = m.group("ch")
            return ((i + 1, m.start("ch") + 1), f"a full-width colon '{ch}' (U+{ord(ch):04X}) after "
                    f"'{m.group('key')}'", "an ASCII ':' followed by a space",
                    "switch the input method to half-width (半角) when typing YAML keys")
        m = _IDEOGRAPHIC_INDENT.match(line)
        if m is not None:
            return ((i + 1, m.end()), "an ideographic space (U+3000) in the indentation", "ASCII spaces",
                    "switch the input method to half-width (半角) when indenting")
    return None


def _mark_pos(mark: Any) -> Pos | None:
    """0-based parser mark -> 1-based (line, column)."""
    return None if mark is None else (mark.line + 1, mark.column + 1)


# ---------------------------------------------------------------------------------------------------
# The composer: events -> plain data + positions


_COMMENT = re.compile(r"\s#.*$")
_OPENS_BLOCK = re.compile(r"(?::|[|>][-+0-9]*)$")  # line ends with "key:" or a block-scalar header


class _Stop(Exception):
    """Abort composing after a problem that makes further parsing pointless or dangerous."""


@dataclass
class _Anchor:
    value: Any
    size: int  # nodes in the anchored subtree, aliases inside it included
    depth: int  # extra nesting levels below the anchored node
    path: PathT
    values: tuple[int, int]  # slice of _Composer.value_list holding the subtree's positions
    keys: tuple[int, int]  # slice of _Composer.key_list


class _Composer:
    """Builds plain Python data from the parser's events, recording positions and problems."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self.parser = _make_parser(text)
        self.problems: list[Problem] = []
        self.value_list: list[tuple[PathT, Pos]] = []
        self.key_list: list[tuple[PathT, Pos]] = []
        self.anchors: dict[str, _Anchor] = {}
        self.open_anchors: set[str] = set()
        self.nodes = 0  # nodes built so far, alias expansions included
        self.expanded = 0  # nodes produced by alias expansion only (the bomb budget)
        self.deepest = 0
        self.current: PathT = ()  # path being parsed, for locating syntax errors
        self.pending = False  # True while the parser is still reading the value at self.current

    @property
    def value_pos(self) -> dict[PathT, Pos]:
        return dict(self.value_list)

    @property
    def key_pos(self) -> dict[PathT, Pos]:
        return dict(self.key_list)

    # -- helpers -------------------------------------------------------------------------------------

    def add(self, pos: Pos | None, path: PathT, found: str, expected: str, hint: str = "") -> None:
        line, column = pos if pos is not None else (None, None)
        self.problems.append(Problem(self.file, line, column, format_path(path), found, expected, hint))

    @staticmethod
    def pos(event: Any) -> Pos:
        mark = event.start_mark
        return mark.line + 1, mark.column + 1

    # -- driver --------------------------------------------------------------------------------------

    def run(self) -> Any:
        data: Any = None
        try:
            data = self.document()
        except _Stop:
            pass
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            culprit = _full_width_punctuation(self.text, (mark.line + 1) if mark is not None else None)
            if culprit is not None:
                pos, found, expected, hint = culprit
                self.add(pos, (), found, expected, hint)
                return data
            found, expected, hint, better = _explain_syntax(exc, self.text)
            pos = better or (_mark_pos(mark) if mark is not None else None)
            self.add(pos, self.error_path(pos), found, expected, hint)
        except yaml.YAMLError as exc:
            self.add(None, self.current, f"YAML error: {exc}", "valid YAML")
        finally:
            dispose = getattr(self.parser, "dispose", None)
            if dispose is not None:
                dispose()
        return data

    def error_path(self, pos: Pos | None) -> PathT:
        """Key path to blame for a syntax error at *pos*.

        A value still being scanned when the error hit, whose key is on an earlier line, is innocent
        (e.g. a tab-indented line under ``name: x`` is part of the mapping, not of ``name``).
        """
        path = self.current
        if self.pending and path and pos is not None and self.key_list:
            last_path, (key_line, _) = self.key_list[-1]
            if last_path == path and pos[0] > key_line:
                lines = self.text.split("\n", key_line)
                rest = _COMMENT.sub("", lines[key_line - 1]).rstrip() if len(lines) >= key_line else ""
                if not _OPENS_BLOCK.search(rest):  # "key: value" on one line: the error is after it
                    return path[:-1]
        return path

    def document(self) -> Any:
        parser = self.parser
        parser.get_event()  # StreamStart
        if isinstance(parser.peek_event(), StreamEndEvent):
            self.add((1, 1), (), "empty file", "a YAML mapping")
            return None
        parser.get_event()  # DocumentStart
        root_event = parser.peek_event()
        data = self.node((), 0)
        end = parser.get_event()  # DocumentEnd
        nxt = parser.peek_event()
        if isinstance(nxt, DocumentStartEvent):
            self.add(self.pos(nxt), (), "a second YAML document ('---')", "a single document per file")
            raise _Stop
        if not self.problems and not isinstance(data, dict):
            if data is None and isinstance(root_event, ScalarEvent) and root_event.value == "":
                self.add(self.pos(end), (), "empty file", "a YAML mapping")
            else:
                self.add(
                    self.pos(root_event),
                    (),
                    f"{_describe(data)} at the top level",
                    "a YAML mapping ('key: value' lines)",
                )
        return data

    # -- nodes ---------------------------------------------------------------------------------------

    def node(self, path: PathT, depth: int) -> Any:
        self.current = path
        self.pending = True
        event = self.parser.get_event()
        self.pending = False
        kind = type(event)
        if kind is AliasEvent:
            return self.alias(event, path, depth)
        mark = event.start_mark
        pos = (mark.line + 1, mark.column + 1)
        if self.nodes >= MAX_NODES:
            self.add(pos, path, f"more than {MAX_NODES:,} values", "a scenario-sized file (the bundled ones hold "
                     "≈ 2,500)", "is this the right file?")
            raise _Stop
        self.value_list.append((path, pos))
        anchor = event.anchor
        if kind is ScalarEvent and anchor is None:  # fast path: most nodes are plain scalars
            self.nodes += 1
            if event.tag is None and event.implicit[0]:
                return _implicit(event.value)
            return self.scalar(event, path, pos)
        if anchor is not None:
            start_nodes, start_values, start_keys = self.nodes, len(self.value_list) - 1, len(self.key_list)
            outer_deepest, self.deepest = self.deepest, depth
            self.open_anchors.add(anchor)
        if kind is ScalarEvent:
            value = self.scalar(event, path, pos)
        elif kind is SequenceStartEvent:
            value = self.sequence(event, path, depth, pos)
        elif kind is MappingStartEvent:
            value = self.mapping(event, path, depth, pos)
        else:  # pragma: no cover - the parser only emits the kinds above here
            raise yaml.YAMLError(f"unexpected {kind.__name__}")
        self.nodes += 1
        if anchor is not None:
            self.open_anchors.discard(anchor)
            self.anchors[anchor] = _Anchor(
                value,
                self.nodes - start_nodes,
                self.deepest - depth,
                path,
                (start_values + 1, len(self.value_list)),
                (start_keys, len(self.key_list)),
            )
            self.deepest = max(outer_deepest, self.deepest)
        return value

    def alias(self, event: Any, path: PathT, depth: int) -> Any:
        pos = self.pos(event)
        self.value_list.append((path, pos))
        name = event.anchor
        if name in self.open_anchors:
            self.add(pos, path, f"alias '*{name}' inside its own anchor", "a non-recursive structure")
            raise _Stop
        anchor = self.anchors.get(name)
        if anchor is None:
            self.add(pos, path, f"alias '*{name}' with no anchor", f"an anchor '&{name}' defined earlier")
            return None
        if self.expanded + anchor.size > MAX_ALIAS_NODES:
            self.add(
                pos,
                path,
                f"document expands beyond {MAX_ALIAS_NODES} nodes (aliases/anchors)",
                "fewer or smaller aliases",
            )
            raise _Stop
        if depth + anchor.depth > MAX_DEPTH:
            found = f"nesting deeper than {MAX_DEPTH} levels (via alias '*{name}')"
            self.add(pos, path, found, "a flatter file")
            raise _Stop
        self.expanded += anchor.size
        self.nodes += anchor.size
        self.deepest = max(self.deepest, depth + anchor.depth)
        # Inner positions point at the anchored original, where the text actually is.
        cut = len(anchor.path)
        v0, v1 = anchor.values
        self.value_list.extend((path + p[cut:], where) for p, where in self.value_list[v0:v1])
        k0, k1 = anchor.keys
        self.key_list.extend((path + p[cut:], where) for p, where in self.key_list[k0:k1])
        return _copy(anchor.value)

    def scalar(self, event: Any, path: PathT, pos: Pos) -> Any:
        tag = event.tag
        value = event.value
        if tag is None or tag == "!":
            return _implicit(value) if event.implicit[0] else value
        rule = _EXPLICIT.get(tag)
        if rule is None:
            self.bad_tag(tag, path, pos)
            return None
        convert, what = rule
        try:
            return convert(value)
        except (ValueError, IndexError):
            self.add(pos, path, f"{_short_tag(tag)} {short(value)}", what)
            return None

    def bad_tag(self, tag: str, path: PathT, pos: Pos) -> None:
        hint = "python tags could run code" if "python/" in tag else ""
        self.add(
            pos,
            path,
            f"tag not allowed: {_short_tag(tag)}",
            "plain YAML values without tags",
            hint or "remove the tag and write the value plainly",
        )

    def enter(self, event: Any, path: PathT, depth: int, pos: Pos, allowed: str) -> None:
        if depth + 1 > MAX_DEPTH:
            self.add(pos, path, f"nesting deeper than {MAX_DEPTH} levels", "a flatter file")
            raise _Stop
        self.deepest = max(self.deepest, depth + 1)
        if event.tag not in (None, "!", allowed):
            self.bad_tag(event.tag, path, pos)

    def sequence(self, event: Any, path: PathT, depth: int, pos: Pos) -> list[Any]:
        self.enter(event, path, depth, pos, _SEQ)
        parser = self.parser
        items: list[Any] = []
        self.current = path
        while type(parser.peek_event()) is not SequenceEndEvent:
            items.append(self.node(path + (len(items),), depth + 1))
            self.current = path
        parser.get_event()
        return items

    def mapping(self, event: Any, path: PathT, depth: int, pos: Pos) -> dict[Any, Any]:
        self.enter(event, path, depth, pos, _MAP)
        parser = self.parser
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        self.current = path
        while type(key_event := parser.peek_event()) is not MappingEndEvent:
            mark = key_event.start_mark
            key_pos = (mark.line + 1, mark.column + 1)
            if (
                type(key_event) is ScalarEvent
                and key_event.tag is None
                and key_event.anchor is None
                and key_event.implicit[0]
                and key_event.value != "<<"
            ):  # fast path for the usual plain key
                parser.get_event()
                self.nodes += 1
                key = _implicit(key_event.value)
                if type(key) is not str and type(key) is not int:
                    key = key_event.value
                ok = True
            else:
                ok, key = self.key(key_event, path, depth, key_pos)
            if not ok:
                self.node(path + ("<key>",), depth + 1)  # consume and drop the value
            elif key in first_line:
                self.add(
                    key_pos,
                    path + (key,),
                    f"duplicate key {short(key, 40)} (first at line {first_line[key]})",
                    "each key once per mapping",
                    "YAML would silently keep only the last one",
                )
                self.node(path + (key,), depth + 1)
            else:
                first_line[key] = key_pos[0]
                self.key_list.append((path + (key,), key_pos))
                result[key] = self.node(path + (key,), depth + 1)
            self.current = path
        parser.get_event()
        return result

    def key(self, event: Any, path: PathT, depth: int, pos: Pos) -> tuple[bool, Any]:
        """Read one mapping key (*event* is peeked); returns (usable, key).  Keys are str or int only."""
        parser = self.parser
        kind = type(event)
        if kind is ScalarEvent:
            parser.get_event()
            self.nodes += 1
            tag = event.tag
            if event.implicit[0] and tag in (None, "!") and event.value == "<<" or tag == _MERGE:
                self.add(
                    pos,
                    path + ("<<",),
                    "a merge key '<<'",
                    "keys written out explicitly",
                    "merge keys are not supported; copy the keys you need",
                )
                return False, None
            value = self.scalar(event, path + (event.value,), pos)
            if tag not in (None, "!") and tag not in _EXPLICIT:
                return False, None
            key = value if isinstance(value, (str, int)) and not isinstance(value, bool) else event.value
            if event.anchor is not None:
                n = len(self.value_list)
                self.anchors[event.anchor] = _Anchor(key, 1, 0, path, (n, n), (len(self.key_list),) * 2)
            return True, key
        if kind is AliasEvent:
            anchor = self.anchors.get(event.anchor)
            if anchor is None or event.anchor in self.open_anchors:
                self.alias(parser.get_event(), path + ("<key>",), depth)  # reports the problem
                return False, None
            if not isinstance(anchor.value, (dict, list)):
                parser.get_event()
                self.nodes += 1
                self.expanded += 1
                value = anchor.value
                key = value if isinstance(value, (str, int)) and not isinstance(value, bool) else str(value)
                return True, key
        # A mapping or list used as a key (or an alias to one): consume it, then complain.
        value = self.node(path + ("<key>",), depth + 1)
        self.add(pos, path, f"{_describe(value)} used as a key", "a text or integer key")
        return False, None
