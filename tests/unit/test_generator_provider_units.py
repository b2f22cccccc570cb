"""The generator's provider units (generator/providers/): file-field rules and the
gateway's job operation, read from documents (issue 15, item 1)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from musicbind.generator.load.records import SpecType, TypeKind
from musicbind.generator.providers import GENERIC, endpoint_operation, is_file_input

TEXT = SpecType(TypeKind.STRING)
FILE = SpecType(TypeKind.FILE, media="audio")
FILES = SpecType(TypeKind.ARRAY, items=FILE)
TEXTS = SpecType(TypeKind.ARRAY, items=TEXT)


@pytest.mark.parametrize(
    ("provider", "wire_name", "spec_type", "expected"),
    [
        (GENERIC, "audio", FILE, True),
        (GENERIC, "stems", FILES, True),
        (GENERIC, "video_url", TEXT, False),  # a generic provider's URL is only a string
        ("scenario", "video", FILE, True),
        ("scenario", "video_url", TEXT, False),
        ("fal", "video_url", TEXT, True),  # fal takes files as URLs in *_url fields
        ("fal", "image_urls", TEXTS, True),
        ("fal", "prompt", TEXT, False),
        ("fal", "url_style", TEXT, False),
        ("aigateway", "webhook_url", TEXT, False),
    ],
)
def test_file_inputs_by_provider(
    provider: str, wire_name: str, spec_type: SpecType, expected: bool
) -> None:
    assert is_file_input(provider, wire_name, spec_type) is expected


@given(st.text(max_size=20), st.sampled_from([TEXT, FILE, FILES, TEXTS]))
def test_fal_specialises_the_generic_rule_and_never_narrows_it(name: str, kind: SpecType) -> None:
    if is_file_input(GENERIC, name, kind):
        assert is_file_input("fal", name, kind)
    assert is_file_input("scenario", name, kind) == is_file_input(GENERIC, name, kind)


GATEWAY_PATHS: dict[str, Any] = {
    "/v1/audio/music": {"post": {}},
    "/v1/jobs/{id}": {"get": {}, "delete": {}},
    "/v1/models/{slug}": {"get": {}},
    "/v2/other/{x}/more": {"get": {}},
}


def test_the_gateway_job_is_read_where_its_document_says() -> None:
    operation = endpoint_operation("aigateway", GATEWAY_PATHS, "/v1/audio/music")
    assert operation is not None and operation.job is not None
    assert (operation.method, operation.path, operation.answer) == (
        "POST",
        "/v1/audio/music",
        "job",
    )
    assert operation.job.status_path == "/v1/jobs/{id}"  # first of the /v1/... job paths
    assert (operation.job.cancel_method, operation.job.cancel_path) == ("DELETE", "/v1/jobs/{id}")
    assert (operation.job.id_field, operation.job.status_field) == ("id", "status")


def test_the_job_path_sharing_most_of_the_submit_path_wins() -> None:
    paths = {**GATEWAY_PATHS, "/v1/audio/jobs/{id}": {"get": {}}}
    operation = endpoint_operation("aigateway", paths, "/v1/audio/music")
    assert operation is not None and operation.job is not None
    assert operation.job.status_path == "/v1/audio/jobs/{id}"
    assert operation.job.cancel_method is None  # no DELETE on it: the job cannot be canceled


def test_no_job_path_or_no_unit_means_no_operation() -> None:
    assert (
        endpoint_operation("aigateway", {"/v1/audio/music": {"post": {}}}, "/v1/audio/music")
        is None
    )
    assert endpoint_operation("fal", GATEWAY_PATHS, "/v1/audio/music") is None
    assert endpoint_operation(GENERIC, GATEWAY_PATHS, "/v1/audio/music") is None
