"""Runtime: the base classes every generated Input, Output and shape model derives from.

Inputs are strict: unknown fields are refused, ``"5"`` is not a number, NaN and
infinity are not numbers, ``True`` is not an integer (pydantic's ``Literal[1, 2]``
would take ``True`` as ``1``, so numeric allowed-value fields are guarded here).
Attributes are snake_case with the providers' wire names as aliases: both are
accepted, the alias is what is sent. Outputs accept fields the documents do not
mention, so a provider adding a field does not break a paid result.

Null and "not given" are different things. An optional field the documents do not let be
null is typed ``T`` (no ``None``): ``None`` is refused with a located message, and leaving
the field out is how a caller does not send it. A field the documents mark nullable is
``T | None`` and an explicit ``None`` is sent as JSON null. ``to_wire()`` sends only the
fields the caller set (``model_fields_set``): defaults stay the provider's to apply. The
typed client methods default every optional keyword to :data:`NOT_GIVEN`, so an omitted
keyword is never sent and ``None`` reaches the model only when the caller passed it.
"""

from __future__ import annotations

import typing
from typing import Any, ClassVar, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

UNSET: Any = None
"""The default of an optional input field the documents do not let be null.

``None`` at runtime (an unset attribute reads ``None``; ``model_fields_set`` tells unset
from set), typed ``Any`` so the field itself keeps the type ``T`` without ``None``: type
checkers then refuse an explicit ``None`` for it, as validation does.
"""


class NotGiven:
    """The type of :data:`NOT_GIVEN`: "the caller did not pass this keyword" (not null)."""

    _instance: ClassVar[NotGiven | None] = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()
"""The default of every optional keyword of the typed client methods: not sent at all.

``None`` is a value (JSON null, accepted only where the documents allow null);
``NOT_GIVEN`` is the absence of one, as in the Stainless SDKs.
"""


def _admits_none(annotation: Any) -> bool:
    """Whether an annotation accepts ``None`` (``T | None``, ``Any``, ``Annotated[...]``)."""
    if annotation is Any or annotation is type(None) or annotation is None:
        return True
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _admits_none(get_args(annotation)[0])
    if origin is Literal:
        return None in get_args(annotation)
    return any(_admits_none(arg) for arg in get_args(annotation)) if origin is not None else False


_NULL_REFUSED = (
    "null is not allowed here: the documents do not say this field may be null; "
    "leave the field out to not send it"
)


def _numeric_literal(annotation: Any) -> bool:
    """Whether an annotation is (or contains) a Literal of numbers only."""
    origin = get_origin(annotation)
    if origin is Literal:
        values = get_args(annotation)
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if origin is typing.Annotated:
        return _numeric_literal(get_args(annotation)[0])
    return any(_numeric_literal(arg) for arg in get_args(annotation))


def _strings(value: Any, loc: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every string value inside ``value`` with its location."""
    if isinstance(value, str):
        return [(loc, value)]
    found: list[tuple[tuple[str | int, ...], str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            # Keys are not checked here: an unknown key is refused as unknown anyway.
            found.extend(_strings(item, (*loc, key if isinstance(key, str | int) else str(key))))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found.extend(_strings(item, (*loc, index)))
    return found


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class InputModel(BaseModel):
    """Base of generated request models."""

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

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        names: set[str] = set()
        for name, info in cls.model_fields.items():
            if not _admits_none(info.annotation):
                names.add(name)
                if info.alias:
                    names.add(info.alias)
        cls.musicbind_not_nullable = frozenset(names)

    @model_validator(mode="before")
    @classmethod
    def _refuse_null_where_not_nullable(cls, data: Any) -> Any:
        # An explicit None where the documents do not allow null is a mistake to report at
        # the field (leaving the field out is "not given"), never sent as null.
        if not isinstance(data, dict):
            return data
        errors = [
            InitErrorDetails(
                type=PydanticCustomError("null_not_allowed", _NULL_REFUSED),
                loc=(key,),
                input=None,
            )
            for key, value in data.items()
            if value is None and key in cls.musicbind_not_nullable
        ]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data

    @model_validator(mode="before")
    @classmethod
    def _refuse_lone_surrogates(cls, data: Any) -> Any:
        # A lone surrogate ("\ud800") is not Unicode text: it cannot be encoded to send,
        # nor journalled; refused here, before anything is written or sent.
        errors = [
            InitErrorDetails(
                type="string_unicode",
                loc=loc,
                input=value,
            )
            for loc, value in _strings(data, ())
            if _has_lone_surrogate(value)
        ]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data

    def to_wire(self) -> dict[str, Any]:
        """The JSON body to send: wire names, JSON types, only the fields the caller set.

        Defaults are not sent (the provider applies its own); an explicit ``None`` on a
        nullable field is sent as null.
        """
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class ChoiceInputModel(InputModel):
    """Base of generated request models with numeric allowed values (``Literal[1, 2]``).

    pydantic lets ``True`` through as ``1`` there, so these models refuse booleans for
    such fields before validation. Only models that need the guard pay for it.
    """

    musicbind_numeric_choices: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        names: set[str] = set()
        for name, info in cls.model_fields.items():
            if _numeric_literal(info.annotation):
                names.add(name)
                if info.alias:
                    names.add(info.alias)
        cls.musicbind_numeric_choices = frozenset(names)

    @model_validator(mode="before")
    @classmethod
    def _refuse_booleans_as_numbers(cls, data: Any) -> Any:
        if not cls.musicbind_numeric_choices or not isinstance(data, dict):
            return data
        errors = [
            InitErrorDetails(
                type="int_type",
                loc=(key,),
                input=value,
            )
            for key, value in data.items()
            if isinstance(value, bool) and key in cls.musicbind_numeric_choices
        ]
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data


class OutputModel(BaseModel):
    """Base of generated response models and shapes."""

    model_config = ConfigDict(
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


def present(values: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments a caller gave: :data:`NOT_GIVEN` ones left out, ``None`` kept
    (it is null, which the input model accepts only where the documents allow it)."""
    return {key: value for key, value in values.items() if not isinstance(value, NotGiven)}
