"""Every emulator fault kind x every provider, through the generated clients over real sockets.

For each case: the outcome a user sees (success after recovery, or the typed error),
zero duplicate charges in the emulator's ledger, and zero lost jobs in the journal:
every job the emulator accepted is in the journal by its id, or the journal holds the
submission as `uncertain` (with the payload hash to reconcile it by).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from musicbind.emulator.jobs import Timing
from musicbind.emulator.server import EmulatorServer
from musicbind.runtime.client import Client
from musicbind.runtime.errors import (
    APIResponseError,
    JobCanceledError,
    JobFailedError,
    JobTimeoutError,
    SubmissionUncertainError,
    SubmitRedirectError,
    UnknownJobStatusError,
)
from musicbind.runtime.journal import Journal
from musicbind.runtime.retry import RetryPolicy

Payload = Callable[[EmulatorServer], dict[str, Any]]
CASES: dict[str, tuple[str, Payload]] = {
    "fal": (
        "fal:sonilo/v1.1/video-to-music",
        lambda e: {"video_url": e.media_url(), "duration": 3},
    ),
    "scenario": (
        "scenario:model_sonilo-v1-1-text-to-music",
        lambda e: {"prompt": "calm", "duration": 3},
    ),
    "aigateway": ("aigateway:sonauto/v2/text-to-music", lambda e: {"prompt": "x", "duration": 3.0}),
}
OK = None
# fault (without the provider) -> the error a user gets, or OK when the client recovers.
EXPECTED: dict[str, type[Exception] | None] = {
    "submit=429(0)": OK,  # a refusal: the job was not created, the submit is retried
    "submit=500": SubmissionUncertainError,  # may have run: never retried blindly
    "submit=reset": SubmissionUncertainError,
    "submit=reset_after_accept": SubmissionUncertainError,  # the double-charge trap
    "submit=redirect": SubmitRedirectError,  # another host: a paid submit is not followed
    "submit=fail": JobFailedError,
    "submit=fail_422": JobFailedError,
    "submit=cancel": JobCanceledError,
    "submit=stall": JobTimeoutError,
    "status=429(0):2": OK,
    "status=503:2": OK,
    "status=reset:2": OK,
    "status=slow(0.6)": OK,  # slower than the client's 0.4 s timeout: the read is retried
    "status=malformed": APIResponseError,
    "status=unknown_status": UnknownJobStatusError,
    "result=malformed": APIResponseError,
    "download=truncate": OK,
    "download=bad_length": OK,
    "download=redirect": OK,  # another origin: fetched, without credentials
    "cancel=cancel_ignored": OK,  # a cancel that does not take: the job still succeeds
}
# The gateway's result comes with its status: it has no separate result operation.
MATRIX = [
    (fault, provider)
    for fault in EXPECTED
    for provider in sorted(CASES)
    if not (provider == "aigateway" and fault.startswith("result="))
]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(seed=3, timing=Timing(queue_s=0.05, run_s=0.15)) as running:
        yield running


def _client(emulator: EmulatorServer, provider: str, journal: Path) -> Client:
    module = __import__(f"musicbind.generated.{provider}.client", fromlist=["__all__"])
    cls = next(getattr(module, n) for n in module.__all__ if not n.startswith("Async"))
    env = emulator.env()
    keys = {
        "fal": {"api_key": env["FAL_KEY"]},
        "aigateway": {"api_key": env["AIGATEWAY_API_KEY"]},
        "scenario": {"api_key": env["SCENARIO_API_KEY"], "api_secret": env["SCENARIO_API_SECRET"]},
    }[provider]
    client: Client = cls(
        base_url=emulator.base_url(provider),
        journal=journal,
        timeout=0.4,
        retry=RetryPolicy(initial_delay=0.01, max_delay=0.05),
        **keys,
    )
    return client


def _drive(client: Client, emulator: EmulatorServer, provider: str, fault: str, out: Path) -> None:
    ref, payload = CASES[provider]
    job = client.submit(ref, payload(emulator))
    if fault.startswith("cancel="):
        job.cancel()
    job.wait(timeout=2)
    assert job.download(out)


@pytest.mark.parametrize(("fault", "provider"), MATRIX)
def test_fault(emulator: EmulatorServer, fault: str, provider: str, tmp_path: Path) -> None:
    emulator.ledger.clear()
    emulator.set_faults(f"{provider}.{fault}")
    expected = EXPECTED[fault]
    with _client(emulator, provider, tmp_path / "journal.sqlite3") as client:
        if expected is None:
            _drive(client, emulator, provider, fault, tmp_path / "out")
        else:
            with pytest.raises(expected):
                _drive(client, emulator, provider, fault, tmp_path / "out")
    assert emulator.ledger.duplicate_charges() == 0
    entries = Journal(tmp_path / "journal.sqlite3").entries()
    assert len(entries) == 1
    accepted = emulator.ledger.accepted(provider)
    assert len(accepted) <= 1
    for submission in accepted:
        entry = entries[0]
        assert entry.job_id == submission.job_id or entry.submission == "uncertain"
        assert entry.payload_sha256
    if expected is SubmissionUncertainError:
        assert entries[0].submission == "uncertain"
