"""Local media in the runtime: what a file input's value is, media lengths, upload records,
and where fal's storage upload sends the key."""

from __future__ import annotations

import hashlib
import http.server
import json
import re
import shutil
import string
import struct
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from musicbind import generated
from musicbind.runtime.client import Client
from musicbind.runtime.errors import APIResponseError, FileInputError
from musicbind.runtime.media import (
    FileInputRules,
    FileValueError,
    classify_file_value,
    file_input_problems,
    file_input_rules,
    local_media_durations,
    probe_media,
)
from musicbind.runtime.media_probe import BLOCK_BYTES, probe_url
from musicbind.runtime.media_uploads import UploadProgress, UploadRecords

DEMO_VIDEO = Path(__file__).resolve().parents[2] / "emulator" / "media" / "demo.mp4"  # 12.0 s
FAL_REF = "fal:sonilo/v1.1/video-to-music"


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    target = tmp_path / "clip.mp4"
    shutil.copy(DEMO_VIDEO, target)
    return target


def test_values_are_classified_as_the_provider_takes_them(clip: Path) -> None:
    assert classify_file_value("https://cdn.example/a.mp4").kind == "url"
    assert classify_file_value("HTTP://cdn.example/a.mp4").kind == "url"
    assert classify_file_value(str(clip)) == classify_file_value(clip)
    assert classify_file_value(clip).path == clip.resolve()
    assert classify_file_value("clip.mp4", folder=clip.parent).path == clip.resolve()
    assert classify_file_value("data:video/mp4;base64,AAAA", data_urls=True).kind == "data"
    assert classify_file_value("asset_abc123", takes="asset").kind == "asset"
    refused = {
        "asset_abc123": "no such local file",  # a URL-taking provider has no asset ids
        "missing/clip.mp4": "no such local file",
        clip.as_uri(): f"pass {clip.resolve()} itself",
        "ftp://host/a.mp4": "ftp:// URLs are not fetched",
        "s3://bucket/a.mp4": "s3:// URLs are not fetched",
        "data:video/mp4;base64,AAAA": "data: URL is not a file input",
        str(clip.parent): "not a regular file",
    }
    for value, reason in refused.items():
        with pytest.raises(FileValueError, match=reason):
            classify_file_value(value)
    with pytest.raises(FileValueError, match="no such local file"):
        classify_file_value("missing.mp4", takes="asset")  # a media name is a path, not an id
    with pytest.raises(FileValueError, match="no such local file: ~nosuchuser-18"):
        classify_file_value("~nosuchuser-18/a.mp4")


_SCHEMES = st.text(string.ascii_lowercase, min_size=2, max_size=8)


@given(st.text(max_size=300))
def test_any_text_is_classified_or_refused_with_a_reason(value: str) -> None:
    for takes in ("url", "asset"):
        try:
            found = classify_file_value(value, takes=takes)
        except FileValueError as error:
            assert str(error)
        else:
            assert found.kind in ("url", "asset", "local")


@given(_SCHEMES, st.text(string.ascii_letters + "/._-", max_size=40))
def test_a_url_is_sent_only_when_the_provider_fetches_its_scheme(scheme: str, rest: str) -> None:
    value = f"{scheme}://{rest}"
    if scheme in ("http", "https"):
        assert classify_file_value(value).kind == "url"
    elif scheme != "file":
        with pytest.raises(FileValueError, match=f"{scheme}:// URLs are not fetched"):
            classify_file_value(value, takes="asset")


def test_media_length_is_read_from_the_file(clip: Path, tmp_path: Path) -> None:
    assert probe_media(clip).seconds == pytest.approx(12.0)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\0\0\0\x08free" * 3)
    probed = probe_media(junk)
    assert probed.seconds is None and probed.problem and "junk.mp4" in probed.problem
    aliases = {"video": "video", "start_offset": "startOffset"}
    fields = ("video",)
    assert local_media_durations(fields, {"video": str(clip)}, aliases) == {"video": 12.0}
    assert local_media_durations(fields, {"video": clip}, aliases, {"video": 30.0}) == {
        "video": 30.0
    }
    assert local_media_durations(fields, {"video": "https://x/a.mp4"}, aliases) == {}
    assert local_media_durations(fields, {"video": str(junk)}, aliases) == {}


def test_problems_name_the_wire_field() -> None:
    rules = file_input_rules("scenario")
    problems = file_input_problems(
        ("video",), {"video": ["asset_1", "ftp://x/y.mp4"]}, {"video": "video"}, rules
    )
    assert [(p.wire, p.value) for p in problems] == [("video", "ftp://x/y.mp4")]
    assert file_input_rules("fal") == FileInputRules("url", data_urls=True, uploads=True)
    assert file_input_rules("aigateway") is None  # states no file-input rules: not checked
    urls_only = FileInputRules("url", uploads=False)
    local = file_input_problems(("f",), {"f": str(DEMO_VIDEO)}, {}, urls_only)
    assert [p.reason for p in local] == [
        "a local file, but this provider takes public http(s) URLs only"
    ]


def test_an_upload_near_its_expiry_is_not_reused(tmp_path: Path) -> None:
    records = UploadRecords(tmp_path / "journal.sqlite3")
    key = {"provider": "fal", "storage_origin": "https://rest.fal.ai:443", "sha256": "ab" * 32}
    records.record(**key, size=3, file_name="a.mp4", value="https://v3.fal.media/a", lifetime_s=60)
    assert records.find(**key) is None  # expires within the margin
    records.record(**key, size=3, file_name="a.mp4", value="https://v3.fal.media/b")
    found = records.find(**key)
    assert found is not None and found.value == "https://v3.fal.media/b"
    assert [r.value for r in records.all()] == ["https://v3.fal.media/b"]
    other = {**key, "storage_origin": "http://127.0.0.1:9"}
    assert records.find(**other) is None


def test_fal_storage_gets_the_key_and_the_signed_url_does_not(clip: Path, tmp_path: Path) -> None:
    """fal's own queue host: the upload goes to rest.fal.ai with the key and a lifetime,
    the bytes to the signed URL without it, and the submit carries the file URL."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/storage/upload/initiate":
            return httpx.Response(
                200,
                json={
                    "upload_url": "https://upload.storage.example/put/t1?sig=abc",
                    "file_url": "https://v3.fal.media/files/t1/clip.mp4",
                },
            )
        if request.method == "PUT":
            return httpx.Response(200)
        return httpx.Response(200, json={"status": "IN_QUEUE", "request_id": "r1"})

    protocol = __import__("musicbind.generated.fal", fromlist=["PROTOCOL"]).PROTOCOL
    http = httpx.Client(transport=httpx.MockTransport(answer))
    client = Client(
        protocol=protocol,
        api_key="fal-test-key",
        journal=tmp_path / "journal.sqlite3",
        http_client=http,
    )
    binding = generated.get_binding(FAL_REF)
    client.submit(binding, {"video_url": clip, "duration": 5})
    client.submit(binding, {"video_url": str(clip), "duration": 6})  # uploaded once
    initiate, put, *submits = seen
    assert (initiate.url.host, initiate.url.params["storage_type"]) == ("rest.fal.ai", "fal-cdn-v3")
    assert initiate.headers["authorization"] == "Key fal-test-key"
    lifetime = json.loads(initiate.headers["x-fal-object-lifecycle-preference"])
    assert lifetime["expiration_duration_seconds"] >= 24 * 3600
    assert json.loads(initiate.content) == {"file_name": "clip.mp4", "content_type": "video/mp4"}
    assert put.method == "PUT" and "authorization" not in put.headers
    assert put.headers["content-type"] == "video/mp4" and put.content == clip.read_bytes()
    assert [s.url.host for s in submits] == ["queue.fal.run", "queue.fal.run"]
    sent = {json.loads(s.content)["video_url"] for s in submits}
    assert sent == {"https://v3.fal.media/files/t1/clip.mp4"}
    client.close()
    http.close()


class _FalStorage:
    """fal's hosts as a mock transport: multipart storage on a signed host, and the queue.

    Keeps what each request carried (never a part's bytes: their length and sha256).
    """

    def __init__(self, *, etag: bool = True) -> None:
        self.etag = etag
        self.seen: list[tuple[str, str, dict[str, str], Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url, body = str(request.url), request.read()
        headers = dict(request.headers)
        if request.url.host == "upload.storage.example" and request.url.path[-1].isdigit():
            described: Any = (len(body), hashlib.sha256(body).hexdigest())
            self.seen.append((request.method, url, headers, described))
            tag = {"ETag": f'"tag-{request.url.path.rsplit("/", 1)[1]}"'} if self.etag else {}
            return httpx.Response(200, headers=tag)
        self.seen.append((request.method, url, headers, json.loads(body) if body else None))
        if request.url.path == "/storage/upload/initiate-multipart":
            return httpx.Response(
                200,
                json={
                    "upload_url": "https://upload.storage.example/mp/t1?sig=abc",
                    "file_url": "https://v3.fal.media/files/t1/big.mp4",
                },
            )
        if request.url.path.endswith("/complete"):
            return httpx.Response(200, json={})
        return httpx.Response(200, json={"status": "IN_QUEUE", "request_id": "r1"})


def _fal_client(storage: _FalStorage, journal: Path) -> tuple[Client, httpx.Client]:
    protocol = __import__("musicbind.generated.fal", fromlist=["PROTOCOL"]).PROTOCOL
    http = httpx.Client(transport=httpx.MockTransport(storage))
    client = Client(protocol=protocol, api_key="fal-test-key", journal=journal, http_client=http)
    return client, http


def test_a_large_file_goes_up_in_parts_with_the_key_only_at_fal(tmp_path: Path) -> None:
    """Above the threshold: initiate-multipart at rest.fal.ai with the key and the lifetime,
    then each part and the completion at the signed URL's host without it, and the submit
    carries the initiate's file URL; progress is reported after each part."""
    big = tmp_path / "big.mp4"
    data = bytes(range(256)) * 10 + b"tail"  # 2564 bytes: parts of 1000, 1000 and 564
    big.write_bytes(data)
    storage = _FalStorage()
    client, http = _fal_client(storage, tmp_path / "journal.sqlite3")
    client.adapter.multipart_threshold_bytes = 2000  # type: ignore[attr-defined]
    client.adapter.multipart_chunk_bytes = 1000  # type: ignore[attr-defined]
    progress: list[UploadProgress] = []
    client.on_upload_progress = progress.append
    client.submit(generated.get_binding(FAL_REF), {"video_url": big, "duration": 5})

    initiate, *parts, complete, submit = storage.seen
    method, url, headers, body = initiate
    assert (method, url) == (
        "POST",
        "https://rest.fal.ai/storage/upload/initiate-multipart?storage_type=fal-cdn-v3",
    )
    assert headers["authorization"] == "Key fal-test-key"
    assert json.loads(headers["x-fal-object-lifecycle-preference"])["expiration_duration_seconds"]
    assert body == {"file_name": "big.mp4", "content_type": "video/mp4"}
    expected = [data[:1000], data[1000:2000], data[2000:]]
    assert [(m, u) for m, u, _, _ in parts] == [
        ("PUT", f"https://upload.storage.example/mp/t1/{n}?sig=abc") for n in (1, 2, 3)
    ]
    assert [d for _, _, _, d in parts] == [
        (len(chunk), hashlib.sha256(chunk).hexdigest()) for chunk in expected
    ]
    for _, _, part_headers, _ in [*parts, complete]:
        assert "authorization" not in part_headers
        assert "fal-test-key" not in json.dumps(part_headers)
    assert all("content-type" not in h for _, _, h, _ in parts)  # parts are sent untyped
    assert complete[:2] == ("POST", "https://upload.storage.example/mp/t1/complete?sig=abc")
    assert complete[3] == {"parts": [{"partNumber": n, "etag": f'"tag-{n}"'} for n in (1, 2, 3)]}
    assert submit[1] == "https://queue.fal.run/sonilo/v1.1/video-to-music"
    assert submit[3]["video_url"] == "https://v3.fal.media/files/t1/big.mp4"
    assert [(p.sent, p.total) for p in progress] == [(1000, 2564), (2000, 2564), (2564, 2564)]
    client.close()
    http.close()


def test_a_part_without_an_etag_fails_the_upload_before_any_submit(tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(b"x" * 2500)
    journal = tmp_path / "journal.sqlite3"
    storage = _FalStorage(etag=False)
    client, http = _fal_client(storage, journal)
    client.adapter.multipart_threshold_bytes = 1000  # type: ignore[attr-defined]
    client.adapter.multipart_chunk_bytes = 1000  # type: ignore[attr-defined]
    with pytest.raises(APIResponseError, match=r"part 1 of 3 of big\.mp4 .* no ETag"):
        client.submit(generated.get_binding(FAL_REF), {"video_url": big, "duration": 5})
    assert [(m, u.split("?")[0]) for m, u, _, _ in storage.seen] == [
        ("POST", "https://rest.fal.ai/storage/upload/initiate-multipart"),
        ("PUT", "https://upload.storage.example/mp/t1/1"),
    ]
    assert UploadRecords(journal).all() == []  # nothing recorded: the next try starts over
    client.close()
    http.close()


def test_a_file_changed_during_its_upload_is_not_submitted(tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    big.write_bytes(b"x" * 2500)
    journal = tmp_path / "journal.sqlite3"
    storage = _FalStorage()
    client, http = _fal_client(storage, journal)
    client.adapter.multipart_threshold_bytes = 1000  # type: ignore[attr-defined]
    client.adapter.multipart_chunk_bytes = 1000  # type: ignore[attr-defined]

    def grow(step: UploadProgress) -> None:
        if step.sent == 1000:  # the editor writes on while part 1 is up
            with big.open("ab") as handle:
                handle.write(b"y" * 100)

    client.on_upload_progress = grow
    with pytest.raises(FileInputError, match=r"big\.mp4 changed while it was uploaded"):
        client.submit(generated.get_binding(FAL_REF), {"video_url": big, "duration": 5})
    assert "https://queue.fal.run/sonilo/v1.1/video-to-music" not in [
        u for _, u, _, _ in storage.seen
    ]
    assert UploadRecords(journal).all() == []
    client.close()
    http.close()


def test_a_large_file_is_read_one_part_at_a_time(tmp_path: Path) -> None:
    """A sparse 128 MiB file in 1 MiB parts: the upload holds some parts, never the file."""
    big = tmp_path / "sparse.mp4"
    with big.open("wb") as handle:
        handle.truncate(128 * 1024 * 1024)
    storage = _FalStorage()
    client, http = _fal_client(storage, tmp_path / "journal.sqlite3")
    client.adapter.multipart_chunk_bytes = 1024 * 1024  # type: ignore[attr-defined]
    binding = generated.get_binding(FAL_REF)
    tracemalloc.start()
    try:
        client.submit(binding, {"video_url": big, "duration": 5}, max_cost=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(storage.seen) == 1 + 128 + 1 + 1  # initiate, parts, complete, submit
    # Parts already sent wait for the garbage collector (about 32 MiB measured), but
    # memory does not grow with the file: a whole-file read alone would be 128 MiB.
    assert peak < 64 * 1024 * 1024, peak
    client.close()
    http.close()


def _moov_last(padding: int) -> bytes:
    """The demo video with its movie header moved to the end, behind ``padding`` more bytes
    of media data: mutagen must seek to the tail to find the length."""
    data = DEMO_VIDEO.read_bytes()
    boxes: dict[bytes, bytes] = {}
    offset = 0
    while offset < len(data):
        size, kind = struct.unpack_from(">I4s", data, offset)
        boxes[kind] = data[offset : offset + size]
        offset += size
    mdat = boxes[b"mdat"]
    grown = struct.pack(">I4s", len(mdat) + padding, b"mdat") + mdat[8:] + bytes(padding)
    return boxes[b"ftyp"] + grown + boxes[b"moov"]


class _Ranged(http.server.BaseHTTPRequestHandler):
    """Serves ``content`` honouring ``Range`` (or not), counting the bytes it sends."""

    content = b""
    ranges = True
    sent = 0

    def do_GET(self) -> None:
        spec = self.headers.get("Range", "")
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", spec)
        if self.ranges and match:
            start, end = int(match[1]), min(int(match[2]), len(self.content) - 1)
            body = self.content[start : end + 1]
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(self.content)}")
        else:
            body = self.content
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
            type(self).sent += len(body)
        except (BrokenPipeError, ConnectionResetError):
            type(self).sent += 0

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def media_server() -> Iterator[type[_Ranged]]:
    handler = type("Handler", (_Ranged,), {"content": b"", "ranges": True, "sent": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/clip.mp4"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def test_a_url_length_is_read_from_its_header_and_tail_only(
    media_server: type[_Ranged],
) -> None:
    media_server.content = _moov_last(padding=8 * 1024 * 1024)  # an 8 MiB "video"
    url = media_server.url  # type: ignore[attr-defined]
    assert probe_url(url).seconds == pytest.approx(12.0)
    assert media_server.sent <= 4 * BLOCK_BYTES  # the head and the tail, not the 8 MiB
    assert probe_url(url, max_bytes=BLOCK_BYTES).problem == (
        f"{url}: the header is not within the first {BLOCK_BYTES} bytes read"
    )


def test_a_server_without_ranges_is_read_up_to_the_budget(media_server: type[_Ranged]) -> None:
    media_server.ranges = False
    media_server.content = DEMO_VIDEO.read_bytes()  # movie header first: the prefix is enough
    url = media_server.url  # type: ignore[attr-defined]
    assert probe_url(url).seconds == pytest.approx(12.0)
    media_server.content = _moov_last(padding=4 * 1024 * 1024)
    probed = probe_url(url, max_bytes=1024 * 1024)
    assert probed.seconds is None and probed.problem
