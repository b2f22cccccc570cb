"""Support for the emulator's end-to-end tests (no tests here): a plain-httpx driver per provider.

A module of its own, not a conftest.py: test modules import its helpers and fixtures
(``emu``, ``drive``, ``shared_emulator``) by a name no other directory's conftest shadows.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from musicbind.emulator.jobs import Timing
from musicbind.emulator.server import EmulatorServer

FAST = Timing(queue_s=0.03, run_s=0.06, cancel_s=0.01)
PROVIDERS = ("scenario", "fal", "aigateway")
DEMO_VIDEO = Path(__file__).resolve().parents[2] / "emulator" / "media" / "demo.mp4"
# The status words specs/overlay.yaml maps for each provider.
OVERLAY_WORDS = {
    "scenario": {
        *("queued", "pending", "warming-up", "in-progress", "processing", "finalizing"),
        *("success", "failed", "failure", "canceled"),
    },
    "fal": {"IN_QUEUE", "IN_PROGRESS", "COMPLETED"},
    "aigateway": {
        "queued",
        "processing",
        "running",
        "completed",
        "failed",
        "cancelled",
        "canceled",
    },
}
TERMINAL = {
    "scenario": {"success", "failed", "failure", "canceled"},
    "fal": {"COMPLETED"},
    "aigateway": {"completed", "failed", "cancelled"},
}


@dataclass
class Driver:
    """Speaks one provider's protocol with bare httpx, the way a careful client would."""

    emu: EmulatorServer
    provider: str
    client: httpx.Client
    created: list[str] = field(default_factory=list)

    def payload(self, seconds: float = 3.0) -> dict[str, Any]:
        """A valid default payload asking for ``seconds`` of music."""
        if self.provider == "scenario":
            return {"prompt": "calm piano", "duration": seconds}
        if self.provider == "fal":
            return {"video_url": self.emu.media_url(), "duration": seconds}
        return {"model": "sonauto/v2/text-to-music", "prompt": "calm piano", "duration": seconds}

    def submit(self, payload: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """POST a submission (the default payload when none is given)."""
        body = self.payload() if payload is None else payload
        if self.provider == "scenario":
            model = kwargs.pop("model", "model_sonilo-v1-1-text-to-music")
            return self.client.post(f"/v1/generate/custom/{model}", json=body, **kwargs)
        if self.provider == "fal":
            model = kwargs.pop("model", "sonilo/v1.1/video-to-music")
            return self.client.post(f"/{model}", json=body, **kwargs)
        return self.client.post("/v1/audio/music", json=body, **kwargs)

    def job_id(self, response: httpx.Response) -> str:
        """The job id in a submit answer."""
        data = response.json()
        if self.provider == "scenario":
            return str(data["job"]["jobId"])
        return str(data["request_id"] if self.provider == "fal" else data["id"])

    def status(self, job_id: str, **kwargs: Any) -> httpx.Response:
        """GET the job's status."""
        if self.provider == "scenario":
            return self.client.get(f"/v1/jobs/{job_id}", **kwargs)
        if self.provider == "fal":
            path = f"/sonilo/v1.1/video-to-music/requests/{job_id}/status"
            return self.client.get(path, params={"logs": 1}, **kwargs)
        return self.client.get(f"/v1/jobs/{job_id}", **kwargs)

    def word(self, response: httpx.Response) -> str:
        """The status word of a status answer."""
        data = response.json()
        return str(data["job"]["status"] if self.provider == "scenario" else data["status"])

    def wait(self, job_id: str, timeout: float = 3.0) -> httpx.Response:
        """Poll until a terminal status (bounded); return the last status answer."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.status(job_id)
            response.raise_for_status()
            if self.word(response) in TERMINAL[self.provider]:
                return response
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} still {self.word(response)} after {timeout}s")
            time.sleep(0.01)

    def cancel(self, job_id: str) -> httpx.Response:
        """Ask the provider to cancel the job."""
        if self.provider == "scenario":
            return self.client.post(f"/v1/jobs/{job_id}/action", json={"action": "cancel"})
        if self.provider == "fal":
            return self.client.put(f"/sonilo/v1.1/video-to-music/requests/{job_id}/cancel")
        return self.client.delete(f"/v1/jobs/{job_id}")

    def result_urls(self, job_id: str) -> list[str]:
        """Download URLs of a finished job's files."""
        if self.provider == "scenario":
            ids = self.status(job_id).json()["job"]["metadata"]["assetIds"]
            return [self.client.get(f"/v1/assets/{a}").json()["asset"]["url"] for a in ids]
        if self.provider == "fal":
            answer = self.client.get(f"/sonilo/v1.1/video-to-music/requests/{job_id}")
            answer.raise_for_status()
            return [audio["url"] for audio in answer.json()["audios"]]
        return [self.status(job_id).json()["result"]["url"]]

    def run(self, payload: dict[str, Any] | None = None, **kwargs: Any) -> tuple[str, list[str]]:
        """Submit, wait and return (job id, result URLs)."""
        response = self.submit(payload, **kwargs)
        assert response.status_code in (200, 202), response.text
        job_id = self.job_id(response)
        self.wait(job_id)
        return job_id, self.result_urls(job_id)

    def upload_video(self) -> str:
        """Scenario: upload the demo video as an asset; return its id."""
        data = base64.b64encode(DEMO_VIDEO.read_bytes()).decode()
        answer = self.client.post("/v1/assets", json={"name": "demo.mp4", "file": data})
        answer.raise_for_status()
        return str(answer.json()["asset"]["id"])


def make_client(emu: EmulatorServer, provider: str, **kwargs: Any) -> httpx.Client:
    """An httpx client for ``provider`` with the credentials the emulator accepts."""
    env = emu.env()
    base = emu.base_url(provider)
    if provider == "scenario":
        auth = (env["SCENARIO_API_KEY"], env["SCENARIO_API_SECRET"])
        return httpx.Client(base_url=base, auth=auth, **kwargs)
    scheme, key = (
        ("Key", env["FAL_KEY"]) if provider == "fal" else ("Bearer", env["AIGATEWAY_API_KEY"])
    )
    return httpx.Client(base_url=base, headers={"Authorization": f"{scheme} {key}"}, **kwargs)


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[EmulatorServer]:
    """One emulator with fast jobs for the session (starting one costs a few tenths of a second)."""
    with EmulatorServer(seed=11, timing=FAST) as server:
        yield server


@pytest.fixture
def emu(shared_emulator: EmulatorServer) -> EmulatorServer:
    """The shared emulator with no faults and an empty ledger."""
    shared_emulator.set_faults(())
    shared_emulator.ledger.clear()
    return shared_emulator


@pytest.fixture
def drive(emu: EmulatorServer) -> Iterator[Callable[..., Driver]]:
    """Make a Driver for a provider (clients are closed after the test)."""
    clients: list[httpx.Client] = []

    def make(provider: str, **kwargs: Any) -> Driver:
        client = make_client(emu, provider, **kwargs)
        clients.append(client)
        return Driver(emu, provider, client)

    yield make
    for client in clients:
        client.close()
