"""Snapshot: registry JSON (``musicbind registry --json``, ``_registry.json``) -> Registry.

The reader of :mod:`generator.snapshot.serialize`: ``read_registry(text, origin)``
gives the frozen records back, or the problems that stop it, each naming the JSON
path of the bad item. Problems stored in the JSON as text are parsed back into
:class:`SpecProblem` values (their ``str`` round-trips).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from musicbind.generator.load.records import (
    JsonScalar,
    JsonValue,
    Level,
    Location,
    SpecJob,
    SpecOperation,
    SpecProblem,
    SpecType,
    TypeKind,
)
from musicbind.generator.registry.model import (
    CrossFieldRule,
    Field,
    Model,
    Pricing,
    Provenance,
    Provider,
    Registry,
    Shape,
)
from musicbind.generator.snapshot.serialize import FORMAT_VERSION
from musicbind.runtime.jobstate import JobState

T = TypeVar("T")
_PROBLEM = re.compile(r"^(?P<where>.*?): (?P<level>error|warning): (?P<message>.*)$", re.DOTALL)
_LINE = re.compile(r"^(?P<path>.*?):(?P<line>\d+)(?::(?P<column>\d+))?$")


class RegistryFormatError(ValueError):
    """The JSON is not a registry this version of musicbind can read."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")


def read_registry(text: str, origin: str) -> tuple[Registry | None, list[SpecProblem]]:
    """The registry stored in ``text`` (read from ``origin``), or the problem that stops it."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, [SpecProblem(Level.ERROR, Location(origin), f"not JSON: {exc}")]
    return read_registry_data(data, origin)


def read_registry_data(data: Any, origin: str) -> tuple[Registry | None, list[SpecProblem]]:
    """:func:`read_registry` of JSON already parsed."""
    try:
        return registry_from_data(data), []
    except RegistryFormatError as exc:
        return None, [format_problem(exc, origin)]


def format_problem(error: RegistryFormatError, origin: str) -> SpecProblem:
    """The problem a :class:`RegistryFormatError` in the JSON read from ``origin`` is."""
    return SpecProblem(Level.ERROR, Location(origin), f"not a musicbind registry: {error}")


def looks_like_registry(data: Any) -> bool:
    """Whether parsed JSON has the shape of a serialised registry."""
    return isinstance(data, dict) and {"format", "models", "providers"} <= set(data)


def registry_from_data(data: Any) -> Registry:
    """Plain data from :func:`registry_to_data` -> Registry; raises RegistryFormatError."""
    top = _object(data, "$")
    version = top.get("format")
    if version != FORMAT_VERSION:
        raise RegistryFormatError("$.format", f"format {version!r}, expected {FORMAT_VERSION}")
    return replace(registry_head(top), models=_each(top, "models", "$", _model))


def registry_head(top: dict[str, Any]) -> Registry:
    """The providers and problems of registry data (its models are not read)."""
    return Registry(
        providers=_each(top, "providers", "$", _provider),
        models=(),
        problems=tuple(
            _problem(_text(item, f"$.problems[{i}]"))
            for i, item in enumerate(_list(top.get("problems", []), "$.problems"))
        ),
    )


def models_from_data(data: Any, where: str = "$") -> tuple[Model, ...]:
    """A JSON array of models at ``where`` (a snapshot shard's) -> records; raises
    RegistryFormatError."""
    return tuple(_model(item, f"{where}[{i}]") for i, item in enumerate(_list(data, where)))


def _problem(text: str) -> SpecProblem:
    match = _PROBLEM.match(text)
    if match is None:
        return SpecProblem(Level.ERROR, Location(""), text)
    return SpecProblem(Level(match["level"]), _location_text(match["where"]), match["message"])


def _location_text(text: str) -> Location:
    path, hash_sign, pointer = text.partition("#")
    if hash_sign:
        return Location(path, pointer=pointer)
    line = _LINE.match(text)
    if line is not None:
        column = int(line["column"]) if line["column"] else None
        return Location(line["path"], line=int(line["line"]), column=column)
    return Location(text)


def _provider(data: Any, where: str) -> Provider:
    item = _object(data, where)
    statuses = _object(item.get("statuses"), f"{where}.statuses")
    try:
        mapped = tuple(sorted((str(word), JobState(state)) for word, state in statuses.items()))
    except ValueError as exc:
        raise RegistryFormatError(f"{where}.statuses", str(exc)) from None
    return Provider(
        name=_text(item.get("name"), f"{where}.name"),
        display_name=_text(item.get("display_name"), f"{where}.display_name"),
        client_class=_text(item.get("client_class"), f"{where}.client_class"),
        base_url=_text(item.get("base_url"), f"{where}.base_url"),
        auth=_text(item.get("auth"), f"{where}.auth"),
        statuses=mapped,
        adapter=_optional_text(item, "adapter", where),
        auth_name=_optional_text(item, "auth_name", where),
        key_env=_optional_text(item, "key_env", where),
    )


def _model(data: Any, where: str) -> Model:
    item = _object(data, where)
    outputs = item.get("outputs")
    return Model(
        ref=_text(item.get("ref"), f"{where}.ref"),
        provider=_text(item.get("provider"), f"{where}.provider"),
        model_id=_text(item.get("model_id"), f"{where}.model_id"),
        module_name=_text(item.get("module_name"), f"{where}.module_name"),
        method_name=_text(item.get("method_name"), f"{where}.method_name"),
        input_class=_text(item.get("input_class"), f"{where}.input_class"),
        input_fields_class=_optional_text(item, "input_fields_class", where),
        output_class=_optional_text(item, "output_class", where),
        title=_text(item.get("title", ""), f"{where}.title"),
        description=_text(item.get("description", ""), f"{where}.description"),
        category=_optional_text(item, "category", where),
        capabilities=tuple(
            _text(c, f"{where}.capabilities[{i}]")
            for i, c in enumerate(_list(item.get("capabilities", []), f"{where}.capabilities"))
        ),
        inputs=_each(item, "inputs", where, _field),
        outputs=None if outputs is None else _each(item, "outputs", where, _field),
        shapes=_each(item, "shapes", where, _shape),
        rules=_each(item, "rules", where, _rule),
        pricing=None if item.get("pricing") is None else _pricing(item["pricing"], where),
        input_examples=tuple(_list(item.get("input_examples", []), f"{where}.input_examples")),
        sources=tuple(
            _text(s, f"{where}.sources[{i}]")
            for i, s in enumerate(_list(item.get("sources", []), f"{where}.sources"))
        ),
        operation=None if item.get("operation") is None else _operation(item, where),
    )


def _operation(data: dict[str, Any], where: str) -> SpecOperation:
    here = f"{where}.operation"
    item = _object(data["operation"], here)
    job = item.get("job")
    return SpecOperation(
        method=_text(item.get("method"), f"{here}.method"),
        path=_text(item.get("path"), f"{here}.path"),
        body=_text(item.get("body", "json"), f"{here}.body"),
        answer=_text(item.get("answer", "json"), f"{here}.answer"),
        media_type=_optional_text(item, "media_type", here),
        job=None if job is None else _job(job, f"{here}.job"),
        path_params=_texts(item, "path_params", here),
        query_params=_texts(item, "query_params", here),
        files=_texts(item, "files", here),
    )


def _job(data: Any, where: str) -> SpecJob:
    item = _object(data, where)
    return SpecJob(
        id_field=_text(item.get("id_field"), f"{where}.id_field"),
        status_path=_text(item.get("status_path"), f"{where}.status_path"),
        status_field=_text(item.get("status_field"), f"{where}.status_field"),
        error_field=_optional_text(item, "error_field", where),
        cancel_method=_optional_text(item, "cancel_method", where),
        cancel_path=_optional_text(item, "cancel_path", where),
    )


def _texts(item: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = _list(item.get(key, []), f"{where}.{key}")
    return tuple(_text(v, f"{where}.{key}[{i}]") for i, v in enumerate(values))


def _shape(data: Any, where: str) -> Shape:
    item = _object(data, where)
    return Shape(
        name=_text(item.get("name"), f"{where}.name"),
        class_name=_text(item.get("class_name"), f"{where}.class_name"),
        fields=_each(item, "fields", where, _field),
        description=_text(item.get("description", ""), f"{where}.description"),
    )


def _field(data: Any, where: str) -> Field:
    item = _object(data, where)
    allowed = item.get("allowed")
    return Field(
        wire_name=_text(item.get("wire_name"), f"{where}.wire_name"),
        python_name=_text(item.get("python_name"), f"{where}.python_name"),
        type=_type(item.get("type"), f"{where}.type"),
        required=_bool(item.get("required"), f"{where}.required"),
        description=_text(item.get("description", ""), f"{where}.description"),
        has_default=_bool(item.get("has_default", False), f"{where}.has_default"),
        default=_json_value(item.get("default")),
        allowed=None if allowed is None else _scalars(allowed, f"{where}.allowed"),
        minimum=_number(item, "minimum", where),
        maximum=_number(item, "maximum", where),
        exclusive_minimum=_number(item, "exclusive_minimum", where),
        exclusive_maximum=_number(item, "exclusive_maximum", where),
        min_length=_integer(item, "min_length", where),
        max_length=_integer(item, "max_length", where),
        min_items=_integer(item, "min_items", where),
        max_items=_integer(item, "max_items", where),
        pattern=_optional_text(item, "pattern", where),
        examples=tuple(_list(item.get("examples", []), f"{where}.examples")),
        provenance=_each(item, "provenance", where, _provenance),
    )


def _type(data: Any, where: str) -> SpecType:
    item = _object(data, where)
    try:
        kind = TypeKind(str(item.get("kind")))
    except ValueError:
        raise RegistryFormatError(f"{where}.kind", f"unknown type {item.get('kind')!r}") from None
    items = item.get("items")
    return SpecType(
        kind=kind,
        items=None if items is None else _type(items, f"{where}.items"),
        ref=_optional_text(item, "ref", where),
        variants=_each(item, "variants", where, _type),
        media=_optional_text(item, "media", where),
        nullable=_bool(item.get("nullable", False), f"{where}.nullable"),
    )


def _provenance(data: Any, where: str) -> Provenance:
    item = _object(data, where)
    return Provenance(
        fact=_text(item.get("fact"), f"{where}.fact"),
        location=_location(item.get("location"), f"{where}.location"),
    )


def _location(data: Any, where: str) -> Location:
    item = _object(data, where)
    line = item.get("line")
    if line is not None and (isinstance(line, bool) or not isinstance(line, int)):
        raise RegistryFormatError(f"{where}.line", "expected an integer")
    column = item.get("column")
    if column is not None and (isinstance(column, bool) or not isinstance(column, int)):
        raise RegistryFormatError(f"{where}.column", "expected an integer")
    return Location(
        path=_text(item.get("path"), f"{where}.path"),
        line=line,
        pointer=_optional_text(item, "pointer", where),
        column=column,
    )


def _rule(data: Any, where: str) -> CrossFieldRule:
    item = _object(data, where)
    return CrossFieldRule(
        kind=_text(item.get("kind"), f"{where}.kind"),
        media=_text(item.get("media"), f"{where}.media"),
        start=_optional_text(item, "start", where),
        length=_optional_text(item, "length", where),
        location=_location(item.get("location"), f"{where}.location"),
        name=_text(item.get("name", ""), f"{where}.name"),
        fields=tuple(
            _text(f, f"{where}.fields[{i}]")
            for i, f in enumerate(_list(item.get("fields", []), f"{where}.fields"))
        ),
        minimum=_number(item, "minimum", where),
        maximum=_number(item, "maximum", where),
        value=_scalars([item.get("value")], f"{where}.value")[0],
        sentence=_text(item.get("sentence", ""), f"{where}.sentence"),
    )


def _pricing(data: Any, where: str) -> Pricing:
    here = f"{where}.pricing"
    item = _object(data, here)
    return Pricing(
        currency=_text(item.get("currency"), f"{here}.currency"),
        amount=_text(item.get("amount"), f"{here}.amount"),
        unit=_text(item.get("unit"), f"{here}.unit"),
        seconds_from=_optional_text(item, "seconds_from", here),
        media=_optional_text(item, "media", here),
        start=_optional_text(item, "start", here),
        multiplied_by=tuple(
            _text(name, f"{here}.multiplied_by[{i}]")
            for i, name in enumerate(_list(item.get("multiplied_by", []), f"{here}.multiplied_by"))
        ),
        location=_location(item.get("location"), f"{here}.location"),
    )


def _each(
    item: dict[str, Any], key: str, where: str, read: Callable[[Any, str], T]
) -> tuple[T, ...]:
    values = _list(item.get(key, []), f"{where}.{key}")
    return tuple(read(value, f"{where}.{key}[{i}]") for i, value in enumerate(values))


def _object(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise RegistryFormatError(where, "expected an object")
    return data


def _list(data: Any, where: str) -> list[Any]:
    if not isinstance(data, list):
        raise RegistryFormatError(where, "expected an array")
    return data


def _text(data: Any, where: str) -> str:
    if not isinstance(data, str):
        raise RegistryFormatError(where, "expected a string")
    return data


def _optional_text(item: dict[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    return None if value is None else _text(value, f"{where}.{key}")


def _bool(data: Any, where: str) -> bool:
    if not isinstance(data, bool):
        raise RegistryFormatError(where, "expected true or false")
    return data


def _number(item: dict[str, Any], key: str, where: str) -> int | float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RegistryFormatError(f"{where}.{key}", "expected a number")
    return value


def _integer(item: dict[str, Any], key: str, where: str) -> int | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RegistryFormatError(f"{where}.{key}", "expected an integer")
    return value


def _scalars(data: Any, where: str) -> tuple[JsonScalar, ...]:
    values = _list(data, where)
    for i, value in enumerate(values):
        if isinstance(value, list | dict):
            raise RegistryFormatError(f"{where}[{i}]", "expected a scalar")
    return tuple(values)


def _json_value(data: Any) -> JsonValue:
    value: JsonValue = data
    return value
