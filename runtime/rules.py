"""Runtime: cross-field rules that generated validators call (rules no spec format can state).

The rules come from the documents' sentences or the overlay; each check names its rule
(``requires:style,prompt``) in the message so a refusal can be traced to the sentence.

Media lengths come from pydantic's validation context, keyed by python field name::

    Model.model_validate(data, context={"media_duration": {"video_url": 60.0}})

The input model hands them to the generated ``musicbind_check_media_rules(lengths)``
(:class:`musicbind.runtime.InputModel`), which runs only when some are given; without a
length for the media field the rule is skipped and only static bounds apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


def media_length(lengths: Mapping[str, Any], field: str) -> float | None:
    """The media length (seconds) the caller gave for ``field``, or None."""
    value: Any = lengths.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def segment_within_media(
    model: BaseModel,
    lengths: Mapping[str, Any],
    *,
    media: str,
    start: str | None,
    length: str | None,
    rule: str | None = None,
) -> None:
    """Check ``start < L`` and ``start + length <= L`` for the media length ``L`` in
    ``lengths`` (seconds by python field name).

    Raises ValueError (pydantic turns it into a ValidationError) naming the fields.
    """
    total = media_length(lengths, media)
    if total is None:
        return
    offset_value = getattr(model, start) if start else None
    segment_value = getattr(model, length) if length else None
    offset = float(offset_value) if offset_value is not None else 0.0
    if start and offset_value is not None and offset >= total:
        raise ValueError(
            f"{start}={offset_value:g} must be less than the length of {media} ({total:g} s)"
            + _named(rule)
        )
    if length and segment_value is not None and offset + float(segment_value) > total:
        head = f"{start}={offset:g} + " if start and offset_value is not None else ""
        raise ValueError(
            f"{head}{length}={float(segment_value):g} must not exceed the length of "
            f"{media} ({total:g} s)" + _named(rule)
        )


def _named(rule: str | None) -> str:
    return f" (rule {rule})" if rule else ""


def given(model: BaseModel, name: str) -> bool:
    """Whether the caller set ``name`` to a value (not left it out, not null)."""
    return name in model.model_fields_set and getattr(model, name, None) is not None


def requires(model: BaseModel, *, field: str, other: str, rule: str) -> None:
    """``field`` given needs ``other`` given."""
    if given(model, field) and not given(model, other):
        raise ValueError(
            f"{field} is only used together with {other}, which is not set (rule {rule})"
        )


def excludes(model: BaseModel, *, field: str, other: str, rule: str) -> None:
    """``field`` and ``other`` are not both used (a switch set to false is not used)."""
    if _used(model, field) and _used(model, other):
        raise ValueError(f"{field} cannot be used together with {other} (rule {rule})")


def required_when(model: BaseModel, *, field: str, other: str, value: Any, rule: str) -> None:
    """``field`` must be given when ``other`` (its default counts) equals ``value``."""
    current = getattr(model, other, None)
    same = type(current) is type(value) or not isinstance(value, bool | str)
    if same and current == value and not given(model, field):
        raise ValueError(f"{field} is required when {other} is {_show(value)} (rule {rule})")


def _used(model: BaseModel, name: str) -> bool:
    """Given, and not a switch turned off: "cannot be used with instrumental" allows
    ``instrumental=false`` beside the other field."""
    return given(model, name) and getattr(model, name, None) is not False


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else f"{value}"
