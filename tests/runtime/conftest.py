"""Fixtures for the runtime tests: fake clock, journal path, clients over a FakeProvider."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from runtime_fakes import PROTOCOLS, FakeClock, FakeProvider, credentials

from musicbind.runtime.client import AsyncClient, Client
from musicbind.runtime.retry import RetryPolicy

FAST_RETRY = RetryPolicy(max_attempts=4, initial_delay=0.1, max_delay=1.0)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real credentials, base URLs or journal from the developer's environment."""
    for name in (
        "FAL_KEY",
        "AIGATEWAY_API_KEY",
        "SCENARIO_API_KEY",
        "SCENARIO_API_SECRET",
        "MUSICBIND_FAL_BASE_URL",
        "MUSICBIND_SCENARIO_BASE_URL",
        "MUSICBIND_AIGATEWAY_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MUSICBIND_JOURNAL", str(tmp_path / "default-journal.sqlite3"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal" / "journal.sqlite3"


MakeClient = Callable[..., Client]


@pytest.fixture
def make_client(clock: FakeClock, journal_path: Path) -> Iterator[MakeClient]:
    """``make_client(fake, **overrides)``: a sync Client wired to ``fake``; closed afterwards."""
    made: list[Client] = []

    def make(fake: FakeProvider, **overrides: Any) -> Client:
        options: dict[str, Any] = {
            "protocol": PROTOCOLS[fake.provider],
            "journal": journal_path,
            "clock": clock.clock(),
            "retry": FAST_RETRY,
            "http_client": httpx.Client(transport=fake.transport()),
            **credentials(fake.provider),
        }
        options.update(overrides)
        client = Client(**options)
        made.append(client)
        made_http.append(options["http_client"])
        return client

    made_http: list[httpx.Client] = []
    yield make
    for client in made:
        client.close()
    for http in made_http:
        http.close()


def make_async_client(
    fake: FakeProvider, clock: FakeClock, journal_path: Path, **overrides: Any
) -> AsyncClient:
    """An AsyncClient wired to ``fake`` (the caller closes it and its http_client)."""
    options: dict[str, Any] = {
        "protocol": PROTOCOLS[fake.provider],
        "journal": journal_path,
        "clock": clock.clock(),
        "retry": FAST_RETRY,
        "http_client": httpx.AsyncClient(transport=fake.transport()),
        **credentials(fake.provider),
    }
    options.update(overrides)
    return AsyncClient(**options)
