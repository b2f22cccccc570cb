"""Load stage: positions in a clean JSON text, found only for the values a message cites.

A clean text (no anomaly: the standard library's C parser read it with every check
passed) needs no position until a problem or a provenance line names a value. Then
:class:`JsonTextIndex` walks down the text to it: each object or array on the way is
scanned once for where its members' keys and values start (the members' values are
skipped by the C scanner), and kept, so later lookups under it cost a dictionary lookup.
The positions are exactly those the recursive-descent reader records (line and column of a
value's first character, of a key's opening quote).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from typing import Any

from musicbind.generator.load.located import JsonPath, Position

# The C scanners: a value's end (building it, at C speed), a string's text and end.
_scan_value: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(  # type: ignore[attr-defined]
    json.JSONDecoder()
)
_scan_string: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_INDEX = re.compile(r"0|[1-9][0-9]*")

# A member of a container: (offset of its key, or -1 for an array element; offset of its value)
_Member = tuple[int, int]


class JsonTextIndex:
    """Where values and keys of one clean JSON text are, looked up on demand."""

    def __init__(self, text: str, first_line: int, root: int) -> None:
        self._text = text
        self._first_line = first_line
        self._root = root  # offset of the top-level value
        self._line_starts: list[int] | None = None
        self._members: dict[int, dict[str | int, _Member]] = {}

    def position(self, offset: int) -> Position:
        """The 1-based line and column (in characters) of an offset in the text."""
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self._text)]
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return Position(self._first_line + index, offset - self._line_starts[index] + 1)

    def value_position(self, path: JsonPath) -> Position:
        """Where the value at ``path`` starts, or its nearest written ancestor."""
        offset = self._root
        for step in path:
            member = self._children(offset).get(step)
            if member is None:
                break
            offset = member[1]
        return self.position(offset)

    def key_position(self, path: JsonPath) -> Position | None:
        """Where the key naming the value at ``path`` is; None when it is no object member."""
        member = self._member(path)
        return self.position(member[0]) if member is not None and member[0] >= 0 else None

    def pointer_position(self, pointer: str) -> Position | None:
        """Where the member or element at a JSON pointer is (its key for an object member)."""
        if pointer == "":
            return self.position(self._root)
        if not pointer.startswith("/"):
            return None
        offset = self._root
        member: _Member | None = None
        for token in pointer[1:].split("/"):
            key = token.replace("~1", "/").replace("~0", "~")
            if key.replace("~", "~0").replace("/", "~1") != token:
                return None  # not how a pointer spells any key
            children = self._children(offset)
            step: str | int = int(key) if self._is_array(offset) and _INDEX.fullmatch(key) else key
            member = children.get(step)
            if member is None:
                return None
            offset = member[1]
        assert member is not None
        return self.position(member[0] if member[0] >= 0 else member[1])

    def _member(self, path: JsonPath) -> _Member | None:
        offset = self._root
        member: _Member | None = None
        for step in path:
            member = self._children(offset).get(step)
            if member is None:
                return None
            offset = member[1]
        return member

    def _is_array(self, offset: int) -> bool:
        return self._text.startswith("[", offset)

    def _children(self, offset: int) -> dict[str | int, _Member]:
        """The members of the object or array at ``offset`` (none for a scalar), scanned once."""
        found = self._members.get(offset)
        if found is None:
            char = self._text[offset : offset + 1]
            found = self._scan_object(offset) if char == "{" else {}
            if char == "[":
                found = self._scan_array(offset)
            self._members[offset] = found
        return found

    def _skip(self, offset: int) -> int:
        match = _WHITESPACE.match(self._text, offset)
        return match.end() if match else offset

    def _scan_object(self, offset: int) -> dict[str | int, _Member]:
        text = self._text
        members: dict[str | int, _Member] = {}
        at = self._skip(offset + 1)
        while text.startswith('"', at):
            key, end = _scan_string(text, at + 1, True)
            value_at = self._skip(self._skip(end) + 1)  # past the ':'
            members[key] = (at, value_at)
            at = self._skip(_scan_value(text, value_at)[1])
            if not text.startswith(",", at):
                break
            at = self._skip(at + 1)
        return members

    def _scan_array(self, offset: int) -> dict[str | int, _Member]:
        text = self._text
        members: dict[str | int, _Member] = {}
        at = self._skip(offset + 1)
        while not text.startswith("]", at):
            members[len(members)] = (-1, at)
            at = self._skip(_scan_value(text, at)[1])
            if not text.startswith(",", at):
                break
            at = self._skip(at + 1)
        return members
