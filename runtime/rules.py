"""Runtime: cross-field rules that generated validators call (rules no spec format can state).

Media lengths come from pydantic's validation context, keyed by python field name::

    Model.model_validate(data, context={"media_duration": {"video_url": 60.0}})

Without a length for the media field the rule is skipped and only static bounds apply.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationInfo


def media_length(info: ValidationInfo, field: str) -> float | None:
    """The media length (seconds) the caller gave for ``field``, or None."""
    context = info.context
    if not isinstance(context, dict):
        return None
    durations = context.get("media_duration")
    if not isinstance(durations, dict):
        return None
    value: Any = durations.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def segment_within_media(
    model: BaseModel,
    info: ValidationInfo,
    *,
    media: str,
    start: str | None,
    length: str | None,
) -> None:
    """Check ``start < L`` and ``start + length <= L`` for the media length ``L``.

    Raises ValueError (pydantic turns it into a ValidationError) naming the fields.
    """
    total = media_length(info, media)
    if total is None:
        return
    offset_value = getattr(model, start) if start else None
    segment_value = getattr(model, length) if length else None
    offset = float(offset_value) if offset_value is not None else 0.0
    if start and offset_value is not None and offset >= total:
        raise ValueError(
            f"{start}={offset_value:g} must be less than the length of {media} ({total:g} s)"
        )
    if length and segment_value is not None and offset + float(segment_value) > total:
        head = f"{start}={offset:g} + " if start and offset_value is not None else ""
        raise ValueError(
            f"{head}{length}={float(segment_value):g} must not exceed the length of "
            f"{media} ({total:g} s)"
        )
