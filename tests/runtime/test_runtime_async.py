"""The async twins: AsyncClient and AsyncJob over the same FakeProvider (asyncio.run per test)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import FAST_RETRY, make_async_client
from pydantic import ValidationError
from runtime_fakes import (
    BINDINGS,
    PAYLOADS,
    PROVIDERS,
    TRANSIENT_FAULTS,
    FakeClock,
    FakeProvider,
    FalVideoOutput,
)

from musicbind.runtime.client import AsyncClient
from musicbind.runtime.errors import (
    APIConnectionError,
    ContentLengthMismatchError,
    CostLimitError,
    FileInputError,
    JobCanceledError,
    JobFailedError,
    JobTimeoutError,
    ServerError,
    SubmissionUncertainError,
    UnknownJobStatusError,
)
from musicbind.runtime.jobs import AsyncJob
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.journal import Journal

T = TypeVar("T")


def run_with(
    fake: FakeProvider,
    clock: FakeClock,
    journal_path: Path,
    body: Callable[[AsyncClient], Awaitable[T]],
    **options: Any,
) -> T:
    async def main() -> T:
        client = make_async_client(fake, clock, journal_path, **options)
        http = client._transport._client
        try:
            async with client:
                return await body(client)
        finally:
            await http.aclose()

    return asyncio.run(main())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_run_end_to_end(
    provider: str, clock: FakeClock, journal_path: Path, tmp_path: Path
) -> None:
    fake = FakeProvider(provider, clock=clock, run_seconds=30.0)

    async def body(client: AsyncClient) -> list[Path]:
        job = await client.submit(BINDINGS[provider], PAYLOADS[provider])
        assert Journal(journal_path).get(job.job_id).submission == "accepted"
        done_at = clock.now + 30
        await job.wait()
        assert clock.now - done_at <= 2.0 and len(fake.calls("status")) <= 20
        await job.result()
        return await job.download(tmp_path / "out")

    paths = run_with(fake, clock, journal_path, body)
    assert paths and all(p.read_bytes() == fake.file_body for p in paths)


def test_run_returns_the_typed_output(clock: FakeClock, journal_path: Path) -> None:
    fake = FakeProvider("fal", clock=clock)
    out = run_with(
        fake,
        clock,
        journal_path,
        lambda c: c.run(BINDINGS["fal"], PAYLOADS["fal"], output_type=FalVideoOutput),
    )
    assert isinstance(out, FalVideoOutput) and len(out.audios) == 2


AMBIGUOUS = (
    "write_error",
    "read_timeout",
    "reset_after_send",
    "read_error",
    "500",
    "503",
    "malformed",
)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fault", AMBIGUOUS)
def test_ambiguous_submit_is_never_retried(
    provider: str, fault: str, clock: FakeClock, journal_path: Path
) -> None:
    fake = FakeProvider(provider, clock=clock)
    fake.arm("submit", fault)
    with pytest.raises(SubmissionUncertainError):
        run_with(
            fake, clock, journal_path, lambda c: c.submit(BINDINGS[provider], PAYLOADS[provider])
        )
    assert len(fake.calls("submit")) == 1
    assert Journal(journal_path).entries()[0].submission == "uncertain"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fault", ["connect_refused", "dns_failure", "connect_timeout", "429"])
def test_provably_unsent_submit_is_retried(
    provider: str, fault: str, clock: FakeClock, journal_path: Path
) -> None:
    fake = FakeProvider(provider, clock=clock)
    fake.arm("submit", fault)
    job = run_with(
        fake, clock, journal_path, lambda c: c.submit(BINDINGS[provider], PAYLOADS[provider])
    )
    assert len(fake.jobs) == 1 and len(fake.calls("submit")) == 2
    assert Journal(journal_path).get(job.job_id).submission == "accepted"


def test_refused_connection_everywhere_is_not_sent(clock: FakeClock, journal_path: Path) -> None:
    fake = FakeProvider("fal", clock=clock)
    fake.arm("submit", "connect_refused", times=20)
    with pytest.raises(APIConnectionError):
        run_with(fake, clock, journal_path, lambda c: c.submit(BINDINGS["fal"], PAYLOADS["fal"]))
    assert len(fake.calls("submit")) == FAST_RETRY.max_attempts
    assert Journal(journal_path).entries()[0].submission == "not_sent"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("op", ["status", "result", "cancel", "download"])
@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
def test_transient_faults_are_retried(
    provider: str, op: str, fault: str, clock: FakeClock, journal_path: Path, tmp_path: Path
) -> None:
    fake = FakeProvider(provider, clock=clock, run_seconds=100.0 if op == "cancel" else 0.0)
    target = "status" if (provider == "aigateway" and op == "result") else op

    async def body(client: AsyncClient) -> Any:
        job = await client.submit(BINDINGS[provider], PAYLOADS[provider])
        if op in ("result", "download"):
            await job.wait()
        if op == "download":
            await job.result()
        fake.arm(target, fault)
        if op == "status":
            return await job.status()
        if op == "result":
            return await job.result()
        if op == "cancel":
            return await job.cancel()
        return await job.download(tmp_path / "out")

    assert run_with(fake, clock, journal_path, body) is not None
    assert len(fake.jobs) == 1


def test_persistent_server_error_gives_up(clock: FakeClock, journal_path: Path) -> None:
    fake = FakeProvider("scenario", clock=clock)

    async def body(client: AsyncClient) -> Any:
        job = await client.submit(BINDINGS["scenario"], PAYLOADS["scenario"])
        fake.arm("status", "503", times=50)
        return await job.status()

    with pytest.raises(ServerError) as caught:
        run_with(fake, clock, journal_path, body)
    assert caught.value.job_id == "job_0001"
    assert len(fake.calls("status")) == FAST_RETRY.max_attempts


@pytest.mark.parametrize("provider", PROVIDERS)
def test_deadline_failure_cancel_and_unknown_words(
    provider: str, clock: FakeClock, journal_path: Path
) -> None:
    stalled = FakeProvider(provider, clock=clock, fate="stall")

    async def wait_briefly(client: AsyncClient) -> Any:
        job = await client.submit(BINDINGS[provider], PAYLOADS[provider])
        return await job.wait(timeout=5)

    with pytest.raises(JobTimeoutError) as caught:
        run_with(stalled, clock, journal_path, wait_briefly)
    assert caught.value.job_id == "job_0001" and stalled.calls("cancel") == []

    failing = FakeProvider(provider, clock=clock, fate="fail")
    with pytest.raises(JobFailedError):
        run_with(
            failing, clock, journal_path, lambda c: c.run(BINDINGS[provider], PAYLOADS[provider])
        )

    running = FakeProvider(provider, clock=clock, run_seconds=100)

    async def cancel(client: AsyncClient) -> Any:
        job = await client.submit(BINDINGS[provider], PAYLOADS[provider])
        assert (await job.cancel()).state is JobState.CANCELED
        return await job.wait()

    with pytest.raises(JobCanceledError):
        run_with(running, clock, journal_path, cancel)

    odd = FakeProvider(provider, clock=clock)
    odd.status_words = {JobState.SUCCEEDED: "mystery"}
    with pytest.raises(UnknownJobStatusError):
        run_with(odd, clock, journal_path, lambda c: c.run(BINDINGS[provider], PAYLOADS[provider]))


def test_checks_before_any_request(clock: FakeClock, journal_path: Path, tmp_path: Path) -> None:
    fake = FakeProvider("fal", clock=clock)
    local = tmp_path / "missing.mp4"  # no such file: refused before anything is sent
    with pytest.raises(ValidationError):
        run_with(fake, clock, journal_path, lambda c: c.submit(BINDINGS["fal"], {"video_url": 3}))
    with pytest.raises(CostLimitError):
        run_with(
            fake,
            clock,
            journal_path,
            lambda c: c.submit(BINDINGS["fal"], PAYLOADS["fal"], max_cost="0.01"),
        )
    with pytest.raises(FileInputError):
        run_with(
            fake, clock, journal_path, lambda c: c.submit(BINDINGS["fal"], {"video_url": local})
        )
    assert fake.requests == []


def test_scenario_upload_and_quote(clock: FakeClock, journal_path: Path, tmp_path: Path) -> None:
    fake = FakeProvider("scenario", clock=clock)
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"video")

    async def body(client: AsyncClient) -> Any:
        quote = await client.quote(BINDINGS["scenario"], {"prompt": "x", "video": video})
        await client.submit(BINDINGS["scenario"], {"prompt": "x", "video": video})
        return quote

    quote = run_with(fake, clock, journal_path, body)
    assert quote.amount == 7 and len(fake.calls("upload")) == 1


def test_bad_download_leaves_nothing(clock: FakeClock, journal_path: Path, tmp_path: Path) -> None:
    fake = FakeProvider("aigateway", clock=clock, file_headers={"Content-Length": "99999"})

    async def body(client: AsyncClient) -> Any:
        job = await client.submit(BINDINGS["aigateway"], PAYLOADS["aigateway"])
        return await job.download(tmp_path / "out")

    with pytest.raises(ContentLengthMismatchError):
        run_with(fake, clock, journal_path, body)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_from_journal_resumes(
    provider: str, clock: FakeClock, journal_path: Path, tmp_path: Path
) -> None:
    fake = FakeProvider(provider, clock=clock, run_seconds=40)
    job = run_with(
        fake, clock, journal_path, lambda c: c.submit(BINDINGS[provider], PAYLOADS[provider])
    )

    async def resume(client: AsyncClient) -> list[Path]:
        resumed = AsyncJob.from_journal(job.job_id, client=client)
        assert client.job(job.job_id).job_id == job.job_id
        return await resumed.download(tmp_path / "out")

    assert run_with(fake, clock, journal_path, resume)
    assert len(fake.jobs) == 1
