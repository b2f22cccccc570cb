"""Tooling: editing specs/manifest.yaml in place for ``musicbind sync`` and ``add``.

The manifest is a file people write: its comments, key order, quoting and blank lines
are theirs. So it is never re-dumped: an entry's values are replaced where they stand
(the text between a scalar's start and end, as PyYAML's composer marks them, so a
trailing ``# comment`` stays), a key it lacks is added as a line after the entry's
last line at the entry's indentation, and a new entry is appended after the last one
(an empty ``documents: []`` becomes a block list). The edited text is read back by the
manifest's own reader before it is used: an edit that would not read back is refused.
"""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import click
import yaml

from musicbind.generator.load.records import Level
from musicbind.generator.project_files.overlay import ManifestEntry, load_manifest

KEY_ORDER = ("path", "provider", "kind", "origin", "retrieved", "etag", "last_modified")
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./:?=&%+,;~@-]*")


class ManifestEditError(Exception):
    """The manifest cannot be edited in place; the message says why, in one line."""


def today() -> str:
    """Today's date as the manifest writes ``retrieved`` (UTC, ``YYYY-MM-DD``)."""
    return datetime.datetime.now(datetime.UTC).date().isoformat()


def scalar(value: str) -> str:
    """``value`` as a YAML scalar that reads back as this very string."""
    if any(ord(char) < 32 or 127 <= ord(char) <= 159 for char in value):
        raise ManifestEditError(f"{value[:40]!r} holds control characters")
    if _PLAIN.fullmatch(value) and ": " not in value and " #" not in value:
        try:
            read = yaml.safe_load(value)
        except yaml.YAMLError:
            read = None
        if read == value or (isinstance(read, datetime.date) and read.isoformat() == value):
            return value
    return "'" + value.replace("'", "''") + "'"


def _documents(text: str) -> tuple[yaml.Node | None, yaml.Node | None]:
    """(the top-level mapping node, its ``documents`` value node)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ManifestEditError(f"the manifest is not valid YAML: {_first_line(exc)}") from None
    if root is None:
        return None, None
    if not isinstance(root, yaml.MappingNode):
        raise ManifestEditError("the manifest's top level is not a mapping")
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "documents":
            return root, value
    return root, None


def _first_line(exc: yaml.YAMLError) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def set_fields(text: str, index: int, values: Mapping[str, str]) -> str:
    """``text`` with entry ``index`` of ``documents`` holding ``values`` (in place)."""
    _, documents = _documents(text)
    if not isinstance(documents, yaml.SequenceNode) or index >= len(documents.value):
        raise ManifestEditError(f"the manifest has no documents[{index}]")
    entry = documents.value[index]
    if not isinstance(entry, yaml.MappingNode) or entry.flow_style or not entry.value:
        raise ManifestEditError(
            f"documents[{index}] is not written as a block mapping (one key a line); "
            "write it so and run again"
        )
    edits: list[tuple[int, int, str]] = []
    missing: list[str] = []
    for key in values:
        node = next(
            (v for k, v in entry.value if isinstance(k, yaml.ScalarNode) and k.value == key), None
        )
        if node is None:
            missing.append(key)
        elif not isinstance(node, yaml.ScalarNode) or node.end_mark.line != node.start_mark.line:
            raise ManifestEditError(f"documents[{index}].{key} is not a one-line value")
        else:
            edits.append((node.start_mark.index, node.end_mark.index, scalar(values[key])))
    if missing:
        indent = " " * entry.value[0][0].start_mark.column
        lines = "".join(f"\n{indent}{key}: {scalar(values[key])}" for key in missing)
        edits.append((_line_end(text, entry.end_mark), _line_end(text, entry.end_mark), lines))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _line_end(text: str, mark: yaml.Mark) -> int:
    """The end of the line holding an entry's last value (before its newline).

    A block mapping ends where the next token starts (often the next line's first
    column), so step back over whitespace and comment-only lines to the last value.
    """
    position = mark.index
    while position > 0 and text[position - 1] in " \t\r\n":
        position -= 1
    line_end = text.find("\n", position)
    end = len(text) if line_end < 0 else line_end
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def append_entries(text: str, entries: Sequence[Mapping[str, str]]) -> str:
    """``text`` with ``entries`` appended to ``documents`` (keys in :data:`KEY_ORDER`)."""
    root, documents = _documents(text)
    blocks = [_entry_lines(entry) for entry in entries]
    if isinstance(documents, yaml.SequenceNode) and documents.value and not documents.flow_style:
        first = documents.value[0]
        indent = " " * max(first.start_mark.column - 2, 0)
        at = _line_end(text, documents.value[-1].end_mark)
        addition = "".join("\n" + _indented(block, indent) for block in blocks)
        return text[:at] + addition + text[at:]
    listing = "".join("\n" + _indented(block, "  ") for block in blocks)
    if documents is None and root is not None:
        separator = "" if text.endswith("\n") else "\n"
        return f"{text}{separator}documents:{listing}\n"
    if documents is None:
        return f"{text}documents:{listing}\n"
    if isinstance(documents, yaml.SequenceNode) and documents.value:
        raise ManifestEditError("documents is a one-line [...] list; write it as a block list")
    if not (isinstance(documents, yaml.SequenceNode) or _is_null(documents)):
        raise ManifestEditError("documents is not a list")
    start = documents.start_mark.index
    end = documents.end_mark.index
    key_line_end = text.rfind("\n", 0, start) + 1
    before = text[:start].rstrip(" \t") if start > key_line_end else text[:start]
    return before + listing + text[end:]


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null", "Null", "NULL")


def _entry_lines(entry: Mapping[str, str]) -> list[str]:
    keys = [key for key in KEY_ORDER if key in entry] + [k for k in entry if k not in KEY_ORDER]
    return [f"{key}: {scalar(entry[key])}" for key in keys]


def _indented(lines: list[str], indent: str) -> str:
    first, *rest = lines
    return "\n".join([f"{indent}- {first}", *(f"{indent}  {line}" for line in rest)])


def read_back(text: str, display: str) -> list[ManifestEntry]:
    """The entries of edited manifest text; an error when it would not read cleanly."""
    entries, problems = load_manifest(text, display)
    errors = [p for p in problems if p.level is Level.ERROR]
    if errors:
        raise ManifestEditError(f"the edited manifest would not read: {errors[0]}")
    return entries


def read_manifest_text(path: Path, display: str) -> str:
    """The manifest's text, to be edited: UTF-8 only (a lossy decode would be written back)."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise click.UsageError(f"{display}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise click.UsageError(
            f"{display}: not UTF-8 text (byte {exc.start}); save it as UTF-8 first"
        ) from None


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` at once: a temporary file beside it, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
