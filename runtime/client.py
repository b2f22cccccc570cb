"""Runtime: Client and AsyncClient, the bases every generated per-provider client subclasses.

A generated subclass sets ``protocol`` and overrides ``resolve_binding``; its typed
per-model methods call ``self.run(BINDING, payload, output_type=Output)`` or
``self.submit(BINDING, payload, output_type=Output)``. A submit always goes: validate
the payload with the binding's input model, check ``max_cost``, upload local file
inputs (Scenario) or refuse them (fal), write the journal intent, send the submit,
journal the job id, and only then return the job. Nothing is sent when validation, the
cost check or a file input fails. Errors: see :mod:`runtime.submission` and
:mod:`runtime.errors`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Self, TypeVar, cast, overload

import httpx
from pydantic import BaseModel

from musicbind.runtime.binding import Binding, ProviderProtocol
from musicbind.runtime.clock import SYSTEM_CLOCK, Clock
from musicbind.runtime.download import DEFAULT_MAX_DOWNLOAD_BYTES
from musicbind.runtime.errors import APIResponseError, MusicbindError
from musicbind.runtime.http import ErrorContext
from musicbind.runtime.jobs import AsyncJob, Job, ProgressCallback
from musicbind.runtime.journal import Journal
from musicbind.runtime.polling import DEFAULT_POLL_POLICY, PollPolicy
from musicbind.runtime.providers import Quote
from musicbind.runtime.providers.base import Exchange
from musicbind.runtime.retry import RetryPolicy
from musicbind.runtime.secrets import Secret
from musicbind.runtime.submission import (
    ClientCore,
    Payload,
    upload_key,
    wire_payload,
    with_submit_headers,
)
from musicbind.runtime.transport import DEFAULT_TIMEOUT, AsyncTransport, Transport

T = TypeVar("T")
OutT = TypeVar("OutT", bound=BaseModel)
Cost = Decimal | float | str | None
Durations = Mapping[str, float] | None


class Client(ClientCore):
    """Synchronous client for one provider. Use as a context manager, or call close()."""

    def __init__(
        self,
        *,
        api_key: str | Secret | None = None,
        api_secret: str | Secret | None = None,
        base_url: str | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
        protocol: ProviderProtocol | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        poll: PollPolicy = DEFAULT_POLL_POLICY,
        clock: Clock = SYSTEM_CLOCK,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        idempotency_header: str | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            api_secret=api_secret,
            base_url=base_url,
            journal=journal,
            protocol=protocol,
            retry=retry,
            poll=poll,
            clock=clock,
            max_download_bytes=max_download_bytes,
            idempotency_header=idempotency_header,
        )
        self._transport = Transport(
            provider=self.protocol.name,
            base_url=self.base_url,
            auth=self._auth,
            missing_auth_hint=self._missing_auth_hint,
            retry=self.retry,
            clock=clock,
            timeout=timeout,
            http_client=http_client,
            idempotent_submit=idempotency_header is not None,
        )

    def close(self) -> None:
        """Close the HTTP connections (and the journal, if this client opened it)."""
        self._transport.close()
        self._close_journal()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _drive(
        self, exchange: Exchange[T], ctx: ErrorContext, headers: Mapping[str, str] | None = None
    ) -> T:
        """Run an adapter exchange through the transport (``headers`` go with a submit)."""
        try:
            call = next(exchange)
            while True:
                answer = self._transport.request(with_submit_headers(call, headers), ctx)
                call = exchange.send(answer)
        except StopIteration as stop:
            return cast(T, stop.value)
        except MusicbindError as error:
            error.add_context(**ctx.as_kwargs())
            raise
        finally:
            exchange.close()

    @overload
    def submit(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[OutT],
        max_cost: Cost = None,
        media_duration: Durations = None,
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
    ) -> Job[BaseModel]: ...

    def submit(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[BaseModel] | None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
    ) -> Job[Any]:
        """Validate, check the cost, journal and submit; returns once the job id is journalled."""
        bound = self.binding(binding)
        model = self.validate(bound, payload, media_duration=media_duration)
        estimate = self._check_cost(bound, model, max_cost, media_duration)
        model = self._upload_files(bound, model)
        wire = wire_payload(model)
        intent_id = self._intent(bound, wire, estimate)
        ctx = ErrorContext(self.protocol.name, bound.ref)
        try:
            exchange = self._adapter.submit(bound.model_id, wire)
            answer = self._drive(exchange, ctx, self._submit_headers(intent_id))
        except BaseException as error:
            replacement = self._submit_failed(intent_id, error, bound, wire)
            if replacement is error:
                raise
            raise replacement from error
        self._accepted(intent_id, answer, ctx)
        return Job(self, **self._job_kwargs(bound, intent_id, answer, output_type))

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
        bound = self.binding(binding)
        model = self._upload_files(
            bound, self.validate(bound, payload, media_duration=media_duration)
        )
        wire = wire_payload(model)
        try:
            return self._drive(
                self._adapter.quote(bound.model_id, wire),
                ErrorContext(self.protocol.name, bound.ref),
            )
        except APIResponseError as error:
            self._quote_escaped(bound, wire, error)
            raise

    def _upload_files(self, binding: Binding, model: BaseModel) -> BaseModel:
        local = self._local_files(binding, model)
        if not local:
            return model
        ctx = ErrorContext(self.protocol.name, binding.ref)
        uploaded: dict[str, dict[str, str]] = {}
        for name, paths in local.items():
            uploaded[name] = {}
            for path in paths:
                key = upload_key(path)
                if key not in self._uploads:
                    self._uploads[key] = self._drive(self._adapter.upload(path), ctx)
                uploaded[name][str(path)] = self._uploads[key]
        return self._with_uploads(model, uploaded)

    def job(self, key: str) -> Job[BaseModel]:
        """A journalled job by intent id or job id, driven by this client."""
        return Job.from_journal(key, client=self)


class AsyncClient(ClientCore):
    """Asynchronous twin of :class:`Client`. Use ``async with``, or await close()."""

    def __init__(
        self,
        *,
        api_key: str | Secret | None = None,
        api_secret: str | Secret | None = None,
        base_url: str | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
        protocol: ProviderProtocol | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        poll: PollPolicy = DEFAULT_POLL_POLICY,
        clock: Clock = SYSTEM_CLOCK,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        idempotency_header: str | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            api_key=api_key,
            api_secret=api_secret,
            base_url=base_url,
            journal=journal,
            protocol=protocol,
            retry=retry,
            poll=poll,
            clock=clock,
            max_download_bytes=max_download_bytes,
            idempotency_header=idempotency_header,
        )
        self._transport = AsyncTransport(
            provider=self.protocol.name,
            base_url=self.base_url,
            auth=self._auth,
            missing_auth_hint=self._missing_auth_hint,
            retry=self.retry,
            clock=clock,
            timeout=timeout,
            http_client=http_client,
            idempotent_submit=idempotency_header is not None,
        )

    async def close(self) -> None:
        """Close the HTTP connections (and the journal, if this client opened it)."""
        await self._transport.close()
        self._close_journal()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _drive(
        self, exchange: Exchange[T], ctx: ErrorContext, headers: Mapping[str, str] | None = None
    ) -> T:
        """Run an adapter exchange through the async transport (``headers`` go with a submit)."""
        try:
            call = next(exchange)
            while True:
                answer = await self._transport.request(with_submit_headers(call, headers), ctx)
                call = exchange.send(answer)
        except StopIteration as stop:
            return cast(T, stop.value)
        except MusicbindError as error:
            error.add_context(**ctx.as_kwargs())
            raise
        finally:
            exchange.close()

    @overload
    async def submit(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[OutT],
        max_cost: Cost = None,
        media_duration: Durations = None,
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
    ) -> AsyncJob[BaseModel]: ...

    async def submit(
        self,
        binding: Binding | str,
        payload: Payload,
        *,
        output_type: type[BaseModel] | None = None,
        max_cost: Cost = None,
        media_duration: Durations = None,
    ) -> AsyncJob[Any]:
        """Async :meth:`Client.submit`."""
        bound = self.binding(binding)
        model = self.validate(bound, payload, media_duration=media_duration)
        estimate = self._check_cost(bound, model, max_cost, media_duration)
        model = await self._upload_files(bound, model)
        wire = wire_payload(model)
        intent_id = self._intent(bound, wire, estimate)
        ctx = ErrorContext(self.protocol.name, bound.ref)
        try:
            exchange = self._adapter.submit(bound.model_id, wire)
            answer = await self._drive(exchange, ctx, self._submit_headers(intent_id))
        except BaseException as error:
            replacement = self._submit_failed(intent_id, error, bound, wire)
            if replacement is error:
                raise
            raise replacement from error
        self._accepted(intent_id, answer, ctx)
        return AsyncJob(self, **self._job_kwargs(bound, intent_id, answer, output_type))

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
        bound = self.binding(binding)
        model = self.validate(bound, payload, media_duration=media_duration)
        wire = wire_payload(await self._upload_files(bound, model))
        ctx = ErrorContext(self.protocol.name, bound.ref)
        try:
            return await self._drive(self._adapter.quote(bound.model_id, wire), ctx)
        except APIResponseError as error:
            self._quote_escaped(bound, wire, error)
            raise

    async def _upload_files(self, binding: Binding, model: BaseModel) -> BaseModel:
        local = self._local_files(binding, model)
        if not local:
            return model
        ctx = ErrorContext(self.protocol.name, binding.ref)
        uploaded: dict[str, dict[str, str]] = {}
        for name, paths in local.items():
            uploaded[name] = {}
            for path in paths:
                key = upload_key(path)
                if key not in self._uploads:
                    self._uploads[key] = await self._drive(self._adapter.upload(path), ctx)
                uploaded[name][str(path)] = self._uploads[key]
        return self._with_uploads(model, uploaded)

    def job(self, key: str) -> AsyncJob[BaseModel]:
        """A journalled job by intent id or job id, driven by this client."""
        return AsyncJob.from_journal(key, client=self)


__all__ = ["AsyncClient", "Client"]
