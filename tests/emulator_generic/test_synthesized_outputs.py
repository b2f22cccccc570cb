"""emulator.outputs: the result synthesized from an output model's schema is always accepted by it.

Property-based over models built with constraints (bounds, multiples, lengths, enums, lists,
nullable and nested parts, aliases, URL fields), and over every output model of the
bundled bindings: each synthesized object validates (from Python and from its JSON), and
every URL field points at a file the emulator serves.
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, create_model

import musicbind.generated
from musicbind.emulator.outputs import ResultFile, synthesize, synthesize_output
from musicbind.runtime import OutputModel

SERVED = tuple(ResultFile(f"http://127.0.0.1:9/files/p/{i}/take-{i}.wav") for i in range(3))
URL_NAMES = ("url", "audio_url", "coverUrl", "preview_uri")


def _files() -> Any:
    index = iter(range(10_000))
    return lambda: SERVED[next(index) % len(SERVED)]


def _integers() -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> Any:
        low = draw(st.integers(-1000, 1000))
        step = draw(st.none() | st.integers(1, 9))
        span = draw(st.integers(2 * (step or 1) + 2, 500))
        bounds: dict[str, Any] = {}
        if draw(st.booleans()):
            bounds["gt" if draw(st.booleans()) else "ge"] = low
        if draw(st.booleans()):
            bounds["lt" if draw(st.booleans()) else "le"] = low + span
        if step is not None:
            bounds["multiple_of"] = step
        return Annotated[StrictInt, Field(**bounds)]

    return build()


def _floats() -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> Any:
        low = draw(st.floats(-1e4, 1e4, allow_nan=False).map(lambda v: round(v, 2)))
        step = draw(st.sampled_from([None, 0.5, 0.25, 2.0, 0.1]))
        span = draw(st.floats(0.01, 1e3)) + 2 * (step or 0) + 0.01
        bounds: dict[str, Any] = {}
        if draw(st.booleans()):
            bounds["gt" if draw(st.booleans()) else "ge"] = low
        if draw(st.booleans()):
            bounds["lt" if draw(st.booleans()) else "le"] = round(low + span, 2)
        if step is not None:
            bounds["multiple_of"] = step
        return Annotated[StrictFloat, Field(**bounds)]

    return build()


def _strings() -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> Any:
        low = draw(st.integers(0, 30))
        high = draw(st.none() | st.integers(max(low, 1), 40))
        return Annotated[StrictStr, Field(min_length=low, max_length=high)]

    return build()


LEAVES: st.SearchStrategy[Any] = st.one_of(
    _integers(),
    _floats(),
    _strings(),
    st.just(StrictBool),
    st.just(datetime.datetime),
    st.just(Annotated[Decimal, Field(ge=3)]),
    st.just(dict[str, int]),
    st.lists(st.sampled_from(["mp3", "wav", "flac"]), min_size=1, unique=True).map(
        lambda values: Literal[tuple(values)]
    ),
    st.lists(st.integers(0, 9), min_size=1, unique=True).map(lambda v: Literal[tuple(v)]),
)


def _lists(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> Any:
        low = draw(st.integers(0, 3))
        high = draw(st.none() | st.integers(low, 5))
        return Annotated[list[draw(inner)], Field(min_length=low, max_length=high)]  # type: ignore[misc]

    return build()


def _models(depth: int) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> Any:
        inner = LEAVES if depth == 0 else st.one_of(LEAVES, _models(depth - 1))
        kinds = st.one_of(inner, _lists(inner), inner.map(lambda t: t | None))
        names = draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=6, unique=True))
        fields: dict[str, Any] = {}
        for name in names:
            if name in URL_NAMES:  # a URL field, named on the wire as the provider names it
                annotation: Any = StrictStr
                alias = name if name != name.lower() else None
            else:
                annotation = draw(kinds)
                alias = draw(st.sampled_from([None, name.upper() + "X"]))
            default: Any = ... if draw(st.booleans()) else None
            fields[name.replace("Url", "_url")] = (annotation, Field(default, alias=alias))
        return create_model(f"Shape{depth}{len(fields)}", __base__=OutputModel, **fields)

    return build()


FIELD_NAMES = ("title", "seed", "tags", "bpm", "take", "meta", "score", *URL_NAMES)


def _urls(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [u for k, v in value.items() for u in _urls(v, k)]
    if isinstance(value, list):
        return [u for item in value for u in _urls(item, key)]
    return [value] if key in URL_NAMES and isinstance(value, str) else []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_models(depth=2))
def test_the_synthesized_result_validates_against_any_constrained_model(model: Any) -> None:
    note(json.dumps(model.model_json_schema(mode="validation")))
    value = synthesize_output(model, _files())
    model.model_validate(value)
    model.model_validate_json(json.dumps(value))
    assert all(url in {f.url for f in SERVED} for url in _urls(value))


def test_recursive_models_end_and_file_objects_are_described() -> None:
    class Take(OutputModel):
        url: str
        content_type: str | None = None
        file_size: int | None = None
        duration: float | None = None

    class Node(OutputModel):
        take: Take
        children: list[Node] = Field(default_factory=list)
        parent: Node | None = None

    value = synthesize_output(Node, _files())
    Node.model_validate(value)
    assert value["take"] == {
        "url": SERVED[0].url,
        "content_type": "audio/wav",
        "file_size": 0,
        "duration": 10.0,
    }
    assert "children" not in value or value["children"] == []


def test_schemas_without_a_model_are_synthesized_too() -> None:
    schema = {
        "type": "object",
        "required": ["id", "kind", "items"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "kind": {"const": "song"},
            "items": {
                "type": "array",
                "minItems": 2,
                "uniqueItems": True,
                "items": {"enum": [1, 2]},
            },
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "code": {"type": "string", "pattern": "^[0-9]+$"},
        },
    }
    value = synthesize(schema, _files())
    assert value["kind"] == "song"
    assert sorted(value["items"]) == [1, 2]
    assert 0 < value["ratio"] < 1
    assert value["code"].isdigit()


BUNDLED = musicbind.generated.list_bindings()


@pytest.mark.parametrize("ref", BUNDLED)
def test_every_bundled_output_model_accepts_its_synthesized_result(ref: str) -> None:
    model = musicbind.generated.get_binding(ref).output_model
    assert model is not None
    value = synthesize_output(model, _files())
    model.model_validate(value)
    model.model_validate_json(json.dumps(value))
