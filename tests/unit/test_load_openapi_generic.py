"""Generic providers (issue 12): any OpenAPI 3.0/3.1 or Swagger 2.0 document binds.

Each test states one document fact and the binding fact it must become: who the provider
is (name, base URL, auth), which operations are models, what they answer (JSON, a binary
file, a job read later) and how a job is read (id, status path, status words, cancel).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from musicbind.generator.ingest import build_from_paths, default_overlay_path
from musicbind.generator.load import openapi
from musicbind.generator.load.openapi_generic_jobs import state_of_word
from musicbind.generator.load.openapi_generic_provider import provider_name_from
from musicbind.generator.load.records import SpecDocument, SpecModel, TypeKind
from musicbind.generator.project_files.overlay import load_overlay
from musicbind.generator.registry.build import build_registry
from musicbind.runtime.jobstate import JobState

FIXTURES = Path(__file__).resolve().parents[1] / "e2e" / "fixtures" / "generic"


def _load(document: dict[str, Any], path: str = "doc.json") -> SpecDocument:
    return openapi.load(json.dumps(document), path)


def _only(doc: SpecDocument) -> SpecModel:
    (model,) = doc.models
    return model


def _body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return {"content": {"application/json": {"schema": schema}}}


def _doc(paths: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Beatbox API", "version": "1"},
        "servers": [{"url": "https://api.beatbox.example/v1"}],
        "paths": paths,
        **top,
    }


_JSON_ANSWER = {
    "200": {
        "description": "ok",
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"url": {"type": "string"}}}
            }
        },
    }
}


def _post(body: dict[str, Any], responses: dict[str, Any] | None = None, **more: Any) -> Any:
    return {"post": {"requestBody": body, "responses": responses or _JSON_ANSWER, **more}}


# who the provider is ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "title", "name"),
    [
        ("https://api.tunesmith.example/v2", "Anything", "tunesmith"),
        ("https://eu.api.loopforge.io", "", "loopforge"),
        ("https://gateway.sound-lab.example", "", "sound_lab"),
        ("", "SoundForge API", "soundforge"),
        ("http://localhost:8000", "Local Beats", "local"),
        ("", "", None),
        ("", "API", None),
        ("http://[::1", "", None),
    ],
)
def test_provider_name_comes_from_the_host_then_the_title(
    url: str, title: str, name: str | None
) -> None:
    assert provider_name_from({"info": {"title": title}}, url) == name


@given(st.text(max_size=40), st.text(max_size=40))
def test_provider_names_are_identifiers_or_none(url: str, title: str) -> None:
    name = provider_name_from({"info": {"title": title}}, url)
    assert name is None or (name.isidentifier() and name == name.lower())


def test_the_provider_facts_come_from_servers_title_and_security() -> None:
    doc = _load(
        _doc(
            {"/make": _post(_body({"prompt": {"type": "string"}}))},
            servers=[
                {
                    "url": "https://{zone}.beatbox.example/v1",
                    "variables": {"zone": {"default": "eu"}},
                }
            ],
            components={
                "securitySchemes": {"k": {"type": "apiKey", "in": "header", "name": "X-Key"}}
            },
            security=[{"k": []}],
        )
    )
    assert doc.problems == ()
    assert doc.provider == "beatbox" and _only(doc).provider == "beatbox"
    facts = doc.provider_facts
    assert facts is not None
    assert (facts.display_name, facts.base_url) == ("Beatbox", "https://eu.beatbox.example/v1")
    assert (facts.auth, facts.auth_name) == ("header", "X-Key")


@pytest.mark.parametrize(
    ("scheme", "auth"),
    [
        ({"type": "http", "scheme": "bearer"}, ("bearer", None)),
        ({"type": "http", "scheme": "Basic"}, ("basic", None)),
        ({"type": "apiKey", "in": "query", "name": "token"}, ("query", "token")),
        ({"type": "apiKey", "in": "header", "name": "Api-Key"}, ("header", "Api-Key")),
        ({"type": "oauth2", "flows": {}}, ("bearer", None)),
    ],
)
def test_auth_comes_from_the_required_security_scheme(
    scheme: dict[str, Any], auth: tuple[str, str | None]
) -> None:
    other = {"type": "apiKey", "in": "cookie", "name": "c"}
    doc = _load(
        _doc(
            {"/make": _post(_body({"prompt": {"type": "string"}}))},
            components={"securitySchemes": {"other": other, "wanted": scheme}},
            security=[{"wanted": []}],
        )
    )
    assert doc.provider_facts is not None
    assert (doc.provider_facts.auth, doc.provider_facts.auth_name) == auth


def test_an_auth_scheme_musicbind_cannot_send_is_a_located_warning() -> None:
    doc = _load(
        _doc(
            {"/make": _post(_body({"prompt": {"type": "string"}}))},
            components={"securitySchemes": {"c": {"type": "apiKey", "in": "cookie", "name": "c"}}},
        )
    )
    assert doc.provider_facts is not None and doc.provider_facts.auth == "none"
    (problem,) = doc.problems
    assert problem.location.pointer == "/components/securitySchemes/c"
    assert "not one musicbind sends" in problem.message


def test_a_document_without_auth_needs_no_credentials() -> None:
    doc = _load(_doc({"/make": _post(_body({"prompt": {"type": "string"}}))}))
    assert doc.provider_facts is not None and doc.provider_facts.auth == "none"


# which operations, and what they answer --------------------------------------------------------


def test_every_operation_with_a_body_is_a_model_named_by_its_operation_id() -> None:
    doc = _load(
        _doc(
            {
                "/songs": {
                    **_post(_body({"lyrics": {"type": "string"}}), operationId="write_song"),
                    "get": {"responses": _JSON_ANSWER},
                },
                "/remix": {
                    "put": {
                        "requestBody": _body({"seed": {"type": "integer"}}),
                        "responses": _JSON_ANSWER,
                    }
                },
                "/health": {"get": {"responses": _JSON_ANSWER}},
            }
        )
    )
    assert [(m.model_id, m.operation.method if m.operation else None) for m in doc.models] == [
        ("write_song", "POST"),
        ("remix:put", "PUT"),
    ]
    assert all(m.operation and m.operation.answer == "json" for m in doc.models)
    assert [p.wire_name for p in doc.models[0].outputs or ()] == ["url"]


@pytest.mark.parametrize("media_type", ["audio/mpeg", "audio/wav", "application/octet-stream"])
def test_an_audio_answer_is_a_binary_operation_whose_output_is_the_saved_file(
    media_type: str,
) -> None:
    answer = {
        "200": {
            "description": "audio",
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
    model = _only(_load(_doc({"/speak": _post(_body({"text": {"type": "string"}}), answer)})))
    assert model.operation is not None
    assert (model.operation.answer, model.operation.media_type) == ("binary", media_type)
    assert [p.wire_name for p in model.outputs or ()] == ["audio"]
    (shape,) = [s for s in model.shapes if s.name == "AudioFile"]
    assert [f.wire_name for f in shape.fields] == ["url", "content_type", "file_size"]


def _job_document(status: dict[str, Any], *, delete: bool = True) -> dict[str, Any]:
    job = {
        "type": "object",
        "properties": {
            "job_id": {"type": "string"},
            "state": status,
            "error_message": {"type": "string"},
            "result_url": {"type": "string"},
        },
    }
    accepted = {
        "202": {
            "description": "job",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"job_id": {"type": "string"}}}
                }
            },
        }
    }
    item: dict[str, Any] = {
        "get": {
            "responses": {
                "200": {"description": "the job", "content": {"application/json": {"schema": job}}}
            }
        }
    }
    if delete:
        item["delete"] = {"responses": {"204": {"description": "gone"}}}
    return _doc(
        {
            "/music/jobs": _post(_body({"prompt": {"type": "string"}}), accepted),
            "/music/jobs/{job_id}": item,
            "/voices/{voice_id}": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "a voice",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"status": {"type": "string"}},
                                    }
                                }
                            },
                        }
                    }
                }
            },
        }
    )


def test_an_answer_naming_an_id_with_a_status_operation_is_a_job() -> None:
    status = {"type": "string", "enum": ["WAITING", "in-progress", "Done", "errored", "aborted"]}
    doc = _load(_job_document(status))
    model = _only(doc)
    assert model.operation is not None and model.operation.job is not None
    job = model.operation.job
    assert model.operation.answer == "job"
    assert (job.id_field, job.status_path, job.status_field) == (
        "job_id",
        "/music/jobs/{job_id}",  # the closer path, not /voices/{voice_id}
        "state",
    )
    assert (job.error_field, job.cancel_method, job.cancel_path) == (
        "error_message",
        "DELETE",
        "/music/jobs/{job_id}",
    )
    assert [p.wire_name for p in model.outputs or ()] == [
        "job_id",
        "state",
        "error_message",
        "result_url",
    ]
    assert doc.provider_facts is not None
    assert dict(doc.provider_facts.statuses) == {
        "WAITING": "QUEUED",
        "in-progress": "RUNNING",
        "Done": "SUCCEEDED",
        "errored": "FAILED",
        "aborted": "CANCELED",
    }


def test_a_status_word_without_a_known_meaning_is_reported_and_left_unmapped() -> None:
    doc = _load(
        _job_document({"type": "string", "enum": ["queued", "vibing", "done"]}, delete=False)
    )
    assert _only(doc).operation.job.cancel_method is None  # type: ignore[union-attr]
    assert doc.provider_facts is not None
    assert dict(doc.provider_facts.statuses) == {"queued": "QUEUED", "done": "SUCCEEDED"}
    (problem,) = doc.problems
    assert "'vibing'" in problem.message and "providers.<name>.statuses" in problem.message
    assert problem.location.pointer == (
        "/paths/~1music~1jobs~1{job_id}/get/responses/200/content/application~1json/schema"
        "/properties/state"
    )


@pytest.mark.parametrize(
    ("word", "state"),
    [
        ("IN_PROGRESS", "RUNNING"),
        ("in progress", "RUNNING"),
        ("Succeeded", "SUCCEEDED"),
        ("cancelled", "CANCELED"),
        ("pending", "QUEUED"),
        ("timed_out", "FAILED"),
        ("meh", None),
    ],
)
def test_status_words_are_read_by_meaning(word: str, state: str | None) -> None:
    assert state_of_word(word) == state
    if state is not None:
        JobState(state)


def test_path_and_query_parameters_are_inputs_and_multipart_binaries_are_files() -> None:
    doc = openapi.load((FIXTURES / "loopforge.openapi.yaml").read_text(), "loopforge.openapi.yaml")
    assert doc.problems == ()
    stems = next(m for m in doc.models if m.model_id == "split_stems")
    assert stems.operation is not None
    assert (
        stems.operation.body,
        stems.operation.path_params,
        stems.operation.query_params,
        stems.operation.files,
    ) == ("multipart", ("loop_id",), ("quality",), ("mix",))
    inputs = {p.wire_name: p for p in stems.inputs or ()}
    assert inputs["loop_id"].required and inputs["mix"].required
    assert inputs["mix"].type.kind is TypeKind.FILE and inputs["mix"].type.media is None
    assert inputs["quality"].allowed == ("draft", "final")


def test_a_parameter_named_like_a_body_property_is_a_located_error() -> None:
    paths = {"/tracks/{seed}": _post(_body({"seed": {"type": "integer"}}))}
    doc = _load(_doc(paths))
    assert doc.models == ()
    (problem,) = doc.problems
    assert problem.level.value == "error" and "'seed'" in problem.message
    assert problem.location.pointer == "/paths/~1tracks~1{seed}/post"


# Swagger 2.0 -------------------------------------------------------------------------------


def test_swagger_2_body_parameters_definitions_and_jobs_bind() -> None:
    doc = openapi.load((FIXTURES / "tunesmith.swagger.json").read_text(), "t.json")
    assert doc.problems == ()
    model = _only(doc)
    assert model.operation is not None and model.operation.job is not None
    assert model.operation.job.status_path == "/songs/{task_id}"
    assert doc.provider_facts is not None
    assert doc.provider_facts.base_url == "https://api.tunesmith.example/api"
    inputs = {p.wire_name: p for p in model.inputs or ()}
    assert inputs["style"].allowed == ("pop", "folk", "rock", "jazz")
    assert inputs["lyrics"].max_length == 3000
    assert inputs["length"].minimum == 10 and inputs["length"].maximum == 240


def test_swagger_2_form_data_and_audio_answers_bind_in_yaml() -> None:
    document = {
        "swagger": "2.0",
        "info": {"title": "Hummer", "version": "1"},
        "host": "hummer.example",
        "schemes": ["http"],
        "paths": {
            "/hum": {
                "post": {
                    "consumes": ["multipart/form-data"],
                    "produces": ["audio/wav"],
                    "parameters": [
                        {"name": "melody", "in": "formData", "type": "file", "required": True},
                        {"name": "key", "in": "formData", "type": "string", "enum": ["C", "G"]},
                    ],
                    "responses": {"200": {"description": "wav", "schema": {"type": "file"}}},
                }
            }
        },
    }
    doc = openapi.load(yaml.safe_dump(document), "hum.yaml")
    assert doc.problems == ()
    model = _only(doc)
    assert model.operation is not None
    assert (model.operation.body, model.operation.answer, model.operation.files) == (
        "multipart",
        "binary",
        ("melody",),
    )
    assert doc.provider_facts is not None
    assert doc.provider_facts.base_url == "http://hummer.example"
    inputs = {p.wire_name: p for p in model.inputs or ()}
    assert inputs["melody"].type.kind is TypeKind.FILE and inputs["melody"].required
    assert inputs["key"].allowed == ("C", "G")


# the registry: the overlay wins; the manifest names ---------------------------------------------


def test_the_overlay_sets_what_a_generic_document_cannot_say(tmp_path: Path) -> None:
    doc = _load(_job_document({"type": "string", "enum": ["queued", "vibing", "done"]}))
    overlay, problems = load_overlay(
        "providers:\n"
        "  beatbox:\n"
        "    base_url: https://eu.beatbox.example/v1\n"
        "    auth: query\n"
        "    auth_name: key\n"
        "    key_env: BEATBOX_TOKEN\n"
        "    statuses: {vibing: RUNNING}\n",
        "overlay.yaml",
    )
    assert problems == []
    registry = build_registry([doc], overlay)
    (provider,) = registry.providers
    assert (provider.adapter, provider.base_url, provider.auth, provider.auth_name) == (
        "openapi",
        "https://eu.beatbox.example/v1",
        "query",
        "key",
    )
    assert provider.key_env == "BEATBOX_TOKEN"
    assert dict(provider.statuses)["vibing"] is JobState.RUNNING
    assert dict(provider.statuses)["done"] is JobState.SUCCEEDED
    (model,) = registry.models
    assert model.ref == "beatbox:music/jobs" and model.operation is not None


def test_header_or_query_auth_in_the_overlay_needs_its_name() -> None:
    _, problems = load_overlay("providers:\n  beatbox:\n    auth: header\n", "overlay.yaml")
    assert problems and "auth_name" in problems[0].message


def test_a_provider_no_document_describes_needs_its_protocol_in_the_overlay() -> None:
    overlay, problems = load_overlay("providers:\n  lonely:\n    auth: bearer\n", "o.yaml")
    assert problems == []
    registry = build_registry([], overlay)
    assert any("needs base_url, statuses" in p.message for p in registry.problems)


def test_the_three_acceptance_documents_build_three_generic_providers() -> None:
    built = build_from_paths(sorted(FIXTURES.iterdir()), default_overlay_path(), FIXTURES)
    assert [p for p in built.registry.problems if p.level.value == "error"] == []
    assert {(p.name, p.adapter, p.auth) for p in built.registry.providers} == {
        ("loopforge", "openapi", "header"),
        ("soundforge", "openapi", "bearer"),
        ("tunesmith", "openapi", "query"),
    }
    assert [m.ref for m in built.registry.models] == [
        "loopforge:make_loop",
        "loopforge:split_stems",
        "soundforge:compose",
        "tunesmith:create_song",
    ]


def test_the_overlay_names_the_job_a_document_does_not_show() -> None:
    accepted = {
        "200": {
            "description": "accepted",
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"ticket": {"type": "string"}}}
                }
            },
        }
    }
    doc = _load(_doc({"/render": _post(_body({"prompt": {"type": "string"}}), accepted)}))
    assert _only(doc).operation.answer == "json"  # type: ignore[union-attr]
    overlay, problems = load_overlay(
        "providers:\n"
        "  beatbox:\n"
        "    statuses: {WORKING: RUNNING, READY: SUCCEEDED}\n"
        "models:\n"
        "  'beatbox:render':\n"
        "    job: {id_field: ticket, status_path: '/tickets/{ticket}', status_field: phase}\n",
        "overlay.yaml",
    )
    assert problems == []
    (model,) = build_registry([doc], overlay).models
    assert model.operation is not None and model.operation.answer == "job"
    assert model.operation.job is not None
    assert (model.operation.job.id_field, model.operation.job.status_path) == (
        "ticket",
        "/tickets/{ticket}",
    )
    assert model.outputs is None  # the document's answer was the ticket, not the result


def test_an_overlay_job_path_needs_one_placeholder() -> None:
    _, problems = load_overlay(
        "models:\n  'beatbox:render':\n    job: {id_field: id, status_path: /tickets}\n",
        "overlay.yaml",
    )
    assert problems and "one placeholder" in problems[0].message


def test_an_id_inside_an_envelope_object_names_the_job() -> None:
    envelope = {
        "type": "object",
        "properties": {
            "code": {"type": "integer"},
            "data": {"type": "object", "properties": {"task_id": {"type": "string"}}},
        },
    }
    accepted = {
        "200": {"description": "queued", "content": {"application/json": {"schema": envelope}}}
    }
    task = {
        "type": "object",
        "properties": {
            "task_id": {"type": "string"},
            "status": {"type": "string", "enum": ["SUCCESS"]},
        },
    }
    doc = _load(
        _doc(
            {
                "/v1/generate": _post(_body({"prompt": {"type": "string"}}), accepted),
                "/v1/tasks/{task_id}": {
                    "get": {
                        "responses": {
                            "200": {
                                "description": "task",
                                "content": {"application/json": {"schema": task}},
                            }
                        }
                    }
                },
            }
        )
    )
    job = _only(doc).operation.job  # type: ignore[union-attr]
    assert job is not None
    assert (job.id_field, job.status_path) == ("data.task_id", "/v1/tasks/{task_id}")


def test_request_body_examples_of_the_media_object_are_read() -> None:
    body = _body({"prompt": {"type": "string"}})
    body["content"]["application/json"]["example"] = {"prompt": "one"}
    body["content"]["application/json"]["examples"] = {"two": {"value": {"prompt": "two"}}}
    model = _only(_load(_doc({"/make": _post(body)})))
    # One reader for every body (OpenApiDocument.payload_examples): named examples, then example
    assert model.input_examples == ({"prompt": "two"}, {"prompt": "one"})
