"""Load stage: markdown -> a small tree of blocks with 1-based lines, inline markup -> plain text.

The markdown loaders read markdown through markdown-it-py's token stream; this module turns
that stream into blocks (headings, paragraphs, tables, lists, code fences, quotes) that carry
1-based line numbers, flattens inline markup into plain text and finds ``**Label:** value``
lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from musicbind.generator.load.records import Level, Location, SpecProblem

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


@lru_cache(maxsize=4)
def read_blocks(text: str) -> tuple[Block, ...]:
    """Parse markdown (CommonMark + GFM tables) into top-level blocks with 1-based lines.

    The last few texts' blocks are kept: detection (each loader's ``looks_like``) and the
    loader then read one parse of a document.
    """
    tokens = _parser().parse(text)
    blocks, _ = _read_until(tokens, 0, frozenset())
    return tuple(blocks)


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


class MarkdownPage:
    """A markdown document being read: its blocks, its path and the problems found so far."""

    def __init__(self, blocks: Sequence[Block], path: str) -> None:
        self.blocks = blocks
        self.path = path
        self.problems: list[SpecProblem] = []

    def at(self, line: int) -> Location:
        """The location of a 1-based line of the page."""
        return Location(self.path, line=line)

    def problem(self, level: Level, line: int, message: str) -> None:
        """Record a problem at a line of the page."""
        self.problems.append(SpecProblem(level, self.at(line), message))
