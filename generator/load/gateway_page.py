"""Load stage: AIgateway model pages in markdown -> SpecDocument (one model).

Read: the ``#`` title, the ``slug · x · provider · y`` line, the summary paragraph, the
Pricing table or sentence, the ``POST https://api.aigateway.sh/v1/...`` line, the "Request
body" JSON example and the "Response" JSON example(s). Code fences may hold ``//`` comments:
on a key's line (or on the lines just above it) ``// a | b | c`` lists the allowed values
and any other comment becomes the key's description.

Inputs are the request example's keys except ``model``, all optional (the gateway's OpenAPI
document says which are required; the registry merges the two). Types come from the example
values: strings, booleans, numbers (every JSON number is NUMBER: durations are seconds and
need not be whole), lists and objects. Outputs are the keys of the completed job's
``result`` object, optional too: a response is never rejected for a field an example showed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeGuard
from urllib.parse import urlsplit

from musicbind.generator.load.decoding import (
    text_sha256,
)
from musicbind.generator.load.dialects import Dialect
from musicbind.generator.load.located import DOCUMENT_LIMITS
from musicbind.generator.load.located_json import read_json_values
from musicbind.generator.load.markdown_blocks import (
    Block,
    Fence,
    Heading,
    MarkdownPage,
    Paragraph,
    Table,
    label_lines,
    one_line,
    read_blocks,
    sections,
    walk,
)
from musicbind.generator.load.number_text import (
    parse_number,
)
from musicbind.generator.load.price_text import (
    parse_price,
)
from musicbind.generator.load.records import (
    DocumentKind,
    JsonScalar,
    JsonValue,
    Level,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecPrice,
    SpecType,
    TypeKind,
)

PROVIDER = "aigateway"

_POST = re.compile(r"^\s*POST\s+(?P<url>https?://\S+|/\S+)", re.IGNORECASE)
_FACT_KEYS = frozenset({"slug", "provider", "category", "model"})


def looks_like(text: str) -> bool:
    """True for a page with a ``POST .../v1/...`` line, a JSON example and an AIgateway mark."""
    if "POST" not in text or "aigateway" not in text.lower():
        return False
    blocks = list(walk(read_blocks(text)))
    has_post = any(isinstance(b, Paragraph) and _POST.match(b.text) for b in blocks)
    has_json = any(_is_json(b) for b in blocks)
    return has_post and has_json


_JSON_INFOS = frozenset({"json", "jsonc", "json5", ""})


def _is_json(block: Block) -> TypeGuard[Fence]:
    return isinstance(block, Fence) and block.info.lower() in _JSON_INFOS


def load(text: str, path: str) -> SpecDocument:
    """Read the page's one model from its decoded text (mojibake already repaired by
    :func:`generator.load.decoding.decode_document`); never raises on bad input."""
    reader = _PageReader(read_blocks(text), path)
    model = reader.read()
    return SpecDocument(
        path=path,
        kind=DocumentKind.GATEWAY_PAGE,
        sha256=text_sha256(text),
        provider=PROVIDER,
        models=(model,) if model is not None else (),
        problems=tuple(reader.problems),
        dialects=(Dialect.GATEWAY_MODEL_PAGE,),
    )


# --- the page ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Example:
    """The JSON values of one code fence, the page line of each key, the comments."""

    fence: Fence
    values: list[JsonValue] = field(default_factory=list)
    # (value number, path...) -> page line of the key
    keys: dict[tuple[JsonScalar, ...], int] = field(default_factory=dict)
    comments: list[_Comment] = field(default_factory=list)

    def key_line(self, key: tuple[JsonScalar, ...]) -> int:
        return self.keys.get(key, self.fence.content_line)

    def hints_for(self, key: tuple[JsonScalar, ...]) -> list[str]:
        return [c.text for c in self.comments if c.key == key and c.text]


class _PageReader(MarkdownPage):
    """Reads one page; collects problems as it goes."""

    def read(self) -> SpecModel | None:
        title = next((b for b in self.blocks if isinstance(b, Heading) and b.level == 1), None)
        facts = _facts(self.blocks)
        request = self.example("request")
        request_body = _first_object(request)
        model_id = self.model_id(facts, request_body, title.line if title else 1)
        if model_id is None:
            return None
        response = self.example("response")
        result = _completed_result(response)
        return SpecModel(
            provider=PROVIDER,
            model_id=model_id,
            location=self.at(title.line if title else 1),
            title=title.text if title else "",
            description=_summary(self.blocks),
            category=facts.get("category"),
            inputs=self.inputs(request, request_body),
            outputs=self.outputs(response, result),
            price=self.price(),
            input_examples=(request_body,) if request_body is not None else (),
            output_examples=(result[1],) if result is not None else (),
            endpoint=self.endpoint(),
        )

    def model_id(
        self, facts: dict[str, str], body: dict[str, JsonValue] | None, line: int
    ) -> str | None:
        from_body = body.get("model") if body is not None else None
        slug = facts.get("slug") or facts.get("model")
        if isinstance(from_body, str) and from_body:
            if slug and slug != from_body:
                message = f"slug {slug!r} differs from the request example's model {from_body!r}"
                self.problem(Level.WARNING, line, message)
            return from_body
        if slug:
            return slug
        self.problem(Level.ERROR, line, 'no slug and no "model" in a request example')
        return None

    def endpoint(self) -> str | None:
        for block in walk(self.blocks):
            if isinstance(block, Paragraph) and (match := _POST.match(block.text)):
                return urlsplit(match.group("url")).path or None
        self.problem(Level.WARNING, 1, 'no "POST https://..." line: the endpoint is unknown')
        return None

    def example(self, kind: str) -> _Example | None:
        """The first JSON fence introduced by a heading or paragraph naming ``kind``."""
        intro = ""
        for block in self.blocks:
            if isinstance(block, Heading | Paragraph):
                intro = one_line(block.text).lower()
            elif _is_json(block) and (intro.startswith(kind) or f"{kind} body" in intro):
                return self.parse_example(block)
        return None

    def parse_example(self, fence: Fence) -> _Example:
        stripped, comments = _strip_comments(fence.content, fence.content_line)
        example = _Example(fence, comments=comments)
        for number, located in enumerate(
            read_json_values(stripped, fence.content_line, DOCUMENT_LIMITS)
        ):
            for anomaly in located.anomalies:
                at = anomaly.position
                if anomaly.code == "syntax":
                    message = anomaly.message.removeprefix("invalid JSON: ")
                    self.problem(Level.ERROR, at.line, f"code block is not JSON: {message}")
                else:
                    message = f"code block: {anomaly.message}; the last value is used"
                    self.problem(Level.WARNING, at.line, message)
            if not located.readable:
                break
            example.values.append(located.value)
            for path, at in located.keys.items():
                example.keys[(number, *path)] = at.line
        _attach_comments(example)
        return example

    def inputs(
        self, example: _Example | None, body: dict[str, JsonValue] | None
    ) -> tuple[SpecParam, ...] | None:
        if example is None or body is None:
            if example is None:
                self.problem(Level.WARNING, 1, "no Request body example: the inputs are unknown")
            return None
        params: list[SpecParam] = []
        for name, value in body.items():
            if name == "model":
                continue
            line = example.key_line((0, name))
            hints = example.hints_for((0, name))
            params.append(self.param(name, value, line, hints))
        return tuple(params)

    def outputs(
        self, example: _Example | None, result: tuple[int, dict[str, JsonValue]] | None
    ) -> tuple[SpecParam, ...] | None:
        if example is None or result is None:
            self.problem(Level.WARNING, 1, "no completed-job Response example: outputs unknown")
            return None
        number, fields = result
        return tuple(
            self.param(name, value, example.key_line((number, "result", name)), [])
            for name, value in fields.items()
        )

    def param(self, name: str, value: JsonValue, line: int, hints: list[str]) -> SpecParam:
        allowed: tuple[JsonScalar, ...] | None = None
        notes: list[str] = []
        for hint in hints:
            choices = _choices(hint)
            if choices is None:
                notes.append(hint)
            else:
                allowed = self.typed_choices(name, choices, value, line)
        return SpecParam(
            wire_name=name,
            type=_infer_type(value),
            required=False,
            location=self.at(line),
            description=" ".join(notes),
            allowed=allowed,
            examples=(value,),
        )

    def typed_choices(
        self, name: str, choices: list[str], example: JsonValue, line: int
    ) -> tuple[JsonScalar, ...] | None:
        if isinstance(example, bool) or not isinstance(example, int | float):
            return tuple(choices)
        numbers = [parse_number(c) for c in choices]
        if any(n is None for n in numbers):
            self.problem(Level.WARNING, line, f"{name}: choices {choices} are not all numbers")
            return None
        return tuple(numbers)

    def price(self) -> SpecPrice | None:
        for heading, body in sections(self.blocks):
            if heading.text.lower() != "pricing":
                continue
            for line, sentence in _price_sentences(body):
                found = parse_price(sentence)
                if found is not None:
                    return SpecPrice(
                        found.amount, found.currency, found.unit, found.per_sample, self.at(line)
                    )
            self.problem(Level.WARNING, heading.line, "Pricing section with no readable price")
        return None


# --- page facts --------------------------------------------------------------------------


def _facts(blocks: Sequence[Block]) -> dict[str, str]:
    """``slug · x · provider · y`` pairs, ``slug: x`` and ``**Slug:** x`` lines, by key."""
    facts: dict[str, str] = {}
    for block in walk(blocks):
        if not isinstance(block, Paragraph):
            continue
        for label in label_lines(block):
            if label.label in _FACT_KEYS:
                facts.setdefault(label.label, (label.codes or (label.text,))[0].strip())
        for line in block.text.splitlines():
            for key, value in _fact_pairs(line):
                facts.setdefault(key, value)
    return facts


def _fact_pairs(line: str) -> list[tuple[str, str]]:
    parts = [p.strip() for p in line.split("·")]
    if len(parts) >= 2:
        pairs = zip(parts[0::2], parts[1::2], strict=False)
        return [(k.lower(), v) for k, v in pairs if k.lower() in _FACT_KEYS and v]
    match = re.match(r"^\s*(?P<key>[A-Za-z]+)\s*:\s*(?P<value>\S+)\s*$", line)
    if match and match.group("key").lower() in _FACT_KEYS:
        return [(match.group("key").lower(), match.group("value"))]
    return []


def _summary(blocks: Sequence[Block]) -> str:
    for block in blocks:
        if isinstance(block, Heading) and block.level > 1:
            break
        if isinstance(block, Paragraph) and not any(
            _fact_pairs(line) for line in block.text.splitlines()
        ):
            return one_line(block.text)
    return ""


def _price_sentences(body: Sequence[Block]) -> list[tuple[int, str]]:
    """Candidate price sentences: table rows first ("$0.0013 per second"), then paragraphs."""
    found: list[tuple[int, str]] = []
    for block in walk(body):
        if isinstance(block, Table):
            for row in block.rows:
                cells = [c.text for c in row.cells]
                amounts = [c for c in cells if re.search(r"[$€£]\s*[\d.]", c)]
                others = [c for c in cells if c not in amounts]
                unit = " ".join(others)
                unit = unit if re.search(r"\bper\b", unit, re.I) else f"per {unit}"
                if amounts:
                    found.append((row.line, f"{amounts[0]} {unit}"))
    found.extend((b.line, one_line(b.text)) for b in walk(body) if isinstance(b, Paragraph))
    return found


# --- JSON examples -----------------------------------------------------------------------


def _first_object(example: _Example | None) -> dict[str, JsonValue] | None:
    if example is None or not example.values or not isinstance(example.values[0], dict):
        return None
    return example.values[0]


def _completed_result(example: _Example | None) -> tuple[int, dict[str, JsonValue]] | None:
    """(value number, result object) of the completed job, else of any value with a result."""
    if example is None:
        return None
    candidates = [
        (number, value)
        for number, value in enumerate(example.values)
        if isinstance(value, dict) and isinstance(value.get("result"), dict)
    ]
    candidates.sort(key=lambda item: item[1].get("status") != "completed")
    if not candidates:
        return None
    number, value = candidates[0]
    result = value["result"]
    return (number, result) if isinstance(result, dict) else None


def _infer_type(value: JsonValue) -> SpecType:
    if isinstance(value, bool):
        return SpecType(TypeKind.BOOLEAN)
    if isinstance(value, int | float):
        return SpecType(TypeKind.NUMBER)
    if isinstance(value, str):
        return SpecType(TypeKind.STRING)
    if isinstance(value, list):
        items = _infer_type(value[0]) if value else SpecType(TypeKind.ANY)
        return SpecType(TypeKind.ARRAY, items=items)
    if isinstance(value, dict):
        return SpecType(TypeKind.OBJECT)
    return SpecType(TypeKind.ANY, nullable=True)


_CHOICE = r"\s*(?:\"[^\"|]*\"|'[^'|]*'|[\w.+\-/:]+)\s*"
_CHOICES = re.compile(rf"{_CHOICE}(?:\|{_CHOICE})+")


def _choices(comment: str) -> list[str] | None:
    """``mp3 | wav`` -> ["mp3", "wav"]; None when the comment is not such a list."""
    if not _CHOICES.fullmatch(comment):
        return None
    return [part.strip().strip("\"'") for part in comment.split("|")]


# --- comments in JSON examples --------------------------------------------------------


@dataclass(slots=True)
class _Comment:
    line: int  # page line
    text: str
    trailing: bool  # code precedes it on its line
    value_number: int  # which top-level value of the fence it is in (or before)
    inside: bool  # within an object or array (not between values)
    key: tuple[JsonScalar, ...] | None = None  # the key it describes, once known


class _CommentStripper:
    """One pass over JSON-with-comments: blanks ``//`` and ``/* */`` comments outside strings
    and trailing commas (keeping every line and column, so the JSON reader's positions are
    the page's), and notes each comment with its line and top-level value."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.out: list[str] = []
        self.comments: list[_Comment] = []
        self.line = first_line
        self.value_number = 0
        self.depth = 0

    def run(self) -> str:
        i = 0
        while i < len(self.text):
            i = self.step(i)
        return "".join(self.out)

    def step(self, i: int) -> int:
        char = self.text[i]
        if char == '"':
            return self.string(i)
        if self.text.startswith("//", i):
            return self.line_comment(i)
        if self.text.startswith("/*", i):
            return self.block_comment(i)
        if char == "\n":
            self.line += 1
        elif char in "{[":
            self.depth += 1
        elif char in "}]" and self.depth:
            self.drop_trailing_comma()
            self.depth -= 1
            self.value_number += 0 if self.depth else 1
        self.out.append(char)
        return i + 1

    def drop_trailing_comma(self) -> None:
        for index in range(len(self.out) - 1, -1, -1):
            if self.out[index].strip():
                if self.out[index] == ",":
                    self.out[index] = " "
                return

    def string(self, i: int) -> int:
        end = i + 1
        while end < len(self.text) and self.text[end] not in '"\n':
            end += 2 if self.text[end] == "\\" else 1
        end = min(end + 1, len(self.text))
        self.out.append(self.text[i:end])
        return end

    def line_comment(self, i: int) -> int:
        end = self.text.find("\n", i)
        end = len(self.text) if end == -1 else end
        self.comment(self.text[i + 2 : end], i)
        self.out.append(" " * (end - i))
        return end

    def block_comment(self, i: int) -> int:
        close = self.text.find("*/", i + 2)
        end = len(self.text) if close == -1 else close + 2
        self.comment(self.text[i + 2 : close if close != -1 else end], i)
        self.out.append(re.sub(r"[^\n]", " ", self.text[i:end]))
        self.line += self.text[i:end].count("\n")
        return end

    def comment(self, body: str, i: int) -> None:
        start = self.text.rfind("\n", 0, i) + 1
        trailing = bool(self.text[start:i].strip())
        comment = _Comment(self.line, one_line(body), trailing, self.value_number, self.depth > 0)
        self.comments.append(comment)


def _strip_comments(text: str, first_line: int) -> tuple[str, list[_Comment]]:
    stripper = _CommentStripper(text, first_line)
    return stripper.run(), stripper.comments


def _attach_comments(example: _Example) -> None:
    """A trailing comment describes the outermost key on its line; a comment on a line of
    its own inside a value describes the next key of that value."""
    for comment in example.comments:
        if comment.trailing:
            on_line = [key for key, line in example.keys.items() if line == comment.line]
            comment.key = min(on_line, key=len) if on_line else None
        elif comment.inside:
            after = [
                (line, key)
                for key, line in example.keys.items()
                if key[0] == comment.value_number and line > comment.line
            ]
            comment.key = min(after, key=lambda item: item[0])[1] if after else None
