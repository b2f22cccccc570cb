"""Runtime: Client and AsyncClient, the bases every generated per-provider client subclasses.

A generated subclass sets ``protocol`` and overrides ``resolve_binding``; its typed
per-model methods call ``self.run(BINDING, payload, output_type=Output)`` or
``self.submit(BINDING, payload, output_type=Output)``. A submit always goes: validate
the payload with the binding's input model, check ``max_cost``, upload local file
inputs (Scenario) or refuse them (fal), write the journal intent, send the submit,
journal the job id, and only then return the job. Nothing is sent when validation, the
cost check or a file input fails. Errors: see :mod:`runtime.client_core` and
:mod:`runtime.errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload

from musicbind.runtime.binding import Binding
from musicbind.runtime.client_core import (
    ClientCore,
    ClientPlan,
    Payload,
)
from musicbind.runtime.deferred import deferred_module
from musicbind.runtime.jobs import AsyncJob, Job, ProgressCallback
from musicbind.runtime.providers.base import Quote
from musicbind.runtime.transport import AsyncTransport, Transport
from musicbind.runtime.webhooks import WebhookTarget

if TYPE_CHECKING:
    import httpx
    from pydantic import BaseModel
else:
    httpx = deferred_module("httpx")

T = TypeVar("T")
OutT = TypeVar("OutT", bound="BaseModel")
Cost = Decimal | float | str | None
Durations = Mapping[str, float] | None
Webhook = str | WebhookTarget | None  # fal: the queue calls it back when the job ends


class Client(ClientCore["httpx.Client"]):
    """Synchronous client for one provider. Use as a context manager, or call close().

    Keyword arguments (all optional): ``api_key``, ``api_secret``, ``base_url``,
    ``journal``, ``protocol``, ``timeout``, ``retry``, ``poll``, ``clock``,
    ``max_download_bytes``, ``idempotency_header``, ``http_client`` (an httpx.Client),
    ``max_files_per_job``, ``max_job_bytes`` (see :class:`runtime.client_core.ClientCore`).
    """

    _transport_type = Transport
    _transport: Transport

    def close(self) -> None:
        """Close the HTTP connections (and the journal, if this client opened it)."""
        self._transport.close()
        self._close_journal()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @overload
    def submit(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[OutT],
        max_cost: Cost = None,
        media_duration: Durations = None,
        webhook_url: Webhook = None,
    ) -> Job[OutT]: ...

    @overload
    def submit(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
        webhook_url: Webhook = None,
    ) -> Job[BaseModel]: ...

    def submit(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[BaseModel] | None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
        webhook_url: Webhook = None,
    ) -> Job[Any]:
        """Validate, check the cost, journal and submit; returns once the job id is journalled.

        ``webhook_url`` (fal): the queue calls it when the job ends; a receiver
        (:mod:`runtime.webhooks_asgi`) records the outcome in the journal, and ``wait``
        reads it there instead of polling (it polls once ``fallback_after_s`` passed).
        """
        done = self.drive(
            self._submit_plan(binding, payload, max_cost, media_duration, webhook_url=webhook_url)
        )
        return Job(self, **self._job_kwargs(done.binding, done.intent_id, done.answer, output_type))

    @overload
    def run(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[OutT],
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
    ) -> OutT: ...

    @overload
    def run(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
    ) -> BaseModel: ...

    def run(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[BaseModel] | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
    ) -> BaseModel:
        """Submit, wait (``timeout`` seconds at most) and return the parsed output.

        The output model is ``output_type``, else the binding's, else :class:`RawOutput`.
        On JobTimeoutError the job keeps running and stays in the journal.
        """
        job = self.submit(
            binding,
            payload,
            output_type=output_type,
            max_cost=max_cost,
            media_duration=media_duration,
        )
        return job.result(timeout, on_progress)

    def quote(
        self, binding: Binding | str, payload: Payload, *, media_duration: Durations = None
    ) -> Quote:
        """The provider's own price from a dry run that runs nothing (Scenario only)."""
        return self.drive(self._quote_plan(binding, payload, media_duration))

    def drive(self, plan: ClientPlan[T]) -> T:
        """Perform a plan's I/O steps with blocking calls (jobs run theirs here)."""
        return self._transport.drive(plan)

    def job(self, key: str) -> Job[BaseModel]:
        """A journalled job by intent id or job id, driven by this client."""
        return Job.from_journal(key, client=self)

    def reconcile(self, key: str, job_id: str) -> Job[BaseModel]:
        """Attach the provider's ``job_id`` to a ``pending``/``uncertain`` journal entry.

        ``key`` is the entry's intent id (or a unique prefix). Returns the job, ready to
        wait for and download.
        """
        return Job.from_journal(self._reconcile_entry(key, job_id), client=self)

    def attach(self, binding: Binding | str, job_id: str) -> Job[BaseModel]:
        """A job the journal never recorded (its id from the provider), journalled now."""
        return Job.from_journal(self._attach_entry(self.binding(binding), job_id), client=self)


class AsyncClient(ClientCore["httpx.AsyncClient"]):
    """Asynchronous :class:`Client` (``http_client``: an httpx.AsyncClient).

    Use ``async with``, or await close().
    """

    _transport_type = AsyncTransport
    _transport: AsyncTransport

    async def close(self) -> None:
        """Close the HTTP connections (and the journal, if this client opened it)."""
        await self._transport.close()
        self._close_journal()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @overload
    async def submit(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[OutT],
        max_cost: Cost = None,
        media_duration: Durations = None,
        webhook_url: Webhook = None,
    ) -> AsyncJob[OutT]: ...

    @overload
    async def submit(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
        webhook_url: Webhook = None,
    ) -> AsyncJob[BaseModel]: ...

    async def submit(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[BaseModel] | None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
        webhook_url: Webhook = None,
    ) -> AsyncJob[Any]:
        """Async :meth:`Client.submit`."""
        done = await self.drive(
            self._submit_plan(binding, payload, max_cost, media_duration, webhook_url=webhook_url)
        )
        return AsyncJob(
            self, **self._job_kwargs(done.binding, done.intent_id, done.answer, output_type)
        )

    @overload
    async def run(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[OutT],
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
    ) -> OutT: ...

    @overload
    async def run(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
    ) -> BaseModel: ...

    async def run(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[BaseModel] | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
    ) -> BaseModel:
        """Async :meth:`Client.run`."""
        job = await self.submit(
            binding,
            payload,
            output_type=output_type,
            max_cost=max_cost,
            media_duration=media_duration,
        )
        return await job.result(timeout, on_progress)

    async def quote(
        self, binding: Binding | str, payload: Payload, *, media_duration: Durations = None
    ) -> Quote:
        """Async :meth:`Client.quote`."""
        return await self.drive(self._quote_plan(binding, payload, media_duration))

    async def drive(self, plan: ClientPlan[T]) -> T:
        """Perform a plan's I/O steps with ``await`` (jobs run theirs here)."""
        return await self._transport.drive(plan)

    def job(self, key: str) -> AsyncJob[BaseModel]:
        """A journalled job by intent id or job id, driven by this client."""
        return AsyncJob.from_journal(key, client=self)

    def reconcile(self, key: str, job_id: str) -> AsyncJob[BaseModel]:
        """Async :meth:`Client.reconcile` (journal work only: nothing is awaited)."""
        return AsyncJob.from_journal(self._reconcile_entry(key, job_id), client=self)

    def attach(self, binding: Binding | str, job_id: str) -> AsyncJob[BaseModel]:
        """Async :meth:`Client.attach` (journal work only: nothing is awaited)."""
        return AsyncJob.from_journal(self._attach_entry(self.binding(binding), job_id), client=self)


# A job opened from the journal alone builds one of these (jobs never import this module).
Job.client_type = Client
AsyncJob.client_type = AsyncClient

__all__ = ["AsyncClient", "AsyncJob", "Client", "Job"]
