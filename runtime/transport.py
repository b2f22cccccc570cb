"""Runtime: the httpx wrapper every provider request goes through (sync and async).

The request sequence (retries, redirects, body reading) is written once, as plans
(:mod:`runtime.plans`) yielding I/O steps; :class:`Transport` and
:class:`AsyncTransport` only perform the steps.

- Credentials are attached only to requests whose origin (scheme, host, port) equals
  the provider base URL's origin and whose path lies under the base URL's path (an
  emulator serving providers under ``/fal``, ``/scenario`` keeps each key to its own
  prefix and off its file URLs). Redirects are followed here, not by httpx, so a hop to
  another host (a CDN, a signed result URL) never carries ``Authorization``.
- Each request runs in a :class:`~runtime.retry.RetryBudget` for its operation: a
  paid submit is retried only when provably unsent (see :mod:`runtime.retry`).
- Each attempt is logged at DEBUG as method, URL and status on the ``musicbind.http``
  logger; headers are never logged, and URLs and messages pass through the redactor.
- A redirect of a paid submit is followed only on the provider's origin; a hop that
  fails after the first is never "provably unsent" (the first host had the request),
  and the error names the host that failed.
- Bodies of API answers are decoded under a byte budget checked while decoding
  (:mod:`runtime.decoding`): :data:`MAX_API_RESPONSE_BYTES` for submit and status
  answers, :data:`MAX_RESULT_RESPONSE_BYTES` for results, :data:`ERROR_BODY_LIMIT` for
  error answers.
- A ``deadline`` (the clock's monotonic time) bounds a whole request, retries and a
  body that trickles in included: each hop's timeouts are cut to what remains.

Errors (see :mod:`runtime.errors`): APIStatusError subclasses for HTTP error answers,
APIConnectionError / APITimeoutError when no answer arrived, MissingCredentialsError
when the provider origin is addressed without credentials (nothing is sent).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from musicbind.runtime.clock import SYSTEM_CLOCK, Clock
from musicbind.runtime.deferred import deferred_module
from musicbind.runtime.http import ApiResponse, AuthHeader, ErrorContext, HttpCall, RawBody
from musicbind.runtime.plans import arun_plan, run_plan
from musicbind.runtime.retry import RetryPolicy
from musicbind.runtime.transport_core import (
    DEFAULT_TIMEOUT,
    MAX_REDIRECTS,
    ErrorAnswer,
    Hop,
    HopFailure,
    Timeouts,
    TransportCore,
    first_hop,
    hop_url,
    with_body_type,
)
from musicbind.runtime.transport_steps import (
    AsyncConsumer,
    Chunk,
    Chunks,
    Close,
    Consumer,
    Send,
    Sleep,
    TransportPlan,
    TransportStep,
    consume_with,
    read_chunks,
)

if TYPE_CHECKING:
    import httpx
else:
    httpx = deferred_module("httpx")

T = TypeVar("T")

HttpClientT = TypeVar("HttpClientT", "httpx.Client", "httpx.AsyncClient")


class TransportPlans(TransportCore, Generic[HttpClientT]):
    """The request sequences, written once as plans the sync and async drivers perform.

    Owns its httpx client (``Client`` or ``AsyncClient``) unless one is passed in.
    """

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        auth: AuthHeader | None,
        missing_auth_hint: str = "",
        retry: RetryPolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
        timeout: float | Timeouts | httpx.Timeout = DEFAULT_TIMEOUT,
        http_client: HttpClientT | None = None,
        idempotent_submit: bool = False,
        anonymous: bool = False,
    ) -> None:
        super().__init__(
            provider=provider,
            base_url=base_url,
            auth=auth,
            missing_auth_hint=missing_auth_hint,
            retry=retry or RetryPolicy(),
            clock=clock,
            idempotent_submit=idempotent_submit,
            anonymous=anonymous,
        )
        self._owns_client = http_client is None
        if isinstance(timeout, Timeouts):
            timeout = timeout.for_httpx()
        self._client: HttpClientT = http_client or self._new_client(timeout)

    def _new_client(self, timeout: httpx.Timeout | float) -> HttpClientT:
        raise NotImplementedError

    def exchange_plan(
        self,
        call: HttpCall,
        ctx: ErrorContext,
        consume: Callable[[httpx.Response], TransportPlan[T]],
        deadline: float | None = None,
    ) -> TransportPlan[T]:
        """Send ``call`` with retries and hand the final answer's stream to ``consume``.

        ``consume`` is a plan reading the body (:func:`read_chunks`). A transport error
        raised while it reads counts as a failed attempt of the same budget (so an
        interrupted download starts over).
        """
        budget = self._budget(call.operation)
        while True:
            attempt = budget.begin_attempt()
            try:
                outcome = yield from self._attempt_plan(call, ctx, consume, attempt, deadline)
            except HopFailure as failure:
                delay = self._delay_after_failure(budget, failure, deadline)
                self._log_failure(call, failure.error, attempt, delay)
                if delay is None:
                    raise self._connection_error(call, failure, ctx) from None
                yield Sleep(delay)
                continue
            if not isinstance(outcome, ErrorAnswer):
                return outcome
            delay = budget.delay_after(status=outcome.status, retry_after=outcome.retry_after)
            if self._within(deadline, delay) is None:
                raise self._status_error(
                    call,
                    outcome.status,
                    outcome.headers,
                    outcome.content,
                    outcome.url,
                    ctx,
                    outcome.retry_after,
                )
            yield Sleep(delay or 0.0)

    def request_plan(
        self, call: HttpCall, ctx: ErrorContext, deadline: float | None = None
    ) -> TransportPlan[ApiResponse]:
        """Send ``call`` with retries; the fully read answer (2xx or an accepted status)."""

        def read(response: httpx.Response) -> TransportPlan[ApiResponse]:
            content = yield from self._read_plan(call, response, deadline)
            return self._api_response(response, content)

        return self.exchange_plan(call, ctx, read, deadline)

    def _attempt_plan(
        self,
        call: HttpCall,
        ctx: ErrorContext,
        consume: Callable[[httpx.Response], TransportPlan[T]],
        attempt: int,
        deadline: float | None,
    ) -> TransportPlan[T | ErrorAnswer]:
        hop = first_hop(call)
        for index in range(MAX_REDIRECTS + 1):
            url = hop_url(hop)
            try:
                request = self._client.build_request(
                    hop.method,
                    self._with_query_auth(url),
                    json=None if isinstance(hop.body, RawBody) else hop.body,
                    content=hop.body.data if isinstance(hop.body, RawBody) else None,
                    headers=with_body_type(
                        self._headers_for(url, call.operation, ctx, call.headers), hop.body
                    ),
                    timeout=self._hop_timeout(self._client.timeout, deadline),
                )
                response: httpx.Response = yield Send(request)
            except httpx.TransportError as error:
                raise HopFailure(error, str(url), index) from None
            try:
                self._log_answer(call, response.url, response.status_code, attempt)
                target = self._redirect(call, response, hop.method, hop.body, ctx)
                if target is None:
                    if response.is_success or response.status_code in call.accept:
                        return (yield from consume(response))
                    content = yield from self._read_plan(call, response, deadline, error_body=True)
                    return self._error_answer(response, content)
            except httpx.TransportError as error:
                raise HopFailure(error, str(url), index) from None
            finally:
                yield Close(response)
            hop = Hop(*target)
        raise self._too_many_redirects(call, ctx)

    def _read_plan(
        self,
        call: HttpCall,
        response: httpx.Response,
        deadline: float | None,
        *,
        error_body: bool = False,
    ) -> TransportPlan[bytes]:
        body = self._start_body(call, response, error_body=error_body)
        if response.is_stream_consumed:
            self._feed(body, response.content, response)
            return body.finish()

        def take(chunk: bytes) -> bool:
            self._feed(body, chunk, response)
            if body.full:
                return True
            self._check_deadline(deadline)
            return False

        yield from read_chunks(response, take)
        return body.finish()


class Transport(TransportPlans["httpx.Client"]):
    """Synchronous transport; owns its httpx.Client unless one is passed in."""

    def _new_client(self, timeout: httpx.Timeout | float) -> httpx.Client:
        return httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        """Close the httpx client if this transport created it."""
        if self._owns_client:
            self._client.close()

    def drive(self, plan: TransportPlan[T]) -> T:
        """Perform ``plan``'s steps with blocking calls."""
        return run_plan(plan, self._perform)

    def request(
        self, call: HttpCall, ctx: ErrorContext, deadline: float | None = None
    ) -> ApiResponse:
        """Send ``call`` with retries; the fully read answer (2xx or an accepted status)."""
        return self.drive(self.request_plan(call, ctx, deadline))

    def exchange(
        self,
        call: HttpCall,
        ctx: ErrorContext,
        consume: Consumer[T],
        deadline: float | None = None,
    ) -> T:
        """:meth:`exchange_plan` with a callback that reads the response itself."""
        plan: TransportPlan[T] = self.exchange_plan(call, ctx, consume_with(consume), deadline)
        return self.drive(plan)

    def _perform(self, step: TransportStep) -> Any:
        if isinstance(step, Chunk):
            return next(step.chunks, None)
        if isinstance(step, Chunks):
            return step.response.iter_raw()
        if isinstance(step, Send):
            return self._client.send(step.request, stream=True)
        if isinstance(step, Close):
            return step.response.close()
        if isinstance(step, Sleep):
            return self.clock.sleep(step.seconds)
        return step.consume(step.response)


class AsyncTransport(TransportPlans["httpx.AsyncClient"]):
    """Asynchronous transport: the same plans as :class:`Transport`, performed with ``await``."""

    def _new_client(self, timeout: httpx.Timeout | float) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        """Close the httpx client if this transport created it."""
        if self._owns_client:
            await self._client.aclose()

    async def drive(self, plan: TransportPlan[T]) -> T:
        """Perform ``plan``'s steps with ``await``."""
        return await arun_plan(plan, self._perform)

    async def request(
        self, call: HttpCall, ctx: ErrorContext, deadline: float | None = None
    ) -> ApiResponse:
        """Send ``call`` with retries; the fully read answer (2xx or an accepted status)."""
        return await self.drive(self.request_plan(call, ctx, deadline))

    async def exchange(
        self,
        call: HttpCall,
        ctx: ErrorContext,
        consume: AsyncConsumer[T],
        deadline: float | None = None,
    ) -> T:
        """Async :meth:`Transport.exchange` (``consume`` is awaited)."""
        plan: TransportPlan[T] = self.exchange_plan(call, ctx, consume_with(consume), deadline)
        return await self.drive(plan)

    async def _perform(self, step: TransportStep) -> Any:
        if isinstance(step, Chunk):
            return await anext(step.chunks, None)
        if isinstance(step, Chunks):
            return step.response.aiter_raw()
        if isinstance(step, Send):
            return await self._client.send(step.request, stream=True)
        if isinstance(step, Close):
            return await step.response.aclose()
        if isinstance(step, Sleep):
            return await self.clock.async_sleep(step.seconds)
        return await step.consume(step.response)
