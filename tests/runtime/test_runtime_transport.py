"""The transport: credentials stay on the provider's origin, redirects, logging, URL building."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from conftest import MakeClient, MakeTransport
from runtime_fakes import BINDINGS, FILE_HOST, PAYLOADS, PROVIDERS, FakeProvider, file_response

from musicbind.runtime.errors import APIResponseError, AuthenticationError
from musicbind.runtime.http import AuthHeader, ErrorContext, HttpCall, display_url
from musicbind.runtime.retry import Operation
from musicbind.runtime.secrets import Secret
from musicbind.runtime.transport import Transport


def redirecting(
    fake: FakeProvider, op: str, location: str, status: int = 307
) -> httpx.MockTransport:
    """``fake``, except that the first ``op`` request is redirected to ``location``."""
    state = {"done": False}

    def handle(request: httpx.Request) -> httpx.Response:
        if not state["done"] and fake.classify(request) == op:
            state["done"] = True
            fake.requests.append((op, request))
            return httpx.Response(status, headers={"Location": location})
        if request.url.host == "elsewhere.test":
            fake.requests.append(("elsewhere", request))
            if op == "download":
                return file_response(fake.file_body)
            return fake.handle(op, request)
        return fake(request)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_no_credentials_after_a_redirect_to_another_origin(
    provider: str, make_client: MakeClient
) -> None:
    fake = FakeProvider(provider)
    job_path = {
        "fal": "/acme/video-to-music/requests/job_0001/status",
        "scenario": "/v1/jobs/job_0001",
        "aigateway": "/v1/jobs/job_0001",
    }
    transport = redirecting(fake, "status", "https://elsewhere.test" + job_path[provider])
    client = make_client(fake, http_client=httpx.Client(transport=transport))
    job = client.submit(BINDINGS[provider], PAYLOADS[provider])
    job.status()
    (moved,) = [r for kind, r in fake.requests if kind == "elsewhere"]
    assert "authorization" not in moved.headers
    assert all(
        "authorization" in r.headers for kind, r in fake.requests if kind in ("submit", "status")
    )


def test_a_refusal_after_an_off_origin_redirect_says_why(make_client: MakeClient) -> None:
    fake = FakeProvider("aigateway")

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "elsewhere.test":
            return httpx.Response(401, json={"error": {"message": "no key"}})
        if fake.classify(request) == "status":
            return httpx.Response(302, headers={"Location": "https://elsewhere.test/v1/jobs/x"})
        return fake(request)

    client = make_client(fake, http_client=httpx.Client(transport=httpx.MockTransport(handle)))
    job = client.submit(BINDINGS["aigateway"], PAYLOADS["aigateway"])
    with pytest.raises(AuthenticationError, match="only sent under"):
        job.status()


def test_same_origin_redirect_keeps_credentials(make_client: MakeClient) -> None:
    fake = FakeProvider("aigateway")
    transport = redirecting(fake, "status", "/v1/jobs/job_0001?moved=1", status=308)
    client = make_client(fake, http_client=httpx.Client(transport=transport))
    client.submit(BINDINGS["aigateway"], PAYLOADS["aigateway"]).status()
    statuses = fake.calls("status")
    assert len(statuses) == 2 and statuses[1].url.params["moved"] == "1"
    assert all(r.headers["authorization"].startswith("Bearer ") for r in statuses)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_downloads_from_other_hosts_get_no_credentials(
    provider: str, make_client: MakeClient, tmp_path: Path
) -> None:
    fake = FakeProvider(provider)
    transport = redirecting(
        fake, "download", "https://elsewhere.test/signed/track.wav?X-Amz-Signature=abc"
    )
    client = make_client(fake, http_client=httpx.Client(transport=transport))
    paths = client.submit(BINDINGS[provider], PAYLOADS[provider]).download(tmp_path)
    assert paths
    downloads = fake.calls("download") + [r for kind, r in fake.requests if kind == "elsewhere"]
    assert downloads and all("authorization" not in r.headers for r in downloads)


def _transport(base_url: str, fake_handler: list[httpx.Request]) -> Transport:
    def handle(request: httpx.Request) -> httpx.Response:
        fake_handler.append(request)
        return httpx.Response(200, json={})

    return Transport(
        provider="fal",
        base_url=base_url,
        auth=AuthHeader("Authorization", Secret("Key planted-transport-key")),
        http_client=httpx.Client(transport=httpx.MockTransport(handle)),
    )


@pytest.mark.parametrize(
    ("url", "sent"),
    [
        ("http://127.0.0.1:8000/fal/acme/x", True),
        ("http://127.0.0.1:8000/fal", True),
        ("http://127.0.0.1:8000/files/fal/track.wav", False),  # same origin, outside the prefix
        ("http://127.0.0.1:8000/falx/y", False),
        ("http://127.0.0.1:8000/fal/%2e%2e/files/x", False),
        ("http://127.0.0.1:8001/fal/acme/x", False),  # another port
        ("https://127.0.0.1:8000/fal/acme/x", False),  # another scheme
        ("http://localhost:8000/fal/acme/x", False),  # another host name
    ],
)
def test_credentials_scope_under_a_prefixed_base_url(
    url: str, sent: bool, make_transport: MakeTransport
) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    transport = make_transport(
        handle,
        provider="fal",
        base_url="http://127.0.0.1:8000/fal/",
        auth=AuthHeader("Authorization", Secret("Key planted-transport-key")),
    )
    transport.request(HttpCall(Operation.STATUS, "GET", url), ErrorContext("fal"))
    assert ("authorization" in seen[0].headers) is sent


def test_urls_are_built_from_the_base_url_with_its_prefix() -> None:
    transport = _transport("http://127.0.0.1:8000/fal/", [])
    assert transport.url("/acme/x") == "http://127.0.0.1:8000/fal/acme/x"
    assert transport.url("acme/x") == "http://127.0.0.1:8000/fal/acme/x"
    transport._client.close()


def test_303_turns_a_post_into_a_get_without_body(make_transport: MakeTransport) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(303, headers={"Location": "/fal/answer"})
        return httpx.Response(200, json={"ok": True})

    transport = make_transport(handle, provider="fal", base_url="https://elsewhere.test", auth=None)
    answer = transport.request(
        HttpCall(Operation.UPLOAD, "POST", "https://q.test/upload", json={"a": 1}),
        ErrorContext("fal"),
    )
    assert answer.json() == {"ok": True}
    assert (seen[1].method, seen[1].content) == ("GET", b"")


def test_too_many_redirects(make_transport: MakeTransport) -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": str(request.url) + "x"})

    transport = make_transport(handle, provider="fal", base_url="https://elsewhere.test", auth=None)
    with pytest.raises(APIResponseError, match="redirects"):
        transport.request(
            HttpCall(Operation.STATUS, "GET", "https://q.test/a"), ErrorContext("fal")
        )


def test_debug_log_names_method_url_and_status(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeProvider("fal")
    fake.arm("status", "503")
    job = make_client(fake).submit(BINDINGS["fal"], PAYLOADS["fal"])
    job.wait()
    lines = [r.getMessage() for r in caplog.records if r.name == "musicbind.http"]
    assert any(
        line.startswith("POST https://queue.fal.test/acme/video-to-music -> 200") for line in lines
    )
    assert any("-> 503" in line and "status" in line for line in lines)


def test_signed_query_values_are_masked_in_urls() -> None:
    shown = display_url("https://user:pw@cdn.test/a.wav?X-Amz-Signature=deadbeef&x=1&token=t0k")
    assert "deadbeef" not in shown and "t0k" not in shown and "pw" not in shown
    assert shown.startswith("https://cdn.test/a.wav?")


def test_file_host_is_not_the_provider_origin() -> None:
    assert not FILE_HOST.startswith("https://queue.fal.test")
