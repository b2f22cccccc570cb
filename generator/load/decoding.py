"""Load stage: a document's bytes -> its text (UTF-8, UTF-16 with a BOM, cp1252), mojibake repaired.

The one place a document's text is made: :func:`decode_document` decodes and repairs
mojibake once, and every loader is given the text it returns.
"""

from __future__ import annotations

import codecs
import hashlib

from musicbind.generator.load.mojibake import mojibake_warning, repair_mojibake
from musicbind.generator.load.records import Level, Location, SpecProblem

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def decode_bytes(data: bytes) -> str:
    """Decode a document's bytes to text, never raising (see :func:`decode_document`)."""
    return decode_document(data, "")[0] or ""


def decode_document(data: bytes, path: str) -> tuple[str | None, list[SpecProblem]]:
    """Decode a document: UTF-8 (a BOM is dropped) or UTF-16 with a BOM; then repair mojibake.

    Bytes that are not UTF-8 are read as cp1252, what such scraped pages almost always are,
    with a warning. Binary data (a NUL byte) gives no text and an error. Never raises.
    """
    problems: list[SpecProblem] = []
    if data.startswith(_UTF16_BOMS):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        problems.append(_located(Level.ERROR, path, line, "binary data (a NUL byte), not text"))
        return None, problems
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            message = "not valid UTF-8; read as cp1252 (Windows Latin-1)"
            problems.append(_located(Level.WARNING, path, line, message))
            text = data.decode("cp1252", errors="replace")
    text = text.removeprefix("\ufeff")
    repaired, repairs = repair_mojibake(text)
    if repairs:
        problems.append(mojibake_warning(text, path, repairs))
    return repaired, problems


def _located(level: Level, path: str, line: int, message: str) -> SpecProblem:
    return SpecProblem(level, Location(path, line=line), message)


def text_sha256(text: str) -> str:
    """The sha256 (hex) of a document's text as UTF-8: the document's identity in records."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
