"""Runtime: the base classes every generated Input, Output and shape model derives from.

Inputs are strict: unknown fields are refused, ``"5"`` is not a number, NaN and
infinity are not numbers, ``True`` is not a number even where the allowed values are
numbers (pydantic's ``Literal[1, 2]`` alone would take ``True`` as ``1``). Attributes are
snake_case with the providers' wire names as aliases: both are accepted, the alias is
what is sent. Outputs accept fields the documents do not mention, so a provider adding a
field does not break a paid result.

Null and "not given" are different things. An optional field the documents do not let be
null is typed ``T`` (no ``None``): ``None`` is refused with a located message, and leaving
the field out is how a caller does not send it. A field the documents mark nullable is
``T | None`` and an explicit ``None`` is sent as JSON null. ``to_wire()`` sends only the
fields the caller set (``model_fields_set``): defaults stay the provider's to apply. The
typed client methods default every optional keyword to ``NOT_GIVEN``
(:mod:`musicbind.runtime.given`, with ``UNSET``), so an omitted keyword is never sent and
``None`` reaches the model only when the caller passed it.

Validation that passes runs in pydantic-core alone: the refusals above are pydantic's own
or constraints of the core schema (:func:`_tightened`), the wording of a refused null is
worked out only after a failure (:mod:`musicbind.runtime.input_errors`), a lone surrogate
(text that is not Unicode) is refused by ``to_wire()`` before anything is journalled or
sent, and a generated model's cross-field rules run after validation only when they can
apply (rules about a media file's length only when the caller gave lengths).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, get_args, get_origin

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, ValidationError
from pydantic.errors import PydanticUserError
from pydantic_core import CoreSchema

from musicbind.runtime.input_errors import (
    lone_surrogates,
    not_nullable,
    reworded,
    rule_error,
    surrogate_error,
)

if TYPE_CHECKING:
    from pydantic.config import ExtraValues

_GUARDED = "musicbind_guarded"
# Keys of a core schema that hold schemas (never ``default``: that is a Python value).
_SCHEMA_KEYS = ("schema", "items_schema", "keys_schema", "values_schema")
_SCHEMA_LISTS = ("choices", "steps", "definitions")


def _guarded_literal(literal: dict[str, Any]) -> dict[str, Any]:
    """``literal`` (numbers only) behind a strict number check: ``True`` is no number.

    Anything that is not a number fails as the literal would (``Input should be 1 or 2``).
    """

    def js(_schema: Any, handler: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        return handler(literal)

    values = [repr(v) for v in literal["expected"]]
    expected = f"{', '.join(values[:-1])} or {values[-1]}" if len(values) > 1 else values[0]
    number = {
        "type": "custom-error",
        # int first: a failing literal then reports the number as given (5, not 5.0)
        "schema": {
            "type": "union",
            "mode": "left_to_right",
            "choices": [{"type": "int", "strict": True}, {"type": "float", "strict": True}],
        },
        "custom_error_type": "literal_error",
        "custom_error_context": {"expected": expected},
    }
    return {
        "type": "chain",
        "steps": [number, literal],
        "metadata": {"pydantic_js_functions": [js], _GUARDED: True},
    }


def _numbers_only(expected: Any) -> bool:
    return bool(expected) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in expected
    )


def _takes_a_boolean(expected: Any) -> bool:
    """Whether pydantic's literal check would let a boolean through (``True == 1``)."""
    return _numbers_only(expected) and any(v in (0, 1) for v in expected)


def _tightened(schema: Any) -> Any:
    """A core schema whose numeric allowed values refuse booleans in pydantic-core."""
    if isinstance(schema, tuple):  # a union choice with its label
        return (_tightened(schema[0]), *schema[1:])
    if not isinstance(schema, dict) or schema.get("metadata", {}).get(_GUARDED):
        return schema
    kind = schema.get("type")
    if kind == "literal" and _takes_a_boolean(schema.get("expected")):
        return _guarded_literal(schema)
    changed = dict(schema)
    for key in _SCHEMA_KEYS:
        if key in schema:
            changed[key] = _tightened(schema[key])
    for key in _SCHEMA_LISTS:
        if isinstance(schema.get(key), list):
            changed[key] = [_tightened(item) for item in schema[key]]
    if kind == "tagged-union" and isinstance(schema.get("choices"), dict):
        changed["choices"] = {tag: _tightened(s) for tag, s in schema["choices"].items()}
    if isinstance(schema.get("fields"), dict):
        changed["fields"] = {name: _tightened(f) for name, f in schema["fields"].items()}
    return changed


def _numeric_literal(annotation: Any) -> bool:
    """Whether an annotation is (or contains) a Literal of numbers only."""
    if get_origin(annotation) is Literal:
        return _numbers_only(get_args(annotation))
    return any(_numeric_literal(arg) for arg in get_args(annotation))


def _given(**keywords: Any) -> dict[str, Any]:
    """The validation keywords a caller set: pydantic before 2.12 has no ``extra``, so a
    keyword left at None is not passed on."""
    return {name: value for name, value in keywords.items() if value is not None}


_ALWAYS, _WITH_LENGTHS = 1, 2  # which cross-field hooks a class defines (bit flags)


def _model_validate(hooks: int) -> Any:
    """pydantic's ``model_validate`` for input models with the cross-field ``hooks`` a
    class defines (:data:`_ALWAYS`, :data:`_WITH_LENGTHS`), null refusals worded.

    One variant per set of hooks rather than a test of the class on every call: looking
    an attribute up on a pydantic model class costs as much as a small field's validation.
    Rules about media lengths cost nothing when no context is given.
    """
    always = bool(hooks & _ALWAYS)

    def model_validate(
        cls: type[InputModel],
        obj: Any,
        *,
        strict: bool | None = None,
        extra: ExtraValues | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> InputModel:
        __tracebackhide__ = True
        if by_alias is False and by_name is not True:
            raise PydanticUserError(
                "At least one of `by_alias` or `by_name` must be set to True.",
                code="validate-by-alias-and-name-false",
            )
        validator = cls.__pydantic_validator__
        try:
            if (
                strict is None
                and extra is None
                and from_attributes is None
                and by_alias is None
                and by_name is None
            ):
                # The common call: passing five None keywords costs pydantic's wrapper
                # about a sixth of a small model's validation.
                model: InputModel = (
                    validator.validate_python(obj)
                    if context is None
                    else validator.validate_python(obj, context=context)
                )
            else:
                given = _given(
                    strict=strict,
                    extra=extra,
                    from_attributes=from_attributes,
                    context=context,
                    by_alias=by_alias,
                    by_name=by_name,
                )
                model = validator.validate_python(obj, **given)
        except ValidationError as error:
            raise reworded(cls, obj, error) or error from None
        if always or (hooks and context is not None):
            model._musicbind_after(obj, context, hooks)
        return model

    model_validate.__doc__ = BaseModel.model_validate.__doc__
    return classmethod(model_validate)


class InputModel(BaseModel):
    """Base of generated request models.

    A generated model with cross-field rules defines ``musicbind_check_rules(self)``
    (rules that always apply) and/or ``musicbind_check_media_rules(self, lengths)``
    (rules about media lengths, run only when ``context={"media_duration": {...}}``
    gives some); each raises ValueError, reported as pydantic's ``value_error``.
    """

    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        validate_default=False,
        # NaN and infinity are not JSON: accepted, they would fail the request after the
        # journal entry is written, or turn a cost estimate into NaN.
        allow_inf_nan=False,
    )

    # Field names and wire names of the fields whose type does not admit None.
    musicbind_not_nullable: ClassVar[frozenset[str]] = frozenset()
    # Field names and wire names of the fields whose allowed values are numbers.
    musicbind_numeric_choices: ClassVar[frozenset[str]] = frozenset()
    _musicbind_hooks: ClassVar[int] = 0

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler, /
    ) -> CoreSchema:
        schema: CoreSchema = _tightened(handler(source))
        return schema

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.musicbind_not_nullable = not_nullable(cls)
        names: set[str] = set()
        for name, info in cls.model_fields.items():
            if _numeric_literal(info.annotation):
                names.update((name, info.alias) if info.alias else (name,))
        cls.musicbind_numeric_choices = frozenset(names)
        hooks = _ALWAYS if hasattr(cls, "musicbind_check_rules") else 0
        cls._musicbind_hooks = hooks | (
            _WITH_LENGTHS if hasattr(cls, "musicbind_check_media_rules") else 0
        )
        if cls._musicbind_hooks:
            cls.model_validate = _VALIDATE_WITH[cls._musicbind_hooks]  # type: ignore[method-assign]

    def __init__(self, /, **data: Any) -> None:
        __tracebackhide__ = True
        try:
            self.__pydantic_validator__.validate_python(data, self_instance=self)
        except ValidationError as error:
            raise reworded(type(self), data, error) or error from None
        if self._musicbind_hooks:
            self._musicbind_after(data, None, self._musicbind_hooks)

    # pydantic calls a model's __init__ for nested values only when it is not its own.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    if TYPE_CHECKING:

        @classmethod
        def model_validate(
            cls,
            obj: Any,
            *,
            strict: bool | None = None,
            extra: ExtraValues | None = None,
            from_attributes: bool | None = None,
            context: Any | None = None,
            by_alias: bool | None = None,
            by_name: bool | None = None,
        ) -> Self: ...

    else:
        model_validate = _model_validate(0)

    @classmethod
    def model_validate_json(
        cls,
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        extra: ExtraValues | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        """pydantic's ``model_validate_json``, with null refusals worded and the rules run."""
        import json

        try:
            given = _given(
                strict=strict, extra=extra, context=context, by_alias=by_alias, by_name=by_name
            )
            model = super().model_validate_json(json_data, **given)
        except ValidationError as error:
            try:
                data = json.loads(json_data)
            except ValueError:
                raise error from None
            raise reworded(cls, data, error) or error from None
        if cls._musicbind_hooks:
            model._musicbind_after(json_data, context, cls._musicbind_hooks)
        return model

    def _musicbind_after(self, data: Any, context: Any, hooks: int) -> None:
        """The generated cross-field rules ``hooks`` names (see the class doc)."""
        try:
            if hooks & _ALWAYS:
                self.musicbind_check_rules()  # type: ignore[attr-defined]
            if hooks & _WITH_LENGTHS and isinstance(context, dict):
                lengths = context.get("media_duration")
                if lengths and isinstance(lengths, dict):
                    self.musicbind_check_media_rules(lengths)  # type: ignore[attr-defined]
        except ValueError as refusal:
            raise rule_error(type(self), data, refusal) from None

    def to_wire(self) -> dict[str, Any]:
        """The JSON body to send: wire names, JSON types, only the fields the caller set.

        Defaults are not sent (the provider applies its own); an explicit ``None`` on a
        nullable field is sent as null. A lone surrogate in a free-form value (typed text
        refuses one on validation) raises ValidationError here, before anything is sent.
        """
        body = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        places = lone_surrogates(body)
        if places:
            raise surrogate_error(type(self), body, places)
        return body


_VALIDATE_WITH = {hooks: _model_validate(hooks) for hooks in (1, 2, 3)}


class ChoiceInputModel(InputModel):
    """Base of generated request models with numeric allowed values (``Literal[1, 2]``).

    ``True`` is refused for such fields as it is for every number field of an input (the
    check is part of every input model's core schema); the class stays the base the
    generated code names for these models, with ``musicbind_numeric_choices`` set.
    """


class OutputModel(BaseModel):
    """Base of generated response models and shapes."""

    model_config = ConfigDict(
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )
