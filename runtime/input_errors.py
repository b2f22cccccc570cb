"""Runtime: how a refused input is worded, worked out only after validation failed.

The input models validate in pydantic-core alone (:mod:`musicbind.runtime.bases`); the
Python here runs on the failure path, or when text leaves for the wire:

- an explicit ``None`` where the documents do not allow null fails pydantic's own type
  check; :func:`reworded` turns those errors into one located ``null_not_allowed`` error
  per field ("leave the field out to not send it");
- a cross-field rule's ``ValueError`` becomes the ``value_error`` pydantic would report;
- :func:`lone_surrogates` finds text that cannot be encoded in free-form values (typed
  strings are refused by pydantic-core itself).
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

NULL_REFUSED = (
    "null is not allowed here: the documents do not say this field may be null; "
    "leave the field out to not send it"
)
_KNOWN_TYPES = frozenset(get_args(ErrorType))
Loc = tuple[str | int, ...]


def admits_none(annotation: Any) -> bool:
    """Whether an annotation accepts ``None`` (``T | None``, ``Any``, ``Annotated[...]``)."""
    if annotation is Any or annotation is type(None) or annotation is None:
        return True
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return admits_none(get_args(annotation)[0])
    if origin is Literal:
        return None in get_args(annotation)
    return any(admits_none(arg) for arg in get_args(annotation)) if origin is not None else False


def not_nullable(model: type[BaseModel]) -> frozenset[str]:
    """Field names and wire names of ``model``'s fields whose type does not admit None."""
    names: set[str] = set()
    for name, info in model.model_fields.items():
        if not admits_none(info.annotation):
            names.add(name)
            if info.alias:
                names.add(info.alias)
    return frozenset(names)


def _nested_model(model: type[BaseModel], key: str) -> type[BaseModel] | None:
    """The one model class a field of ``model`` holds (directly, in a list, or optional)."""
    info = model.model_fields.get(key)
    if info is None:
        info = next((f for f in model.model_fields.values() if f.alias == key), None)
    if info is None:
        return None
    found = set(_models_in(info.annotation))
    return found.pop() if len(found) == 1 else None


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in get_args(annotation):
        yield from _models_in(arg)


def _null_field(model: type[BaseModel], data: Any, loc: Loc) -> Loc | None:
    """Where ``loc`` meets an explicit null in a field that may not be null, if it does.

    ``loc`` is walked through the payload; a step that is not a key or index of the value
    at hand (a union's tag) is skipped.
    """
    current: type[BaseModel] | None = model
    node: Any = data
    path: Loc = ()
    for step in loc:
        if isinstance(node, dict) and isinstance(step, str) and step in node:
            path, node = (*path, step), node[step]
            if node is None:
                names: frozenset[str] = getattr(current, "musicbind_not_nullable", frozenset())
                return path if step in names else None
            current = _nested_model(current, step) if current is not None else None
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            path, node = (*path, step), node[step]
    return None


def _details(error: Any) -> InitErrorDetails:
    """An error of ``ValidationError.errors()`` as it can be raised again."""
    kind: str = error["type"]
    ctx = error.get("ctx")
    detail: InitErrorDetails = {
        "type": kind if kind in _KNOWN_TYPES else PydanticCustomError(kind, error["msg"], ctx),
        "loc": error["loc"],
        "input": error["input"],
    }
    if ctx is not None and kind in _KNOWN_TYPES:
        detail["ctx"] = ctx
    return detail


def reworded(model: type[BaseModel], data: Any, error: ValidationError) -> ValidationError | None:
    """``error`` with each explicit null where null is not allowed as one located
    ``null_not_allowed`` error; None when there is nothing to reword."""
    found = error.errors()
    nulls = [
        _null_field(model, data, tuple(e["loc"])) if e.get("input", 0) is None else None
        for e in found
    ]
    if not any(nulls):
        return None
    details: list[InitErrorDetails] = []
    worded: set[Loc] = set()
    for item, null in zip(found, nulls, strict=True):
        if null is None:
            details.append(_details(item))
        elif null not in worded:
            worded.add(null)
            kind = PydanticCustomError("null_not_allowed", NULL_REFUSED)
            details.append({"type": kind, "loc": null, "input": None})
    return ValidationError.from_exception_data(model.__name__, details)


def rule_error(model: type[BaseModel], data: Any, refusal: ValueError) -> ValidationError:
    """A cross-field rule's refusal as pydantic reports a model validator's ValueError."""
    detail: InitErrorDetails = {
        "type": "value_error",
        "loc": (),
        "input": data,
        "ctx": {"error": refusal},
    }
    return ValidationError.from_exception_data(model.__name__, [detail])


def lone_surrogates(value: Any, loc: Loc = ()) -> list[Loc]:
    """Where ``value`` holds a string with a lone surrogate (not Unicode text)."""
    if isinstance(value, str):
        return [] if _encodes(value) else [loc]
    found: list[Loc] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += lone_surrogates(item, (*loc, key if isinstance(key, str | int) else str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += lone_surrogates(item, (*loc, index))
    return found


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def surrogate_error(model: type[BaseModel], data: Any, places: list[Loc]) -> ValidationError:
    """pydantic's ``string_unicode`` error at each of ``places`` in ``data``."""
    details: list[InitErrorDetails] = []
    for loc in places:
        value = data
        for step in loc:
            value = value[step]
        details.append({"type": "string_unicode", "loc": loc, "input": value})
    return ValidationError.from_exception_data(model.__name__, details)
