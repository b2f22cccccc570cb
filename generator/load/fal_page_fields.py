"""Load stage: the schema bullets of a fal model page -> SpecParam and SpecShape records.

A bullet ``- **`name`** (`type`, _required_): description`` with sub-bullets ``Default:``,
``Range: a to b``, ``Options:``, ``Examples:``, ``Array of X`` is one field; a type names a
scalar, a list, a union or a shape, defined under a heading of its name on the page or one
of fal's file shapes (:data:`FILE_SHAPES`). Read for :mod:`generator.load.fal_page`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from musicbind.generator.load.markdown_blocks import (
    Block,
    BulletList,
    ListItem,
    MarkdownPage,
    Paragraph,
    code_spans,
    one_line,
    plain_text,
    sections,
    unescape_markdown,
)
from musicbind.generator.load.number_text import (
    parse_bool,
    parse_number,
)
from musicbind.generator.load.records import (
    JsonScalar,
    JsonValue,
    Level,
    Location,
    SpecParam,
    SpecShape,
    SpecType,
    TypeKind,
)

FILE_SHAPES = frozenset({"Audio", "AudioFile", "File", "Image", "ImageFile", "Video", "VideoFile"})


# --- schema bullets ----------------------------------------------------------------------

_HEAD = re.compile(
    r"^\s*\*\*\s*`?(?P<name>[^`*]+?)`?\s*\*\*\s*"
    r"\((?P<inner>(?:`[^`]*`|[^()`])*)\)\s*:?\s*(?P<rest>.*)$"
)
_INNER = re.compile(
    r"^\s*(?:`(?P<code>[^`]+)`|(?P<bare>[^,]+?))\s*(?:,\s*_*(?P<req>required|optional)_*)?\s*$",
    re.IGNORECASE,
)
_SUB = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z ]*?)\s*:\s*(?P<value>.*)$", re.DOTALL)
_ARRAY_OF = re.compile(r"^\s*array of\s+`?(?P<item>[^`\s]+)`?", re.IGNORECASE)
_PROSE_DEFAULT = re.compile(r"default value:?\s*`(?P<value>[^`]*)`", re.IGNORECASE)
_SHAPE_HEADING = re.compile(r"^`?(?P<name>[A-Z][A-Za-z0-9_]*)`?(?:\s+(?:type|object|schema))?$")
_NULL_WORDS = frozenset({"null", "none"})


@dataclass(slots=True)
class _Facts:
    """What a bullet's sub-bullets (and its prose) state, as text still to be typed."""

    default: str | None = None
    low: int | float | None = None
    high: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    options: list[str] | None = None
    examples: list[JsonValue] = field(default_factory=list)
    array_of: str | None = None


class ShapeBook:
    """Reads schema bullets and the named shapes they use (page-defined or fal's file shape)."""

    def __init__(self, page: MarkdownPage) -> None:
        self.page = page
        self.defined = {
            match.group("name"): body
            for heading, body in sections(page.blocks)
            if (match := _SHAPE_HEADING.match(heading.text)) and _has_schema_bullets(body)
        }
        self.shapes: dict[str, SpecShape | None] = {}
        self.loose = False  # reading the output section: unknown types are any value

    def used(self) -> tuple[SpecShape, ...]:
        return tuple(shape for shape in self.shapes.values() if shape is not None)

    def read_fields(self, body: Sequence[Block]) -> tuple[SpecParam, ...]:
        params: list[SpecParam] = []
        for block in body:
            if not isinstance(block, BulletList):
                continue
            for item in block.items:
                param = self.read_field(item)
                if param is None:
                    continue
                if any(p.wire_name == param.wire_name for p in params):
                    message = f"{param.wire_name!r} is listed twice; the second is ignored"
                    self.page.problem(Level.ERROR, item.line, message)
                    continue
                params.append(param)
        return tuple(params)

    def read_field(self, item: ListItem) -> SpecParam | None:
        paragraphs = item.paragraphs
        if not paragraphs:
            return None
        first, *more = paragraphs
        head_line, _, body = first.raw.partition("\n")
        head = _HEAD.match(head_line)
        inner = _INNER.match(head.group("inner")) if head else None
        if head is None or inner is None:
            level = Level.ERROR if head_line.lstrip().startswith("**") else Level.WARNING
            self.page.problem(
                level, item.line, f"not a schema bullet: {one_line(first.text)[:60]!r}"
            )
            return None
        name = unescape_markdown(head.group("name").strip())
        type_text = unescape_markdown((inner.group("code") or inner.group("bare")).strip())
        required = self.required(inner.group("req"), name, item.line)
        raw_description = " ".join(p for p in (head.group("rest"), body) if p)
        description = "\n\n".join(
            t
            for t in (one_line(plain_text(raw_description)), *(one_line(p.text) for p in more))
            if t
        )
        facts = self.facts(item, raw_description)
        spec_type = self.field_type(name, type_text, facts, item.line)
        if spec_type is None:
            return None
        return self.build(name, spec_type, required, description, facts, item.line)

    def required(self, word: str | None, name: str, line: int) -> bool:
        if word is None:
            self.page.problem(
                Level.WARNING, line, f"{name}: neither required nor optional; optional"
            )
        return (word or "").lower() == "required"

    def facts(self, item: ListItem, prose: str) -> _Facts:
        facts = _Facts()
        for child in item.children:
            if child.paragraphs:
                _read_fact(child.paragraphs[0], facts)
        if facts.default is None and (match := _PROSE_DEFAULT.search(prose)):
            facts.default = match.group("value")
        return facts

    def field_type(self, name: str, text: str, facts: _Facts, line: int) -> SpecType | None:
        spec_type = _parse_type(text)
        if spec_type is None and self.loose:
            message = (
                f"{name}: unknown type {text!r} in the output section; "
                "the output field takes any JSON value"
            )
            self.page.problem(Level.WARNING, line, message)
            return SpecType(TypeKind.ANY)
        if spec_type is None:
            self.page.problem(Level.ERROR, line, f"{name}: unknown type {text!r}; field skipped")
            return None
        if facts.array_of and spec_type.kind is not TypeKind.ARRAY:
            spec_type = SpecType(TypeKind.ARRAY, items=_parse_type(facts.array_of) or spec_type)
        return self.resolve(spec_type, name, facts, line)

    def resolve(self, spec_type: SpecType, name: str, facts: _Facts, line: int) -> SpecType:
        """Settle named types: a shape (defined or fal's file shape), an enum, or free-form."""
        if spec_type.items is not None:
            return replace(spec_type, items=self.resolve(spec_type.items, name, facts, line))
        if spec_type.variants:
            variants = tuple(self.resolve(v, name, facts, line) for v in spec_type.variants)
            return replace(spec_type, variants=variants)
        if spec_type.kind is not TypeKind.OBJECT or spec_type.ref is None:
            return spec_type
        ref = spec_type.ref
        if _is_url_name(name) and (ref in FILE_SHAPES or ref not in self.defined):
            # ``video_url`` (`Video`): fal names the file's kind, but takes the file's URL.
            return SpecType(TypeKind.FILE, media=_media_word(ref), nullable=spec_type.nullable)
        if ref in self.defined and self.shape(ref, line) is not None:
            return spec_type  # a shape the page defines, even beside options (`Size | Enum`)
        if facts.options is not None or (ref.endswith("Enum") and ref not in self.defined):
            kind = _enum_kind(facts.options or [])
            return SpecType(kind, nullable=spec_type.nullable)
        if self.shape(ref, line) is not None:
            return spec_type
        message = f"{name}: type {ref!r} is not defined on the page; read as a free-form object"
        self.page.problem(Level.WARNING, line, message)
        return SpecType(TypeKind.OBJECT, nullable=spec_type.nullable)

    def shape(self, ref: str, line: int) -> SpecShape | None:
        if ref in self.shapes:
            return self.shapes[ref]
        self.shapes[ref] = None  # guards against a shape that refers to itself
        if ref in self.defined:
            fields = self.read_fields(self.defined[ref])
            self.shapes[ref] = SpecShape(ref, fields, self.page.at(line))
        elif ref in FILE_SHAPES:
            self.shapes[ref] = _file_shape(ref, self.page.at(line))
        else:
            del self.shapes[ref]
            return None
        return self.shapes[ref]

    def build(
        self,
        name: str,
        spec_type: SpecType,
        required: bool,
        description: str,
        facts: _Facts,
        line: int,
    ) -> SpecParam:
        allowed = self.allowed(name, spec_type, facts.options, line)
        has_default, default = self.default(name, spec_type, facts.default, line)
        low, high = self.bounds(name, spec_type, facts, line)
        return SpecParam(
            wire_name=name,
            type=spec_type,
            required=required,
            location=self.page.at(line),
            description=description,
            has_default=has_default,
            default=default,
            allowed=allowed,
            minimum=low,
            maximum=high,
            min_length=facts.min_length,
            max_length=facts.max_length,
            examples=tuple(facts.examples),
        )

    def allowed(
        self, name: str, spec_type: SpecType, options: list[str] | None, line: int
    ) -> tuple[JsonScalar, ...] | None:
        if options is None:
            return None
        kind = _scalar_kind(spec_type)
        values: list[JsonScalar] = []
        for option in options:
            ok, value = _typed(option, kind)
            if not ok or isinstance(value, list | dict):
                self.page.problem(Level.ERROR, line, f"{name}: option {option!r} is not a {kind}")
                return None
            values.append(value)
        return tuple(values) or None

    def default(
        self, name: str, spec_type: SpecType, text: str | None, line: int
    ) -> tuple[bool, JsonValue]:
        if text is None or text.strip().lower() in _NULL_WORDS:
            return False, None
        kind = _scalar_kind(spec_type) if spec_type.kind is not TypeKind.ARRAY else TypeKind.ARRAY
        structured = _json_or_text(text.strip())
        if spec_type.kind is TypeKind.UNION and isinstance(structured, dict | list):
            # ``Size | Enum`` whose default is the object: a value of the object variant.
            wanted = TypeKind.OBJECT if isinstance(structured, dict) else TypeKind.ARRAY
            if any(v.kind is wanted for v in spec_type.variants):
                return True, structured
        ok, value = _typed(text, kind)
        if not ok:
            self.page.problem(Level.ERROR, line, f"{name}: default {text!r} is not a {kind}")
            return False, None
        return True, value

    def bounds(
        self, name: str, spec_type: SpecType, facts: _Facts, line: int
    ) -> tuple[int | float | None, int | float | None]:
        low, high = facts.low, facts.high
        if low is None and high is None:
            return None, None
        if low is not None and high is not None and low > high:
            self.page.problem(Level.ERROR, line, f"{name}: range {low} to {high} is empty")
            return None, None
        if _scalar_kind(spec_type) not in (TypeKind.INTEGER, TypeKind.NUMBER):
            self.page.problem(Level.WARNING, line, f"{name}: a range means nothing for its type")
            return None, None
        return low, high


def _has_schema_bullets(body: Sequence[Block]) -> bool:
    return any(
        isinstance(b, BulletList)
        and any(
            i.paragraphs and _HEAD.match(i.paragraphs[0].raw.partition("\n")[0]) for i in b.items
        )
        for b in body
    )


def _is_url_name(name: str) -> bool:
    return name.endswith(("_url", "_urls"))


def _media_word(ref: str) -> str | None:
    """``Video``/``VideoFile`` -> "video"; None for a type that names no medium (``File``)."""
    word = ref.removesuffix("File").lower()
    return word if word in ("audio", "video", "image") else None


def _file_shape(name: str, location: Location) -> SpecShape:
    def fieldof(wire: str, kind: TypeKind, required: bool, text: str) -> SpecParam:
        return SpecParam(wire, SpecType(kind, nullable=not required), required, location, text)

    fields = (
        fieldof("url", TypeKind.STRING, True, "Where the file can be downloaded."),
        fieldof("content_type", TypeKind.STRING, False, "The file's MIME type."),
        fieldof("file_name", TypeKind.STRING, False, "The file's name."),
        fieldof("file_size", TypeKind.INTEGER, False, "The file's size in bytes."),
    )
    return SpecShape(name, fields, location, "A fal file (the page does not define it).")


# --- sub-bullets and values --------------------------------------------------------------


def _read_fact(paragraph: Paragraph, facts: _Facts) -> None:
    text = one_line(paragraph.text)
    if match := _ARRAY_OF.match(text):
        facts.array_of = match.group("item")
        return
    sub = _SUB.match(text)
    if sub is None:
        return
    key, value = sub.group("key").lower(), sub.group("value").strip()
    codes = code_spans(paragraph.children)
    if key == "default":
        facts.default = codes[0] if codes else value
    elif key == "range":
        facts.low, facts.high = _range(codes or tuple(re.split(r"\s+to\s+", value)))
    elif key in ("min", "minimum"):
        facts.low = parse_number(codes[0] if codes else value)
    elif key in ("max", "maximum"):
        facts.high = parse_number(codes[0] if codes else value)
    elif key in ("options", "allowed values", "enum"):
        facts.options = _options(value, codes)
    elif key in ("examples", "example"):
        facts.examples.extend(_examples(paragraph.raw))
    elif key in ("max length", "maximum length", "min length", "minimum length"):
        _read_length(key, codes[0] if codes else value, facts)


def _range(parts: Sequence[str]) -> tuple[int | float | None, int | float | None]:
    numbers = [parse_number(p) for p in parts]
    if len(numbers) != 2:
        return None, None
    return numbers[0], numbers[1]


def _read_length(key: str, text: str, facts: _Facts) -> None:
    number = parse_number(text)
    if isinstance(number, int):
        if key.startswith("max"):
            facts.max_length = number
        else:
            facts.min_length = number


def _options(value: str, codes: Sequence[str]) -> list[str]:
    rest = value
    for code in codes:
        rest = rest.replace(code, "", 1)
    if codes and not rest.strip(" ,|/"):
        return [c for c in codes]
    return [item.strip() for item in value.split(",") if item.strip()]


def _examples(raw: str) -> list[JsonValue]:
    """``Examples: "a", "b"`` -> ["a", "b"]; one JSON value; else the text itself."""
    value = re.sub(r"^\s*examples?\s*:\s*", "", raw, flags=re.IGNORECASE).strip()
    try:
        listed = json.loads(f"[{value}]")  # a comma list of JSON values, or just one
    except ValueError:
        return [plain_text(value)] if value else []
    return list(listed) if isinstance(listed, list) else []


_SCALARS = {
    "string": TypeKind.STRING,
    "str": TypeKind.STRING,
    "integer": TypeKind.INTEGER,
    "int": TypeKind.INTEGER,
    "float": TypeKind.NUMBER,
    "number": TypeKind.NUMBER,
    "boolean": TypeKind.BOOLEAN,
    "bool": TypeKind.BOOLEAN,
    "any": TypeKind.ANY,
}
_LIST = re.compile(r"(?:list|array)\s*[<\[](?P<item>.*)[>\]]", re.IGNORECASE)
_OPTIONAL = re.compile(r"optional\s*[<\[](?P<item>.*)[>\]]", re.IGNORECASE)
_MAPPING = re.compile(r"(?:dict|object|map|mapping|record)(?:\s*[<\[].*[>\]])?", re.IGNORECASE)
_NAMED = re.compile(r"[A-Z][A-Za-z0-9_]*")


def _parse_type(text: str) -> SpecType | None:
    """A fal type expression: scalars, ``list<X>``, ``dict<..>``, named types, ``A | B``."""
    parts = _split_union(text.strip())
    if len(parts) > 1:
        return _union(parts)
    word = parts[0]
    if word.lower() in _SCALARS:
        return SpecType(_SCALARS[word.lower()])
    if match := _LIST.fullmatch(word):
        item = _parse_type(match.group("item"))
        return SpecType(TypeKind.ARRAY, items=item) if item is not None else None
    if match := _OPTIONAL.fullmatch(word):
        inner = _parse_type(match.group("item"))
        return replace(inner, nullable=True) if inner is not None else None
    if _MAPPING.fullmatch(word):
        return SpecType(TypeKind.OBJECT)
    if _NAMED.fullmatch(word):
        return SpecType(TypeKind.OBJECT, ref=word)
    return None


def _split_union(text: str) -> list[str]:
    parts: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        depth += (char in "<[") - (char in ">]")
        if char == "|" and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return parts


def _union(parts: list[str]) -> SpecType | None:
    nullable = any(p.lower() in _NULL_WORDS for p in parts)
    variants = [_parse_type(p) for p in parts if p.lower() not in _NULL_WORDS]
    if not variants or any(v is None for v in variants):
        return None
    known = [v for v in variants if v is not None]
    if len(known) == 1:
        return replace(known[0], nullable=nullable)
    return SpecType(TypeKind.UNION, variants=tuple(known), nullable=nullable)


def _enum_kind(options: Sequence[str]) -> TypeKind:
    values = [_json_or_text(o) for o in options]
    if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return TypeKind.INTEGER
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return TypeKind.NUMBER
    return TypeKind.STRING


def _scalar_kind(spec_type: SpecType) -> TypeKind:
    while spec_type.items is not None:
        spec_type = spec_type.items
    return spec_type.kind


def _json_or_text(text: str) -> JsonValue:
    try:
        value: JsonValue = json.loads(text)
    except ValueError:
        return text
    return value


def _typed(text: str, kind: TypeKind) -> tuple[bool, JsonValue]:
    """A value of the given kind from a cell of text; (False, None) when it is not one."""
    text = text.strip()
    if kind in (TypeKind.INTEGER, TypeKind.NUMBER):
        number = parse_number(text)
        return number is not None and (kind is TypeKind.NUMBER or isinstance(number, int)), number
    if kind is TypeKind.BOOLEAN:
        flag = parse_bool(text) if text.lower() in ("true", "false") else None
        return flag is not None, flag
    value = _json_or_text(text)
    if kind is TypeKind.STRING:
        return True, value if isinstance(value, str) else text
    if kind in (TypeKind.ARRAY, TypeKind.OBJECT):
        expected = list if kind is TypeKind.ARRAY else dict
        return isinstance(value, expected), value if isinstance(value, expected) else None
    return True, value
