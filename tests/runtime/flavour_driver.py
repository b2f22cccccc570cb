"""Both flavours behind one face: the async client driven through blocking calls.

A runtime test is written once against the sync API (``client.submit(...)``,
``job.wait()``, ``with client:``). For the ``async`` flavour the ``make_client``
fixture hands out :class:`Blocking` around an :class:`AsyncClient`: every call is run
on the test's own event loop until it completes, and the jobs it returns are wrapped
the same way, so the same test body exercises :class:`AsyncClient` and
:class:`AsyncJob` end to end (the same plans, the async transport and driver).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from musicbind.runtime.client import AsyncClient
from musicbind.runtime.jobs import AsyncJob, Job

FLAVOURS = ("sync", "async")


class Blocking:
    """A blocking face on an async client or job: calls run on ``loop`` to completion."""

    __slots__ = ("_loop", "_target")

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_loop", loop)

    @property
    def wrapped(self) -> Any:
        """The async object behind this face."""
        return self._target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if callable(value) and not isinstance(value, type):
            return self._blocking(value)
        return self._wrap(value)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._target, name)

    def __repr__(self) -> str:
        return repr(self._target)

    def __enter__(self) -> Blocking:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._blocking(self._target.close)()

    def _blocking(self, function: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            value = function(*args, **kwargs)
            if inspect.isawaitable(value):
                value = self._loop.run_until_complete(_awaited(value))
            return self._wrap(value)

        return call

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, AsyncJob | AsyncClient):
            return Blocking(value, self._loop)
        return value


async def _awaited(value: Any) -> Any:
    return await value


def unwrap(value: Any) -> Any:
    """The object behind a :class:`Blocking` face (or ``value`` itself)."""
    return value.wrapped if isinstance(value, Blocking) else value


def job_from_journal(key: str, *, client: Any) -> Any:
    """``Job.from_journal`` for the client's flavour (an AsyncJob behind the face)."""
    if isinstance(client, Blocking):
        return client._wrap(AsyncJob.from_journal(key, client=client.wrapped))
    return Job.from_journal(key, client=client)
