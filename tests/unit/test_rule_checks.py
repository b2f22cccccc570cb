"""The runtime checks that generated validators call for rules stated in sentences."""

from __future__ import annotations

from typing import Any, Self

import pytest
from pydantic import BaseModel, ValidationError, model_validator

from musicbind.runtime import excludes, required_when, requires


class Song(BaseModel):
    prompt: str | None = None
    lyrics: str | None = None
    style: str | None = None
    is_instrumental: bool = False
    mode: str = "auto"

    @model_validator(mode="after")
    def _rules(self) -> Self:
        requires(self, field="style", other="prompt", rule="requires:style,prompt")
        excludes(self, field="prompt", other="lyrics", rule="excludes:prompt,lyrics")
        required_when(
            self, field="lyrics", other="mode", value="custom", rule="required_when:lyrics,mode"
        )
        return self


@pytest.mark.parametrize(
    ("data", "broken"),
    [
        ({}, None),
        ({"prompt": "p", "style": "s"}, None),
        ({"style": "s"}, "requires:style,prompt"),
        ({"style": "s", "prompt": None}, "requires:style,prompt"),  # null is not given
        ({"prompt": "p", "lyrics": "l"}, "excludes:prompt,lyrics"),
        ({"prompt": "p", "lyrics": None}, None),
        ({"mode": "custom"}, "required_when:lyrics,mode"),
        ({"mode": "custom", "lyrics": "l"}, None),
        ({"mode": "auto"}, None),
    ],
)
def test_rule_checks(data: dict[str, Any], broken: str | None) -> None:
    if broken is None:
        Song.model_validate(data)
        return
    with pytest.raises(ValidationError) as caught:
        Song.model_validate(data)
    assert f"(rule {broken})" in str(caught.value)


class Vocal(BaseModel):
    lyrics: str | None = None
    is_instrumental: bool = False
    count: int = 0

    @model_validator(mode="after")
    def _rules(self) -> Self:
        required_when(self, field="lyrics", other="is_instrumental", value=False, rule="r1")
        return self


def test_required_when_a_default_meets_the_condition() -> None:
    with pytest.raises(ValidationError, match="lyrics is required when is_instrumental is false"):
        Vocal.model_validate({})  # the default false counts: the API applies it
    Vocal.model_validate({"is_instrumental": True})
    Vocal.model_validate({"lyrics": "la"})
