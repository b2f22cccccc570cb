"""Planted secrets: a recognisable key for every provider appears nowhere it should not.

The emulator is made to accept planted keys; every logger is at DEBUG; each provider's
client (sync and async) goes down every error path the runtime has: wrong and missing keys,
refusals, 429 and 5xx storms, lost answers after a paid submit, resets, malformed answers,
unknown status words, failed, cancelled and stalled jobs, broken downloads, redirects to
another origin, invalid payloads, cost limits, dry runs, resuming from the journal. Then
every log record, exception message, repr, traceback (plain and with local variables),
captured output, the journal and every file written is searched for each planted value
in every form it travels in (raw, ``Key ...``, ``Bearer ...``, HTTP Basic base64):
zero occurrences.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from adversarial_support import files_under, record
from pydantic import ValidationError

import musicbind.emulator.providers.aigateway as emulated_gateway
import musicbind.emulator.providers.fal as emulated_fal
import musicbind.emulator.providers.scenario as emulated_scenario
from musicbind.emulator.jobs import Timing
from musicbind.emulator.server import EmulatorServer
from musicbind.runtime.clock import Clock
from musicbind.runtime.errors import MusicbindError
from musicbind.runtime.jobs import Job
from musicbind.runtime.journal import Journal
from musicbind.runtime.polling import PollPolicy
from musicbind.runtime.retry import RetryPolicy
from musicbind.runtime.secrets import Secret

PLANTED = {
    "fal": "MBPLANT-fal-5c0ffee-4c1d",
    "aigateway": "sk-aig-MBPLANT-77b0e1",
    "scenario_key": "MBPLANT-scn-key-41d2",
    "scenario_secret": "MBPLANT-scn-secret-e93a",
    "wrong": "MBPLANT-wrong-key-0a0a",
}
CLIENTS = {"fal": "FalClient", "scenario": "ScenarioClient", "aigateway": "AIgatewayClient"}
REFS = {
    "fal": "fal:sonilo/v1.1/video-to-music",
    "scenario": "scenario:model_sonilo-v1-1-text-to-music",
    "aigateway": "aigateway:sonauto/v2/text-to-music",
}
PAYLOADS: dict[str, dict[str, Any]] = {
    "fal": {"duration": 2.0},
    "scenario": {"prompt": "calm", "duration": 5},
    "aigateway": {"prompt": "calm", "duration": 5.0},
}
BAD_PAYLOADS: dict[str, dict[str, Any]] = {
    "fal": {"duration": "two"},
    "scenario": {"prompt": 5},
    "aigateway": {"prompt": "x", "duration": float("nan")},
}
# (name, fault spec, what the client does): each one an error path of the runtime.
PATHS: list[tuple[str, str]] = [
    ("success and download", ""),
    ("refused submit 401 (wrong key)", "wrong-key"),
    ("missing credentials", "no-key"),
    ("invalid payload", "bad-payload"),
    ("cost limit", "cost"),
    ("429 storm on submit", "{p}.submit=429(0):*"),
    ("5xx on submit (uncertain)", "{p}.submit=500"),
    ("answer lost after a paid submit", "{p}.submit=reset_after_accept"),
    ("reset before the submit was handled", "{p}.submit=reset"),
    ("5xx storm on status", "{p}.status=503:*"),
    ("malformed status answer", "{p}.status=malformed:*"),
    ("unknown status word", "{p}.status=unknown_status:*"),
    ("failed job", "{p}.submit=fail"),
    ("cancelled job", "{p}.submit=cancel"),
    ("stalled job: wait times out", "{p}.submit=stall"),
    ("truncated download", "{p}.download=truncate:*"),
    ("download with a lying length", "{p}.download=bad_length:*"),
    ("download above the size cap", "cap"),
    ("redirect to another origin", "{p}.status=redirect"),
    ("cancel, then resume from the journal", "resume"),
    ("dry run", "quote"),
]


EXPECTED_ERRORS = {
    "AuthenticationError",
    "MissingCredentialsError",
    "ValidationError",
    "CostLimitError",
    "RateLimitError",
    "SubmissionUncertainError",
    "APIConnectionError",
    "ServerError",
    "APIResponseError",
    "UnknownJobStatusError",
    "JobFailedError",
    "JobCanceledError",
    "JobTimeoutError",
    "DownloadTooLargeError",
    "QuoteNotSupportedError",
}


def planted_forms() -> list[str]:
    """Every form a planted value could leak in."""
    forms = list(PLANTED.values())
    forms.append(
        base64.b64encode(
            f"{PLANTED['scenario_key']}:{PLANTED['scenario_secret']}".encode()
        ).decode()
    )
    forms.append(
        base64.b64encode(f"{PLANTED['wrong']}:{PLANTED['scenario_secret']}".encode()).decode()
    )
    return forms


class Texts:
    """Everything the runtime showed: messages, reprs, tracebacks."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.kinds: set[str] = set()  # the error classes seen

    def error(self, error: BaseException) -> None:
        self.kinds.add(type(error).__name__)
        self.items += [str(error), repr(error)]
        self.items.append("".join(traceback.format_exception(error)))
        self.items.append(
            "".join(
                traceback.TracebackException.from_exception(error, capture_locals=True).format()
            )
        )
        if isinstance(error, MusicbindError):
            self.items.append(repr(vars(error)))

    def show(self, *values: Any) -> None:
        self.items += [repr(v) for v in values] + [str(v) for v in values]


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The emulator accepts the planted keys (and no others)."""
    monkeypatch.setattr(emulated_fal, "FAL_KEY", PLANTED["fal"])
    monkeypatch.setattr(emulated_gateway, "AIGATEWAY_API_KEY", PLANTED["aigateway"])
    monkeypatch.setattr(emulated_scenario, "SCENARIO_API_KEY", PLANTED["scenario_key"])
    monkeypatch.setattr(emulated_scenario, "SCENARIO_API_SECRET", PLANTED["scenario_secret"])
    for name in ("FAL_KEY", "AIGATEWAY_API_KEY", "SCENARIO_API_KEY", "SCENARIO_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    yield


def keys(provider: str, wrong: bool = False) -> dict[str, Secret]:
    """Client credentials. Wrapped here already: tracebacks with local variables show this
    test's own frames too, and a plain string held here would be this test's leak."""
    if provider == "scenario":
        key = PLANTED["wrong"] if wrong else PLANTED["scenario_key"]
        return {"api_key": Secret(key), "api_secret": Secret(PLANTED["scenario_secret"])}
    return {"api_key": Secret(PLANTED["wrong"] if wrong else PLANTED[provider])}


class FakeTime:
    """Simulated time for retries and polling."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)

    def clock(self) -> Clock:
        return Clock(
            monotonic=lambda: self.now,
            sleep=self.sleep,
            async_sleep=self.async_sleep,
            random=lambda: 0.5,
        )


def make_client(
    provider: str,
    emulator: EmulatorServer,
    journal: Path,
    *,
    asynchronous: bool = False,
    **options: Any,
) -> Any:
    module = importlib.import_module(f"musicbind.generated.{provider}.client")
    name = ("Async" if asynchronous else "") + CLIENTS[provider]
    time = FakeTime()
    settings: dict[str, Any] = {
        "base_url": emulator.base_url(provider),
        "journal": journal,
        "clock": time.clock(),
        "retry": RetryPolicy(max_attempts=3, initial_delay=0.01, max_delay=0.02),
        "poll": PollPolicy(initial=0.01, max_interval=0.02),
        **keys(provider),
    }
    settings.update(options)
    return getattr(module, name)(**settings)


def exercise(
    provider: str, path: str, spec: str, emulator: EmulatorServer, sandbox: Path, texts: Texts
) -> None:
    """Go down one error path with one provider's sync client."""
    journal = sandbox / "journal" / "journal.sqlite3"
    payload = dict(PAYLOADS[provider])
    if provider == "fal":
        payload["video_url"] = emulator.media_url()
    options: dict[str, Any] = {}
    if spec == "wrong-key":
        options.update(keys(provider, wrong=True))
    elif spec == "no-key":
        options.update(api_key=None, api_secret=None)
    elif spec == "cap":
        options.update(max_download_bytes=100)
    elif "=" in spec:
        emulator.set_faults(spec.format(p=provider))
    if spec == "bad-payload":
        payload = {**payload, **BAD_PAYLOADS[provider]}
    client = make_client(provider, emulator, journal, **options)
    texts.show(client)
    try:
        if spec == "quote":
            texts.show(client.quote(REFS[provider], payload))
            return
        if spec == "cost":
            client.submit(
                REFS[provider], payload, max_cost="0.00000001", media_duration={"video_url": 12.0}
            )
            return
        job = client.submit(REFS[provider], payload)
        texts.show(job, job.last)
        if spec == "resume":
            texts.show(job.cancel())
            with Job.from_journal(job.job_id, journal=journal) as resumed:
                texts.show(resumed, resumed.status())
            return
        snapshot = job.wait(timeout=0.5 if "stall" in spec else 120)
        texts.show(snapshot, job.result())
        files = job.download(sandbox / "out" / provider / path.replace(" ", "-"))
        texts.show(files)
    except (MusicbindError, ValidationError) as error:
        texts.error(error)
    finally:
        client.close()
        emulator.set_faults("")


async def exercise_async(
    provider: str, emulator: EmulatorServer, sandbox: Path, texts: Texts
) -> None:
    """One success and one failure with the async client."""
    journal = sandbox / "journal" / "journal.sqlite3"
    payload = dict(PAYLOADS[provider])
    if provider == "fal":
        payload["video_url"] = emulator.media_url()
    async with make_client(provider, emulator, journal, asynchronous=True) as client:
        texts.show(client)
        job = await client.submit(REFS[provider], payload)
        texts.show(job, await job.result(timeout=120))
        texts.show(await job.download(sandbox / "out" / provider / "async"))
        emulator.set_faults(f"{provider}.status=malformed:*")
        try:
            await (await client.submit(REFS[provider], payload)).wait(timeout=120)
        except MusicbindError as error:
            texts.error(error)
        finally:
            emulator.set_faults("")


@pytest.mark.slow
def test_planted_keys_appear_nowhere(
    planted: None,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("musicbind", "httpx", "httpcore", "runtime", "emulator", "uvicorn"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    texts = Texts()
    exercised = 0
    with EmulatorServer(seed=11, timing=Timing(0.01, 0.02, 0.01)) as emulator:
        for provider in CLIENTS:
            for path, spec in PATHS:
                exercise(provider, path, spec, emulator, tmp_path, texts)
                exercised += 1
            asyncio.run(exercise_async(provider, emulator, tmp_path, texts))
            exercised += 2
        with Journal(tmp_path / "journal" / "journal.sqlite3") as book:
            texts.show(*book.entries())
    out, err = capfd.readouterr()
    handler = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = [handler.format(record) for record in caplog.records]
    files = [p.read_bytes() for p in files_under(tmp_path) if p.is_file()]
    assert any(r.name == "musicbind.http" for r in caplog.records), "no DEBUG line was logged"
    assert len(files) > 3 and len(texts.items) > 200
    occurrences = 0
    found: list[str] = []
    for form in planted_forms():
        for where, haystack in (("log", logged), ("text", texts.items), ("output", [out, err])):
            hits = sum(text.count(form) for text in haystack)
            occurrences += hits
            if hits:
                found.append(f"{form} in {where} ({hits}x)")
        hits = sum(data.count(form.encode()) for data in files)
        occurrences += hits
        if hits:
            found.append(f"{form} in files written ({hits}x)")
    assert occurrences == 0, found
    assert texts.kinds >= EXPECTED_ERRORS, sorted(EXPECTED_ERRORS - texts.kinds)
    record("secret_error_paths", exercised)
    record("secret_texts_scanned", len(texts.items) + len(logged) + len(files) + 2)
    record("secret_occurrences", occurrences)
