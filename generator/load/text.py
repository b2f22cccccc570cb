"""Load stage: shared text helpers for the markdown loaders (decoding, mojibake, markdown blocks).

Loaders read markdown through markdown-it-py's token stream; this module turns that
stream into a small tree of blocks (headings, paragraphs, tables, lists, code fences)
that carry 1-based line numbers, and flattens inline markup into plain text.
"""

from __future__ import annotations

import codecs
import hashlib
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from musicbind.generator.load.records import Level, Location, SpecProblem

# --- bytes and mojibake ------------------------------------------------------------------

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


def mojibake_warning(original: str, path: str, repairs: int) -> SpecProblem:
    """The warning that :func:`repair_mojibake` changed ``repairs`` places of ``original``."""
    line = original[: max(original.find(_MOJIBAKE_MARK), 0)].count("\n") + 1
    message = f"repaired {repairs} mojibake sequence(s): UTF-8 text that had been read as cp874"
    return _located(Level.WARNING, path, line, message)


def _located(level: Level, path: str, line: int, message: str) -> SpecProblem:
    return SpecProblem(level, Location(path, line=line), message)


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


# UTF-8 read as cp874 turns every general-punctuation character (U+2000-U+206F: dashes,
# curly quotes, ellipsis) into "โ€" + one more character; that pair is the evidence.
_MOJIBAKE_MARK = "โ€"


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


def text_sha256(text: str) -> str:
    """The sha256 (hex) of a document's text as UTF-8: the document's identity in records."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- inline markup -> plain text ---------------------------------------------------------

_ESCAPABLE = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescape_markdown(text: str) -> str:
    r"""Drop markdown backslash escapes of ASCII punctuation (``file\_array`` -> ``file_array``)."""
    return _ESCAPABLE.sub(r"\1", text)


_BREAK_TAG = re.compile(r"^<br\s*/?>$", re.IGNORECASE)


def flatten_inline(children: Sequence[Token]) -> str:
    """Plain text of an inline token's children: markup dropped, escapes undone.

    Code spans keep their content without backticks (and lose the backslash escapes that
    scraped pages leave inside them); soft and hard breaks become newlines.
    """
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "text_special"):
            parts.append(child.content)
        elif child.type == "code_inline":
            parts.append(unescape_markdown(child.content))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "html_inline":
            parts.append(" " if _BREAK_TAG.match(child.content.strip()) else child.content)
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def plain_text(markdown: str) -> str:
    """Plain text of a snippet of inline markdown (one bullet's or cell's raw text)."""
    tokens = _parser().parseInline(markdown)
    return flatten_inline(tokens[0].children or []) if tokens else ""


def code_spans(children: Sequence[Token]) -> tuple[str, ...]:
    """The contents of every code span among an inline token's children, escapes undone."""
    return tuple(unescape_markdown(c.content) for c in children if c.type == "code_inline")


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) to single spaces and strip."""
    return " ".join(text.split())


# --- blocks ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading: its level (1-6) and plain text."""

    line: int
    level: int
    text: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph: the raw markdown source, its inline tokens and its plain text."""

    line: int
    raw: str
    children: tuple[Token, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Fence:
    """A fenced or indented code block: the info string (language) and the content."""

    line: int
    info: str
    content: str
    content_line: int  # the 1-based line of the content's first line


@dataclass(frozen=True, slots=True)
class Cell:
    """One table cell: plain text, the code spans it holds and its raw source."""

    text: str
    codes: tuple[str, ...]
    raw: str


@dataclass(frozen=True, slots=True)
class Row:
    """One table row with its 1-based line."""

    line: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A GFM table: the header row and the body rows."""

    line: int
    header: Row
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class ListItem:
    """One list item and the blocks inside it (paragraphs, nested lists, fences)."""

    line: int
    blocks: tuple[Block, ...]

    @property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        """The item's own paragraphs, in order."""
        return tuple(b for b in self.blocks if isinstance(b, Paragraph))

    @property
    def children(self) -> tuple[ListItem, ...]:
        """The items of the lists nested in this item."""
        return tuple(item for b in self.blocks if isinstance(b, BulletList) for item in b.items)


@dataclass(frozen=True, slots=True)
class BulletList:
    """A bullet or ordered list."""

    line: int
    items: tuple[ListItem, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    """A block quote and the blocks inside it."""

    line: int
    blocks: tuple[Block, ...]


Block = Heading | Paragraph | Fence | Table | BulletList | Quote


def read_blocks(text: str) -> list[Block]:
    """Parse markdown (CommonMark + GFM tables) into top-level blocks with 1-based lines."""
    tokens = _parser().parse(text)
    blocks, _ = _read_until(tokens, 0, frozenset())
    return blocks


def token_line(token: Token) -> int:
    """The 1-based line a block token starts on (markdown-it's ``map`` is 0-based)."""
    return token.map[0] + 1 if token.map else 0


def _read_until(tokens: list[Token], i: int, stop: frozenset[str]) -> tuple[list[Block], int]:
    blocks: list[Block] = []
    while i < len(tokens) and tokens[i].type not in stop:
        block, i = _read_block(tokens, i)
        if block is not None:
            blocks.append(block)
    return blocks, i


_CLOSERS = {"bullet_list_open": "bullet_list_close", "ordered_list_open": "ordered_list_close"}


def _read_block(tokens: list[Token], i: int) -> tuple[Block | None, int]:
    token = tokens[i]
    line = token_line(token)
    if token.type == "heading_open":
        return Heading(line, int(token.tag[1:]), one_line(_inline_text(tokens[i + 1]))), i + 3
    if token.type == "paragraph_open":
        return _paragraph(tokens[i + 1], line), i + 3
    if token.type in ("fence", "code_block"):
        first = line + 1 if token.type == "fence" else line
        return Fence(line, token.info.strip(), token.content, first), i + 1
    if token.type in _CLOSERS:
        return _read_list(tokens, i + 1, _CLOSERS[token.type], line)
    if token.type == "table_open":
        return _read_table(tokens, i + 1, line)
    if token.type == "blockquote_open":
        blocks, i = _read_until(tokens, i + 1, frozenset({"blockquote_close"}))
        return Quote(line, tuple(blocks)), i + 1
    return None, i + 1


def _inline_text(token: Token) -> str:
    return flatten_inline(token.children or [])


def _paragraph(inline: Token, line: int) -> Paragraph:
    children = tuple(inline.children or [])
    return Paragraph(line, inline.content, children, flatten_inline(children))


def _read_list(tokens: list[Token], i: int, close: str, line: int) -> tuple[BulletList, int]:
    items: list[ListItem] = []
    while i < len(tokens) and tokens[i].type != close:
        if tokens[i].type == "list_item_open":
            item_line = token_line(tokens[i])
            blocks, i = _read_until(tokens, i + 1, frozenset({"list_item_close"}))
            items.append(ListItem(item_line, tuple(blocks)))
        i += 1
    return BulletList(line, tuple(items)), i + 1


def _read_table(tokens: list[Token], i: int, line: int) -> tuple[Table, int]:
    rows: list[Row] = []
    while i < len(tokens) and tokens[i].type != "table_close":
        if tokens[i].type == "tr_open":
            row, i = _read_row(tokens, i)
            rows.append(row)
        else:
            i += 1
    header = rows[0] if rows else Row(line, ())
    return Table(line, header, tuple(rows[1:])), i + 1


def _read_row(tokens: list[Token], i: int) -> tuple[Row, int]:
    line = token_line(tokens[i])
    cells: list[Cell] = []
    i += 1
    while tokens[i].type != "tr_close":
        if tokens[i].type == "inline":
            children = tokens[i].children or []
            text = one_line(flatten_inline(children))
            cells.append(Cell(text, code_spans(children), tokens[i].content))
        i += 1
    return Row(line, tuple(cells)), i + 1


@dataclass(frozen=True, slots=True)
class LabelLine:
    """A line ``**Label:** value`` (or ``**Label**: value``) of a paragraph."""

    label: str  # lower-cased, without the colon
    text: str  # the value as plain text
    codes: tuple[str, ...]  # the code spans of the value
    line: int


def label_lines(paragraph: Paragraph) -> list[LabelLine]:
    """Every line of a paragraph that starts with a bold label, in order."""
    found: list[LabelLine] = []
    current: list[Token] = []
    offset = 0
    for child in (*paragraph.children, None):
        if child is None or child.type in ("softbreak", "hardbreak"):
            label = _label_line(current, paragraph.line + offset)
            if label is not None:
                found.append(label)
            current, offset = [], offset + 1
        else:
            current.append(child)
    return found


def _label_line(tokens: list[Token], line: int) -> LabelLine | None:
    children = [t for t in tokens if not (t.type == "text" and not t.content.strip())]
    if not children or children[0].type != "strong_open":
        return None
    close = next((i for i, t in enumerate(children) if t.type == "strong_close"), None)
    if close is None:
        return None
    label = flatten_inline(children[1:close]).strip().rstrip(":").strip().lower()
    rest = children[close + 1 :]
    value = one_line(flatten_inline(rest)).removeprefix(":").strip()
    return LabelLine(label, value, code_spans(rest), line)


def walk(blocks: Sequence[Block]) -> Iterator[Block]:
    """Every block, depth first, including those inside quotes and list items."""
    for block in blocks:
        yield block
        if isinstance(block, Quote):
            yield from walk(block.blocks)
        elif isinstance(block, BulletList):
            for item in block.items:
                yield from walk(item.blocks)


def sections(blocks: Sequence[Block]) -> Iterator[tuple[Heading, list[Block]]]:
    """Each top-level heading with its blocks, up to a heading of the same or a higher level."""
    for index, block in enumerate(blocks):
        if isinstance(block, Heading):
            yield block, _section_body(blocks[index + 1 :], block.level)


def _section_body(rest: Sequence[Block], level: int) -> list[Block]:
    body: list[Block] = []
    for block in rest:
        if isinstance(block, Heading) and block.level <= level:
            break
        body.append(block)
    return body


# --- scalars -----------------------------------------------------------------------------

_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def parse_number(text: str) -> int | float | None:
    """A decimal number ("90", "-1", "0.5", "1e3", "−2" with a unicode minus), or None."""
    cleaned = text.strip().replace("\u2212", "-").replace("_", "")
    if _INT.fullmatch(cleaned):
        return int(cleaned)
    if _FLOAT.fullmatch(cleaned):
        value = float(cleaned)
        return value if math.isfinite(value) else None
    return None


_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


def parse_bool(text: str) -> bool | None:
    """A boolean from "true"/"false", "yes"/"no" and the like (any case), or None."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


# --- prices ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PriceText:
    """A price read from a sentence: decimal amount text, currency code, unit, per-sample flag."""

    amount: str
    currency: str
    unit: str
    per_sample: bool


_NUMBER_TEXT = r"\d[\d,]*(?:\.\d+)?|\.\d+"
_PRICE = re.compile(
    rf"(?P<symbol>US\$|\$|€|£)\s*(?P<amount>{_NUMBER_TEXT})"
    rf"|\b(?P<code>USD|EUR|GBP)\s*(?P<amount2>{_NUMBER_TEXT})"
)
_CURRENCIES = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP"}
_UNIT_PHRASE = re.compile(
    r"(?:\bper\b|/|\bfor (?:each|every)\b|\beach\b|\bevery\b)\s*(?P<phrase>[a-z0-9 \-]+?)"
    r"(?=\s+and\b|\s*[,;()]|\s*$)"
)
_PER_SAMPLE = re.compile(r"\b(?:per|each|every|for each)\s+(?:generated\s+|output\s+)?samples?\b")
_NOUN_UNITS = {
    "request": "request",
    "call": "request",
    "run": "request",
    "generation": "request",
    "prediction": "request",
    "creative unit": "creative_unit",
    "cu": "creative_unit",
    "image": "image",
    "video": "video",
    "megapixel": "megapixel",
    "track": "track",
    "song": "song",
}
_SECOND_WORDS = frozenset({"s", "sec", "secs", "second", "seconds"})
_MINUTE_WORDS = frozenset({"min", "mins", "minute", "minutes"})
_OUTPUT_WORDS = frozenset({"output", "generated"})


def parse_price(sentence: str) -> PriceText | None:
    """Read "$0.009 per second of output and per sample" and the like; None when unreadable.

    Units: "output_second" (seconds of output or generated audio), "second" (any other
    seconds), "output_minute"/"minute", "request" (request, call, run, generation, and a
    bare "per sample" with ``per_sample`` set), "creative_unit", or a single counted noun
    such as "image" or "video". Anything else is unreadable.
    """
    match = _PRICE.search(sentence)
    if match is None:
        return None
    amount = (match.group("amount") or match.group("amount2")).replace(",", "")
    symbol = match.group("symbol")
    currency = _CURRENCIES[symbol] if symbol else match.group("code")
    rest = re.split(r"\.(?:\s|$)", sentence[match.end() :], maxsplit=1)[0].lower()
    phrase = _UNIT_PHRASE.search(rest)
    if phrase is None:
        return None
    unit, per_sample = _price_unit(phrase.group("phrase").strip())
    if unit is None:
        return None
    return PriceText(amount, currency, unit, per_sample or bool(_PER_SAMPLE.search(rest)))


def _price_unit(phrase: str) -> tuple[str | None, bool]:
    words = set(re.split(r"[\s\-]+", phrase))
    output = "output_" if words & _OUTPUT_WORDS else ""
    if words & _SECOND_WORDS:
        return f"{output}second", False
    if words & _MINUTE_WORDS:
        return f"{output}minute", False
    noun = phrase.removesuffix("s") if not phrase.endswith("ss") else phrase
    if noun == "sample":
        return "request", True
    return _NOUN_UNITS.get(noun), False
