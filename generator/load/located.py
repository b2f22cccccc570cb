"""Load stage: parsed JSON/YAML values that remember where each value and key was written.

A :class:`Located` document is a JSON value plus the line and column of every value
and object key in it (by path, and by JSON pointer), plus the :class:`Anomaly` values
found while reading: syntax errors, duplicate keys, NaN, numbers past 2**53, huge
strings, deep nesting. The readers (:mod:`located_json`, :mod:`located_yaml`) never
raise on bad input: they report and go on where they can. Used by the loaders, the
overlay and manifest readers and ``musicbind validate``; standard library only, so the
light install (no codegen extra) can use it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

JsonPath: TypeAlias = tuple[str | int, ...]

# Integers beyond 2**53 lose precision in JSON parsers (I-JSON, RFC 7493 section 2.2).
MAX_SAFE_INTEGER = 2**53
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Limits:
    """What a reader accepts before reporting an anomaly: the work one text may cost."""

    max_depth: int  # nesting levels; deeper values are skipped, not built
    max_string: int  # characters in one string
    max_values: int  # values once YAML aliases are expanded


# A payload (``musicbind validate``): small, from anyone.
PAYLOAD_LIMITS = Limits(max_depth=32, max_string=65_536, max_values=100_000)
# A provider document, overlay or manifest: as large as a document may be (16 MiB).
DOCUMENT_LIMITS = Limits(max_depth=128, max_string=16 * 1024 * 1024, max_values=2_000_000)


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column (columns count characters)."""

    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Anomaly:
    """Something wrong with the text itself, found before any model is involved."""

    code: str  # "syntax", "duplicate-key", "not-a-number", "huge-number", "huge-string", ...
    path: JsonPath
    position: Position
    message: str
    rule: str


class PositionIndex(Protocol):
    """Positions looked up on demand (a clean JSON text is indexed only where asked)."""

    def value_position(self, path: JsonPath) -> Position:
        """Where the value at ``path`` starts, or its nearest written ancestor."""
        ...

    def key_position(self, path: JsonPath) -> Position | None:
        """Where the key naming the value at ``path`` is; None when it is no object member."""
        ...

    def pointer_position(self, pointer: str) -> Position | None:
        """Where the member or element at a JSON pointer is (its key for an object member)."""
        ...


@dataclass(slots=True)
class Located:
    """One parsed document: its value, where each value and key is, what was wrong.

    The eager readers (YAML, JSON with anomalies) fill :attr:`values` and :attr:`keys` as
    they read; a clean JSON text is read by the C parser and its positions are looked up
    in the text only when asked (:attr:`index`; the tables stay empty). Ask the methods.
    """

    value: Any
    values: dict[JsonPath, Position] = field(default_factory=dict)
    keys: dict[JsonPath, Position] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)
    start: Position = Position(1, 1)
    index: PositionIndex | None = field(default=None, repr=False, compare=False)
    _by_pointer: dict[str, Position] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def value_position(self, path: JsonPath) -> Position:
        """Where the value at ``path`` starts, or its nearest written ancestor."""
        if self.index is not None:
            return self.index.value_position(path)
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return self.start

    def key_position(self, path: JsonPath) -> Position:
        """Where the key naming the value at ``path`` is, else where the value is."""
        if self.index is not None:
            return self.index.key_position(path) or self.index.value_position(path)
        return self.keys.get(path) or self.value_position(path)

    def pointer_position(self, pointer: str) -> Position | None:
        """Where the member or element at a JSON pointer is (its key for an object member)."""
        if self.index is not None:
            return self.index.pointer_position(pointer)
        if self._by_pointer is None:
            table = {json_pointer(path): at for path, at in self.values.items()}
            table.update((json_pointer(path), at) for path, at in self.keys.items())
            self._by_pointer = table
        return self._by_pointer.get(pointer)

    @property
    def readable(self) -> bool:
        """Whether the text parsed (a value exists, perhaps with anomalies)."""
        return not any(a.code == "syntax" for a in self.anomalies)


def pointer_child(pointer: str, key: str | int) -> str:
    """The JSON pointer of ``key`` under ``pointer`` (``~`` and ``/`` escaped as ~0 and ~1)."""
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{pointer}/{token}"


def json_pointer(path: JsonPath) -> str:
    """``/input/duration``: the RFC 6901 pointer of a path ("" for the whole document)."""
    pointer = ""
    for element in path:
        pointer = pointer_child(pointer, element)
    return pointer


def json_path(path: JsonPath) -> str:
    """``$.input.duration``, ``$[3]["odd key"]``: a JSONPath naming one value."""
    parts = ["$"]
    for element in path:
        if isinstance(element, int):
            parts.append(f"[{element}]")
        elif _IDENTIFIER.match(element):
            parts.append(f".{element}")
        else:
            parts.append(f"[{json.dumps(element, ensure_ascii=False)}]")
    return "".join(parts)


def huge_number(text: str, path: JsonPath, position: Position) -> Anomaly:
    """The anomaly of a number beyond what JSON parsers agree on."""
    shown = text if len(text) <= 24 else f"{text[:12]}...({len(text)} digits)"
    return Anomaly(
        "huge-number",
        path,
        position,
        f"number {shown} is too large",
        "|number| <= 2^53 and finite (I-JSON, RFC 7493 section 2.2)",
    )


def huge_string(length: int, path: JsonPath, position: Position, limits: Limits) -> Anomaly:
    """The anomaly of a string longer than the limits allow."""
    return Anomaly(
        "huge-string",
        path,
        position,
        f"string of {length:,} characters is too long",
        f"strings have at most {limits.max_string:,} characters",
    )


def not_a_number(text: str, path: JsonPath, position: Position) -> Anomaly:
    """The anomaly of NaN or Infinity, which JSON has no syntax for."""
    return Anomaly(
        "not-a-number",
        path,
        position,
        f"{text} is not a JSON number",
        "numbers are finite (RFC 8259 section 6)",
    )


def too_deep(path: JsonPath, position: Position, limits: Limits) -> Anomaly:
    """The anomaly of a value nested deeper than the limits allow."""
    return Anomaly(
        "too-deep",
        path,
        position,
        f"value nested more than {limits.max_depth} levels deep",
        f"at most {limits.max_depth} levels of nesting",
    )


def duplicate_key(key: str, path: JsonPath, position: Position, first: Position) -> Anomaly:
    """The anomaly of an object key written twice."""
    return Anomaly(
        "duplicate-key",
        path,
        position,
        f"duplicate key {json.dumps(key, ensure_ascii=False)} "
        f"(first at line {first.line}, column {first.column})",
        "object keys are unique (RFC 8259 section 4)",
    )


def syntax_error(language: str, message: str, position: Position, path: JsonPath = ()) -> Anomaly:
    """The anomaly of text that is not valid ``language`` (``JSON`` or ``YAML``)."""
    rule = "RFC 8259" if language == "JSON" else "YAML 1.1"
    return Anomaly("syntax", path, position, f"invalid {language}: {message}", rule)
