"""Load stage: the text of a JSON or YAML input file -> one located value, its flaws as problems.

The one way the generator reads structured text: OpenAPI documents, specs/manifest.yaml
and the overlays. Which syntax: a ``.json`` file is JSON and a ``.yaml``/``.yml`` file
YAML; any other file is JSON when it opens with ``{`` or ``[`` (read as YAML after all
when it is not valid JSON but valid YAML, with a warning saying so), else YAML. Every
anomaly becomes a :class:`SpecProblem` at its line and column: invalid JSON or YAML
(what was expected there), duplicate keys, NaN and Infinity, deep nesting, YAML tags
and aliases JSON cannot carry are errors; an integer past 2**53 is a warning (other
JSON parsers may round it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from musicbind.generator.load.located import (
    DOCUMENT_LIMITS,
    Anomaly,
    JsonPath,
    Located,
    json_pointer,
    syntax_error,
)
from musicbind.generator.load.located_json import read_json
from musicbind.generator.load.located_yaml import read_yaml
from musicbind.generator.load.records import Level, Location, SpecProblem

Syntax = Literal["JSON", "YAML"]
_BOM = "\ufeff"
_JSON_SUFFIXES = (".json",)
_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class DocumentText:
    """A parsed input file: the located value, its syntax and the problems of its text."""

    located: Located
    syntax: Syntax
    problems: tuple[SpecProblem, ...]

    @property
    def value(self) -> Any:
        """The document's value (None when the text could not be read)."""
        return self.located.value

    @property
    def readable(self) -> bool:
        """Whether the text parsed (anomalies other than syntax errors may remain)."""
        return self.located.readable

    def locate(self, path: str, pointer: str) -> Location:
        """The location of a JSON pointer in this document, with its line when known."""
        at = self.located.pointer_position(pointer)
        return Location(path, line=at.line if at else None, pointer=pointer)

    def position_of(self, path: str, where: JsonPath, *, key: bool = False) -> Location:
        """``path:line:column`` of the value at ``where`` (of its key with ``key``)."""
        at = self.located.key_position(where) if key else self.located.value_position(where)
        return Location(path, line=at.line, pointer=json_pointer(where), column=at.column)


def syntax_of(path: str, text: str) -> Syntax:
    """The syntax a file is read in: from its suffix, else from its first character."""
    lowered = path.lower()
    if lowered.endswith(_JSON_SUFFIXES):
        return "JSON"
    if lowered.endswith(_YAML_SUFFIXES):
        return "YAML"
    return "JSON" if text.lstrip(" \t\r\n")[:1] in ("{", "[") else "YAML"


def read_document(text: str, path: str, syntax: Syntax | None = None) -> DocumentText:
    """Parse ``text`` (a file named ``path``, as problems name it); never raises."""
    text = text.removeprefix(_BOM)
    chosen = syntax or syntax_of(path, text)
    if chosen == "JSON":
        located = _LAST_JSON.read(text)
        if located.readable or syntax is not None or path.lower().endswith(_JSON_SUFFIXES):
            return DocumentText(located, "JSON", _problems(located, path))
        as_yaml = _one_yaml_document(text)
        if not as_yaml.readable:
            return DocumentText(located, "JSON", _problems(located, path))
        (error,) = [a for a in located.anomalies if a.code == "syntax"]
        note = SpecProblem(
            Level.WARNING,
            _where(path, error),
            f"{error.message.removeprefix('invalid JSON: ')}: not valid JSON, read as YAML",
        )
        return DocumentText(as_yaml, "YAML", (note, *_problems(as_yaml, path)))
    located = _one_yaml_document(text)
    return DocumentText(located, "YAML", _problems(located, path))


class _LastJson:
    """The last JSON text read and its parse: detection (each loader's ``looks_like``) and the
    loader are given the same text object, and read one parse of it."""

    def __init__(self) -> None:
        self._memo: tuple[str, Located] | None = None  # one tuple: swapped whole, never torn

    def read(self, text: str) -> Located:
        memo = self._memo
        if memo is not None and memo[0] is text:  # identity: the memo holds the text alive
            return memo[1]
        located = read_json(text, limits=DOCUMENT_LIMITS)
        self._memo = (text, located)
        return located


_LAST_JSON = _LastJson()


def _one_yaml_document(text: str) -> Located:
    documents = read_yaml(text, limits=DOCUMENT_LIMITS)
    if not documents:
        return Located(None)
    first = documents[0]
    if len(documents) > 1:
        extra = documents[1].start
        message = "a second YAML document ('---') in the file; a file holds one document"
        first.anomalies.append(syntax_error("YAML", message, extra))
        for later in documents[1:]:
            first.anomalies += [a for a in later.anomalies if a.code == "syntax"]
    return first


def _problems(located: Located, path: str) -> tuple[SpecProblem, ...]:
    return tuple(
        SpecProblem(_level(located, anomaly), _where(path, anomaly), _message(anomaly))
        for anomaly in located.anomalies
    )


def _where(path: str, anomaly: Anomaly) -> Location:
    pointer = json_pointer(anomaly.path) if anomaly.path else None
    at = anomaly.position
    return Location(path, line=at.line, pointer=pointer, column=at.column)


def _message(anomaly: Anomaly) -> str:
    if not anomaly.path or anomaly.code == "syntax":
        return anomaly.message
    return f"{json_pointer(anomaly.path)}: {anomaly.message}"


def _level(located: Located, anomaly: Anomaly) -> Level:
    if anomaly.code != "huge-number":
        return Level.ERROR
    value = _value_at(located.value, anomaly.path)
    finite = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    return Level.WARNING if finite else Level.ERROR


def _value_at(value: Any, path: JsonPath) -> Any:
    for step in path:
        if isinstance(value, dict) and isinstance(step, str):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and step < len(value):
            value = value[step]
        else:
            return None
    return value
