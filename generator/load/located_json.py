"""Load stage: JSON text -> :class:`Located` documents, with the position of every value.

Two paths. :func:`fast_json` is the standard library's C parser with hooks that
notice anything the strict reader would report (duplicate keys, NaN, numbers past
2**53, possibly long strings or deep nesting); clean text, the common case, costs
what ``json.loads`` costs, and :func:`read_json` then finds a position in the text
only when one is asked for (:mod:`located_json_index`). :func:`scan_json` is a small
recursive-descent reader that records the line and column of each value and key and
turns every problem into an :class:`Anomaly`; a syntax error says what was expected
there and shows the text around it. No library gives positions and these anomalies
cheaply: the strings go through the standard library's own (C) string scanner.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Callable
from json.decoder import JSONDecodeError
from typing import Any

from musicbind.generator.load.located import (
    MAX_SAFE_INTEGER,
    PAYLOAD_LIMITS,
    JsonPath,
    Limits,
    Located,
    Position,
    duplicate_key,
    huge_number,
    huge_string,
    not_a_number,
    syntax_error,
    too_deep,
)
from musicbind.generator.load.located_json_index import JsonTextIndex

# The standard library's (C) string scanner: JSON string syntax, escapes and errors as json has.
scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS: tuple[tuple[str, Any], ...] = (("true", True), ("false", False), ("null", None))
_NON_FINITE = (("NaN", math.nan), ("Infinity", math.inf), ("-Infinity", -math.inf))
# Integers of up to 15 digits are below 2**53: the fast path takes them without a check.
_SAFE_DIGITS = 15
_MAX_DIGITS = 4000  # int() refuses longer texts (CPython's int_max_str_digits is 4300)
_NEAR = 24  # characters shown either side of a syntax error


class _Decline(Exception):
    """The fast path saw something the strict reader must look at."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Decline
    return result


def _integer(text: str) -> int:
    value = int(text)  # past int()'s digit limit a ValueError: declined as well
    if len(text) > _SAFE_DIGITS and abs(value) > MAX_SAFE_INTEGER:
        raise _Decline
    return value


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Decline
    return value


def _constant(text: str) -> Any:
    raise _Decline


DECLINED: Any = object()


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs,
    parse_int=_integer,
    parse_float=_float,
    parse_constant=_constant,
)


def fast_json(text: str, limits: Limits = PAYLOAD_LIMITS) -> Any:
    """``json.loads(text)`` when the text is clean strict JSON, else :data:`DECLINED`."""
    try:
        value = _DECODER.decode(text)
    except (_Decline, ValueError, RecursionError):
        return DECLINED
    # Cheap bounds first: a short text holds no long string, few brackets no deep nesting.
    short = len(text) <= limits.max_string
    if short and text.count("[") + text.count("{") <= limits.max_depth:
        return value
    return value if _within_limits(value, limits, strings=not short) else DECLINED


_CONTAINERS = (dict, list)


def _within_limits(value: Any, limits: Limits, *, strings: bool = True) -> bool:
    """No nesting deeper than allowed and (with ``strings``) no string longer than allowed:
    level by level. A text no longer than a string may be needs no string checked."""
    if type(value) is str:
        return len(value) <= limits.max_string
    level = [value] if type(value) in _CONTAINERS else []
    depth = 0
    while level:
        if depth >= limits.max_depth:
            return False
        below: list[Any] = []
        for container in level:
            children = container.values() if type(container) is dict else container
            if strings and not _strings_within(container, children, limits.max_string):
                return False
            below += [child for child in children if type(child) in _CONTAINERS]
        level = below
        depth += 1
    return True


def _strings_within(container: Any, children: Any, longest: int) -> bool:
    if type(container) is dict and any(len(key) > longest for key in container):
        return False
    return not any(type(child) is str and len(child) > longest for child in children)


class _Stop(Exception):
    """A syntax error: the reader cannot go on with this document."""


class _Reader:
    """Recursive descent over one JSON text; positions kept as offsets until the end."""

    def __init__(self, text: str, first_line: int, limits: Limits) -> None:
        self.text = text
        self.first_line = first_line
        self.limits = limits
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.doc = Located(None, start=self.position(0))

    def position(self, offset: int) -> Position:
        index = bisect.bisect_right(self.line_starts, offset) - 1
        return Position(self.first_line + index, offset - self.line_starts[index] + 1)

    def skip(self, offset: int) -> int:
        match = _WHITESPACE.match(self.text, offset)
        return match.end() if match else offset

    def fail(self, offset: int, message: str, path: JsonPath = ()) -> _Stop:
        self.doc.anomalies.append(
            syntax_error("JSON", message + _near(self.text, offset), self.position(offset), path)
        )
        return _Stop()

    def read(self, offset: int, *, whole: bool) -> int:
        """Read one value from ``offset`` into a new :attr:`doc`; with ``whole``, nothing may
        follow it. Returns where the next value may start."""
        self.doc = Located(None, start=self.position(offset))
        try:
            if offset >= len(self.text):
                raise self.fail(offset, "the document is empty")
            value, offset = self.value(offset, (), 0)
            offset = self.skip(offset)
            if whole and offset < len(self.text):
                raise self.fail(offset, "expected the end of the text after the JSON value")
            self.doc.value = value
        except _Stop:
            self.doc.value = None
            return len(self.text)
        return offset

    def value(self, offset: int, path: JsonPath, depth: int) -> tuple[Any, int]:
        self.doc.values[path] = self.position(offset)
        char = self.text[offset : offset + 1]
        if char == "{":
            return self.container(offset, path, depth, self.members)
        if char == "[":
            return self.container(offset, path, depth, self.elements)
        if char == '"':
            return self.string(offset, path)
        for word, constant in _LITERALS:
            if self.text.startswith(word, offset):
                return constant, offset + len(word)
        for word, number in _NON_FINITE:
            if self.text.startswith(word, offset):
                self.doc.anomalies.append(not_a_number(word, path, self.position(offset)))
                return number, offset + len(word)
        match = _NUMBER.match(self.text, offset)
        if match:
            return self.number(match, path), match.end()
        found = repr(char) if char else "the end of the text"
        raise self.fail(offset, f"expected a value, found {found}", path)

    def container(self, offset: int, path: JsonPath, depth: int, body: Any) -> tuple[Any, int]:
        if depth >= self.limits.max_depth:
            self.doc.anomalies.append(too_deep(path, self.position(offset), self.limits))
            return None, self.skip_nested(offset, path)
        result: tuple[Any, int] = body(offset, path, depth + 1)
        return result

    def members(self, offset: int, path: JsonPath, depth: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        offset = self.skip(offset + 1)
        if self.text.startswith("}", offset):
            return result, offset + 1
        while True:
            if not self.text.startswith('"', offset):
                message = "expected a key in double quotes"
                if result and self.text.startswith("}", offset):
                    message += " after ',' (JSON allows no trailing comma)"
                raise self.fail(offset, message, path)
            key_at = self.position(offset)
            key, offset = self.scan_string(offset, path)
            child = (*path, key)
            if key in result:
                first = self.doc.keys[child]
                self.doc.anomalies.append(duplicate_key(key, child, key_at, first))
            else:
                self.doc.keys[child] = key_at
            offset = self.skip(offset)
            if not self.text.startswith(":", offset):
                raise self.fail(offset, f"expected ':' after the key {json.dumps(key)}", path)
            result[key], offset = self.value(self.skip(offset + 1), child, depth)
            offset = self.skip(offset)
            if self.text.startswith(",", offset):
                offset = self.skip(offset + 1)
                continue
            if self.text.startswith("}", offset):
                return result, offset + 1
            raise self.fail(offset, "expected ',' or '}' after an object member", path)

    def elements(self, offset: int, path: JsonPath, depth: int) -> tuple[list[Any], int]:
        result: list[Any] = []
        offset = self.skip(offset + 1)
        if self.text.startswith("]", offset):
            return result, offset + 1
        while True:
            item, offset = self.value(offset, (*path, len(result)), depth)
            result.append(item)
            offset = self.skip(offset)
            if self.text.startswith(",", offset):
                offset = self.skip(offset + 1)
                if self.text.startswith("]", offset):
                    message = "expected a value after ',' (JSON allows no trailing comma)"
                    raise self.fail(offset, message, path)
                continue
            if self.text.startswith("]", offset):
                return result, offset + 1
            raise self.fail(offset, "expected ',' or ']' after an array element", path)

    def scan_string(self, offset: int, path: JsonPath) -> tuple[str, int]:
        try:
            text, end = scanstring(self.text, offset + 1, True)
        except JSONDecodeError as exc:
            raise self.fail(exc.pos, _string_problem(exc.msg), path) from None
        return text, end

    def string(self, offset: int, path: JsonPath) -> tuple[str, int]:
        text, end = self.scan_string(offset, path)
        if len(text) > self.limits.max_string:
            at = self.position(offset)
            self.doc.anomalies.append(huge_string(len(text), path, at, self.limits))
        return text, end

    def number(self, match: re.Match[str], path: JsonPath) -> int | float:
        text = match.group(0)
        at = self.position(match.start())
        if match.group(1) or match.group(2):
            value = float(text)
            if math.isinf(value):
                self.doc.anomalies.append(huge_number(text, path, at))
            return value
        if len(text.lstrip("-")) > _MAX_DIGITS:
            self.doc.anomalies.append(huge_number(text, path, at))
            return math.inf if not text.startswith("-") else -math.inf
        integer = int(text)
        if abs(integer) > MAX_SAFE_INTEGER:
            self.doc.anomalies.append(huge_number(text, path, at))
        return integer

    def skip_nested(self, offset: int, path: JsonPath) -> int:
        """The offset after the array or object at ``offset``, without building it."""
        depth = 0
        index = offset
        while index < len(self.text):
            char = self.text[index]
            if char == '"':
                _, index = self.scan_string(index, path)
                continue
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth == 0:
                    return index + 1
            index += 1
        raise self.fail(index, "the text ends inside an array or object", path)


_STRING_PROBLEMS = (
    ("Invalid control character", "a control character in a string (write it as an escape)"),
    ("Unterminated string", "a string without its closing quote"),
    ("Invalid \\uXXXX", "an invalid \\uXXXX escape"),
    ("Invalid \\escape", "an invalid escape in a string"),
)


def _string_problem(message: str) -> str:
    for prefix, text in _STRING_PROBLEMS:
        if message.startswith(prefix):
            return text
    return message


def _near(text: str, offset: int) -> str:
    """`` (here: '..."a": 1,^,"b"...')``: the text around an error (``^`` marks it), one line."""
    start = max(offset - _NEAR, text.rfind("\n", 0, offset) + 1)
    end = text.find("\n", offset)
    end = min(offset + _NEAR, len(text) if end == -1 else end)
    before, after = text[start:offset], text[offset:end]
    if not (before + after).strip():
        return ""
    shown = ("..." if start > 0 and text[start - 1] != "\n" else "") + before
    shown += "^" + after + ("..." if end < len(text) and text[end] != "\n" else "")
    return f" (here: {shown!a})"


def read_json(text: str, first_line: int = 1, limits: Limits = PAYLOAD_LIMITS) -> Located:
    """Strict JSON -> a :class:`Located` document; never raises for bad input.

    Clean text, the common case, is parsed by the standard library's C parser and its
    positions are found in the text only when asked (:class:`JsonTextIndex`); text with
    anything to report is read by :func:`scan_json`, which records every position.
    """
    value = fast_json(text, limits)
    if value is DECLINED:
        return scan_json(text, first_line, limits)
    root = _WHITESPACE.match(text).end()  # type: ignore[union-attr]  # matches the empty string
    index = JsonTextIndex(text, first_line, root)
    return Located(value, start=index.position(root), index=index)


def scan_json(text: str, first_line: int = 1, limits: Limits = PAYLOAD_LIMITS) -> Located:
    """Strict JSON -> a :class:`Located` document with the position of every value and key
    and every anomaly, by recursive descent; never raises for bad input."""
    reader = _Reader(text, first_line, limits)
    reader.read(reader.skip(0), whole=True)
    return reader.doc


def read_json_values(
    text: str, first_line: int = 1, limits: Limits = PAYLOAD_LIMITS
) -> list[Located]:
    """Every JSON value of a text holding several one after another (``{...} {...}``).

    A syntax error ends the list: its last document carries it, with no value.
    """
    documents: list[Located] = []
    reader = _Reader(text, first_line, limits)
    offset = reader.skip(0)
    while offset < len(text):
        offset = reader.read(offset, whole=False)
        documents.append(reader.doc)
    return documents
