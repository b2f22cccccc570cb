"""Runtime: the base classes every generated Input, Output and shape model derives from.

Inputs are strict: unknown fields are refused, ``"5"`` is not a number, NaN and
infinity are not numbers, ``True`` is not an integer (pydantic's ``Literal[1, 2]``
would take ``True`` as ``1``, so numeric allowed-value fields are guarded here).
Attributes are snake_case with the providers' wire names as aliases: both are
accepted, the alias is what is sent. Outputs accept fields the documents do not
mention, so a provider adding a field does not break a paid result.
"""

from __future__ import annotations

import typing
from typing import Any, ClassVar, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails


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
        """The JSON body to send: wire names, JSON types, unset optional values left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


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
    """The keyword arguments a caller gave: ``None`` means "not given" in typed client methods."""
    return {key: value for key, value in values.items() if value is not None}
