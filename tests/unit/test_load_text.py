"""Unit tests for the load stage's text modules: decoding, mojibake, markdown blocks, prices."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from musicbind.generator.load.decoding import decode_bytes, decode_document, text_sha256
from musicbind.generator.load.markdown_blocks import (
    BulletList,
    Fence,
    Heading,
    Paragraph,
    Quote,
    Table,
    label_lines,
    plain_text,
    read_blocks,
    sections,
    unescape_markdown,
    walk,
)
from musicbind.generator.load.mojibake import repair_mojibake
from musicbind.generator.load.number_text import parse_bool, parse_number
from musicbind.generator.load.price_text import parse_price
from musicbind.generator.load.records import Level


def as_cp874_mojibake(text: str) -> str:
    """What a scraper that reads UTF-8 as cp874 (cp1252 for cp874's holes) shows."""

    def char(byte: int) -> str:
        for encoding in ("cp874", "cp1252"):
            try:
                return bytes([byte]).decode(encoding)
            except UnicodeDecodeError:
                continue
        return chr(byte)

    return "".join(chr(b) if b < 0x80 else char(b) for b in text.encode("utf-8"))


# --- decoding ----------------------------------------------------------------------------


def test_decode_drops_utf8_bom() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + "héllo — ok".encode()) == "héllo — ok"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_decode_reads_utf16_with_bom(codec: str) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    assert decode_bytes(bom + "# Title — x".encode(codec)) == "# Title — x"


def test_decode_falls_back_to_cp1252_with_a_located_warning() -> None:
    text, problems = decode_document(b"line one\ncaf\xe9 two\n", "p.md")
    assert text == "line one\ncafé two\n"
    assert [(p.level, p.location.line) for p in problems] == [(Level.WARNING, 2)]


def test_decode_refuses_binary() -> None:
    text, problems = decode_document(b"ab\ncd\x00ef", "bin.md")
    assert text is None
    assert problems[0].level is Level.ERROR
    assert problems[0].location.line == 2


def test_decode_repairs_mojibake_and_says_where() -> None:
    data = ("# T\n\nfine\n" + as_cp874_mojibake("a — b\n")).encode("utf-8")
    text, problems = decode_document(data, "m.md")
    assert text == "# T\n\nfine\na — b\n"
    assert [(p.level, p.location.line) for p in problems] == [(Level.WARNING, 4)]


def test_decode_never_raises_on_garbage() -> None:
    assert isinstance(decode_bytes(bytes(range(1, 256))), str)


# --- mojibake ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("music โ€” specify", "music — specify"),
        ("โ€˜upbeatโ€™", "‘upbeat’"),
        ("wait โ€ฆ", "wait …"),
        ("โ€” and cafรฉ", "— and café"),
    ],
)
def test_repair_known_sequences(broken: str, fixed: str) -> None:
    assert repair_mojibake(broken)[0] == fixed


def test_repair_leaves_text_without_the_marker_alone() -> None:
    text = "cafรฉ ภาษาไทย — plain"
    assert repair_mojibake(text) == (text, 0)


def test_repair_keeps_genuine_thai_in_a_mojibake_document() -> None:
    text = "โ€” ภาษาไทย แกก"
    assert repair_mojibake(text)[0] == "— ภาษาไทย แกก"


def test_repair_counts_sequences() -> None:
    assert repair_mojibake("โ€˜aโ€™ โ€”")[1] == 3


punctuation = st.sampled_from(list("—–‘’“”…•€™ é ü ß"))
plain = st.text(st.characters(codec="ascii", categories=("L", "N", "P", "Zs")), max_size=8)


@given(st.lists(st.one_of(plain, punctuation), min_size=1, max_size=20))
@settings(deadline=None)
def test_repair_undoes_cp874_mojibake(parts: list[str]) -> None:
    original = "—" + "".join(parts)
    assert repair_mojibake(as_cp874_mojibake(original))[0] == original


@given(st.text())
@settings(deadline=None)
def test_repair_never_raises_nor_grows_the_text(text: str) -> None:
    repaired, repairs = repair_mojibake(text)
    assert len(repaired) <= len(text)
    assert repairs == 0 or repaired != text


@given(st.text().filter(lambda t: "โ€" not in t))
@settings(deadline=None)
def test_repair_never_touches_unmarked_text(text: str) -> None:
    assert repair_mojibake(text) == (text, 0)


def test_sha256_is_of_utf8_text() -> None:
    assert text_sha256("a") == "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"


# --- inline text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        (r"`file\_array`", "file_array"),
        (r"\[at least\] one", "[at least] one"),
        ("**bold** and _em_", "bold and em"),
        ("[link](https://x.invalid) text", "link text"),
        ("a<br>b", "a b"),
        ("‘curly’ “quotes”", "‘curly’ “quotes”"),
    ],
)
def test_plain_text(markdown: str, plain: str) -> None:
    assert plain_text(markdown) == plain


def test_unescape_only_touches_ascii_punctuation() -> None:
    assert unescape_markdown(r"a\_b \d \\ \|") == r"a_b \d \ |"


# --- blocks ------------------------------------------------------------------------------

DOC = """\
# Title

> quoted summary

para one
**Model ID:** `m_1`
**Capabilities**: `a`, `b`

## Table

| Parameter | Type |
| --- | --- |
| `file\\_array` | a \\| b `c\\|d` |
| short |

- item one
  continued
  - child
- item two

```json
{"a": 1}
```

### Deeper

text
"""


def test_blocks_and_lines() -> None:
    blocks = read_blocks(DOC)
    kinds = [(type(b).__name__, b.line) for b in blocks]
    assert kinds == [
        ("Heading", 1),
        ("Quote", 3),
        ("Paragraph", 5),
        ("Heading", 9),
        ("Table", 11),
        ("BulletList", 16),
        ("Fence", 21),
        ("Heading", 25),
        ("Paragraph", 27),
    ]


def test_table_cells_and_rows() -> None:
    table = next(b for b in read_blocks(DOC) if isinstance(b, Table))
    assert [c.text for c in table.header.cells] == ["Parameter", "Type"]
    assert [r.line for r in table.rows] == [13, 14]
    first = table.rows[0].cells
    assert first[0].text == "file_array"
    assert first[0].codes == ("file_array",)
    assert first[1].text == "a | b c|d"
    assert [c.text for c in table.rows[1].cells] == ["short", ""]  # padded by the parser


def test_list_items_and_children() -> None:
    items = next(b for b in read_blocks(DOC) if isinstance(b, BulletList)).items
    assert [i.line for i in items] == [16, 19]
    assert items[0].paragraphs[0].text == "item one\ncontinued"
    assert [c.paragraphs[0].text for c in items[0].children] == ["child"]


def test_fence_lines() -> None:
    fence = next(b for b in read_blocks(DOC) if isinstance(b, Fence))
    assert (fence.info, fence.line, fence.content_line) == ("json", 21, 22)
    assert fence.content == '{"a": 1}\n'


def test_label_lines() -> None:
    paragraph = next(b for b in read_blocks(DOC) if isinstance(b, Paragraph))
    labels = label_lines(paragraph)
    assert [(x.label, x.text, x.codes, x.line) for x in labels] == [
        ("model id", "m_1", ("m_1",), 6),
        ("capabilities", "a, b", ("a", "b"), 7),
    ]


def test_quote_and_walk() -> None:
    blocks = read_blocks(DOC)
    quote = next(b for b in blocks if isinstance(b, Quote))
    assert isinstance(quote.blocks[0], Paragraph)
    assert sum(isinstance(b, Paragraph) for b in walk(blocks)) == 6


def test_sections_nest_by_level() -> None:
    found = {h.text: body for h, body in sections(read_blocks(DOC))}
    assert isinstance(found["Table"][-1], Paragraph)  # includes "### Deeper" and its text
    assert any(isinstance(b, Heading) and b.text == "Deeper" for b in found["Table"])
    assert len(found["Deeper"]) == 1


def test_front_matter_and_empty_document_do_not_break() -> None:
    assert read_blocks("") == ()
    blocks = read_blocks("---\ntitle: x | y\n---\n\ntext\n")
    assert blocks[-1].line == 5


@given(st.text(max_size=300))
@settings(deadline=None)
def test_read_blocks_never_raises(text: str) -> None:
    for block in walk(read_blocks(text)):
        assert block.line >= 0


# --- scalars and prices ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("90", 90), ("-6", -6), ("\u22122", -2), ("0.5", 0.5), ("1e3", 1000.0), (" 7 ", 7)],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value
    assert type(parse_number(text)) is type(value)


@pytest.mark.parametrize("text", ["", "-", "abc", "1.2.3", "nan", "inf", "1e999"])
def test_parse_number_rejects(text: str) -> None:
    assert parse_number(text) is None


def test_parse_bool() -> None:
    assert parse_bool("True") is True
    assert parse_bool("no") is False
    assert parse_bool("maybe") is None


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Your request will cost $0.009 per second of output and per sample.",
            ("0.009", "USD", "output_second", True),
        ),
        ("$0.0013 per second", ("0.0013", "USD", "second", False)),
        ("$0.02 per second of audio", ("0.02", "USD", "second", False)),
        (
            "Billed at $0.0013 per second of generated audio.",
            ("0.0013", "USD", "output_second", False),
        ),
        ("$0.05 per image", ("0.05", "USD", "image", False)),
        ("Costs $0.1 per request.", ("0.1", "USD", "request", False)),
        ("$0.2 for each sample", ("0.2", "USD", "request", True)),
        ("$0.01/s", ("0.01", "USD", "second", False)),
        ("$0.3 per generated minute", ("0.3", "USD", "output_minute", False)),
        ("€1,200.50 per video.", ("1200.50", "EUR", "video", False)),
        ("USD 0.4 per call", ("0.4", "USD", "request", False)),
        ("5 creative units per generation", None),
        ("$0.5 per 1000 characters", None),
        ("Ask sales.", None),
        ("It costs $3.", None),
    ],
)
def test_parse_price(sentence: str, expected: tuple[str, str, str, bool] | None) -> None:
    found = parse_price(sentence)
    got = None if found is None else (found.amount, found.currency, found.unit, found.per_sample)
    assert got == expected


@given(st.text(max_size=80))
@settings(deadline=None)
def test_parse_price_never_raises(sentence: str) -> None:
    parse_price(sentence)
