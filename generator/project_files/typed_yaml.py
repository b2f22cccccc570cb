"""Project files: YAML input files (overlay, manifest) checked against pydantic models.

The file is read by the one located reader (:mod:`generator.load.document_text`), then
each part is validated by a pydantic model that forbids unknown keys and spells out
fixed choices as literals. Every validation error becomes a :class:`SpecProblem` at the
line and column of the key or value it is about; an unknown key gets a did-you-mean from
the keys the model knows (and the "missing" error of the key it was meant to be is not
repeated).
"""

from __future__ import annotations

import difflib
import json
import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from musicbind.generator.load.document_text import DocumentText, read_document
from musicbind.generator.load.located import JsonPath, json_path
from musicbind.generator.load.records import Level, Location, SpecProblem

_SURROGATE = re.compile("[\ud800-\udfff]")
_KEY = "[key]"  # how pydantic names a mapping's key in an error's loc


def _unicode(text: str) -> str:
    if _SURROGATE.search(text):
        raise ValueError(f"{text!a} holds a lone surrogate, which is not Unicode")
    return text


# Text as YAML gives it (numbers are written as text too: ``amount: 0.009``), Unicode only.
Text = Annotated[str, AfterValidator(_unicode)]


class Strict(BaseModel):
    """A part of an input file: unknown keys are errors, numbers are accepted as text."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


ModelT = TypeVar("ModelT", bound=BaseModel)


class TypedFile:
    """One YAML input file being checked; collects the problems, each located."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.document: DocumentText = read_document(text, path, "YAML")
        self.problems: list[SpecProblem] = list(self.document.problems)

    @property
    def value(self) -> Any:
        """The file's value: None when empty or unreadable."""
        return self.document.value if self.document.readable else None

    def line(self, where: JsonPath) -> int:
        """The line of the value at ``where`` (for the records' locations)."""
        return self.document.located.value_position(where).line

    def at(self, where: JsonPath) -> Location:
        """A fact's location: the line of the value at ``where``."""
        return Location(self.path, self.line(where))

    def error(self, where: JsonPath, message: str, *, key: bool = False) -> None:
        """Record an error at the value (or the key) at ``where``."""
        location = self.document.position_of(self.path, where, key=key)
        self.problems.append(SpecProblem(Level.ERROR, location, message))

    def check(self, model: type[ModelT], where: JsonPath, value: Any) -> ModelT | None:
        """``value`` (found at ``where``) as ``model``, or None after reporting every error."""
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        meant = {
            (*error["loc"][:-1], hint)
            for error in errors
            if error["type"] == "extra_forbidden"
            and (hint := _closest(str(error["loc"][-1]), _keys_at(model, error["loc"][:-1])))
        }
        for error in errors:
            loc = tuple(error["loc"])
            if error["type"] == "missing" and loc in meant:
                continue  # reported as the unknown key that was meant to be it
            self._report(model, where, loc, error)
        return None

    def _report(
        self, model: type[BaseModel], where: JsonPath, loc: JsonPath, error: Mapping[str, Any]
    ) -> None:
        is_key = bool(loc) and loc[-1] == _KEY
        path = (*where, *(loc[:-1] if is_key else loc))
        kind = error["type"]
        name = _shown(path)
        if kind == "extra_forbidden":
            known = _keys_at(model, loc[:-1])
            hint = _closest(str(loc[-1]), known)
            message = f"unknown key {json.dumps(str(loc[-1]), ensure_ascii=False)}"
            if hint:
                message += f"; did you mean {json.dumps(hint)}?"
            message += f" (known here: {', '.join(known)})" if known else ""
            self.error(path, f"{_shown(path[:-1])}: {message}", key=True)
        elif kind == "missing":
            message = f"{_shown(path[:-1])}: missing {json.dumps(str(loc[-1]))}"
            self.error(path[:-1], message, key=True)
        else:
            what = f"{name} (a key)" if is_key else name
            self.error(path, f"{what}: {_explain(error)}", key=is_key)


def _explain(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    got = _show(error.get("input"))
    if kind in ("literal_error", "enum"):
        return f"expected one of {context.get('expected')}, got {got}"
    if kind in ("string_type", "str_type"):
        return f"expected text, got {got}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value lines), got {got}"
    if kind == "list_type":
        return f"expected a list ('- item' lines or [a, b]), got {got}"
    if kind == "too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return f"{error['msg']}, got {got}"


def _show(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _shown(path: JsonPath) -> str:
    """``models["fal:x/y"].rules[0]``: a path as a person reads it ("top level" for none)."""
    return json_path(path).removeprefix("$").removeprefix(".") or "top level"


def _closest(word: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _keys_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the model accepts in the mapping at ``loc`` (empty when it is not a model)."""
    annotation: Any = model
    for step in loc:
        annotation = _bare(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(step) if isinstance(step, str) else None
            if field is None:
                return []
            annotation = field.annotation
        elif get_origin(annotation) in (list, tuple, dict):
            annotation = get_args(annotation)[-1]
        else:
            return []
    annotation = _bare(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [f.alias or name for name, f in annotation.model_fields.items()]
    return []


def _bare(annotation: Any) -> Any:
    """The type inside ``X | None`` and ``Annotated[X, ...]``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation
