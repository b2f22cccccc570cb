"""Load stage: repair mojibake, UTF-8 text that a scraper decoded as cp874 ("โ€”" -> "—").

Run once per document, by :func:`generator.load.decoding.decode_document`; loaders are given
the repaired text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from musicbind.generator.load.records import Level, Location, SpecProblem

# UTF-8 read as cp874 turns every general-punctuation character (U+2000-U+206F: dashes,
# curly quotes, ellipsis) into "โ€" + one more character; that pair is the evidence.
_MOJIBAKE_MARK = "โ€"


def mojibake_warning(original: str, path: str, repairs: int) -> SpecProblem:
    """The warning that :func:`repair_mojibake` changed ``repairs`` places of ``original``."""
    line = original[: max(original.find(_MOJIBAKE_MARK), 0)].count("\n") + 1
    message = f"repaired {repairs} mojibake sequence(s): UTF-8 text that had been read as cp874"
    return SpecProblem(Level.WARNING, Location(path, line=line), message)


@cache
def _sloppy_cp874() -> tuple[dict[str, int], frozenset[str]]:
    """Char -> byte for cp874 as scrapers apply it (undefined bytes fall back to cp1252).

    Also returns the characters that only a byte 0x80-0xA0 produces: one of them in a
    suspicious sequence is what tells mojibake from genuine Thai text.
    """
    to_byte: dict[str, int] = {}
    low: set[str] = set()
    for byte in range(0x80, 0x100):
        char = _decode_byte(byte)
        to_byte.setdefault(char, byte)
        if byte <= 0xA0:
            low.add(char)
    return to_byte, frozenset(low)


def _decode_byte(byte: int) -> str:
    for encoding in ("cp874", "cp1252"):
        try:
            return bytes([byte]).decode(encoding)
        except UnicodeDecodeError:
            continue
    return chr(byte)


def repair_mojibake(text: str) -> tuple[str, int]:
    """Undo UTF-8 text that was decoded as cp874 ("โ€”" -> "—"); return (text, repairs made).

    Conservative: nothing changes unless the text shows the typical "โ€" pair; then every
    character sequence that cp874 would have made from one UTF-8 sequence is decoded back,
    unless it could be genuine Thai (see :func:`_accepted`).
    """
    if _MOJIBAKE_MARK not in text:
        return text, 0
    found = _sequences(text)
    covered = {i for seq in found for i in range(seq.start, seq.start + seq.size)}
    accepted = [seq for seq in found if _accepted(text, seq, covered)]
    out: list[str] = []
    last = 0
    for seq in accepted:
        out.extend((text[last : seq.start], seq.char))
        last = seq.start + seq.size
    out.append(text[last:])
    return "".join(out), len(accepted)


@dataclass(frozen=True, slots=True)
class _Sequence:
    """One UTF-8 sequence found spelled in cp874 characters."""

    start: int
    size: int
    char: str
    strong: bool  # holds a byte 0x80-0xA0, which no Thai letter is


def _sequences(text: str) -> list[_Sequence]:
    found: list[_Sequence] = []
    i = 0
    while i < len(text):
        seq = _sequence_at(text, i)
        if seq is None:
            i += 1
        else:
            found.append(seq)
            i += seq.size
    return found


def _sequence_at(text: str, i: int) -> _Sequence | None:
    to_byte, low = _sloppy_cp874()
    lead = to_byte.get(text[i])
    if lead is None or lead < 0xC2 or lead > 0xF4:
        return None
    size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    raw = [to_byte.get(char) for char in text[i : i + size]]
    if len(raw) != size or any(byte is None for byte in raw):
        return None
    try:
        char = bytes(b for b in raw if b is not None).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return _Sequence(i, size, char, any(c in low for c in text[i + 1 : i + size]))


def _accepted(text: str, seq: _Sequence, covered: set[int]) -> bool:
    """Genuine Thai letters can also spell valid UTF-8: take a sequence only when it holds
    a punctuation-range byte, or is a two-byte one (accented Latin, Greek, Cyrillic) with
    no Thai letter beside it that is not itself part of a sequence ("cafรฉ")."""
    if seq.strong:
        return True
    if seq.size != 2:
        return False
    beside = (seq.start - 1, seq.start + seq.size)
    return not any(0 <= j < len(text) and j not in covered and _is_thai(text[j]) for j in beside)


def _is_thai(char: str) -> bool:
    return "\u0e00" <= char <= "\u0e7f"
