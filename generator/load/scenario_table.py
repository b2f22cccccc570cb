"""Load stage: Scenario "Parameters Reference" markdown pages -> SpecDocument.

A page lists models; each model is a heading, a description paragraph, ``**Model ID:**``,
``**Capabilities:**`` and a parameter table (several tables are merged) in one of two layouts:

- Parameter / Type / Required / Default / Min / Max / Allowed Values / Description
- Input / Label / Type / Default / Min / Max / Allowed Values / Notes (older; it has no
  Required column: a parameter is required only when its Notes say so outright, i.e. they
  begin with "Required" as a clause of its own or hold "(required)"; "Required when ..."
  and everything else is optional)

Min and Max bound the value for numbers, the length for strings and the item count for
arrays. Empty cells are written "", "-", "–", "—" or a lone quote. A file's media is taken
from a "file (audio)" type or from a name word (video, audio, image). Scraped copies that
arrive as mojibake (UTF-8 read as cp874) are repaired first, with a warning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from musicbind.generator.load.records import (
    DocumentKind,
    JsonScalar,
    JsonValue,
    Level,
    Location,
    SpecDocument,
    SpecModel,
    SpecParam,
    SpecProblem,
    SpecType,
    TypeKind,
)
from musicbind.generator.load.text import (
    Block,
    Cell,
    Heading,
    LabelLine,
    Paragraph,
    Row,
    Table,
    label_lines,
    mojibake_warning,
    one_line,
    parse_bool,
    parse_number,
    read_blocks,
    repair_mojibake,
    text_sha256,
    walk,
)

PROVIDER = "scenario"


def looks_like(text: str) -> bool:
    """True for a markdown page with a ``**Model ID:**`` label and a parameter table."""
    if "Model ID" not in text or "|" not in text:
        return False
    blocks = list(walk(read_blocks(repair_mojibake(text)[0])))
    has_id = any(_has_model_id(b) for b in blocks)
    has_table = any(isinstance(b, Table) and _columns(b) is not None for b in blocks)
    return has_id and has_table


def load(text: str, path: str) -> SpecDocument:
    """Read every model of a Parameters Reference page; never raises on bad input."""
    problems: list[SpecProblem] = []
    repaired, repairs = repair_mojibake(text)
    if repairs:
        problems.append(mojibake_warning(text, path, repairs))
    sections, stray = _model_sections(read_blocks(repaired))
    for table in stray:
        message = "parameter table outside any model section (no **Model ID:**): ignored"
        problems.append(_problem(Level.WARNING, path, table.line, message))
    models: list[SpecModel] = []
    for section in sections:
        model = _read_model(section, path, problems)
        if model is None:
            continue
        if any(m.model_id == model.model_id for m in models):
            message = f"model {model.model_id!r} is described twice; the second is ignored"
            problems.append(SpecProblem(Level.ERROR, model.location, message))
            continue
        models.append(model)
    return SpecDocument(
        path=path,
        kind=DocumentKind.SCENARIO_TABLE,
        sha256=text_sha256(text),
        provider=PROVIDER,
        models=tuple(models),
        problems=tuple(problems),
    )


def _problem(level: Level, path: str, line: int, message: str) -> SpecProblem:
    return SpecProblem(level, Location(path, line=line), message)


# --- sections ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Section:
    heading: Heading | None
    blocks: list[Block] = field(default_factory=list)


def _has_model_id(block: Block) -> bool:
    return isinstance(block, Paragraph) and any(
        label.label == "model id" for label in label_lines(block)
    )


def _model_sections(blocks: Sequence[Block]) -> tuple[list[_Section], list[Table]]:
    """Group blocks into model sections; also return parameter tables outside any model.

    A model section starts at a heading whose own text holds a ``**Model ID:**`` label and
    takes in deeper headings until one of the same or a higher level, or another model.
    """
    models: list[_Section] = []
    stray: list[Table] = []
    current: _Section | None = None
    for segment in _segments(blocks):
        if any(_has_model_id(b) for b in walk(segment.blocks)):
            current = segment
            models.append(current)
        elif current is not None and _is_deeper(segment.heading, current.heading):
            current.blocks.extend([*_heading_list(segment.heading), *segment.blocks])
        else:
            current = None
            stray.extend(_parameter_tables(segment.blocks))
    return models, stray


def _segments(blocks: Sequence[Block]) -> list[_Section]:
    segments = [_Section(None)]
    for block in blocks:
        if isinstance(block, Heading):
            segments.append(_Section(block))
        else:
            segments[-1].blocks.append(block)
    return segments


def _is_deeper(heading: Heading | None, parent: Heading | None) -> bool:
    return heading is not None and parent is not None and heading.level > parent.level


def _heading_list(heading: Heading | None) -> list[Block]:
    return [heading] if heading is not None else []


def _parameter_tables(blocks: Sequence[Block]) -> list[Table]:
    return [b for b in walk(blocks) if isinstance(b, Table) and _columns(b) is not None]


# --- one model ---------------------------------------------------------------------------


def _read_model(section: _Section, path: str, problems: list[SpecProblem]) -> SpecModel | None:
    labels = _section_labels(section.blocks)
    id_label = labels["model id"]
    model_id = id_label.codes[0].strip() if id_label.codes else id_label.text
    if not model_id or any(char.isspace() for char in model_id):
        message = f"**Model ID:** must be one word, found {id_label.text!r}: model skipped"
        problems.append(_problem(Level.ERROR, path, id_label.line, message))
        return None
    line = section.heading.line if section.heading else id_label.line
    inputs = _read_inputs(section, model_id, line, path, problems)
    return SpecModel(
        provider=PROVIDER,
        model_id=model_id,
        location=Location(path, line=line),
        title=section.heading.text if section.heading else "",
        description=_description(section.blocks),
        capabilities=_capabilities(labels.get("capabilities")),
        inputs=inputs,
    )


def _section_labels(blocks: Sequence[Block]) -> dict[str, LabelLine]:
    labels: dict[str, LabelLine] = {}
    for block in walk(blocks):
        if isinstance(block, Paragraph):
            for label in label_lines(block):
                labels.setdefault(label.label, label)
    return labels


def _description(blocks: Sequence[Block]) -> str:
    """The section's plain paragraphs (not label lines) before its first table."""
    texts: list[str] = []
    for block in blocks:
        if isinstance(block, Table | Heading):
            break
        if isinstance(block, Paragraph):
            texts.append(_unlabelled_text(block))
    return "\n\n".join(t for t in texts if t)


def _unlabelled_text(paragraph: Paragraph) -> str:
    """A paragraph's text without its ``**Label:** value`` lines."""
    labelled = {label.line - paragraph.line for label in label_lines(paragraph)}
    lines = paragraph.text.split("\n")
    return one_line(" ".join(t for i, t in enumerate(lines) if i not in labelled))


def _capabilities(label: LabelLine | None) -> tuple[str, ...]:
    if label is None:
        return ()
    words = label.codes or tuple(label.text.split(","))
    return tuple(w.strip() for w in words if w.strip())


def _read_inputs(
    section: _Section, model_id: str, line: int, path: str, problems: list[SpecProblem]
) -> tuple[SpecParam, ...] | None:
    tables = [b for b in walk(section.blocks) if isinstance(b, Table)]
    usable = [t for t in tables if _columns(t) is not None]
    if not usable:
        where = tables[0].line if tables else line
        message = (
            f"model {model_id!r}: its table lacks a Parameter (or Input) or a Type column"
            if tables
            else f"model {model_id!r} has no parameter table: its inputs are unknown"
        )
        level = Level.ERROR if tables else Level.WARNING
        problems.append(_problem(level, path, where, message))
        return None
    params: list[SpecParam] = []
    for table in usable:
        for param in _read_table(table, path, problems):
            if any(p.wire_name == param.wire_name for p in params):
                message = f"parameter {param.wire_name!r} is listed twice; the second is ignored"
                where = param.location.line or line
                problems.append(_problem(Level.ERROR, path, where, message))
                continue
            params.append(param)
    return tuple(params)


# --- columns -----------------------------------------------------------------------------

_COLUMN_NAMES = {
    "parameter": "name",
    "input": "name",
    "name": "name",
    "param": "name",
    "label": "title",
    "type": "type",
    "required": "required",
    "default": "default",
    "default value": "default",
    "min": "min",
    "minimum": "min",
    "max": "max",
    "maximum": "max",
    "allowed values": "allowed",
    "allowed": "allowed",
    "options": "allowed",
    "values": "allowed",
    "description": "description",
    "notes": "description",
    "note": "description",
}


def _columns(table: Table) -> dict[str, int] | None:
    """Canonical column -> index; None unless the table has a name and a type column."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(table.header.cells):
        key = _COLUMN_NAMES.get(one_line(cell.text).strip("*: ").lower())
        if key is not None:
            columns.setdefault(key, index)
    return columns if "name" in columns and "type" in columns else None


def _read_table(table: Table, path: str, problems: list[SpecProblem]) -> list[SpecParam]:
    columns = _columns(table)
    if columns is None:
        return []
    params: list[SpecParam] = []
    for row in table.rows:
        reader = _RowReader(row, columns, path)
        param = reader.read()
        problems.extend(reader.problems)
        if param is not None:
            params.append(param)
    return params


# --- one row -----------------------------------------------------------------------------

_EMPTY = frozenset({"", "-", "–", "—", "−", "--", "‘", "’", "“", "”", "'", '"', "n/a"})
_MEDIA = ("video", "audio", "image")
_TYPE_WORD = re.compile(r"(?P<word>[a-z_]+)\s*(?:\(\s*(?P<media>[a-z]+)\s*\))?")
_SCALAR_TYPES = {
    "string": TypeKind.STRING,
    "model": TypeKind.STRING,
    "number": TypeKind.NUMBER,
    "integer": TypeKind.INTEGER,
    "boolean": TypeKind.BOOLEAN,
}
_ARRAY_TYPES = {
    "array": TypeKind.ANY,  # items of the kind of the row's allowed values, else any
    "string_array": TypeKind.STRING,
    "number_array": TypeKind.NUMBER,
    "inputs_array": TypeKind.OBJECT,
}
_REQUIRED_NOTE = re.compile(r"^\s*\(?required\)?\s*(?:[.;:,!]|$)|\(required\)", re.IGNORECASE)
_SEPARATORS = re.compile(r"(?:[\s,;|/]|\bor\b|\band\b)*", re.IGNORECASE)


def _is_empty(cell: Cell | None) -> bool:
    return cell is None or cell.text.strip().lower() in _EMPTY


class _RowReader:
    """Reads one table row into a SpecParam, collecting the row's problems."""

    def __init__(self, row: Row, columns: dict[str, int], path: str) -> None:
        self.row = row
        self.columns = columns
        self.location = Location(path, line=row.line)
        self.problems: list[SpecProblem] = []

    def cell(self, key: str) -> Cell | None:
        index = self.columns.get(key)
        if index is None or index >= len(self.row.cells):
            return None
        return self.row.cells[index]

    def text(self, key: str) -> str:
        cell = self.cell(key)
        return "" if cell is None or _is_empty(cell) else cell.text.strip()

    def problem(self, level: Level, message: str) -> None:
        self.problems.append(SpecProblem(level, self.location, message))

    def read(self) -> SpecParam | None:
        if all(_is_empty(cell) for cell in self.row.cells):
            return None
        name = self.name()
        if name is None:
            return None
        spec_type = self.type(name)
        if spec_type is None:
            return None
        description = self.text("description")
        allowed = self.allowed(name, spec_type)
        if spec_type.items is not None and spec_type.items.kind is TypeKind.ANY and allowed:
            # A bare ``array`` row: its items are of the kind of its allowed values.
            spec_type = replace(spec_type, items=SpecType(_kind_of(allowed)))
        has_default, default = self.default(name, spec_type)
        bounds = self.bounds(name, spec_type)
        if _counts_things(name, spec_type, default, bounds):
            spec_type = SpecType(TypeKind.INTEGER)
            default = int(default) if isinstance(default, float) else default
            bounds = _Bounds(minimum=_whole(bounds.minimum), maximum=_whole(bounds.maximum))
        if has_default and allowed is not None and not _allowed_holds(default, allowed):
            self.problem(Level.WARNING, f"{name}: default {default!r} is not an allowed value")
        return SpecParam(
            wire_name=name,
            type=spec_type,
            required=self.required(name, description),
            location=self.location,
            description=description,
            has_default=has_default,
            default=default,
            allowed=allowed,
            title=self.text("title") or None,
            minimum=bounds.minimum,
            maximum=bounds.maximum,
            min_length=bounds.min_length,
            max_length=bounds.max_length,
            min_items=bounds.min_items,
            max_items=bounds.max_items,
        )

    def name(self) -> str | None:
        cell = self.cell("name")
        name = "" if cell is None or _is_empty(cell) else _cell_value(cell)
        if not name or any(char.isspace() for char in name):
            shown = cell.text if cell is not None else ""
            self.problem(Level.ERROR, f"parameter name must be one word, found {shown!r}")
            return None
        return name

    def type(self, name: str) -> SpecType | None:
        word = self.text("type").lower()
        match = _TYPE_WORD.fullmatch(word)
        spec_type = (
            _spec_type(match.group("word"), match.group("media") or _media_of(name))
            if match
            else None
        )
        if spec_type is None:
            self.problem(Level.ERROR, f"{name}: unknown type {word!r}; parameter skipped")
        return spec_type

    def required(self, name: str, description: str) -> bool:
        if "required" not in self.columns:
            return bool(_REQUIRED_NOTE.search(description))
        word = self.text("required").lower()
        if word in ("required", "✓", "✔"):
            return True
        value = parse_bool(word) if word not in ("optional", "") else False
        if value is None:
            self.problem(Level.WARNING, f"{name}: Required is {word!r}; taken as not required")
        return bool(value)

    def default(self, name: str, spec_type: SpecType) -> tuple[bool, JsonValue]:
        cell = self.cell("default")
        if (
            cell is None
            or _is_empty(cell)
            or (
                spec_type.kind is not TypeKind.STRING
                and cell.text.strip().lower() in ("null", "none")
            )
        ):
            return False, None
        ok, value = _typed_value(cell, spec_type)
        if not ok:
            self.problem(
                Level.ERROR, f"{name}: default {cell.text!r} is not a {_type_word(spec_type)}"
            )
            return False, None
        return True, value

    def bounds(self, name: str, spec_type: SpecType) -> _Bounds:
        low, high = self.bound(name, "min"), self.bound(name, "max")
        if low is None and high is None:
            return _Bounds()
        if low is not None and high is not None and low > high:
            self.problem(Level.ERROR, f"{name}: Min {low} is greater than Max {high}")
            return _Bounds()
        if spec_type.kind in (TypeKind.NUMBER, TypeKind.INTEGER):
            return _Bounds(minimum=low, maximum=high)
        if spec_type.kind not in (TypeKind.STRING, TypeKind.ARRAY):
            self.problem(Level.WARNING, f"{name}: Min/Max mean nothing for a {spec_type.kind}")
            return _Bounds()
        if not all(b is None or (isinstance(b, int) and b >= 0) for b in (low, high)):
            self.problem(Level.ERROR, f"{name}: Min/Max of a {spec_type.kind} must be counts")
            return _Bounds()
        counts = (_count(low), _count(high))
        if spec_type.kind is TypeKind.STRING:
            return _Bounds(min_length=counts[0], max_length=counts[1])
        return _Bounds(min_items=counts[0], max_items=counts[1])

    def bound(self, name: str, key: str) -> int | float | None:
        text = self.text(key)
        if not text:
            return None
        value = parse_number(text)
        if value is None:
            self.problem(Level.ERROR, f"{name}: {key.capitalize()} {text!r} is not a number")
        return value

    def allowed(self, name: str, spec_type: SpecType) -> tuple[JsonScalar, ...] | None:
        cell = self.cell("allowed")
        if cell is None or _is_empty(cell):
            return None
        kind = spec_type.items.kind if spec_type.items is not None else spec_type.kind
        # The page renders an empty choice as a lone quote or dash: not a value to send.
        items = [item for item in _list_items(cell) if item.lower() not in _EMPTY]
        if kind is TypeKind.ANY:
            numeric = all(parse_number(item) is not None for item in items)
            kind = TypeKind.NUMBER if numeric else TypeKind.STRING
        values: list[JsonScalar] = []
        for item in items:
            ok, value = _scalar(item, kind)
            if not ok:
                self.problem(Level.ERROR, f"{name}: allowed value {item!r} is not a {kind}")
                return None
            values.append(value)
        return tuple(values) or None


@dataclass(frozen=True, slots=True)
class _Bounds:
    """Min and Max as the type reads them: value bounds, string lengths or item counts."""

    minimum: int | float | None = None
    maximum: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_items: int | None = None
    max_items: int | None = None


# The words of a parameter name that say it counts things (``numSamples``, ``num_steps``,
# ``sampleCount``); see "Integral Scenario numbers" in docs/design.md.
_COUNT_FIRST = frozenset({"num", "number", "count", "n"})
_COUNT_LAST = frozenset({"count", "samples", "steps", "outputs", "images", "variations"})


def _counts_things(name: str, spec_type: SpecType, default: JsonValue, bounds: _Bounds) -> bool:
    """Whether a ``number`` row is a count: a counting name, and integral min, max and default.

    Scenario's tables only know "number"; a count bound as a float would accept 2.5 and send
    2 as 2.0. At least one of min, max and default must be stated, and each stated is whole.
    """
    if spec_type.kind is not TypeKind.NUMBER:
        return False
    words = re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower())
    if not words or (words[0] not in _COUNT_FIRST and words[-1] not in _COUNT_LAST):
        return False
    stated = [v for v in (default, bounds.minimum, bounds.maximum) if v is not None]
    return bool(stated) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer()
        for v in stated
    )


def _whole(value: int | float | None) -> int | None:
    return None if value is None else int(value)


def _kind_of(values: tuple[JsonScalar, ...]) -> TypeKind:
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    return TypeKind.NUMBER if numeric else TypeKind.STRING


def _count(value: int | float | None) -> int | None:
    return value if isinstance(value, int) else None


def _spec_type(word: str, media: str | None) -> SpecType | None:
    if word in _SCALAR_TYPES:
        return SpecType(_SCALAR_TYPES[word])
    if word == "file":
        return SpecType(TypeKind.FILE, media=media)
    if word == "file_array":
        return SpecType(TypeKind.ARRAY, items=SpecType(TypeKind.FILE, media=media))
    if word in _ARRAY_TYPES:
        return SpecType(TypeKind.ARRAY, items=SpecType(_ARRAY_TYPES[word]))
    return None


def _media_of(name: str) -> str | None:
    words = re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower())
    return next((m for m in _MEDIA if m in words), None)


def _type_word(spec_type: SpecType) -> str:
    if spec_type.items is not None:
        return f"list of {spec_type.items.kind}"
    return str(spec_type.kind)


def _cell_value(cell: Cell) -> str:
    """A cell that is one code span gives that span verbatim; otherwise its plain text."""
    if len(cell.codes) == 1 and cell.codes[0].strip() == cell.text.strip():
        return cell.codes[0].strip()
    return cell.text.strip()


def _list_items(cell: Cell) -> list[str]:
    """A comma list; a cell made only of code spans lists one value per span."""
    rest = cell.text
    for code in cell.codes:
        rest = rest.replace(code, "", 1)
    if cell.codes and _SEPARATORS.fullmatch(rest):
        return [c.strip() for c in cell.codes if c.strip()]
    return [item.strip() for item in cell.text.split(",") if item.strip()]


def _typed_value(cell: Cell, spec_type: SpecType) -> tuple[bool, JsonValue]:
    if spec_type.kind is not TypeKind.ARRAY:
        return _scalar(_cell_value(cell), spec_type.kind)
    item_kind = spec_type.items.kind if spec_type.items is not None else TypeKind.ANY
    text = _cell_value(cell)
    if text.startswith("["):
        try:
            value = json.loads(text)
        except ValueError:
            return False, None
        return isinstance(value, list), value
    items = _list_items(cell) if len(cell.codes) > 1 else text.split(",")
    values: list[JsonValue] = []
    for item in (i.strip() for i in items if i.strip()):
        ok, value = _scalar(item, item_kind)
        if not ok:
            return False, None
        values.append(value)
    return True, values


def _scalar(text: str, kind: TypeKind) -> tuple[bool, JsonScalar]:
    """Parse one value by the column's type; (False, None) when it is not of that type."""
    if kind in (TypeKind.NUMBER, TypeKind.INTEGER):
        number = parse_number(text)
        ok = number is not None and (kind is TypeKind.NUMBER or isinstance(number, int))
        return ok, number
    if kind is TypeKind.BOOLEAN:
        flag = parse_bool(text) if text.lower() in ("true", "false", "yes", "no") else None
        return flag is not None, flag
    if kind in (TypeKind.STRING, TypeKind.FILE):
        return True, _unquote(text)
    if kind is TypeKind.ANY:
        number = parse_number(text)
        return True, number if number is not None else _unquote(text)
    return False, None


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            value = json.loads(text)
        except ValueError:
            return text
        return value if isinstance(value, str) else text
    return text


def _allowed_holds(default: JsonValue, allowed: tuple[JsonScalar, ...]) -> bool:
    values = default if isinstance(default, list) else [default]
    return all(v in allowed for v in values)
