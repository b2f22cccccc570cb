"""Webhooks end to end: the emulator calls back a loopback receiver, nothing is polled.

The emulator signs fal's deliveries with its own Ed25519 key and serves the JWKS; the
receiver (``musicbind.runtime.webhooks_asgi.WebhookReceiver`` under uvicorn) fetches the
keys from there, verifies, and records the outcome in the journal that ``wait``, ``jobs``
and ``resume`` read. Bad deliveries (another key, a replay, late, malformed, a missing
header, a body changed after signing) are refused and change nothing.
"""

from __future__ import annotations

import importlib
import json
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from musicbind import generated
from musicbind.emulator import server as server_module
from musicbind.emulator import webhooks
from musicbind.emulator.jobs import Timing
from musicbind.runtime.client import Client
from musicbind.runtime.errors import ConfigurationError
from musicbind.runtime.jobs import Job
from musicbind.runtime.jobstate import JobState
from musicbind.runtime.journal import Journal
from musicbind.runtime.webhooks import WebhookTarget

uvicorn = pytest.importorskip("uvicorn")
from musicbind.runtime.webhooks_asgi import WebhookReceiver  # noqa: E402 (needs PyNaCl)

FAL = "fal:sonilo/v1.1/video-to-music"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with server_module.EmulatorServer(seed=7, timing=Timing(queue_s=0.05, run_s=0.3)) as running:
        yield running


class Loopback:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, lifespan="on", log_level="critical", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Loopback:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.005)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)
        self.sock.close()


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as book:
        yield book


@pytest.fixture
def receiver(emulator: Any, journal: Journal) -> Iterator[Loopback]:
    jwks = emulator.base_url("fal") + "/.well-known/jwks.json"
    with Loopback(WebhookReceiver(journal.path, jwks_url=jwks)) as running:
        yield running


class Counting:
    """A client on the emulator that counts its status requests."""

    def __init__(self, emulator: Any, journal: Journal) -> None:
        self.polls = 0

        def count(request: httpx.Request) -> None:
            if request.url.path.endswith("/status"):
                self.polls += 1

        self.http = httpx.Client(event_hooks={"request": [count]}, timeout=5.0)
        protocol = importlib.import_module("musicbind.generated.fal").PROTOCOL
        self.client = Client(
            protocol=protocol,
            base_url=emulator.base_url("fal"),
            api_key=emulator.env()["FAL_KEY"],
            journal=journal,
            http_client=self.http,
        )

    def close(self) -> None:
        self.client.close()
        self.http.close()


@pytest.fixture
def counting(emulator: Any, journal: Journal) -> Iterator[Any]:
    """``counting()``: a new counting client (closed after the test)."""
    made: list[Counting] = []

    def make() -> Counting:
        made.append(Counting(emulator, journal))
        return made[-1]

    yield make
    for client in made:
        client.close()


def _payload(emulator: Any) -> dict[str, Any]:
    return {"video_url": emulator.media_url(), "duration": 5}


def _deliveries(journal: Journal) -> list[tuple[str, ...]]:
    with sqlite3.connect(journal.path) as db:
        return db.execute("SELECT job_id FROM webhook_deliveries ORDER BY job_id").fetchall()


def test_a_signed_webhook_ends_the_job_with_no_status_poll(
    emulator: Any, journal: Journal, receiver: Loopback, tmp_path: Path, counting: Any
) -> None:
    client = counting()
    binding = generated.get_binding(FAL)
    job = client.client.submit(binding, _payload(emulator), webhook_url=receiver.url + "/fal")
    snapshot = job.wait(timeout=20)
    assert snapshot.state is JobState.SUCCEEDED
    files = job.download(tmp_path / "out")
    assert len(files) == 1 and files[0].stat().st_size > 0
    assert client.polls == 0
    assert webhooks.answers(emulator.emulator, job.job_id) == [200]
    entry = journal.get(job.job_id)
    assert (entry.state, entry.status_word) == ("SUCCEEDED", "COMPLETED")
    assert json.loads(entry.result_json or "{}")["audio"]["file_name"] == files[0].name

    # `resume` in another client reads the outcome from the journal: still no poll
    other = counting()
    resumed = Job.from_journal(job.job_id, client=other.client)
    assert resumed.wait(timeout=5).state is JobState.SUCCEEDED and other.polls == 0
    listed = json.loads(_jobs_json(journal.path))
    assert [row["state"] for row in listed] == ["SUCCEEDED"]


def _jobs_json(path: Path) -> str:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", "jobs", "--journal", str(path), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(path.parent), "COLUMNS": "80"},
    )
    return done.stdout


def test_bad_webhooks_are_refused_and_recorded_nowhere(
    emulator: Any, journal: Journal, receiver: Loopback, counting: Any
) -> None:
    client = counting()
    binding = generated.get_binding(FAL)
    first = client.client.submit(binding, _payload(emulator), webhook_url=receiver.url + "/a")
    first.wait(timeout=20)
    # The second job's own delivery goes to a port nobody serves: only bad ones reach us.
    dead = WebhookTarget("http://127.0.0.1:9/nobody", fallback_after_s=3600)
    second = client.client.submit(binding, _payload(emulator), webhook_url=dead)
    deadline = time.monotonic() + 10
    while webhooks.sent(emulator.emulator, second.job_id) is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    before = [(e.state, e.result_json, e.error) for e in journal.entries()]
    expected = {
        "wrong_key": 401,
        "late": 401,
        "malformed": 400,
        "missing_header": 400,
        "tampered": 401,
    }
    for kind, status in expected.items():
        got = webhooks.send_bad(emulator.emulator, second.job_id, kind, url=receiver.url)
        assert (kind, got) == (kind, status)
    replayed = webhooks.send_bad(emulator.emulator, first.job_id, "replay", url=receiver.url)
    assert replayed == 409
    assert [(e.state, e.result_json, e.error) for e in journal.entries()] == before
    assert _deliveries(journal) == [(first.job_id,)]
    assert journal.get(second.job_id).state != "SUCCEEDED"


def test_a_missed_webhook_falls_back_to_polling(
    emulator: Any, journal: Journal, counting: Any
) -> None:
    client = counting()
    binding = generated.get_binding(FAL)
    target = WebhookTarget("http://127.0.0.1:9/nobody", fallback_after_s=0.6)
    job = client.client.submit(binding, _payload(emulator), webhook_url=target)
    started = time.monotonic()
    assert job.wait(timeout=20).state is JobState.SUCCEEDED
    assert time.monotonic() - started >= 0.5  # quiet until the fallback time
    assert client.polls >= 1


def test_webhooks_are_refused_where_the_provider_takes_none(
    emulator: Any, journal: Journal, counting: Any
) -> None:
    protocol = importlib.import_module("musicbind.generated.aigateway").PROTOCOL
    client = Client(
        protocol=protocol,
        base_url=emulator.base_url("aigateway"),
        api_key=emulator.env()["AIGATEWAY_API_KEY"],
        journal=journal,
    )
    binding = generated.get_binding("aigateway:sonauto/v2/text-to-music")
    sent = len(emulator.ledger.submissions)
    with pytest.raises(ConfigurationError, match="takes no webhook URL"):
        client.submit(binding, {"prompt": "x", "duration": 5.0}, webhook_url="https://h/x")
    client.close()
    with pytest.raises(ConfigurationError, match="http"):
        counting().client.submit(
            generated.get_binding(FAL), _payload(emulator), webhook_url="ftp://h/x"
        )
    assert len(emulator.ledger.submissions) == sent and journal.entries() == []
