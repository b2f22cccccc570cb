"""The generic adapter's exchanges, sans I/O: what a generic provider's operation sends
and how its answers are read (issue 12). End to end against the emulator:
tests/e2e/test_generic_providers.py."""

from __future__ import annotations

import email.parser
import email.policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from musicbind.runtime.binding import HttpOperation, JobOperations, ProviderProtocol
from musicbind.runtime.download import answered_file, answers_folder
from musicbind.runtime.errors import ConfigurationError, UnknownJobStatusError
from musicbind.runtime.http import ApiResponse, HttpCall
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.providers import adapter_for
from musicbind.runtime.providers.base import JobHandle
from musicbind.runtime.providers.generic import GenericAdapter
from musicbind.runtime.secrets import Secret

JOB = JobOperations(
    id_field="task_id",
    status_path="/tasks/{task_id}",
    status_field="state",
    error_field="reason",
    cancel_method="DELETE",
    cancel_path="/tasks/{task_id}",
)
PROTOCOL = ProviderProtocol(
    name="beatbox",
    display_name="Beatbox",
    base_url="https://api.beatbox.example/v1",
    auth="query",
    auth_name="token",
    statuses={"waiting": JobState.QUEUED, "done": JobState.SUCCEEDED, "broke": JobState.FAILED},
    adapter="openapi",
    operations={
        "render": HttpOperation(
            "POST", "/voices/{voice}/render", query_params=("mode",), job=JOB, answer="job"
        ),
        "form": HttpOperation("POST", "/form", body="multipart"),
        "plain": HttpOperation("POST", "/plain", body="form"),
        "speak": HttpOperation("POST", "/speak", answer="binary", media_type="audio/mpeg"),
        "echo": HttpOperation("PUT", "/echo"),
    },
)


def _adapter() -> GenericAdapter:
    adapter = adapter_for(PROTOCOL, PROTOCOL.base_url)
    assert isinstance(adapter, GenericAdapter)
    return adapter


def _answer(body: bytes, status: int = 200, **headers: str) -> ApiResponse:
    return ApiResponse(status, httpx.Headers(headers), body, "https://api.beatbox.example/v1/x")


def _first_call(exchange: Any) -> HttpCall:
    call = next(exchange)
    assert isinstance(call, HttpCall)
    return call


def _finish(exchange: Any, answer: ApiResponse) -> Any:
    with pytest.raises(StopIteration) as stop:
        exchange.send(answer)
    return stop.value.value


def test_path_and_query_inputs_leave_the_body() -> None:
    call = _first_call(_adapter().submit("render", {"voice": "a/b c", "mode": True, "text": "hi"}))
    assert (call.method, call.url) == (
        "POST",
        "https://api.beatbox.example/v1/voices/a%2Fb%20c/render",
    )
    assert call.params == {"mode": "true"} and call.json == {"text": "hi"}
    assert not call.to_file


def test_a_missing_path_input_is_refused_before_sending() -> None:
    with pytest.raises(ConfigurationError, match="'voice'"):
        _first_call(_adapter().submit("render", {"text": "hi"}))


def test_a_job_answer_names_the_job_and_its_first_state() -> None:
    exchange = _adapter().submit("render", {"voice": "v"})
    _first_call(exchange)
    answer = _finish(exchange, _answer(b'{"task_id": 7, "state": "waiting"}'))
    assert answer.handle.job_id == "7" and answer.result is None
    assert answer.snapshot is not None and answer.snapshot.state is JobState.QUEUED


def test_job_status_reads_words_and_never_takes_an_unknown_one_for_success() -> None:
    adapter = _adapter()
    handle = JobHandle("render", "t/1")
    exchange = adapter.status(handle)
    call = _first_call(exchange)
    assert call.url == "https://api.beatbox.example/v1/tasks/t%2F1"
    failed = _finish(exchange, _answer(b'{"state": "broke", "reason": "no voice"}'))
    assert (failed.state, failed.error) == (JobState.FAILED, "no voice")
    exchange = adapter.status(handle)
    _first_call(exchange)
    with pytest.raises(UnknownJobStatusError):
        _finish(exchange, _answer(b'{"state": "vibing"}'))


def test_cancel_uses_the_documented_operation_then_reads_the_job() -> None:
    exchange = _adapter().cancel(JobHandle("render", "t1"))
    call = _first_call(exchange)
    assert (call.method, call.url, call.accept) == (
        "DELETE",
        "https://api.beatbox.example/v1/tasks/t1",
        frozenset({409}),
    )
    assert exchange.send(_answer(b"")).method == "GET"


def test_a_json_answer_is_the_result_and_the_job_is_done_at_once() -> None:
    adapter = _adapter()
    exchange = adapter.submit("echo", {"x": 1})
    assert _first_call(exchange).method == "PUT"
    answer = _finish(exchange, _answer(b'{"id": "e1", "url": "https://cdn.example/a.mp3"}'))
    assert answer.handle.job_id == "e1" and answer.result == {
        "id": "e1",
        "url": "https://cdn.example/a.mp3",
    }
    assert answer.snapshot.state is JobState.SUCCEEDED
    assert adapter.answered_at_submit(answer.handle)
    with pytest.raises(StopIteration) as stop:
        next(adapter.status(answer.handle))  # no request: nothing to read again
    assert stop.value.value.state is JobState.SUCCEEDED


def test_a_binary_answer_is_streamed_to_a_file_and_becomes_a_spool_result(tmp_path: Path) -> None:
    exchange = _adapter().submit("speak", {"text": "hi"})
    assert _first_call(exchange).to_file
    saved = tmp_path / "answer-1.mp3"
    saved.write_bytes(b"ID3" + bytes(100))
    response = ApiResponse(200, httpx.Headers({"content-type": "audio/mpeg"}), b"", "u", file=saved)
    answer = _finish(exchange, response)
    assert answer.result == {
        "audio": {"url": "spool:answer-1.mp3", "content_type": "audio/mpeg", "file_size": 103}
    }


def test_only_a_bare_name_in_the_answers_folder_is_ever_read(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    folder = answers_folder(journal)
    folder.mkdir()
    (folder / "a.mp3").write_bytes(b"x")
    (tmp_path / "secret.txt").write_text("no")
    assert answered_file(journal, "spool:a.mp3") == folder / "a.mp3"
    for url in (
        "spool:../secret.txt",
        "spool:",
        "spool:/etc/passwd",
        "file:///etc/passwd",
        "spool:missing.mp3",
    ):
        assert answered_file(journal, url) is None


def test_result_files_are_url_objects_and_urls_under_url_keys() -> None:
    refs = _adapter().file_refs(
        {
            "audio_url": "https://cdn.example/song.mp3?sig=1",
            "cover": {"url": "https://cdn.example/cover.png"},
            "homepage": "https://beatbox.example/",  # not a URL key: not a file
            "stems": [{"stem_url": "https://cdn.example/drums.wav"}],
            "file": {"url": "spool:answer-1.mp3"},
            "other": "spool:x",  # only under "url"
        }
    )
    assert sorted(r.url for r in refs) == [
        "https://cdn.example/cover.png",
        "https://cdn.example/drums.wav",
        "https://cdn.example/song.mp3?sig=1",
        "spool:answer-1.mp3",
    ]


def _parts(call: HttpCall) -> dict[str, str]:
    assert call.content is not None
    head = f"Content-Type: {call.content.content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        head + call.content.data
    )
    return {
        str(part.get_param("name", header="content-disposition")): part.get_content()
        for part in message.iter_parts()
    }


def test_multipart_operations_send_multipart_even_without_files(tmp_path: Path) -> None:
    call = _first_call(_adapter().submit("form", {"prompt": 'say "hi"', "n": 2, "flag": False}))
    assert call.content is not None
    assert call.content.content_type.startswith("multipart/form-data; boundary=")
    assert _parts(call) == {"prompt": 'say "hi"', "n": "2", "flag": "false"}


def test_form_operations_send_urlencoded_fields() -> None:
    call = _first_call(_adapter().submit("plain", {"prompt": "a b", "n": 2}))
    assert call.content is not None
    assert call.content.content_type == "application/x-www-form-urlencoded"
    assert parse_qs(call.content.data.decode()) == {"prompt": ["a b"], "n": ["2"]}


def test_query_and_header_keys_go_where_the_protocol_says() -> None:
    query = _adapter().auth_header(Secret("k-123456"), None)
    assert query is not None and (query.name, query.in_query) == ("token", True)
    header = GenericAdapter(
        ProviderProtocol(
            "x", "X", "https://x.example", "header", auth_name="X-Key", adapter="openapi"
        ),
        "https://x.example",
    ).auth_header(Secret("k-123456"), None)
    assert header is not None and (header.name, header.in_query) == ("X-Key", False)


def test_an_unknown_adapter_is_a_clear_configuration_error() -> None:
    future = ProviderProtocol("x", "X", "https://x.example", "bearer", adapter="grpc")
    with pytest.raises(ConfigurationError, match="adapter 'grpc'"):
        adapter_for(future, future.base_url)


def test_a_job_id_inside_an_envelope_is_found() -> None:
    nested = ProviderProtocol(
        "songs",
        "Songs",
        "https://songs.example",
        "bearer",
        adapter="openapi",
        statuses={"PENDING": JobState.QUEUED},
        operations={
            "make": HttpOperation(
                "POST",
                "/make",
                answer="job",
                job=JobOperations(id_field="data.task_id", status_path="/tasks/{task_id}"),
            )
        },
    )
    exchange = adapter_for(nested, nested.base_url).submit("make", {})
    _first_call(exchange)
    answer = _finish(exchange, _answer(b'{"code": 200, "data": {"task_id": "t-9"}}'))
    assert answer.handle.job_id == "t-9"
