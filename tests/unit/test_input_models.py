"""The input models' refusals, now made by pydantic-core or worded after a failure.

Validation that passes runs no Python of ours (runtime/bases.py): an explicit null fails
pydantic's type check and is reworded afterwards, a boolean for a numeric choice fails a
strict number check in the core schema, a lone surrogate is refused where the body is
encoded for the wire, and cross-field rules about media lengths run only when lengths
are given. These tests hold each refusal and its wording in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field, StrictFloat, StrictInt, StrictStr, ValidationError

from musicbind.runtime import UNSET, ChoiceInputModel, InputModel, segment_within_media


class Shape(InputModel):
    name: StrictStr
    level: StrictInt = UNSET


class _ClipRules(ChoiceInputModel):
    def musicbind_check_media_rules(self, lengths: Mapping[str, float]) -> None:
        segment_within_media(
            self, lengths, media="clip", start="start", length="length", rule="segment"
        )


class Clip(_ClipRules):
    clip: StrictStr
    start: Annotated[StrictFloat, Field(ge=0.0)] = UNSET
    length: StrictFloat = UNSET
    channels: Literal[1, 2] = 2
    rate: Annotated[Literal[16000, 44100], Field(alias="sampleRate")] = 44100
    note: StrictStr | None = None
    shape: Shape = UNSET
    shapes: list[Shape] = UNSET
    extra: dict[str, Any] = UNSET


class _TaggedRules(InputModel):
    def musicbind_check_rules(self) -> None:
        if self.model_fields_set >= {"a", "b"}:
            raise ValueError("a cannot be used together with b (rule excludes:a,b)")


class Tagged(_TaggedRules):
    a: StrictStr = UNSET
    b: StrictStr = UNSET


def _errors(call: Any) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return [(tuple(e["loc"]), e["type"]) for e in caught.value.errors()]


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"clip": None}, ("clip",)),
        ({"clip": "c", "start": None}, ("start",)),
        ({"clip": "c", "sampleRate": None}, ("sampleRate",)),
        ({"clip": "c", "shape": None}, ("shape",)),
        ({"clip": "c", "shape": {"name": None}}, ("shape", "name")),
        (
            {"clip": "c", "shapes": [{"name": "x"}, {"name": "y", "level": None}]},
            ("shapes", 1, "level"),
        ),
    ],
)
def test_an_explicit_null_is_refused_where_it_stands(
    data: dict[str, Any], where: tuple[str | int, ...]
) -> None:
    assert _errors(lambda: Clip.model_validate(data)) == [(where, "null_not_allowed")]
    assert _errors(lambda: Clip(**data)) == [(where, "null_not_allowed")]


def test_null_is_kept_where_the_field_may_be_null_and_other_errors_keep_their_words() -> None:
    assert Clip.model_validate({"clip": "c", "note": None}).to_wire() == {"clip": "c", "note": None}
    found = _errors(lambda: Clip.model_validate({"clip": "c", "start": -1.0, "length": None}))
    assert found == [(("start",), "greater_than_equal"), (("length",), "null_not_allowed")]
    assert _errors(lambda: Clip.model_validate_json('{"clip": "c", "length": null}')) == [
        (("length",), "null_not_allowed")
    ]


@pytest.mark.parametrize("value", [True, False, "2", 3, 2.5])
def test_a_choice_of_numbers_refuses_what_is_not_one_of_them(value: object) -> None:
    assert _errors(lambda: Clip.model_validate({"clip": "c", "channels": value})) == [
        (("channels",), "literal_error")
    ]


def test_a_choice_of_numbers_takes_its_numbers_and_keeps_its_schema() -> None:
    assert Clip.model_validate({"clip": "c", "channels": 1}).channels == 1
    assert Clip.model_validate({"clip": "c", "channels": 2.0}).channels == 2
    assert Clip.musicbind_numeric_choices == {"channels", "rate", "sampleRate"}
    properties = Clip.model_json_schema(by_alias=True)["properties"]
    assert properties["channels"] == {
        "default": 2,
        "enum": [1, 2],
        "title": "Channels",
        "type": "integer",
    }
    assert properties["sampleRate"]["enum"] == [16000, 44100]


@given(st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=3))
def test_a_lone_surrogate_never_reaches_the_wire(bad: str) -> None:
    for data, where in (
        ({"clip": f"a{bad}"}, ("clip",)),
        ({"clip": "c", "extra": {"k": [bad]}}, ("extra", "k", 0)),
    ):
        model = Clip.model_validate(data)
        assert _errors(model.to_wire) == [(where, "string_unicode")]


def test_media_rules_run_only_when_a_length_is_given() -> None:
    data = {"clip": "c", "start": 50.0, "length": 20.0}
    assert Clip.model_validate(data).start == 50.0
    assert Clip.model_validate(data, context={"media_duration": {"clip": 80.0}}).length == 20.0
    with pytest.raises(ValidationError) as caught:
        Clip.model_validate(data, context={"media_duration": {"clip": 60.0}})
    (error,) = caught.value.errors()
    assert error["type"] == "value_error" and error["loc"] == ()
    assert error["msg"].startswith("Value error, start=50 + length=20 must not exceed")


def test_rules_that_always_apply_run_on_every_path() -> None:
    for call in (
        lambda: Tagged.model_validate({"a": "x", "b": "y"}),
        lambda: Tagged(a="x", b="y"),
        lambda: Tagged.model_validate_json('{"a": "x", "b": "y"}'),
        lambda: Tagged.model_validate({"a": "x", "b": "y"}, strict=True),
    ):
        assert _errors(call) == [((), "value_error")]
    assert Tagged.model_validate({"a": "x"}).to_wire() == {"a": "x"}


def test_validate_options_still_reach_pydantic() -> None:
    with pytest.raises(ValidationError):
        Clip.model_validate({"clip": "c", "sampleRate": 16000}, by_alias=False, by_name=True)
    assert Clip.model_validate(SimpleNamespace(clip="c"), from_attributes=True).clip == "c"
