"""The rule checks generated models call (musicbind.runtime.rules): what "given" and "used" mean."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError, model_validator

from musicbind.runtime import excludes, requires


class Song(BaseModel):
    lyrics: str | None = None
    instrumental: bool = False
    style: str | None = None

    @model_validator(mode="after")
    def _rules(self) -> Song:
        excludes(self, field="lyrics", other="instrumental", rule="excludes:lyrics,instrumental")
        requires(self, field="style", other="lyrics", rule="requires:style,lyrics")
        return self


@pytest.mark.parametrize(
    "payload",
    [
        {"lyrics": "la"},
        {"lyrics": "la", "instrumental": False},  # a switch turned off is not "used"
        {"instrumental": True},
        {"lyrics": None, "instrumental": True},  # null is not given
        {"style": "folk", "lyrics": "la"},
    ],
)
def test_accepted(payload: dict[str, object]) -> None:
    Song.model_validate(payload)


@pytest.mark.parametrize(
    ("payload", "rule"),
    [
        ({"lyrics": "la", "instrumental": True}, "excludes:lyrics,instrumental"),
        ({"style": "folk"}, "requires:style,lyrics"),
        ({"style": "folk", "lyrics": None}, "requires:style,lyrics"),
    ],
)
def test_refused_naming_the_rule(payload: dict[str, object], rule: str) -> None:
    with pytest.raises(ValidationError, match=rule):
        Song.model_validate(payload)
