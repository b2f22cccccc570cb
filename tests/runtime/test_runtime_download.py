"""Downloads: temp file then rename, Content-Length, size cap, gzip bombs, safe names."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path

import httpx
import pytest
from conftest import MakeClient
from runtime_fakes import BINDINGS, PAYLOADS, SAFE_NAME, FakeProvider, file_response, gzip_bomb

from musicbind.runtime.download import adownload_file, download_file, safe_file_name
from musicbind.runtime.errors import (
    ContentLengthMismatchError,
    DownloadError,
    DownloadTooLargeError,
)
from musicbind.runtime.http import ErrorContext
from musicbind.runtime.journal import Journal
from musicbind.runtime.providers.base import FileRef
from musicbind.runtime.transport import AsyncTransport, Transport

NAME_CASES = [
    ("track.wav", "track.wav"),
    ("../../etc/passwd", "passwd"),
    ("/etc/cron.d/evil.sh", "evil.sh"),
    ("..\\..\\windows\\evil.wav", "evil.wav"),
    ("C:\\Users\\x\\song.mp3", "song.mp3"),
    ("..", "job-1"),
    (".", "job-1"),
    ("", "job-1"),
    (".bashrc", "bashrc"),
    ("CON", "job-1"),
    ("con.wav", "job-1.wav"),
    ("LPT1.txt", "job-1.txt"),
    ("nul.tar.gz", "job-1.gz"),
    ("a b?c*.wav", "a_b_c_.wav"),
    ("müsic.wav", "m_sic.wav"),
    ("x" * 300 + ".wav", "x" * 96 + ".wav"),
    ("name\x00.wav", "name_.wav"),
    ("-rf", "rf"),
]


@pytest.mark.parametrize(("hint", "expected"), NAME_CASES)
def test_safe_file_name(hint: str, expected: str) -> None:
    name = safe_file_name(hint, fallback="job-1")
    assert name == expected
    assert SAFE_NAME.match(name) and len(name) <= 100


def test_safe_file_name_adds_an_extension_from_the_content_type() -> None:
    assert safe_file_name("track", fallback="f", content_type="audio/mpeg") == "track.mp3"
    assert safe_file_name("", fallback="job-2", content_type="audio/wav; x=1") == "job-2.wav"


def _fal_with(
    body_files: list[dict[str, str]],
    make_client: MakeClient,
    handler_files: dict[str, httpx.Response],
) -> tuple[FakeProvider, object]:
    fake = FakeProvider("fal")

    def handle(request: httpx.Request) -> httpx.Response:
        if fake.classify(request) == "result":
            fake.requests.append(("result", request))
            return httpx.Response(200, json={"audio": body_files[0], "audios": body_files})
        if str(request.url) in handler_files:
            fake.requests.append(("download", request))
            return handler_files[str(request.url)]
        return fake(request)

    client = make_client(fake, http_client=httpx.Client(transport=httpx.MockTransport(handle)))
    return fake, client


def test_server_file_names_cannot_escape(make_client: MakeClient, tmp_path: Path) -> None:
    files = [
        {"url": "https://cdn.files.test/1", "file_name": "../../escape.wav"},
        {"url": "https://cdn.files.test/2", "file_name": "/tmp/absolute.wav"},
        {"url": "https://cdn.files.test/3", "file_name": "CON"},
    ]
    responses = {f["url"]: file_response(b"audio") for f in files}
    _, client = _fal_with(files, make_client, responses)
    out = tmp_path / "out"
    paths = client.submit(BINDINGS["fal"], PAYLOADS["fal"]).download(out)  # type: ignore[attr-defined]
    assert [p.name for p in paths] == ["escape.wav", "absolute.wav", "job_0001-3.wav"]
    assert all(p.parent == out.resolve() for p in paths)
    assert not (tmp_path / "escape.wav").exists()


def test_no_silent_overwrite(make_client: MakeClient, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "track-1.wav").write_bytes(b"precious")
    fake = FakeProvider("aigateway")
    paths = make_client(fake).submit(BINDINGS["aigateway"], PAYLOADS["aigateway"]).download(out)
    assert [p.name for p in paths] == ["track-1-1.wav"]
    assert (out / "track-1.wav").read_bytes() == b"precious"


def _leftovers(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir()] if directory.exists() else []


@pytest.mark.parametrize(
    ("response", "raised"),
    [
        (lambda: file_response(b"short", {"Content-Length": "5000"}), ContentLengthMismatchError),
        (lambda: file_response(b"x" * 2048, {"Content-Length": "10"}), ContentLengthMismatchError),
        (lambda: file_response(b"x" * (2 * 1024 * 1024)), DownloadTooLargeError),
        (
            lambda: httpx.Response(200, stream=httpx.ByteStream(b"y" * (2 * 1024 * 1024))),
            DownloadTooLargeError,
        ),
        (
            lambda: file_response(gzip_bomb(64 * 1024 * 1024), {"Content-Encoding": "gzip"}),
            DownloadTooLargeError,
        ),
        (
            lambda: file_response(gzip.compress(b"a" * 1000)[:-12], {"Content-Encoding": "gzip"}),
            DownloadError,
        ),
        (lambda: file_response(b"abc", {"Content-Encoding": "br"}), DownloadError),
    ],
    ids=[
        "short-body",
        "long-body",
        "declared-too-large",
        "chunked-too-large",
        "gzip-bomb",
        "truncated-gzip",
        "brotli",
    ],
)
def test_bad_bodies_leave_no_file(
    response: object, raised: object, make_client: MakeClient, tmp_path: Path, journal_path: Path
) -> None:
    url = "https://cdn.files.test/only"
    files = [{"url": url, "file_name": "only.wav"}]
    fake = FakeProvider("fal")

    def handle(request: httpx.Request) -> httpx.Response:
        if str(request.url) == url:
            fake.requests.append(("download", request))
            return response()  # type: ignore[operator]
        if fake.classify(request) == "result":
            return httpx.Response(200, json={"audio": files[0], "audios": files})
        return fake(request)

    client = make_client(
        fake,
        http_client=httpx.Client(transport=httpx.MockTransport(handle)),
        max_download_bytes=1024 * 1024,
    )
    job = client.submit(BINDINGS["fal"], PAYLOADS["fal"])
    out = tmp_path / "out"
    with pytest.raises(raised):  # type: ignore[call-overload]
        job.download(out, max_bytes=1024 * 1024)
    assert _leftovers(out) == []
    assert Journal(journal_path).get(job.job_id).files == []


def test_gzip_body_is_decoded(make_client: MakeClient, tmp_path: Path) -> None:
    url = "https://cdn.files.test/z"
    files = [{"url": url, "file_name": "z.wav"}]
    _, client = _fal_with(
        files,
        make_client,
        {url: file_response(gzip.compress(b"music" * 1000), {"Content-Encoding": "gzip"})},
    )
    (path,) = client.submit(BINDINGS["fal"], PAYLOADS["fal"]).download(tmp_path)  # type: ignore[attr-defined]
    assert path.read_bytes() == b"music" * 1000


def test_download_asks_for_identity_encoding(make_client: MakeClient, tmp_path: Path) -> None:
    fake = FakeProvider("aigateway")
    make_client(fake).submit(BINDINGS["aigateway"], PAYLOADS["aigateway"]).download(tmp_path)
    assert fake.calls("download")[0].headers["accept-encoding"] == "identity"


def test_result_without_files_downloads_nothing(make_client: MakeClient, tmp_path: Path) -> None:
    fake = FakeProvider("fal")

    def handle(request: httpx.Request) -> httpx.Response:
        if fake.classify(request) == "result":
            return httpx.Response(
                200, content=json.dumps({"audio": {"url": "data:,x"}, "audios": []})
            )
        return fake(request)

    client = make_client(fake, http_client=httpx.Client(transport=httpx.MockTransport(handle)))
    job = client.submit(BINDINGS["fal"], PAYLOADS["fal"])
    assert job.download(tmp_path / "out") == []
    assert fake.calls("download") == []


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_download_file_and_adownload_file_run_one_plan(flavour: str, tmp_path: Path) -> None:
    """The module-level drivers (used by bench/) store the file alike in both flavours."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return file_response(b"music", {"Content-Type": "audio/wav"})

    ref = FileRef(url="https://cdn.files.test/a/track", name_hint="track")
    ctx = ErrorContext("fal")
    mock = httpx.MockTransport(handle)
    if flavour == "sync":
        with httpx.Client(transport=mock) as http:
            transport = Transport(provider="fal", base_url=FAL_BASE, auth=None, http_client=http)
            path = download_file(transport, ref, tmp_path, fallback_name="x", ctx=ctx)
    else:

        async def main() -> Path:
            async with httpx.AsyncClient(transport=mock) as http:
                transport = AsyncTransport(
                    provider="fal", base_url=FAL_BASE, auth=None, http_client=http
                )
                return await adownload_file(transport, ref, tmp_path, fallback_name="x", ctx=ctx)

        path = asyncio.run(main())
    assert path == tmp_path / "track.wav" and path.read_bytes() == b"music"
    assert seen[0].headers["accept-encoding"] == "identity"


FAL_BASE = "https://queue.fal.test"
