"""Emulator: a result object an output model accepts, synthesized from its JSON Schema.

A provider the emulator knows only from its bindings has no hand-written answer: its
result is built here from ``output_model.model_json_schema(mode="validation")``. Every
property is filled (required and optional), enums and consts take their first value,
numbers and strings honour their bounds, and ``$ref``/``anyOf``/``oneOf``/``allOf``,
arrays and nested objects are followed. A field that names a file - ``url``, ``*_url``,
``format: uri``, or an object with a ``url`` property - points at an audio file the
emulator serves (:class:`ResultFile`), so a client can download what it was given.

The value is deterministic: the same model and files give the same object.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

MAX_DEPTH = 6  # past this nesting depth, optional and nullable parts are left out
_TEXT = "emulated"
_FORMATS: Mapping[str, str] = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00",
    "duration": "PT10S",
    "email": "emulator@example.com",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "hostname": "localhost",
}
_CONTENT_TYPE_NAMES = frozenset({"content_type", "contenttype", "mime_type", "mimetype"})
_FILE_NAME_NAMES = frozenset({"file_name", "filename"})
_SIZE_NAMES = frozenset({"file_size", "filesize", "size"})
_SECONDS_NAMES = frozenset({"duration", "seconds", "duration_seconds", "length"})


@dataclass(frozen=True, slots=True)
class ResultFile:
    """An audio file the emulator serves, as a synthesized result describes it."""

    url: str
    content_type: str = "audio/wav"
    name: str = "music.wav"
    size: int = 0
    seconds: float = 10.0


FileSource = Callable[[], ResultFile]  # the next file to point a URL field at


def synthesize_output(model: type[BaseModel] | None, files: FileSource) -> dict[str, Any]:
    """A JSON object ``model`` accepts (``{}`` without a model or a usable schema)."""
    if model is None:
        return {}
    try:
        schema = model.model_json_schema(mode="validation")
    except Exception:  # a type pydantic cannot describe: answer an empty object
        return {}
    value = synthesize(schema, files)
    return value if isinstance(value, dict) else {}


def synthesize(schema: Mapping[str, Any], files: FileSource) -> Any:
    """A JSON value valid against ``schema`` (its ``$defs`` resolve local ``$ref``)."""
    return _Synthesizer(schema, files).value(schema, "", 0, 0)


class _Synthesizer:
    def __init__(self, root: Mapping[str, Any], files: FileSource) -> None:
        self.root = root
        self.files = files
        self.active: list[str] = []  # the $refs being expanded (a recursive model's cycle)

    def resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while "$ref" in schema and seen < 32:
            ref = str(schema["$ref"])
            target: Any = self.root
            for part in ref.removeprefix("#/").split("/") if ref.startswith("#/") else []:
                target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **rest} if isinstance(target, Mapping) else rest
            seen += 1
        return schema

    def value(self, schema: Mapping[str, Any], name: str, depth: int, variant: int) -> Any:
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            return self._value(self.resolve(schema), name, depth, variant)
        self.active.append(ref)
        try:
            return self._value(self.resolve(schema), name, depth, variant)
        finally:
            self.active.pop()

    def recursive(self, schema: Mapping[str, Any]) -> bool:
        """True when ``schema`` enters a ``$ref`` already being expanded."""
        if schema.get("$ref") in self.active:
            return True
        parts = [*(schema.get("anyOf") or ()), *(schema.get("oneOf") or ())]
        parts.append(schema.get("items"))
        return any(isinstance(p, Mapping) and self.recursive(p) for p in parts)

    def _value(self, schema: Mapping[str, Any], name: str, depth: int, variant: int) -> Any:
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            choices = schema["enum"]
            return choices[variant % len(choices)]
        if "allOf" in schema:
            return self.value(self._merged(schema), name, depth, variant)
        for key in ("anyOf", "oneOf"):
            alternatives = schema.get(key)
            if isinstance(alternatives, list) and alternatives:
                return self.value(self._choose(alternatives, name, depth), name, depth, variant)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or ["null"]
            kind = kinds[0]
        if kind is None:
            kind = _implied_type(schema)
        if kind == "object":
            return self.object(schema, name, depth)
        if kind == "array":
            return self.array(schema, name, depth)
        if kind == "string":
            return self.string(schema, name, variant)
        if kind == "integer":
            return int(_number(schema, integer=True, name=name, variant=variant))
        if kind == "number":
            return float(_number(schema, integer=False, name=name, variant=variant))
        if kind == "boolean":
            return variant % 2 == 0
        if kind == "null":
            return None
        return schema.get("default")

    def _merged(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = self.resolve(part) if isinstance(part, Mapping) else {}
            for key, item in part.items():
                if key == "properties":
                    merged["properties"] = {**merged.get("properties", {}), **item}
                elif key == "required":
                    merged["required"] = [*merged.get("required", []), *item]
                else:
                    merged.setdefault(key, item)
        return merged

    def _choose(self, alternatives: list[Any], name: str, depth: int) -> Mapping[str, Any]:
        """The alternative to build: not null when it can be; a file's when it names one."""
        pairs = [(a, self.resolve(a)) for a in alternatives if isinstance(a, Mapping)]
        non_null = [(a, r) for a, r in pairs if r.get("type") != "null"]
        if not non_null:
            return {"type": "null"}
        nullable = len(non_null) < len(pairs)
        if nullable and (depth >= MAX_DEPTH or any(self.recursive(a) for a, _ in pairs)):
            return {"type": "null"}
        if _names_file(name):  # a URL string or a file object: the file object says more
            for original, resolved in non_null:
                if _is_file_object(resolved) or resolved.get("type") == "string":
                    return original
        return non_null[0][0]

    def object(self, schema: Mapping[str, Any], name: str, depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        required = set(schema.get("required") or ())
        result: dict[str, Any] = {}
        file = self.files() if _is_file_object(schema) else None
        if isinstance(properties, Mapping):
            for key, sub in properties.items():
                if not isinstance(sub, Mapping):
                    continue
                if key not in required and (depth >= MAX_DEPTH or self.recursive(sub)):
                    continue
                described = _file_field(key, self.resolve(sub), file)
                if described is not _MISSING:
                    result[key] = described
                    continue
                result[key] = self.value(sub, key, depth + 1, 0)
        minimum = int(schema.get("minProperties") or 0)
        extra = schema.get("additionalProperties")
        if len(result) < minimum and extra is not False:
            sub = extra if isinstance(extra, Mapping) else {}
            for index in range(minimum - len(result)):
                result[f"{_TEXT}_{index}"] = self.value(sub, "", depth + 1, index)
        return result

    def array(self, schema: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list):
            return [self.value(item, name, depth + 1, 0) for item in prefix]
        low = int(schema.get("minItems") or 0)
        high = schema.get("maxItems")
        items = schema.get("items")
        item_schema = items if isinstance(items, Mapping) else {}
        count = max(low, 1 if depth < MAX_DEPTH and not self.recursive(item_schema) else 0)
        if isinstance(high, int):
            count = min(count, high)
        unique = bool(schema.get("uniqueItems"))
        return [self.value(item_schema, name, depth + 1, i if unique else 0) for i in range(count)]

    def string(self, schema: Mapping[str, Any], name: str, variant: int) -> str:
        fmt = schema.get("format")
        if fmt in ("uri", "url", "iri", "uri-reference") or _names_file(name):
            text = self.files().url
        elif isinstance(fmt, str) and fmt in _FORMATS:
            text = _FORMATS[fmt]
        elif _normalized(name) in _CONTENT_TYPE_NAMES:
            text = "audio/wav"
        else:
            text = _TEXT if variant == 0 else f"{_TEXT}-{variant}"
        return _fit_string(schema, text)


_MISSING: Any = object()


def _file_field(key: str, schema: Mapping[str, Any], file: ResultFile | None) -> Any:
    """The value of a file object's descriptive property (type, name, size, length)."""
    if file is None or "enum" in schema or "const" in schema:
        return _MISSING
    normalized = _normalized(key)
    kinds = _types(schema)
    if normalized in ("url", "uri", "href") and "string" in kinds:
        return _fit_string(schema, file.url)
    if normalized in _CONTENT_TYPE_NAMES and "string" in kinds:
        return _fit_string(schema, file.content_type)
    if normalized in _FILE_NAME_NAMES and "string" in kinds:
        return _fit_string(schema, file.name)
    if normalized in _SIZE_NAMES and kinds & {"integer", "number"} and _within(schema, file.size):
        return file.size if "integer" in kinds else float(file.size)
    if normalized in _SECONDS_NAMES and "number" in kinds and _within(schema, file.seconds):
        return float(file.seconds)
    return _MISSING


def _types(schema: Mapping[str, Any]) -> set[str]:
    kind = schema.get("type")
    found = set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()
    for key in ("anyOf", "oneOf"):
        for alternative in schema.get(key) or ():
            if isinstance(alternative, Mapping) and isinstance(alternative.get("type"), str):
                found.add(alternative["type"])
    return found


def _normalized(name: str) -> str:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return snake.lower().replace("-", "_")


def _names_file(name: str) -> bool:
    normalized = _normalized(name)
    return normalized in ("url", "uri") or normalized.endswith(("_url", "_uri"))


def _is_file_object(schema: Mapping[str, Any]) -> bool:
    properties = schema.get("properties")
    return isinstance(properties, Mapping) and "url" in properties


def _implied_type(schema: Mapping[str, Any]) -> str | None:
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    if any(k in schema for k in ("minLength", "maxLength", "pattern", "format")):
        return "string"
    if any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")):
        return "number"
    return None


def _fit_string(schema: Mapping[str, Any], text: str) -> str:
    low = int(schema.get("minLength") or 0)
    high = schema.get("maxLength")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        text = _matching(pattern, text, low, high if isinstance(high, int) else None)
    if len(text) < low:
        text = text + "x" * (low - len(text))
    if isinstance(high, int) and len(text) > high:
        text = text[:high]
    return text


def _matching(pattern: str, text: str, low: int, high: int | None) -> str:
    """A string matching ``pattern`` among a few plain candidates, else ``text`` unchanged."""
    size = max(low, 1)
    candidates = [text, "a" * size, "A" * size, "0" * size, "a1", "abc", "emulated-1"]
    try:
        compiled = re.compile(pattern)
    except re.error:
        return text
    for candidate in candidates:
        fits = len(candidate) >= low and (high is None or len(candidate) <= high)
        if fits and compiled.search(candidate):
            return candidate
    return text


def _within(schema: Mapping[str, Any], value: float) -> bool:
    low, high = schema.get("minimum"), schema.get("maximum")
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    return not (
        (isinstance(low, int | float) and value < low)
        or (isinstance(high, int | float) and value > high)
        or (isinstance(xlow, int | float) and value <= xlow)
        or (isinstance(xhigh, int | float) and value >= xhigh)
    )


def _number(schema: Mapping[str, Any], *, integer: bool, name: str, variant: int) -> Decimal:
    """A number within the schema's bounds, a multiple of ``multipleOf`` when it asks."""
    low, high = _decimal(schema.get("minimum")), _decimal(schema.get("maximum"))
    xlow = _decimal(schema.get("exclusiveMinimum"))
    xhigh = _decimal(schema.get("exclusiveMaximum"))
    step = _decimal(schema.get("multipleOf"))
    wanted = Decimal(10) if _normalized(name) in _SECONDS_NAMES else Decimal(1 + variant)
    if integer:
        step = Decimal(1) if step is None else step
        if step != step.to_integral_value():
            step = step * _integral_factor(step)
    floor = max((b for b in (low, xlow) if b is not None), default=None)
    ceiling = min((b for b in (high, xhigh) if b is not None), default=None)
    candidate = wanted
    if floor is not None and candidate < floor:
        candidate = floor
    if ceiling is not None and candidate > ceiling:
        candidate = ceiling
    if step is not None and step > 0:
        candidate = _snap(candidate, step, low, xlow, high, xhigh)
    elif not _fits(candidate, low, xlow, high, xhigh):
        candidate = _between(low, xlow, high, xhigh, integer)
    return candidate


def _snap(
    value: Decimal,
    step: Decimal,
    low: Decimal | None,
    xlow: Decimal | None,
    high: Decimal | None,
    xhigh: Decimal | None,
) -> Decimal:
    """The multiple of ``step`` nearest ``value`` that fits the bounds (``value`` if none)."""
    base = (value / step).to_integral_value(rounding="ROUND_FLOOR")
    for offset in (0, 1, -1, 2, -2, 3):
        candidate = (base + offset) * step
        if _fits(candidate, low, xlow, high, xhigh):
            return candidate
    start = max((b for b in (low, xlow) if b is not None), default=Decimal(0))
    candidate = (start / step).to_integral_value(rounding="ROUND_CEILING") * step
    if xlow is not None and candidate <= xlow:
        candidate += step
    return candidate


def _between(
    low: Decimal | None,
    xlow: Decimal | None,
    high: Decimal | None,
    xhigh: Decimal | None,
    integer: bool,
) -> Decimal:
    floor = max((b for b in (low, xlow) if b is not None), default=None)
    ceiling = min((b for b in (high, xhigh) if b is not None), default=None)
    if floor is None and ceiling is None:
        return Decimal(1)
    if floor is None:
        assert ceiling is not None
        return (ceiling - 1).to_integral_value(rounding="ROUND_FLOOR") if integer else ceiling - 1
    if ceiling is None:
        return floor.to_integral_value(rounding="ROUND_FLOOR") + 1 if integer else floor + 1
    if integer:
        candidate = floor.to_integral_value(rounding="ROUND_CEILING")
        if not _fits(candidate, low, xlow, high, xhigh):
            candidate += 1
        return candidate
    return (floor + ceiling) / 2


def _fits(
    value: Decimal,
    low: Decimal | None,
    xlow: Decimal | None,
    high: Decimal | None,
    xhigh: Decimal | None,
) -> bool:
    return not (
        (low is not None and value < low)
        or (xlow is not None and value <= xlow)
        or (high is not None and value > high)
        or (xhigh is not None and value >= xhigh)
    )


def _integral_factor(step: Decimal) -> Decimal:
    """The smallest power of ten making ``step`` a whole number (integer multiples)."""
    factor = Decimal(1)
    while (step * factor) != (step * factor).to_integral_value() and factor < 10**12:
        factor *= 10
    return factor


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return Decimal(str(value))
