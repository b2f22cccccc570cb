"""Load stage: OpenAPI text (JSON or YAML) -> plain JSON values plus a JSON pointer -> line map.

JSON is read with :func:`json.loads`; YAML only ever with :func:`yaml.safe_load`. YAML values
that JSON has no word for (dates, sets, binary) become strings or lists, mapping keys become
strings (``200:`` -> ``"200"``), and anchors that refer to themselves are refused. The line
map is best effort: it lets problems name a line as well as a pointer, and a missing entry only
means the location has no line.
"""

from __future__ import annotations

import datetime
import json
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from musicbind.generator.load.records import JsonValue

_BOM = "\ufeff"
_WHITESPACE = re.compile(r"[ \t\r\n]*")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_SCALAR = re.compile(r"-?(?:Infinity|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|true|false|null|NaN")


@dataclass(frozen=True, slots=True)
class ParsedText:
    """The parsed document, or why it could not be parsed (with a 1-based line when known)."""

    data: JsonValue
    lines: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    error_line: int | None = None


def parse_text(text: str, *, with_lines: bool = True) -> ParsedText:
    """Parse JSON (tried first when the text opens with ``{``) or YAML; never raises."""
    text = text.removeprefix(_BOM)
    if text.lstrip(" \t\r\n").startswith("{"):
        parsed = _parse_json(text, with_lines)
        if parsed.error is None:
            return parsed
        fallback = _parse_yaml(text, with_lines)
        return fallback if fallback.error is None else parsed
    return _parse_yaml(text, with_lines)


def pointer_child(pointer: str, key: str | int) -> str:
    """The JSON pointer of ``key`` under ``pointer`` (``~`` and ``/`` escaped as ~0 and ~1)."""
    token = str(key).replace("~", "~0").replace("/", "~1")
    return f"{pointer}/{token}"


def _parse_json(text: str, with_lines: bool) -> ParsedText:
    try:
        data: JsonValue = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        return ParsedText(None, error=message, error_line=exc.lineno)
    except (ValueError, RecursionError) as exc:
        return ParsedText(None, error=f"not valid JSON: {exc}")
    return ParsedText(data, _json_lines(text) if with_lines else {})


def _parse_yaml(text: str, with_lines: bool) -> ParsedText:
    try:
        raw = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        return ParsedText(None, error=f"not valid YAML: {_one_line(str(exc))}", error_line=line)
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        return ParsedText(None, error=f"not valid YAML: {_one_line(str(exc))}")
    converter = _YamlToJson()
    data = converter.convert(raw)
    if converter.cyclic:
        message = (
            "the YAML refers to itself through an anchor (&name) and an alias (*name); "
            "write the repeated part out instead"
        )
        return ParsedText(None, error=message)
    return ParsedText(data, _yaml_lines(text) if with_lines else {})


def _one_line(message: str) -> str:
    return " ".join(message.split())


class _YamlToJson:
    """Converts what yaml.safe_load built into JSON values; shared anchors are converted once."""

    def __init__(self) -> None:
        self.cyclic = False
        self._done: dict[int, JsonValue] = {}
        self._open: set[int] = set()

    def convert(self, value: Any) -> JsonValue:
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, bytes):
            return value.decode("latin-1")
        if not isinstance(value, dict | list | tuple | set):
            return str(value)
        key = id(value)
        if key in self._done:
            return self._done[key]
        if key in self._open:
            self.cyclic = True
            return None
        self._open.add(key)
        converted = self._convert_container(value)
        self._open.discard(key)
        self._done[key] = converted
        return converted

    def _convert_container(
        self, value: dict[Any, Any] | list[Any] | tuple[Any, ...] | set[Any]
    ) -> JsonValue:
        if isinstance(value, dict):
            return {_yaml_key(k): self.convert(v) for k, v in value.items()}
        if isinstance(value, set):
            return [self.convert(item) for item in sorted(value, key=repr)]
        return [self.convert(item) for item in value]


def _yaml_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return json.dumps(key)
    if isinstance(key, datetime.date):
        return key.isoformat()
    return str(key)


def _yaml_lines(text: str) -> dict[str, int]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, ValueError, RecursionError):
        return {}
    if root is None:
        return {}
    lines = {"": root.start_mark.line + 1}
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, pointer = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for key, child, line in _yaml_children(node):
            child_pointer = pointer_child(pointer, key)
            lines.setdefault(child_pointer, line)
            stack.append((child, child_pointer))
    return lines


def _yaml_children(node: yaml.Node) -> list[tuple[str, yaml.Node, int]]:
    if isinstance(node, yaml.MappingNode):
        return [
            (key.value, value, key.start_mark.line + 1)
            for key, value in node.value
            if isinstance(key, yaml.ScalarNode)
        ]
    if isinstance(node, yaml.SequenceNode):
        return [(str(i), item, item.start_mark.line + 1) for i, item in enumerate(node.value)]
    return []


@dataclass(slots=True)
class _Frame:
    pointer: str
    is_object: bool
    key: str | None = None
    index: int = 0


class _JsonLineScanner:
    """Walks text that json.loads accepted and records the line of every member and element."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._frames: list[_Frame] = []
        self.lines: dict[str, int] = {}

    def scan(self) -> None:
        text, position = self._text, 0
        while True:
            blank = _WHITESPACE.match(text, position)
            position = blank.end() if blank else position
            if position >= len(text):
                return
            position = self._step(text[position], position)

    def _line(self, position: int) -> int:
        return bisect_right(self._line_starts, position)

    def _step(self, char: str, position: int) -> int:
        if char == '"':
            match = _JSON_STRING.match(self._text, position)
            if match is None:
                raise ValueError("unterminated string")
            self._string(json.loads(match.group()), position)
            return match.end()
        if char in "{[":
            pointer = self._value_at(position)
            self._frames.append(_Frame(pointer, is_object=char == "{"))
        elif char in "}]":
            self._frames.pop()
        elif char == ",":
            self._next_member()
        elif char != ":":
            self._value_at(position)
            match = _JSON_SCALAR.match(self._text, position)
            return match.end() if match and match.end() > position else position + 1
        return position + 1

    def _string(self, value: str, position: int) -> None:
        frame = self._frames[-1] if self._frames else None
        if frame is not None and frame.is_object and frame.key is None:
            frame.key = value
            self.lines[pointer_child(frame.pointer, value)] = self._line(position)
        else:
            self._value_at(position)

    def _value_at(self, position: int) -> str:
        if not self._frames:
            self.lines[""] = self._line(position)
            return ""
        frame = self._frames[-1]
        if frame.is_object:
            return pointer_child(frame.pointer, frame.key or "")
        pointer = pointer_child(frame.pointer, frame.index)
        self.lines[pointer] = self._line(position)
        return pointer

    def _next_member(self) -> None:
        frame = self._frames[-1]
        if frame.is_object:
            frame.key = None
        else:
            frame.index += 1


def _json_lines(text: str) -> dict[str, int]:
    scanner = _JsonLineScanner(text)
    try:
        scanner.scan()
    except (ValueError, IndexError):
        return {}
    return scanner.lines
