"""Load stage: YAML text -> :class:`Located` documents, one per YAML document, from parser events.

Built from PyYAML's event stream (libyaml when available) rather than its
composer, so nesting depth, alias expansion, duplicate keys and positions are all
under this module's control and nothing recurses on the input's shape. Scalars
are typed by YAML's own resolver (``30`` is an integer, ``"30"`` a string,
``.nan`` not a number); timestamps and binary stay as their text, since every input
is JSON data; mapping keys are their text (``200:`` is ``"200"``). Aliases are followed
within the limits' budget of values, and an alias of an unfinished anchor (a value that
contains itself) is a syntax error.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

from musicbind.generator.load.located import (
    MAX_SAFE_INTEGER,
    PAYLOAD_LIMITS,
    Anomaly,
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

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TAG = "tag:yaml.org,2002:"
_AS_TEXT = frozenset({f"{_TAG}timestamp", f"{_TAG}binary", f"{_TAG}str"})
_COLLECTIONS = frozenset({f"{_TAG}map", f"{_TAG}seq"})
_SCALARS = frozenset({f"{_TAG}{name}" for name in ("int", "float", "bool", "null")})
_RESOLVER: Any = Resolver()
_CONSTRUCTOR = SafeConstructor()


def _position(mark: Any) -> Position:
    return Position(int(mark.line) + 1, int(mark.column) + 1)


@dataclass(slots=True)
class _Frame:
    """An open mapping or sequence while its events arrive."""

    path: JsonPath
    value: dict[str, Any] | list[Any]
    anchor: str | None
    size: int = 1
    key: str | None = None  # a mapping's pending key, None while expecting one
    key_at: Position | None = None
    key_is_bad: bool = False


@dataclass(slots=True)
class _Document:
    doc: Located
    stack: list[_Frame] = field(default_factory=list)
    anchors: dict[str, tuple[Any, int]] = field(default_factory=dict)
    total: int = 0
    skipping: int = 0  # depth of a too-deep or refused collection being skipped
    skipping_key: bool = False  # the collection being skipped is a mapping key, not a value
    stopped: bool = False


class _Builder:
    """Turns one YAML stream's events into Located documents."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.documents: list[Located] = []
        self.current: _Document | None = None

    def feed(self, event: Any) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.current = _Document(Located(None, start=_position(event.start_mark)))
            self.documents.append(self.current.doc)
            return
        state = self.current
        if state is None or state.stopped or isinstance(event, yaml.StreamEndEvent):
            return
        if state.skipping:
            self._skip(state, event)
            return
        if isinstance(event, yaml.DocumentEndEvent):
            self.current = None
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._open(state, event)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self._close(state)
        elif isinstance(event, yaml.ScalarEvent):
            self._scalar(state, event)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(state, event)

    def _skip(self, state: _Document, event: Any) -> None:
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            state.skipping += 1
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            state.skipping -= 1
            if state.skipping == 0 and not state.skipping_key:
                self._place(state, None, 1, 0, None, None)
            state.skipping_key = state.skipping_key and state.skipping > 0

    def _child_path(self, state: _Document) -> JsonPath | None:
        """The path of the next value, or None when it is a mapping key."""
        if not state.stack:
            return ()
        top = state.stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        if top.key is None and not top.key_is_bad:
            return None
        return (*top.path, top.key or "")

    def _open(self, state: _Document, event: Any) -> None:
        path = self._child_path(state)
        at = _position(event.start_mark)
        if path is None:
            self._bad_key(state, at, "a mapping or sequence")
            state.skipping, state.skipping_key = 1, True
            return
        state.doc.values[path] = at
        if not self._count(state, 1, at):
            return
        if len(state.stack) >= self.limits.max_depth:
            state.doc.anomalies.append(too_deep(path, at, self.limits))
            state.skipping = 1
            return
        if event.tag and event.tag != "!" and event.tag not in _COLLECTIONS:
            message = f"unsupported YAML tag {event.tag}"
            state.doc.anomalies.append(Anomaly("bad-tag", path, at, message, "JSON values"))
        container: dict[str, Any] | list[Any]
        container = {} if isinstance(event, yaml.MappingStartEvent) else []
        state.stack.append(_Frame(path, container, event.anchor))

    def _close(self, state: _Document) -> None:
        frame = state.stack.pop()
        self._place(state, frame.value, frame.size, 0, frame.anchor, None)

    def _scalar(self, state: _Document, event: Any) -> None:
        at = _position(event.start_mark)
        path = self._child_path(state)
        if path is None:
            self._key(state, str(event.value), at, event.anchor)
            return
        state.doc.values[path] = at
        value = self._typed(state, event, path, at)
        self._place(state, value, 1, 1, event.anchor, at)

    def _key(self, state: _Document, key: str, at: Position, anchor: str | None) -> None:
        top = state.stack[-1]
        assert isinstance(top.value, dict)
        child = (*top.path, key)
        if key in top.value:
            first = state.doc.keys.get(child, at)
            state.doc.anomalies.append(duplicate_key(key, child, at, first))
        else:
            state.doc.keys[child] = at
        if len(key) > self.limits.max_string:
            state.doc.anomalies.append(huge_string(len(key), child, at, self.limits))
        top.key, top.key_at = key, at
        if anchor:
            state.anchors[anchor] = (key, 1)

    def _bad_key(self, state: _Document, at: Position, what: str) -> None:
        top = state.stack[-1]
        state.doc.anomalies.append(
            Anomaly("bad-key", top.path, at, f"{what} as a key", "object keys are strings")
        )
        top.key_is_bad = True

    def _alias(self, state: _Document, event: Any) -> None:
        at = _position(event.start_mark)
        path = self._child_path(state)
        anchored = state.anchors.get(str(event.anchor))
        if anchored is None:
            message = (
                f"alias *{event.anchor} refers to no finished anchor (a value cannot contain "
                "itself; write the repeated part out instead)"
            )
            state.doc.anomalies.append(syntax_error("YAML", message, at, path or ()))
            state.stopped = True
            return
        if path is None:
            if isinstance(anchored[0], str):
                self._key(state, anchored[0], at, None)
            else:
                self._bad_key(state, at, "an alias of a collection")
            return
        state.doc.values[path] = at
        self._place(state, anchored[0], anchored[1], anchored[1], None, at)

    def _count(self, state: _Document, count: int, at: Position) -> bool:
        """Add ``count`` values to the document's budget; False (and stop) past it."""
        state.total += count
        budget = self.limits.max_values
        if state.total <= budget:
            return True
        message = f"more than {budget:,} values once aliases are expanded"
        rule = f"a document has at most {budget:,} values"
        state.doc.anomalies.append(Anomaly("too-large", (), at, message, rule))
        state.doc.value = None
        state.stopped = True
        return False

    def _place(
        self,
        state: _Document,
        value: Any,
        size: int,
        count: int,
        anchor: str | None,
        at: Position | None,
    ) -> None:
        """Put a finished value into its parent; ``size`` is its value count for aliases."""
        if count and not self._count(state, count, at or state.doc.start):
            return
        if anchor:
            state.anchors[anchor] = (value, size)
        if not state.stack:
            state.doc.value = value
            return
        top = state.stack[-1]
        top.size += size
        if isinstance(top.value, list):
            top.value.append(value)
            return
        if not top.key_is_bad and top.key is not None:
            top.value[top.key] = value
        top.key, top.key_at, top.key_is_bad = None, None, False

    def _typed(self, state: _Document, event: Any, path: JsonPath, at: Position) -> Any:
        tag = self._tag(event)
        text = str(event.value)
        if tag in _AS_TEXT or tag not in _SCALARS:
            if tag not in _AS_TEXT:
                message = f"unsupported YAML tag {tag}"
                state.doc.anomalies.append(Anomaly("bad-tag", path, at, message, "JSON values"))
            if len(text) > self.limits.max_string:
                state.doc.anomalies.append(huge_string(len(text), path, at, self.limits))
            return text
        node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
        try:
            value = _CONSTRUCTOR.construct_object(node)
        except (ConstructorError, ValueError):
            return text
        if isinstance(value, float) and not math.isfinite(value):
            state.doc.anomalies.append(not_a_number(text, path, at))
        elif (
            isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER
        ):
            state.doc.anomalies.append(huge_number(text, path, at))
        return value

    def _tag(self, event: Any) -> str:
        if event.tag and event.tag != "!":
            return str(event.tag)
        implicit = event.implicit[0] if event.implicit else True
        if len(str(event.value)) > 64:  # no int/float/bool/null is this long
            return f"{_TAG}str"
        return str(_RESOLVER.resolve(yaml.ScalarNode, event.value, (implicit, False)))


def read_yaml(text: str, limits: Limits = PAYLOAD_LIMITS) -> list[Located]:
    """Every document of a YAML stream; a syntax error ends the stream at its position.

    libyaml reads first; text it refuses is read again by PyYAML's own parser, which
    takes a little more (a ``"\\ud800"`` escape: the lone surrogate is then reported
    where it is used, not as unreadable YAML).
    """
    documents, failed = _read(text, limits, _LOADER)
    if failed and _LOADER is not yaml.SafeLoader:
        again, failed_again = _read(text, limits, yaml.SafeLoader)
        if not failed_again:
            return again
    return documents


def _read(text: str, limits: Limits, loader: Any) -> tuple[list[Located], bool]:
    """The documents, and whether the parser stopped on a syntax error."""
    builder = _Builder(limits)
    events: Iterator[Any] = iter(yaml.parse(text, Loader=loader))
    while True:
        try:
            event = next(events)
        except StopIteration:
            return builder.documents, False
        except yaml.YAMLError as exc:
            _syntax(builder, exc)
            return builder.documents, True
        builder.feed(event)


def _syntax(builder: _Builder, error: yaml.YAMLError) -> None:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    at = _position(mark) if mark is not None else Position(1, 1)
    anomaly = syntax_error("YAML", _yaml_problem(error), at)
    if builder.current is None:
        builder.documents.append(Located(None, start=at))
        target = builder.documents[-1]
    else:
        target = builder.current.doc
        target.value = None
    target.anomalies.append(anomaly)


def _yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's problem (what it expected, what it found) plus what it was reading."""
    problem = getattr(error, "problem", None) or " ".join(str(error).split())
    context = getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    if context and context_mark is not None:
        where = _position(context_mark)
        return f"{problem}, {context} at line {where.line}, column {where.column}"
    return f"{problem}, {context}" if context else str(problem)
