"""Jobs: polling with a fake clock, progress, deadlines, failures, cancel, resume."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import MakeClient
from flavour_driver import job_from_journal
from runtime_fakes import (
    BINDINGS,
    PAYLOADS,
    PROVIDERS,
    FakeClock,
    FakeProvider,
    FalVideoOutput,
    GatewayOutput,
)

from musicbind.runtime.binding import UnknownStatusError
from musicbind.runtime.errors import (
    JobCanceledError,
    JobFailedError,
    JobTimeoutError,
    MusicbindError,
    SubmissionUncertainError,
    UnknownJobStatusError,
)
from musicbind.runtime.jobs import Job
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.journal import Journal
from musicbind.runtime.protocol_outputs import RawOutput, ScenarioJobOutput
from musicbind.runtime.providers.base import JobSnapshot


@pytest.mark.parametrize("provider", PROVIDERS)
def test_completion_after_30_s_is_seen_within_2_s_in_at_most_20_polls(
    provider: str, clock: FakeClock, make_client: MakeClient
) -> None:
    fake = FakeProvider(provider, clock=clock, run_seconds=30.0)
    job = make_client(fake).submit(BINDINGS[provider], PAYLOADS[provider])
    done_at = clock.now + 30.0
    started = time.monotonic()
    final = job.wait()
    assert final.state is JobState.SUCCEEDED
    assert len(fake.calls("status")) <= 20
    assert 0 <= clock.now - done_at <= 2.0
    assert time.monotonic() - started < 2.0  # simulated time: the test itself is quick


@pytest.mark.parametrize("provider", PROVIDERS)
def test_polling_backs_off(provider: str, clock: FakeClock, make_client: MakeClient) -> None:
    fake = FakeProvider(provider, clock=clock, run_seconds=600.0)
    make_client(fake).submit(BINDINGS[provider], PAYLOADS[provider]).wait()
    assert clock.sleeps[0] == 0.5
    assert clock.sleeps == sorted(clock.sleeps)  # never faster again
    assert max(clock.sleeps) == 10.0
    assert len(fake.calls("status")) < 100


def test_server_hint_sets_the_next_poll(clock: FakeClock, make_client: MakeClient) -> None:
    fake = FakeProvider("fal", clock=clock, run_seconds=20.0)
    fake.status_headers = {"Retry-After": "7"}
    make_client(fake).submit(BINDINGS["fal"], PAYLOADS["fal"]).wait()
    assert set(clock.sleeps) == {7.0}


def test_progress_reports_queue_position_and_logs(
    clock: FakeClock, make_client: MakeClient
) -> None:
    fake = FakeProvider("fal", clock=clock, run_seconds=5.0)
    seen: list[JobSnapshot] = []
    make_client(fake).submit(BINDINGS["fal"], PAYLOADS["fal"]).wait(on_progress=seen.append)
    assert seen[0].queue_position == 2
    assert seen[-1].state is JobState.SUCCEEDED
    assert all(snapshot.logs for snapshot in seen)
    assert seen[-1].logs[-1] == f"poll {len(seen)}"


def test_progress_reports_scenario_fraction(clock: FakeClock, make_client: MakeClient) -> None:
    fake = FakeProvider("scenario", clock=clock, run_seconds=10.0)
    seen: list[float] = []
    job = make_client(fake).submit(BINDINGS["scenario"], PAYLOADS["scenario"])
    job.wait(on_progress=lambda s: seen.append(s.progress or 0.0))
    assert seen == sorted(seen)
    assert 0 < seen[1] < 1 and seen[-1] == 1.0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_deadline_raises_with_the_job_id_and_does_not_cancel(
    provider: str, clock: FakeClock, make_client: MakeClient, journal_path: Path
) -> None:
    fake = FakeProvider(provider, clock=clock, fate="stall")
    job = make_client(fake).submit(BINDINGS[provider], PAYLOADS[provider])
    start = clock.now
    with pytest.raises(JobTimeoutError) as caught:
        job.wait(timeout=12.0)
    assert caught.value.job_id == job.job_id
    assert caught.value.timeout == 12.0
    assert "resume" in str(caught.value)
    assert 12.0 <= clock.now - start <= 12.0 + 1e-9
    assert fake.calls("cancel") == []
    entry = Journal(journal_path).get(job.job_id)
    assert entry.submission == "accepted" and entry.state in ("QUEUED", "RUNNING")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_failed_job_raises_with_the_provider_detail(
    provider: str, make_client: MakeClient, journal_path: Path
) -> None:
    fake = FakeProvider(provider, fate="fail")
    job = make_client(fake).submit(BINDINGS[provider], PAYLOADS[provider])
    with pytest.raises(JobFailedError) as caught:
        job.result()
    detail = {"scenario": "model crashed", "fal": "runner crashed", "aigateway": "upstream failed"}
    assert caught.value.detail == detail[provider]
    assert caught.value.job_id == job.job_id
    assert Journal(journal_path).get(job.job_id).state == "FAILED"


def test_fal_422_on_the_result_fetch_is_a_failed_job(
    make_client: MakeClient, journal_path: Path
) -> None:
    fake = FakeProvider("fal", fate="fail_422")
    job = make_client(fake).submit(BINDINGS["fal"], PAYLOADS["fal"])
    assert job.wait().state is JobState.SUCCEEDED  # COMPLETED, no error in the status
    with pytest.raises(JobFailedError) as caught:
        job.result()
    assert "video could not be decoded" in (caught.value.detail or "")
    assert Journal(journal_path).get(job.job_id).state == "FAILED"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unknown_status_word_is_an_error_never_success(
    provider: str, make_client: MakeClient
) -> None:
    fake = FakeProvider(provider)
    fake.status_words = {JobState.SUCCEEDED: "done-ish"}
    job = make_client(fake).submit(BINDINGS[provider], PAYLOADS[provider])
    with pytest.raises(UnknownJobStatusError) as caught:
        job.wait()
    assert isinstance(caught.value, UnknownStatusError)
    assert caught.value.word == "done-ish"
    assert caught.value.job_id == job.job_id


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cancel_rereads_the_job(provider: str, clock: FakeClock, make_client: MakeClient) -> None:
    fake = FakeProvider(provider, clock=clock, run_seconds=100.0)
    job = make_client(fake).submit(BINDINGS[provider], PAYLOADS[provider])
    snapshot = job.cancel()
    assert len(fake.calls("cancel")) == 1
    assert snapshot.state is JobState.CANCELED  # from the reading after the acknowledgement
    with pytest.raises(JobCanceledError):
        job.wait()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_cancel_of_a_finished_job_reports_its_state(provider: str, make_client: MakeClient) -> None:
    fake = FakeProvider(provider)
    job = make_client(fake).submit(BINDINGS[provider], PAYLOADS[provider])
    job.wait()
    assert job.cancel().state is JobState.SUCCEEDED  # an acknowledgement is not terminal


@pytest.mark.parametrize(
    ("provider", "output"),
    # The fake Scenario binding states no output model: every Scenario result is the
    # protocol's (job id, asset ids, assets), whatever the model.
    [("fal", FalVideoOutput), ("aigateway", GatewayOutput), ("scenario", ScenarioJobOutput)],
)
def test_result_parses_into_the_output_model(
    provider: str, output: type, make_client: MakeClient
) -> None:
    fake = FakeProvider(provider)
    result = make_client(fake).run(BINDINGS[provider], PAYLOADS[provider])
    assert isinstance(result, output)
    if isinstance(result, ScenarioJobOutput):
        assert result.job_id == "job_0001"
        assert result.asset_ids == ["asset_job_0001_1"]
        assert [a.id for a in result.assets] == result.asset_ids
        assert result.assets[0].mime_type == "audio/wav"
        assert result.urls == [result.assets[0].url] and result.urls[0].startswith("https://")
        assert result.model_dump()["assetIds"] == ["asset_job_0001_1"]  # wire names kept


def test_a_result_nothing_describes_stays_raw(make_client: MakeClient) -> None:
    fake = FakeProvider("fal")
    binding = dataclasses.replace(BINDINGS["fal"], output_model=None)
    result = make_client(fake).run(binding, PAYLOADS["fal"])
    assert type(result) is RawOutput
    assert result.model_dump()["audios"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_resumed_job_parses_into_the_same_model(provider: str, make_client: MakeClient) -> None:
    fake = FakeProvider(provider)
    client = make_client(fake)
    job = client.submit(BINDINGS[provider], PAYLOADS[provider])
    resumed = client.job(job.job_id)  # a bare Client knows no binding for the fake refs
    expected = ScenarioJobOutput if provider == "scenario" else RawOutput
    assert type(resumed.result()) is expected


@pytest.mark.parametrize("provider", PROVIDERS)
def test_download_is_idempotent_and_journalled(
    provider: str, make_client: MakeClient, tmp_path: Path, journal_path: Path
) -> None:
    fake = FakeProvider(provider)
    job = make_client(fake).submit(BINDINGS[provider], PAYLOADS[provider])
    first = job.download(tmp_path / "out")
    assert first and all(p.read_bytes() == fake.file_body for p in first)
    requests = len(fake.requests)
    assert job.download(tmp_path / "out") == first
    assert len(fake.requests) == requests
    assert Journal(journal_path).get(job.job_id).files == [str(p) for p in first]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_from_journal_resumes_in_a_new_client(
    provider: str, clock: FakeClock, make_client: MakeClient, tmp_path: Path
) -> None:
    fake = FakeProvider(provider, clock=clock, run_seconds=50.0)
    first = make_client(fake)
    job = first.submit(BINDINGS[provider], PAYLOADS[provider])
    first.close()  # the process "died"
    second = make_client(fake)
    resumed: Job[Any] = job_from_journal(
        job.job_id[:6] if provider != "fal" else job.intent_id or "", client=second
    )
    assert resumed.job_id == job.job_id
    paths = resumed.download(tmp_path / "out")
    assert paths and len(fake.jobs) == 1
    assert second.job(job.job_id).job_id == job.job_id


def test_from_journal_refuses_an_uncertain_submission(make_client: MakeClient) -> None:
    fake = FakeProvider("fal")
    fake.arm("submit", "read_timeout")
    client = make_client(fake)
    with pytest.raises(SubmissionUncertainError) as caught:
        client.submit(BINDINGS["fal"], PAYLOADS["fal"])
    with pytest.raises(SubmissionUncertainError) as again:
        job_from_journal(caught.value.intent_id, client=client)
    assert "no job id" in str(again.value)


def test_from_journal_refuses_a_rejected_submission(make_client: MakeClient) -> None:
    fake = FakeProvider("aigateway")
    fake.arm("submit", "402")
    client = make_client(fake)
    with pytest.raises(MusicbindError):
        client.submit(BINDINGS["aigateway"], PAYLOADS["aigateway"])
    intent = client.journal.entries()[0].intent_id
    with pytest.raises(MusicbindError, match="never became a job"):
        job_from_journal(intent, client=client)
