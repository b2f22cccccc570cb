"""Tooling: payload files (JSON, JSON Lines, YAML) -> the payloads in them, with positions.

A JSON file holds one payload or an array of payloads; a JSON Lines file one
payload per line; a YAML file one payload (or an array of them) per document.
The format comes from the file's suffix (``.json``, ``.jsonl``/``.ndjson``,
``.yaml``/``.yml``); any other suffix is read as JSON when the text starts with
``{`` or ``[``, else as YAML. A file that cannot be read at all is a
:class:`Unreadable` value, which ``musicbind validate`` reports with exit status 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from musicbind.generator.load.located import JsonPath, Located
from musicbind.generator.load.located_json import DECLINED, fast_json, read_json
from musicbind.generator.load.located_yaml import read_yaml
from musicbind.validation.files import read_regular_file

JSON_SUFFIXES = frozenset({".json"})
LINES_SUFFIXES = frozenset({".jsonl", ".ndjson"})
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
PAYLOAD_SUFFIXES = JSON_SUFFIXES | LINES_SUFFIXES | YAML_SUFFIXES
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(slots=True)
class Document:
    """One parsed document of a file; ``located`` is filled in lazily on the fast path."""

    text: str  # the document's own text (a line for JSON Lines)
    first_line: int
    located: Located | None  # None: parsed by the fast path, positions not computed yet
    value: Any

    def locate(self) -> Located:
        """The document with every value's position (parsed again when needed)."""
        if self.located is None:
            self.located = read_json(self.text, self.first_line)
        return self.located


@dataclass(frozen=True, slots=True)
class Payload:
    """One payload: its value and where it sits in its document."""

    document: Document
    base: JsonPath  # path of the payload in the document: () or (index,)
    value: Any


@dataclass(frozen=True, slots=True)
class PayloadFile:
    """A readable payload file: its documents (which may hold anomalies)."""

    path: Path
    shown: str
    documents: tuple[Document, ...]

    def payloads(self) -> Iterator[Payload]:
        """Every payload of every readable document (top-level arrays are lists of payloads)."""
        for document in self.documents:
            value = document.value
            if document.located is not None and not document.located.readable:
                continue
            if isinstance(value, list):
                for index, item in enumerate(value):
                    yield Payload(document, (index,), item)
            else:
                yield Payload(document, (), value)


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A file that could not be read (missing, not UTF-8, too large)."""

    path: Path
    shown: str
    reason: str


def read_payload_file(path: Path, shown: str) -> PayloadFile | Unreadable:
    """Read and parse one payload file."""
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
        if data is None:
            return Unreadable(path, shown, f"larger than {MAX_FILE_BYTES // 2**20} MiB")
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Unreadable(path, shown, f"not UTF-8 text (byte {exc.start})")
    except OSError as exc:
        return Unreadable(path, shown, exc.strerror or str(exc))
    text = text.removeprefix("\ufeff")
    return PayloadFile(path, shown, tuple(parse_text(text, _format(path, text))))


def _format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in LINES_SUFFIXES:
        return "jsonl"
    if suffix in YAML_SUFFIXES:
        return "yaml"
    return "json" if text.lstrip()[:1] in ("{", "[") else "yaml"


def parse_text(text: str, kind: str) -> list[Document]:
    """The documents of a text in format ``json``, ``jsonl`` or ``yaml``."""
    if kind == "json":
        return [_json_document(text, 1)]
    if kind == "jsonl":
        return [
            _json_document(line.rstrip("\r"), number)
            for number, line in enumerate(text.split("\n"), start=1)
            if line.strip()
        ]
    return [Document(text, d.start.line, d, d.value) for d in read_yaml(text)]


def _json_document(text: str, first_line: int) -> Document:
    value = fast_json(text)
    if value is DECLINED:
        located = read_json(text, first_line)
        return Document(text, first_line, located, located.value)
    return Document(text, first_line, None, value)
