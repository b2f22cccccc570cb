"""Runtime: the I/O steps a transport plan yields, and the small plans every caller shares.

A plan (:mod:`runtime.plans`) is a generator: it yields one of the steps below and is
sent its result; :class:`~runtime.transport.Transport` and
:class:`~runtime.transport.AsyncTransport` perform the steps with blocking or awaited
calls. Nothing here imports httpx at run time (its types are only annotations).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")


class Send(NamedTuple):
    """Send ``request`` and return the streamed response."""

    request: httpx.Request


class Chunks(NamedTuple):
    """Start reading ``response``'s raw body; returns a chunk iterator for :class:`Chunk`."""

    response: httpx.Response


class Chunk(NamedTuple):
    """The next raw chunk from a :class:`Chunks` iterator, or None at the end."""

    chunks: Any


class Close(NamedTuple):
    """Close ``response``."""

    response: httpx.Response


class Sleep(NamedTuple):
    """Wait ``seconds`` on the transport's clock."""

    seconds: float


class Consume(NamedTuple):
    """Hand ``response`` to a caller's consumer callback (sync or async)."""

    consume: Callable[[httpx.Response], Any]
    response: httpx.Response


TransportStep = Send | Chunks | Chunk | Close | Sleep | Consume
TransportPlan = Generator[TransportStep, Any, T]
"""A transport's sans-IO sequence: yields the I/O steps above, receives their results."""


def read_chunks(response: httpx.Response, on_chunk: Callable[[bytes], bool]) -> TransportPlan[None]:
    """Feed ``response``'s raw body to ``on_chunk`` until the end or it returns True (stop)."""
    chunks = yield Chunks(response)
    while True:
        chunk = yield Chunk(chunks)
        if chunk is None or on_chunk(chunk):
            return


def pause(seconds: float) -> TransportPlan[None]:
    """Wait ``seconds`` on the transport's clock."""
    yield Sleep(seconds)


Consumer = Callable[["httpx.Response"], T]
AsyncConsumer = Callable[["httpx.Response"], Awaitable[T]]


def consume_with(consume: Callable[[httpx.Response], Any]) -> Callable[[httpx.Response], Any]:
    """A caller's consumer callback as a one-step plan."""

    def plan(response: httpx.Response) -> TransportPlan[Any]:
        return (yield Consume(consume, response))

    return plan
