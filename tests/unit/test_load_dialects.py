"""The named dialects: each provider's ways of writing a document kind, recognised on load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from musicbind.generator.load.dialects import Dialect
from musicbind.generator.load.dispatch import load_bytes, load_file

FIXTURES = Path(__file__).parent / "fixtures"
D = Dialect


@pytest.mark.parametrize(
    ("name", "dialects"),
    [
        ("openapi/fal-playai-tts-v3-queue.json", (D.FAL_QUEUE_ALLOF_REFS,)),
        ("openapi/fal-stable-audio-text-to-audio.yaml", (D.FAL_QUEUE_ANYOF_NULL,)),
        ("openapi/gateway-endpoints.json", ()),
        ("constructs/fal-models-api-one.json", (D.FAL_MODELS_API_ENVELOPE,)),
        ("markdown/fal_minimal.md", (D.FAL_MODEL_PAGE,)),
        ("markdown/fal_pasted_openapi.md", (D.FAL_MODEL_PAGE, D.FAL_MODEL_PAGE_WITH_OPENAPI)),
        ("markdown/scenario_new_layout.md", (D.SCENARIO_TABLE_CURRENT,)),
        ("markdown/scenario_old_layout.md", (D.SCENARIO_TABLE_OLDER,)),
        ("markdown/gateway_music.md", (D.GATEWAY_MODEL_PAGE,)),
    ],
)
def test_each_fixture_is_read_in_its_dialect(name: str, dialects: tuple[Dialect, ...]) -> None:
    assert load_file(FIXTURES / name, name).dialects == dialects


def _queue_document(properties: dict[str, object]) -> bytes:
    return json.dumps(
        {
            "openapi": "3.0.4",
            "info": {"title": "t", "version": "1", "x-fal-metadata": {"endpointId": "a/b"}},
            "paths": {},
            "components": {
                "schemas": {
                    "BInput": {"type": "object", "properties": properties},
                    "Audio": {"type": "object", "properties": {"url": {"type": "string"}}},
                }
            },
        }
    ).encode()


@pytest.mark.parametrize(
    ("prop", "dialects"),
    [
        ({"allOf": [{"$ref": "#/components/schemas/Audio"}]}, (D.FAL_QUEUE_ALLOF_REFS,)),
        ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, (D.FAL_QUEUE_ANYOF_NULL,)),
        ({"type": "integer"}, ()),
    ],
)
def test_the_fal_queue_dialect_is_told_by_its_marks(
    prop: dict[str, object], dialects: tuple[Dialect, ...]
) -> None:
    document = load_bytes(_queue_document({"x": prop}), "q.json")
    assert document.models and document.dialects == dialects


def test_a_document_showing_both_queue_marks_names_both() -> None:
    both: dict[str, object] = {
        "a": {"allOf": [{"$ref": "#/components/schemas/Audio"}]},
        "b": {"anyOf": [{"type": "number"}, {"type": "null"}]},
    }
    document = load_bytes(_queue_document(both), "q.json")
    assert document.dialects == (D.FAL_QUEUE_ALLOF_REFS, D.FAL_QUEUE_ANYOF_NULL)
