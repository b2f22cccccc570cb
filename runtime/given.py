"""Runtime: "not given" versus null, for the typed client methods and the input models.

Kept apart from :mod:`musicbind.runtime.bases` (and free of pydantic) because every
generated method module uses these names at import time: the defaults of its keywords.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

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


def present(values: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments a caller gave: :data:`NOT_GIVEN` ones left out, ``None`` kept
    (it is null, which the input model accepts only where the documents allow it)."""
    return {key: value for key, value in values.items() if not isinstance(value, NotGiven)}
