"""The fault suite's helpers: a scripted fal queue on the hostile server, both client flavours.

Every scenario is written once as an ``async`` function over :class:`Flavour`; the sync
flavour calls the sync client (blocking calls inside the coroutine), the async flavour
awaits the async client, so each case runs against both.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hostile_server import HostileServer, Reply, Request, file_reply, json_reply

from musicbind.generated.fal.client import AsyncFalClient, FalClient
from musicbind.runtime.client import AsyncClient, Client
from musicbind.runtime.journal import Journal
from musicbind.runtime.polling import PollPolicy
from musicbind.runtime.retry import RetryPolicy

MODEL = "sonilo/v1.1/video-to-music"
REF = f"fal:{MODEL}"
PAYLOAD: dict[str, Any] = {"video_url": "https://media.example/clip.mp4", "duration": 5.0}
KEY = "MBKEY-faults-7c41e9"
FAST_RETRY = RetryPolicy(max_attempts=5, initial_delay=0.01, max_delay=0.05)
FAST_POLL = PollPolicy(initial=0.05, early_max=0.1, max_interval=0.2)
Handler = Callable[[Request], Reply]


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials, base URLs or journal from the developer's environment.

    Imported by each test module (a conftest here would clash with ``tests/runtime``'s,
    whose tests import from ``conftest`` by name).
    """
    for name in (
        "FAL_KEY",
        "AIGATEWAY_API_KEY",
        "SCENARIO_API_KEY",
        "SCENARIO_API_SECRET",
        "MUSICBIND_FAL_BASE_URL",
        "MUSICBIND_SCENARIO_BASE_URL",
        "MUSICBIND_AIGATEWAY_BASE_URL",
        "MUSICBIND_JOURNAL_LOCK_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MUSICBIND_JOURNAL", str(tmp_path / "default-journal.sqlite3"))


@dataclass
class FalScript:
    """A fal queue at ``/fal``: each handler can be replaced by a test."""

    origin: str = ""
    job_id: str = "req-0001"
    files: list[str] = field(default_factory=lambda: ["a.m4a"])
    logs: list[str] = field(default_factory=list)
    submit: Handler | None = None
    status: Handler | None = None
    result: Handler | None = None
    file: Callable[[Request, str], Reply] | None = None

    def file_url(self, name: str) -> str:
        return f"{self.origin}/files/{name}"

    def result_body(self) -> dict[str, Any]:
        audios = [{"url": self.file_url(n), "file_name": n} for n in self.files]
        return {"audio": audios[0] if audios else {"url": ""}, "audios": audios}

    def __call__(self, request: Request) -> Reply:
        route = request.route
        base = f"/fal/{MODEL}"
        if request.method == "POST" and route == base:
            if self.submit is not None:
                return self.submit(request)
            return json_reply({"request_id": self.job_id, "status": "IN_QUEUE"})
        if route.startswith(f"{base}/requests/") and route.endswith("/status"):
            if self.status is not None:
                return self.status(request)
            logs = [{"message": line} for line in self.logs]
            return json_reply({"status": "COMPLETED", "logs": logs})
        if route.startswith(f"{base}/requests/"):
            if self.result is not None:
                return self.result(request)
            return json_reply(self.result_body())
        if route.startswith("/files/"):
            name = route.removeprefix("/files/")
            if self.file is not None:
                return self.file(request, name)
            return file_reply(f"audio of {name}".encode())
        return json_reply({"detail": "not found"}, 404)


@dataclass(frozen=True)
class Flavour:
    """Which client a scenario drives: ``sync`` or ``async``."""

    name: str

    def client(self, server: HostileServer, journal: Path | Journal, **options: Any) -> Any:
        settings: dict[str, Any] = {
            "api_key": KEY,
            "base_url": f"{server.origin}/fal",
            "journal": journal,
            "retry": FAST_RETRY,
            "poll": FAST_POLL,
            "timeout": 8.0,
            **options,
        }
        return (AsyncFalClient if self.name == "async" else FalClient)(**settings)

    @staticmethod
    async def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a sync or async method alike."""
        value = function(*args, **kwargs)
        if inspect.isawaitable(value):
            value = await value
        return value

    async def close(self, client: Client | AsyncClient) -> None:
        await self.call(client.close)


FLAVOURS = [Flavour("sync"), Flavour("async")]


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run one scenario coroutine to its end."""
    asyncio.run(scenario())


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``musicbind ARGS`` in a child process (``-P``: the working folder is not imported)."""
    environment = {**os.environ, **(env or {})}
    environment.setdefault("FAL_KEY", KEY)
    environment["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        check=False,
    )
