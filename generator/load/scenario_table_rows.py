"""Load stage: one row of a Scenario parameter table -> a SpecParam (types, bounds, defaults).

Cells are read by their canonical column (see ``scenario_table._columns``): the type word
(``string``, ``number``, ``file (audio)``, ``string_array`` ...), Min and Max (bounds for
numbers, lengths for strings, item counts for arrays), the default and allowed values typed
by the row's type, and whether the row is required. Read for :mod:`generator.load.scenario_table`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

from musicbind.generator.load.markdown_blocks import (
    Cell,
    Row,
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
    SpecProblem,
    SpecType,
    TypeKind,
)

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


class RowReader:
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
