"""Fixtures for the runtime tests: fake clock, journal path, clients over a FakeProvider."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from flavour_driver import FLAVOURS, Blocking
from runtime_fakes import PROTOCOLS, FakeClock, FakeProvider, credentials

from musicbind.runtime.client import AsyncClient, Client
from musicbind.runtime.retry import RetryPolicy
from musicbind.runtime.transport import AsyncTransport, Transport

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


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    """``sync`` or ``async``: which client a test built with ``make_client`` drives."""
    return str(request.param)


@pytest.fixture
def make_client(clock: FakeClock, journal_path: Path, flavour: str) -> Iterator[MakeClient]:
    """``make_client(fake, **overrides)``: a client wired to ``fake``; closed afterwards.

    Sync flavour: a :class:`Client`. Async flavour: an :class:`AsyncClient` behind a
    blocking face (:mod:`flavour_driver`), so each test runs against both.
    """
    made: list[Any] = []
    made_http: list[httpx.Client | httpx.AsyncClient] = []
    loop = asyncio.new_event_loop() if flavour == "async" else None

    def make(
        fake: FakeProvider, *, client_type: type[Any] | None = None, **overrides: Any
    ) -> Client:
        """``client_type``: a subclass of the flavour's client to build instead."""
        if loop is not None:
            options = _options(fake, clock, journal_path, httpx.AsyncClient, overrides)
            client: Any = Blocking((client_type or AsyncClient)(**options), loop)
        else:
            options = _options(fake, clock, journal_path, httpx.Client, overrides)
            client = (client_type or Client)(**options)
        made.append(client)
        made_http.append(options["http_client"])
        return cast(Client, client)

    yield make
    for client in made:
        client.close()
    for http in made_http:
        if isinstance(http, httpx.AsyncClient):
            assert loop is not None
            loop.run_until_complete(http.aclose())
        else:
            http.close()
    if loop is not None:
        loop.close()


def _options(
    fake: FakeProvider,
    clock: FakeClock,
    journal_path: Path,
    http_type: type[httpx.Client] | type[httpx.AsyncClient],
    overrides: dict[str, Any],
) -> dict[str, Any]:
    options: dict[str, Any] = {
        "protocol": PROTOCOLS[fake.provider],
        "journal": journal_path,
        "clock": clock.clock(),
        "retry": FAST_RETRY,
        "http_client": http_type(transport=fake.transport()),
        **credentials(fake.provider),
    }
    options.update(overrides)
    given = options["http_client"]
    if http_type is httpx.AsyncClient and isinstance(given, httpx.Client):
        # A test's own sync http_client (a MockTransport): the same handler, async.
        mock = given._transport
        assert isinstance(mock, httpx.MockTransport), "only mock transports can be reused"
        options["http_client"] = httpx.AsyncClient(transport=mock, timeout=given.timeout)
    return options


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


MakeTransport = Callable[..., Transport]


@pytest.fixture
def make_transport(flavour: str) -> Iterator[MakeTransport]:
    """``make_transport(handler, **options)``: a transport over a MockTransport, per flavour.

    Sync flavour: a :class:`Transport`; async: an :class:`AsyncTransport` behind a
    blocking face. Their http clients are closed afterwards.
    """
    loop = asyncio.new_event_loop() if flavour == "async" else None
    made: list[Any] = []

    def make(handler: Callable[[httpx.Request], httpx.Response], **options: Any) -> Transport:
        mock = httpx.MockTransport(handler)
        if loop is not None:
            transport: Any = AsyncTransport(
                http_client=httpx.AsyncClient(transport=mock), **options
            )
            made.append(transport)
            return cast(Transport, Blocking(transport, loop))
        transport = Transport(http_client=httpx.Client(transport=mock), **options)
        made.append(transport)
        return cast(Transport, transport)

    yield make
    for transport in made:
        if loop is not None:
            loop.run_until_complete(transport._client.aclose())
        else:
            transport._client.close()
    if loop is not None:
        loop.close()


@pytest.fixture
def flavoured_client(flavour: str) -> Iterator[Callable[..., Client]]:
    """``flavoured_client(**options)``: a Client, or an AsyncClient behind a blocking face.

    The test closes it (``with``); the event loop is closed afterwards.
    """
    loop = asyncio.new_event_loop() if flavour == "async" else None

    def build(**options: Any) -> Client:
        if loop is None:
            return Client(**options)
        return cast(Client, Blocking(AsyncClient(**options), loop))

    yield build
    if loop is not None:
        loop.close()
