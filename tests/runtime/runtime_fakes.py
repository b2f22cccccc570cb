"""Test doubles for the runtime: a fake clock, test bindings and an in-memory provider.

``FakeProvider`` speaks all three job protocols behind ``httpx.MockTransport`` and injects
faults per operation. It counts the submits that reached its handler (``jobs``), so a
test can assert that no ambiguous failure was ever followed by a second paid submit.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal
from importlib import import_module
from typing import Any

import httpx
from pydantic import StrictFloat, StrictInt, StrictStr

from musicbind.runtime.bases import InputModel, OutputModel
from musicbind.runtime.binding import Binding, PriceRule, ProviderProtocol
from musicbind.runtime.clock import Clock
from musicbind.runtime.jobstate import JobState

PLANTED = {
    "fal": "PLANTED-fal-9c1e55aa0d",
    "aigateway": "sk-aig-PLANTED-77b0e1",
    "scenario_key": "PLANTED-scn-key-41d2",
    "scenario_secret": "PLANTED-scn-secret-e93a",
}
BASE_URLS = {
    "scenario": "https://api.scenario.test",
    "fal": "https://queue.fal.test",
    "aigateway": "https://api.gateway.test",
}
FILE_HOST = "https://cdn.files.test"
FILE_BYTES = b"RIFF" + bytes(range(256)) * 8

# The providers' protocols as the generated bindings state them (status vocabularies and
# auth from the overlay), pointed at the fake's hosts: the fakes redeclare none of it.
GATEWAY_MODEL = "acme/text-to-music"


def _fake_protocol(name: str) -> ProviderProtocol:
    protocol: ProviderProtocol = import_module(f"musicbind.generated.{name}").PROTOCOL
    return replace(protocol, base_url=BASE_URLS[name])


PROTOCOLS = {name: _fake_protocol(name) for name in BASE_URLS}


def status_words(provider: str) -> dict[JobState, tuple[str, ...]]:
    """Every word of ``provider``'s vocabulary, by the state it maps to (sorted)."""
    found: dict[JobState, list[str]] = defaultdict(list)
    for word, state in sorted(PROTOCOLS[provider].statuses.items()):
        found[state].append(word)
    return {state: tuple(words) for state, words in found.items()}


def word_for(provider: str, state: JobState, reading: int) -> str:
    """A word of the vocabulary for ``state``; successive readings go through all of them."""
    words = status_words(provider)[state]
    return words[reading % len(words)]


class FalVideoInput(InputModel):
    video_url: StrictStr
    num_samples: StrictInt | None = 1
    duration: StrictFloat | None = None


class FalAudio(OutputModel):
    url: StrictStr
    file_name: StrictStr | None = None


class FalVideoOutput(OutputModel):
    audio: FalAudio
    audios: list[FalAudio]


class ScenarioInput(InputModel):
    prompt: StrictStr
    video: StrictStr | None = None
    num_samples: StrictInt | None = None


class GatewayInput(InputModel):
    prompt: StrictStr
    duration: StrictFloat | None = None


class GatewayOutput(OutputModel):
    url: StrictStr | None = None
    duration: StrictFloat | None = None


BINDINGS = {
    "fal": Binding(
        ref="fal:acme/video-to-music",
        provider="fal",
        model_id="acme/video-to-music",
        method_name="acme_video_to_music",
        input_model=FalVideoInput,
        output_model=FalVideoOutput,
        file_fields=("video_url",),
        pricing=PriceRule(
            currency="USD",
            amount=Decimal("0.009"),
            unit="second",
            seconds_from="duration",
            media="video_url",
            multiplied_by=("num_samples",),
        ),
        media_fields=("video_url",),
    ),
    "scenario": Binding(
        ref="scenario:model_acme-video",
        provider="scenario",
        model_id="model_acme-video",
        method_name="acme_video",
        input_model=ScenarioInput,
        output_model=None,
        file_fields=("video",),
    ),
    "aigateway": Binding(
        ref=f"aigateway:{GATEWAY_MODEL}",
        provider="aigateway",
        model_id=GATEWAY_MODEL,
        method_name="acme_text_to_music",
        input_model=GatewayInput,
        output_model=GatewayOutput,
        pricing=PriceRule(
            currency="USD", amount=Decimal("0.0013"), unit="second", seconds_from="duration"
        ),
    ),
}
PAYLOADS: dict[str, dict[str, Any]] = {
    "fal": {"video_url": "https://media.example/clip.mp4", "num_samples": 2, "duration": 10.0},
    "scenario": {"prompt": "calm piano"},
    "aigateway": {"prompt": "lo-fi beat", "duration": 12.0},
}
PROVIDERS = tuple(PROTOCOLS)


def credentials(provider: str) -> dict[str, str]:
    """Client keyword arguments carrying the planted credentials."""
    if provider == "scenario":
        return {"api_key": PLANTED["scenario_key"], "api_secret": PLANTED["scenario_secret"]}
    return {"api_key": PLANTED[provider]}


class FakeClock:
    """Simulated time: sleeping advances it instantly."""

    def __init__(self, start: float = 1_000.0, wall: float = 1_700_000_000.0) -> None:
        self.now = start
        self.wall_offset = wall - start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return self.now + self.wall_offset

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
        await asyncio.sleep(0)

    def random(self) -> float:
        return 0.5

    def clock(self) -> Clock:
        return Clock(
            monotonic=self.monotonic,
            wall=self.wall,
            sleep=self.sleep,
            async_sleep=self.async_sleep,
            random=self.random,
        )


# Faults raised before the handler sees the request: nothing was processed.
BEFORE_ERRORS: dict[str, type[httpx.TransportError]] = {
    "connect_refused": httpx.ConnectError,
    "dns_failure": httpx.ConnectError,
    "connect_timeout": httpx.ConnectTimeout,
    "write_error": httpx.WriteError,
}
# Faults raised after the handler processed the request: the answer is lost.
AFTER_ERRORS: dict[str, type[httpx.TransportError]] = {
    "read_timeout": httpx.ReadTimeout,
    "reset_after_send": httpx.RemoteProtocolError,
    "read_error": httpx.ReadError,
}
TRANSIENT_FAULTS = (
    "connect_refused",
    "dns_failure",
    "connect_timeout",
    "write_error",
    "read_timeout",
    "reset_after_send",
    "read_error",
    "408",
    "429",
    "500",
    "502",
    "503",
    "504",
)
FAULT_MESSAGES = {
    "connect_refused": "[Errno 111] Connection refused",
    "dns_failure": "[Errno -2] Name or service not known",
}


@dataclass
class FakeJob:
    job_id: str
    model_id: str
    created: float
    payload: dict[str, Any]
    fate: str = "succeed"  # succeed | fail | fail_422 | stall
    canceled: bool = False
    statuses: int = 0


@dataclass
class FakeProvider:
    """An in-memory provider for one protocol, with per-operation faults."""

    provider: str
    clock: FakeClock = field(default_factory=FakeClock)
    run_seconds: float = 0.0  # jobs finish this long after they were submitted
    fate: str = "succeed"
    base_url: str = ""
    file_body: bytes = FILE_BYTES
    file_headers: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    requests: list[tuple[str, httpx.Request]] = field(default_factory=list)
    faults: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    status_words: dict[str, str] = field(default_factory=dict)  # override: word by state
    retry_after: str = "1"
    before_submit: Any = None  # called when a submit reaches the handler
    status_headers: dict[str, str] = field(default_factory=dict)  # on status answers

    def __post_init__(self) -> None:
        self.base_url = self.base_url or BASE_URLS[self.provider]

    # -- test controls --------------------------------------------------------

    def arm(self, op: str, fault: str, times: int = 1) -> None:
        """Make the next ``times`` requests of ``op`` suffer ``fault``."""
        self.faults[op].extend([fault] * times)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def calls(self, op: str) -> list[httpx.Request]:
        return [request for kind, request in self.requests if kind == op]

    # -- the handler ----------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        op = self.classify(request)
        self.requests.append((op, request))
        fault = self.faults[op].pop(0) if self.faults[op] else None
        if fault in BEFORE_ERRORS:
            raise BEFORE_ERRORS[fault](FAULT_MESSAGES.get(fault, fault), request=request)
        if fault is not None and fault.isdigit():
            headers = {"Retry-After": self.retry_after} if fault in ("429", "503") else {}
            return self.error(int(fault), f"injected {fault}", headers)
        if fault == "429_long":
            return self.error(429, "slow down", {"Retry-After": "120"})
        response = self.handle(op, request)
        if fault in AFTER_ERRORS:
            raise AFTER_ERRORS[fault](fault, request=request)
        if fault == "malformed":
            return httpx.Response(response.status_code, content=response.content[:7])
        return response

    def classify(self, request: httpx.Request) -> str:
        url = request.url
        if str(url).startswith(FILE_HOST):
            return "download"
        prefix = httpx.URL(self.base_url).path.rstrip("/")
        path = url.path.removeprefix(prefix) if prefix else url.path
        method = request.method
        if self.provider == "scenario":
            if path.startswith("/v1/generate/custom/"):
                return "quote" if "dryRun" in url.params else "submit"
            if path == "/v1/assets":
                return "upload"
            if path.startswith("/v1/assets/"):
                return "result"
            if path.endswith("/action"):
                return "cancel"
            return "status"
        if self.provider == "fal":
            if "/requests/" not in path:
                return "submit"
            if path.endswith("/status"):
                return "status"
            if path.endswith("/cancel"):
                return "cancel"
            return "result"
        if path == "/v1/audio/music":
            return "submit"
        return "cancel" if method == "DELETE" else "status"

    def handle(self, op: str, request: httpx.Request) -> httpx.Response:
        if op == "submit" and self.before_submit is not None:
            self.before_submit()
        if op == "download":
            return file_response(self.file_body, self.file_headers)
        response: httpx.Response = getattr(self, f"_{self.provider}")(op, request)
        if op == "status":
            response.headers.update(self.status_headers)
        return response

    def error(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        if self.provider == "aigateway":
            body: Any = {"error": {"message": message, "type": "injected", "code": status}}
        elif self.provider == "scenario":
            body = {"reason": message}
        else:
            body = {"detail": message}
        return httpx.Response(status, json=body, headers=headers or {})

    # -- job model --------------------------------------------------------------

    def create(self, model_id: str, payload: dict[str, Any]) -> FakeJob:
        job_id = f"job_{len(self.jobs) + 1:04d}"
        job = FakeJob(job_id, model_id, self.clock.now, payload, fate=self.fate)
        self.jobs[job_id] = job
        return job

    def state(self, job: FakeJob) -> JobState:
        if job.canceled:
            return JobState.CANCELED
        if job.fate == "stall" or self.clock.now - job.created < self.run_seconds:
            return JobState.RUNNING if job.statuses > 1 else JobState.QUEUED
        return JobState.FAILED if job.fate in ("fail", "fail_422") else JobState.SUCCEEDED

    def job_of(self, request: httpx.Request) -> FakeJob:
        for job_id, job in self.jobs.items():
            if job_id in request.url.path:
                return job
        raise KeyError(request.url.path)

    def file_url(self, job: FakeJob, n: int) -> str:
        return f"{FILE_HOST}/out/{job.job_id}/track-{n}.wav"

    # -- protocols --------------------------------------------------------------

    def _scenario(self, op: str, request: httpx.Request) -> httpx.Response:
        def word(state: JobState, job: FakeJob) -> str:
            return self.status_words.get(state) or word_for("scenario", state, job.statuses)

        def record(job: FakeJob) -> dict[str, Any]:
            state = self.state(job)
            done = state is JobState.SUCCEEDED
            progress = (
                1.0
                if done
                else min((self.clock.now - job.created) / max(self.run_seconds, 1), 0.99)
            )
            return {
                "jobId": job.job_id,
                "status": word(state, job),
                "progress": progress,
                "metadata": {
                    "assetIds": [f"asset_{job.job_id}_1"] if done else [],
                    "error": "model crashed" if state is JobState.FAILED else None,
                },
            }

        if op == "quote":
            return httpx.Response(269, json={"creativeUnitsCost": 7})
        if op == "submit":
            model_id = request.url.path.rsplit("/custom/", 1)[1]
            job = self.create(model_id, json.loads(request.content))
            return httpx.Response(200, json={"job": record(job), "creativeUnitsCost": 7})
        if op == "upload":
            body = json.loads(request.content)
            return httpx.Response(200, json={"asset": {"id": f"asset_up_{body['name']}"}})
        if op == "result":
            asset_id = request.url.path.rsplit("/", 1)[1]
            job_id = asset_id.removeprefix("asset_").rsplit("_", 1)[0]
            job = self.jobs[job_id]
            url = self.file_url(job, 1)
            return httpx.Response(
                200, json={"asset": {"id": asset_id, "url": url, "mimeType": "audio/wav"}}
            )
        job = self.job_of(request)
        if op == "cancel":
            if self.state(job).is_terminal:
                return self.error(409, "job already finished")
            job.canceled = True  # lands before the next reading
            running = word(JobState.RUNNING, job)
            return httpx.Response(200, json={"job": record(job) | {"status": running}})
        job.statuses += 1
        return httpx.Response(200, json={"job": record(job)})

    def _fal(self, op: str, request: httpx.Request) -> httpx.Response:
        if op == "submit":
            prefix = httpx.URL(self.base_url).path.rstrip("/")
            model_id = request.url.path.removeprefix(prefix).lstrip("/")
            job = self.create(model_id, json.loads(request.content))
            base = f"{self.base_url}/{job.model_id}/requests/{job.job_id}"
            body = {
                "status": word_for("fal", JobState.QUEUED, 0),
                "request_id": job.job_id,
                "status_url": base + "/status",
                "response_url": base,
                "cancel_url": base + "/cancel",
                "queue_position": 3,
            }
            return httpx.Response(200, json=body, headers={"x-fal-request-id": job.job_id})
        job = self.job_of(request)
        headers = {"x-fal-request-id": job.job_id}
        state = self.state(job)
        if op == "status":
            job.statuses += 1
            # fal has no failed or canceled word: those end COMPLETED with an error.
            shown = state if state in (JobState.QUEUED, JobState.RUNNING) else JobState.SUCCEEDED
            word = self.status_words.get(state) or word_for("fal", shown, job.statuses)
            body: dict[str, Any] = {
                "status": word,
                "request_id": job.job_id,
                "logs": [{"message": f"poll {job.statuses}"}],
            }
            if state is JobState.QUEUED:
                body["queue_position"] = 2
            if state is JobState.FAILED and job.fate == "fail":
                body["error"], body["error_type"] = "runner crashed", "runner_server_error"
            if state is JobState.CANCELED:
                body["error"], body["error_type"] = "Request was cancelled", "client_cancelled"
            return httpx.Response(200, json=body, headers=headers)
        if op == "cancel":
            if state.is_terminal:
                return httpx.Response(400, json={"status": "ALREADY_COMPLETED"})
            job.canceled = True
            return httpx.Response(202, json={"status": "CANCELLATION_REQUESTED"})
        if state is JobState.FAILED:
            detail = [
                {
                    "loc": ["body", "video_url"],
                    "msg": "video could not be decoded",
                    "type": "value_error",
                }
            ]
            return httpx.Response(422, json={"detail": detail}, headers=headers)
        if not state.is_terminal:
            return httpx.Response(400, json={"detail": "Request is still in progress"})
        audios = [{"url": self.file_url(job, n), "file_name": f"track-{n}.wav"} for n in (1, 2)]
        return httpx.Response(200, json={"audio": audios[0], "audios": audios}, headers=headers)

    def _aigateway(self, op: str, request: httpx.Request) -> httpx.Response:
        if op == "submit":
            body = json.loads(request.content)
            job = self.create(body.pop("model"), body)
            return httpx.Response(
                202,
                json={
                    "id": job.job_id,
                    "status": word_for("aigateway", JobState.QUEUED, 0),
                    "model": job.model_id,
                },
            )
        job = self.job_of(request)
        if op == "cancel":
            if self.state(job) is JobState.QUEUED:
                job.canceled = True
            elif not self.state(job).is_terminal:
                return self.error(409, "job is running")
        else:
            job.statuses += 1
        state = self.state(job)
        word = self.status_words.get(state) or word_for("aigateway", state, job.statuses)
        record: dict[str, Any] = {"id": job.job_id, "status": word}
        if state is JobState.SUCCEEDED:
            record["result"] = {"url": self.file_url(job, 1), "duration": 12.0}
        if state is JobState.FAILED:
            record["error"] = {"code": "generation_failed", "message": "upstream failed"}
        return httpx.Response(200, json=record)


def file_response(
    body: bytes, headers: dict[str, str] | None = None, status: int = 200
) -> httpx.Response:
    """A streamed answer (``content=`` would make httpx read and decode it up front)."""
    merged = {"Content-Length": str(len(body)), "Content-Type": "audio/wav", **(headers or {})}
    return httpx.Response(status, headers=merged, stream=httpx.ByteStream(body))


def gzip_bomb(decoded_size: int) -> bytes:
    """A small gzip body that expands to ``decoded_size`` zero bytes."""
    return gzip.compress(b"\0" * decoded_size, compresslevel=9)


def auth_header(request: httpx.Request) -> str | None:
    return request.headers.get("authorization")


SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
