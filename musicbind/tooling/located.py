"""Tooling: parsed payload documents that remember where each value was written.

A :class:`Located` document is a JSON value plus the line and column of every
value and object key in it, plus the :class:`Anomaly` values found while reading
(duplicate keys, NaN, huge numbers and strings, deep nesting, syntax errors).
Readers never raise on bad input: they report and go on where they can.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, TypeAlias

JsonPath: TypeAlias = tuple[str | int, ...]

# Limits checked before any model sees a value. Integers beyond 2**53 lose precision in
# JSON parsers (I-JSON, RFC 7493 section 2.2); the others bound the work one payload costs.
MAX_SAFE_INTEGER = 2**53
MAX_DEPTH = 32
MAX_STRING = 65_536
MAX_VALUES = 100_000

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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


@dataclass(slots=True)
class Located:
    """One parsed document: its value, where each value and key is, what was wrong."""

    value: Any
    values: dict[JsonPath, Position] = field(default_factory=dict)
    keys: dict[JsonPath, Position] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)
    start: Position = Position(1, 1)

    def value_position(self, path: JsonPath) -> Position:
        """Where the value at ``path`` starts, or its nearest written ancestor."""
        return _nearest(self.values, path, self.start)

    def key_position(self, path: JsonPath) -> Position:
        """Where the key naming the value at ``path`` is, else where the value is."""
        return self.keys.get(path) or self.value_position(path)

    @property
    def readable(self) -> bool:
        """Whether the text parsed (a value exists, perhaps with anomalies)."""
        return not any(a.code == "syntax" for a in self.anomalies)


def _nearest(table: dict[JsonPath, Position], path: JsonPath, fallback: Position) -> Position:
    for end in range(len(path), -1, -1):
        found = table.get(path[:end])
        if found is not None:
            return found
    return fallback


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


def huge_string(length: int, path: JsonPath, position: Position) -> Anomaly:
    """The anomaly of a string longer than :data:`MAX_STRING`."""
    return Anomaly(
        "huge-string",
        path,
        position,
        f"string of {length:,} characters is too long",
        f"strings have at most {MAX_STRING:,} characters",
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


def too_deep(path: JsonPath, position: Position) -> Anomaly:
    """The anomaly of a value nested deeper than :data:`MAX_DEPTH`."""
    return Anomaly(
        "too-deep",
        path,
        position,
        f"value nested more than {MAX_DEPTH} levels deep",
        f"at most {MAX_DEPTH} levels of nesting",
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
