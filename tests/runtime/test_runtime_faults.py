"""Every fault kind x operation x provider: retries where safe, never a second paid submit.

The FakeProvider counts the submits its handler processed (``fake.jobs``). A fault that
strikes before the handler (refused, DNS, connect timeout, write error) processed
nothing; one that strikes after it (read timeout, reset) lost an answer to a job that
exists. Every case checks the journal row and, for submits, that the intent row was
written before the request reached the provider.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST_RETRY, MakeClient
from runtime_fakes import BINDINGS, PAYLOADS, PROVIDERS, TRANSIENT_FAULTS, FakeProvider

from musicbind.runtime.errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InsufficientCreditsError,
    MusicbindError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SubmissionUncertainError,
    UnprocessableEntityError,
)
from musicbind.runtime.jobs import Job
from musicbind.runtime.journal import Journal

# fault, how many times, raised (None: success), journal submission, jobs the provider made
SUBMIT_CASES: list[tuple[str, int, type[Exception] | None, str, int]] = [
    ("connect_refused", 1, None, "accepted", 1),
    ("dns_failure", 1, None, "accepted", 1),
    ("connect_timeout", 1, None, "accepted", 1),
    ("429", 1, None, "accepted", 1),
    ("429", 2, None, "accepted", 1),
    ("connect_refused", 10, APIConnectionError, "not_sent", 0),
    ("dns_failure", 10, APIConnectionError, "not_sent", 0),
    ("connect_timeout", 10, APITimeoutError, "not_sent", 0),
    ("write_error", 1, SubmissionUncertainError, "uncertain", 0),
    ("read_timeout", 1, SubmissionUncertainError, "uncertain", 1),
    ("reset_after_send", 1, SubmissionUncertainError, "uncertain", 1),
    ("read_error", 1, SubmissionUncertainError, "uncertain", 1),
    ("malformed", 1, SubmissionUncertainError, "uncertain", 1),
    ("408", 1, SubmissionUncertainError, "uncertain", 0),
    ("500", 1, SubmissionUncertainError, "uncertain", 0),
    ("502", 1, SubmissionUncertainError, "uncertain", 0),
    ("503", 1, SubmissionUncertainError, "uncertain", 0),
    ("504", 1, SubmissionUncertainError, "uncertain", 0),
    ("429_long", 1, RateLimitError, "rejected", 0),
    ("429", 10, RateLimitError, "rejected", 0),
    ("400", 1, BadRequestError, "rejected", 0),
    ("401", 1, AuthenticationError, "rejected", 0),
    ("402", 1, InsufficientCreditsError, "rejected", 0),
    ("403", 1, PermissionDeniedError, "rejected", 0),
    ("404", 1, NotFoundError, "rejected", 0),
    ("409", 1, ConflictError, "rejected", 0),
    ("422", 1, UnprocessableEntityError, "rejected", 0),
]
AMBIGUOUS = {
    "write_error",
    "read_timeout",
    "reset_after_send",
    "read_error",
    "malformed",
    "408",
    "500",
    "502",
    "503",
    "504",
}


def journal_rows(path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        rows = [dict(row) for row in db.execute("SELECT * FROM submissions")]
    db.close()
    return rows


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(("fault", "times", "raised", "submission", "jobs"), SUBMIT_CASES)
def test_submit_faults(
    provider: str,
    fault: str,
    times: int,
    raised: type[Exception] | None,
    submission: str,
    jobs: int,
    make_client: MakeClient,
    journal_path: Path,
) -> None:
    fake = FakeProvider(provider)
    seen_pending: list[int] = []
    fake.before_submit = lambda: seen_pending.append(
        sum(1 for row in journal_rows(journal_path) if row["submission"] == "pending")
    )
    fake.arm("submit", fault, times)
    client = make_client(fake)
    if raised is None:
        job = client.submit(BINDINGS[provider], PAYLOADS[provider])
        # The job id is in the journal before submit returned.
        entry = Journal(journal_path).get(job.job_id)
        assert entry.submission == "accepted"
        assert entry.intent_id == job.intent_id
    else:
        with pytest.raises(raised) as caught:
            client.submit(BINDINGS[provider], PAYLOADS[provider])
        error = caught.value
        assert isinstance(error, MusicbindError)
        assert error.provider == provider
        assert error.ref == BINDINGS[provider].ref
    # Never a second paid job; an ambiguous failure is never retried.
    assert len(fake.jobs) == jobs
    if fault in AMBIGUOUS:
        assert len(fake.calls("submit")) == 1
    # Every submit that reached the provider found its intent row already written.
    assert all(count == 1 for count in seen_pending)
    rows = journal_rows(journal_path)
    assert len(rows) == 1
    row = rows[0]
    assert row["submission"] == submission
    if submission == "uncertain":
        assert isinstance(caught.value, SubmissionUncertainError)
        assert caught.value.intent_id == row["intent_id"]
        assert row["reconcile"] and "before submitting again" in row["reconcile"]
        assert "NOT retried" in str(caught.value)
    if submission == "accepted":
        assert row["job_id"] == next(iter(fake.jobs))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_intent_is_written_before_the_submit_is_sent(
    provider: str, make_client: MakeClient, journal_path: Path
) -> None:
    fake = FakeProvider(provider)
    states: list[list[tuple[str, Any]]] = []
    fake.before_submit = lambda: states.append(
        [(row["submission"], row["job_id"]) for row in journal_rows(journal_path)]
    )
    job = make_client(fake).submit(BINDINGS[provider], PAYLOADS[provider])
    assert states == [[("pending", None)]]
    assert Journal(journal_path).get(job.job_id).submission == "accepted"


def _op_fault_target(provider: str, op: str) -> str:
    """The FakeProvider operation a runtime operation's requests fall under."""
    if provider == "aigateway" and op == "result":
        return "status"  # the gateway's result rides on the job record
    return op


def _prepare(provider: str, op: str, make_client: MakeClient) -> tuple[FakeProvider, Job[Any]]:
    fake = FakeProvider(provider, run_seconds=100.0 if op == "cancel" else 0.0)
    job = make_client(fake).submit(BINDINGS[provider], PAYLOADS[provider])
    if op in ("result", "download"):
        job.wait()
    if op == "download":
        job.result()
    return fake, job


def _perform(job: Job[Any], op: str, tmp_path: Path) -> Any:
    if op == "status":
        return job.status()
    if op == "result":
        return job.result()
    if op == "cancel":
        return job.cancel()
    return job.download(tmp_path / "out")


OPS = ("status", "result", "cancel", "download")


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
def test_transient_fault_is_retried(
    provider: str, op: str, fault: str, make_client: MakeClient, tmp_path: Path
) -> None:
    fake, job = _prepare(provider, op, make_client)
    target = _op_fault_target(provider, op)
    before = len(fake.calls(target))
    fake.arm(target, fault)
    outcome = _perform(job, op, tmp_path)
    assert outcome is not None
    assert len(fake.calls(target)) >= before + 2  # the failed attempt and the retry
    assert len(fake.jobs) == 1
    if op == "download":
        assert all(path.is_file() for path in outcome)
        assert not list((tmp_path / "out").glob(".*.part"))


PERSISTENT: list[tuple[str, type[Exception]]] = [
    ("connect_refused", APIConnectionError),
    ("connect_timeout", APITimeoutError),
    ("read_timeout", APITimeoutError),
    ("reset_after_send", APIConnectionError),
    ("408", APIStatusError),
    ("429", RateLimitError),
    ("500", ServerError),
    ("503", ServerError),
]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(("fault", "raised"), PERSISTENT)
def test_persistent_fault_gives_up_after_the_budget(
    provider: str,
    op: str,
    fault: str,
    raised: type[Exception],
    make_client: MakeClient,
    tmp_path: Path,
) -> None:
    fake, job = _prepare(provider, op, make_client)
    target = _op_fault_target(provider, op)
    before = len(fake.calls(target))
    fake.arm(target, fault, times=50)
    with pytest.raises(raised) as caught:
        _perform(job, op, tmp_path)
    assert len(fake.calls(target)) - before == FAST_RETRY.max_attempts
    error = caught.value
    assert isinstance(error, MusicbindError)
    assert (error.provider, error.ref, error.job_id) == (provider, job.ref, job.job_id)
    if op == "download":
        assert not any((tmp_path / "out").iterdir()) if (tmp_path / "out").exists() else True


REFUSALS: list[tuple[str, type[Exception]]] = [
    ("401", AuthenticationError),
    ("403", PermissionDeniedError),
    ("404", NotFoundError),
    ("429_long", RateLimitError),
]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize(("fault", "raised"), REFUSALS)
def test_refusal_is_not_retried(
    provider: str,
    op: str,
    fault: str,
    raised: type[Exception],
    make_client: MakeClient,
    tmp_path: Path,
) -> None:
    fake, job = _prepare(provider, op, make_client)
    target = _op_fault_target(provider, op)
    before = len(fake.calls(target))
    fake.arm(target, fault)
    with pytest.raises(raised) as caught:
        _perform(job, op, tmp_path)
    assert len(fake.calls(target)) - before == 1
    if fault == "429_long":
        assert isinstance(caught.value, RateLimitError)
        assert caught.value.retry_after == 120


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("op", ("status", "result", "cancel"))
def test_malformed_answer_is_a_response_error(
    provider: str, op: str, make_client: MakeClient, tmp_path: Path
) -> None:
    fake, job = _prepare(provider, op, make_client)
    # A cancel acknowledgement's body is never relied on; the reading after it is.
    fake.arm("status" if op == "cancel" else _op_fault_target(provider, op), "malformed")
    with pytest.raises(APIResponseError) as caught:
        _perform(job, op, tmp_path)
    assert caught.value.job_id == job.job_id
