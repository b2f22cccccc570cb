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

import logging
import zlib
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

import httpx

from musicbind.runtime.clock import SYSTEM_CLOCK, Clock
from musicbind.runtime.decoding import (
    ACCEPT_ENCODING,
    BudgetExceededError,
    CappedBody,
    UnsupportedEncodingError,
)
from musicbind.runtime.errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    MissingCredentialsError,
    SubmitRedirectError,
    error_class_for_status,
)
from musicbind.runtime.http import (
    ApiResponse,
    AuthHeader,
    ErrorContext,
    HttpCall,
    RawBody,
    display_url,
    error_detail,
    origin_of,
    request_id_of,
)
from musicbind.runtime.plans import arun_plan, run_plan
from musicbind.runtime.retry import (
    Operation,
    RetryBudget,
    RetryPolicy,
    is_ambiguous_submit,
    parse_retry_after,
)
from musicbind.runtime.secrets import install_log_redaction
from musicbind.runtime.version import __version__

T = TypeVar("T")

log = logging.getLogger("musicbind.http")

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0, pool=10.0)
MAX_REDIRECTS = 5
MAX_API_RESPONSE_BYTES = 8 * 1024 * 1024  # submit, status, cancel, upload, quote answers
MAX_RESULT_RESPONSE_BYTES = 16 * 1024 * 1024  # a result may list many files
ERROR_BODY_LIMIT = 64 * 1024  # the first bytes of an error answer are its explanation
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"musicbind/{__version__}"


class _TransportCore:
    """What the sync and async transports share: request building, redirects, errors."""

    def __init__(
        self,
        *,
        provider: str,
        base_url: str,
        auth: AuthHeader | None,
        missing_auth_hint: str,
        retry: RetryPolicy,
        clock: Clock,
        idempotent_submit: bool,
        anonymous: bool = False,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._origin = origin_of(self.base_url)
        self._base_path = httpx.URL(self.base_url).path.rstrip("/")
        self._auth = auth
        self._missing_auth_hint = missing_auth_hint
        self.retry = retry
        self.clock = clock
        self._idempotent_submit = idempotent_submit
        self._anonymous = anonymous  # the provider takes no credentials (auth "none")
        install_log_redaction()

    def url(self, path: str) -> str:
        """``base_url + path``; base URLs may carry a path prefix (an emulator's ``/fal``)."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def is_provider_origin(self, url: str | httpx.URL) -> bool:
        """Whether ``url`` is on the provider's origin."""
        return origin_of(url) == self._origin

    def carries_credentials(self, url: str | httpx.URL) -> bool:
        """Whether a request to ``url`` gets the credentials: same origin, under the base path."""
        if not self.is_provider_origin(url):
            return False
        path = httpx.URL(url).path
        if any(segment in (".", "..") for segment in path.split("/")):
            return False
        return (
            not self._base_path or path == self._base_path or path.startswith(self._base_path + "/")
        )

    def _headers_for(
        self,
        url: httpx.URL,
        operation: Operation,
        ctx: ErrorContext,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT}
        if operation is not Operation.DOWNLOAD:
            headers["Accept"] = "application/json"
            headers["Accept-Encoding"] = ACCEPT_ENCODING
        else:
            headers["Accept-Encoding"] = "identity"
        if self.carries_credentials(url):
            if self._auth is None and not self._anonymous:
                raise MissingCredentialsError(
                    f"no credentials for {self.provider}: {self._missing_auth_hint}",
                    **ctx.as_kwargs(),
                )
            headers.update(extra or {})
            if self._auth is not None and not self._auth.in_query:
                headers[self._auth.name] = self._auth.value.reveal()
        return headers

    def _with_query_auth(self, url: httpx.URL) -> httpx.URL:
        """``url`` with the key as a query parameter, for a provider that takes it there."""
        if self._auth is None or not self._auth.in_query or not self.carries_credentials(url):
            return url
        return url.copy_merge_params({self._auth.name: self._auth.value.reveal()})

    def _budget(self, operation: Operation) -> RetryBudget:
        idempotent = operation is Operation.SUBMIT and self._idempotent_submit
        return RetryBudget(operation, self.retry, self.clock, idempotent=idempotent)

    def _redirect(
        self, call: HttpCall, response: httpx.Response, method: str, body: Any, ctx: ErrorContext
    ) -> tuple[str, str, Any] | None:
        if response.status_code not in REDIRECT_STATUSES or "location" not in response.headers:
            return None
        try:
            target = response.url.join(response.headers["location"])
        except httpx.InvalidURL:
            raise APIResponseError(
                f"{call.operation} {display_url(response.url)}: a redirect to an invalid URL",
                **ctx.as_kwargs(),
            ) from None
        if call.operation is Operation.SUBMIT and not self.is_provider_origin(target):
            # Following would send the paid request to a host we know nothing about.
            raise SubmitRedirectError(
                f"the submit to {_host(response.url)} was redirected to another host, "
                f"{_host(target)}; not followed (a paid request is only sent to "
                f"{_host(self.base_url)})",
                **ctx.as_kwargs(),
            )
        if response.status_code == 303 or (
            response.status_code in (301, 302) and method not in ("GET", "HEAD")
        ):
            return ("GET", str(target), None)
        return (method, str(target), body)

    def _log_answer(self, call: HttpCall, url: httpx.URL, status: int, attempt: int) -> None:
        log.debug(
            "%s %s -> %d (%s %s, attempt %d)",
            call.method,
            display_url(url),
            status,
            self.provider,
            call.operation,
            attempt,
        )

    def _log_failure(
        self, call: HttpCall, error: Exception, attempt: int, delay: float | None
    ) -> None:
        then = f"retrying in {delay:.2f} s" if delay is not None else "giving up"
        log.debug(
            "%s %s failed: %s (%s %s, attempt %d, %s)",
            call.method,
            display_url(call.url),
            type(error).__name__,
            self.provider,
            call.operation,
            attempt,
            then,
        )

    def _connection_error(
        self, call: HttpCall, failure: _HopFailure, ctx: ErrorContext
    ) -> APIConnectionError:
        error = failure.error
        kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
        what = "timed out" if kind is APITimeoutError else "failed"
        where = display_url(failure.url)
        if failure.hop:
            where += f" (redirect {failure.hop} of {display_url(call.url)})"
        return kind(
            f"{call.operation} {call.method} {where} {what}: {type(error).__name__}: {error}",
            ambiguous=failure.hop > 0 or is_ambiguous_submit(error=error),
            **ctx.as_kwargs(),
        )

    def _delay_after_failure(
        self, budget: RetryBudget, failure: _HopFailure, deadline: float | None
    ) -> float | None:
        """The wait before retrying a failed attempt, or None when it is final."""
        if failure.hop and budget.operation is Operation.SUBMIT and not budget.idempotent:
            return None  # the first host had the whole request: never "provably unsent"
        return self._within(deadline, budget.delay_after(error=failure.error))

    def _within(self, deadline: float | None, delay: float | None) -> float | None:
        if delay is None or deadline is None:
            return delay
        return delay if self.clock.monotonic() + delay < deadline else None

    def _hop_timeout(self, configured: httpx.Timeout, deadline: float | None) -> httpx.Timeout:
        """The client's timeouts, each cut to what remains before ``deadline``."""
        if deadline is None:
            return configured
        remaining = deadline - self.clock.monotonic()
        if remaining <= 0:
            raise httpx.ReadTimeout("the overall deadline passed")

        def cut(value: float | None) -> float:
            return remaining if value is None else min(value, remaining)

        return httpx.Timeout(
            connect=cut(configured.connect),
            read=cut(configured.read),
            write=cut(configured.write),
            pool=cut(configured.pool),
        )

    def _check_deadline(self, deadline: float | None) -> None:
        if deadline is not None and self.clock.monotonic() >= deadline:
            raise httpx.ReadTimeout("the overall deadline passed while the body was arriving")

    def _start_body(
        self, call: HttpCall, response: httpx.Response, *, error_body: bool
    ) -> CappedBody:
        if error_body:
            limit = ERROR_BODY_LIMIT
        elif call.operation is Operation.RESULT:
            limit = MAX_RESULT_RESPONSE_BYTES
        else:
            limit = MAX_API_RESPONSE_BYTES
        # A body httpx has read already (an in-memory response) is decoded already.
        coding = "" if response.is_stream_consumed else response.headers.get("content-encoding", "")
        try:
            return CappedBody(coding, limit, truncate=error_body)
        except UnsupportedEncodingError as error:
            raise APIResponseError(f"answer from {display_url(response.url)}: {error}") from None

    def _feed(self, body: CappedBody, chunk: bytes, response: httpx.Response) -> None:
        try:
            body.feed(chunk)
        except BudgetExceededError:
            raise APIResponseError(
                f"answer from {display_url(response.url)} exceeds {body.limit} bytes (decoded)"
            ) from None
        except zlib.error as error:
            raise APIResponseError(
                f"answer from {display_url(response.url)}: a broken compressed body ({error})"
            ) from None

    def _api_response(self, response: httpx.Response, content: bytes) -> ApiResponse:
        return ApiResponse(
            response.status_code, response.headers, content, str(response.url), self.clock.wall()
        )

    def _error_answer(self, response: httpx.Response, content: bytes) -> _ErrorAnswer:
        return _ErrorAnswer(
            response.status_code,
            response.headers,
            content,
            str(response.url),
            parse_retry_after(response.headers, self.clock.wall()),
        )

    def _too_many_redirects(self, call: HttpCall, ctx: ErrorContext) -> APIResponseError:
        return APIResponseError(
            f"{call.operation} {display_url(call.url)}: more than {MAX_REDIRECTS} redirects",
            **ctx.as_kwargs(),
        )

    def _status_error(
        self,
        call: HttpCall,
        status: int,
        headers: httpx.Headers,
        content: bytes,
        url: str,
        ctx: ErrorContext,
        retry_after: float | None,
    ) -> APIStatusError:
        detail = error_detail(content)
        message = f"{call.operation} {call.method} {display_url(url)} answered HTTP {status}"
        if detail:
            message += f": {detail}"
        if retry_after is not None and status == 429:
            message += f" (the provider asks to wait {retry_after:g} s)"
        if status in (401, 403) and not self.carries_credentials(url):
            message += (
                f" (credentials are only sent under {display_url(self.base_url)}; this answer "
                "came from elsewhere, e.g. after a redirect)"
            )
        kwargs = ctx.as_kwargs()
        kwargs["request_id"] = ctx.request_id or request_id_of(headers)
        return error_class_for_status(status)(
            message,
            status_code=status,
            detail=detail,
            retry_after=retry_after,
            headers={k: v for k, v in headers.items() if k.lower() in _KEPT_HEADERS},
            **kwargs,
        )


_KEPT_HEADERS = frozenset(
    {"retry-after", "retry-after-ms", "x-fal-request-id", "x-request-id", "content-type"}
)


Consumer = Callable[[httpx.Response], T]
AsyncConsumer = Callable[[httpx.Response], Awaitable[T]]


@dataclass(frozen=True, slots=True)
class _ErrorAnswer:
    """A non-2xx answer the call does not accept: retried or raised by the loop."""

    status: int
    headers: httpx.Headers
    content: bytes
    url: str
    retry_after: float | None


@dataclass(slots=True)
class _Hop:
    method: str
    url: str
    body: Any
    params: Mapping[str, str] | None = field(default=None)


class _HopFailure(Exception):
    """A transport error on hop ``hop`` (0: the first request) to ``url``."""

    def __init__(self, error: httpx.TransportError, url: str, hop: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.url = url
        self.hop = hop


def _first_hop(call: HttpCall) -> _Hop:
    body = call.content if call.content is not None else call.json
    return _Hop(call.method, call.url, body, call.params)


def _with_body_type(headers: dict[str, str], body: Any) -> dict[str, str]:
    """``headers`` plus the media type of a raw body (not a secret: sent to any host);
    none for an empty type (a multipart part: its signed URL may not cover one)."""
    if isinstance(body, RawBody) and body.content_type:
        headers["Content-Type"] = body.content_type
    return headers


def _hop_url(hop: _Hop) -> httpx.URL:
    return httpx.URL(hop.url, params=hop.params) if hop.params else httpx.URL(hop.url)


def _host(url: str | httpx.URL) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host


class _Send(NamedTuple):
    """Send ``request`` and return the streamed response."""

    request: httpx.Request


class _Chunks(NamedTuple):
    """Start reading ``response``'s raw body; returns a chunk iterator for :class:`_Chunk`."""

    response: httpx.Response


class _Chunk(NamedTuple):
    """The next raw chunk from a :class:`_Chunks` iterator, or None at the end."""

    chunks: Any


class _Close(NamedTuple):
    """Close ``response``."""

    response: httpx.Response


class _Sleep(NamedTuple):
    """Wait ``seconds`` on the transport's clock."""

    seconds: float


class _Consume(NamedTuple):
    """Hand ``response`` to a caller's consumer callback (sync or async)."""

    consume: Callable[[httpx.Response], Any]
    response: httpx.Response


TransportStep = _Send | _Chunks | _Chunk | _Close | _Sleep | _Consume
TransportPlan = Generator[TransportStep, Any, T]
"""A transport's sans-IO sequence: yields the I/O steps above, receives their results."""


def read_chunks(response: httpx.Response, on_chunk: Callable[[bytes], bool]) -> TransportPlan[None]:
    """Feed ``response``'s raw body to ``on_chunk`` until the end or it returns True (stop)."""
    chunks = yield _Chunks(response)
    while True:
        chunk = yield _Chunk(chunks)
        if chunk is None or on_chunk(chunk):
            return


def pause(seconds: float) -> TransportPlan[None]:
    """Wait ``seconds`` on the transport's clock."""
    yield _Sleep(seconds)


HttpClientT = TypeVar("HttpClientT", httpx.Client, httpx.AsyncClient)


class TransportPlans(_TransportCore, Generic[HttpClientT]):
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
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
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
            except _HopFailure as failure:
                delay = self._delay_after_failure(budget, failure, deadline)
                self._log_failure(call, failure.error, attempt, delay)
                if delay is None:
                    raise self._connection_error(call, failure, ctx) from None
                yield _Sleep(delay)
                continue
            if not isinstance(outcome, _ErrorAnswer):
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
            yield _Sleep(delay or 0.0)

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
    ) -> TransportPlan[T | _ErrorAnswer]:
        hop = _first_hop(call)
        for index in range(MAX_REDIRECTS + 1):
            url = _hop_url(hop)
            try:
                request = self._client.build_request(
                    hop.method,
                    self._with_query_auth(url),
                    json=None if isinstance(hop.body, RawBody) else hop.body,
                    content=hop.body.data if isinstance(hop.body, RawBody) else None,
                    headers=_with_body_type(
                        self._headers_for(url, call.operation, ctx, call.headers), hop.body
                    ),
                    timeout=self._hop_timeout(self._client.timeout, deadline),
                )
                response: httpx.Response = yield _Send(request)
            except httpx.TransportError as error:
                raise _HopFailure(error, str(url), index) from None
            try:
                self._log_answer(call, response.url, response.status_code, attempt)
                target = self._redirect(call, response, hop.method, hop.body, ctx)
                if target is None:
                    if response.is_success or response.status_code in call.accept:
                        return (yield from consume(response))
                    content = yield from self._read_plan(call, response, deadline, error_body=True)
                    return self._error_answer(response, content)
            except httpx.TransportError as error:
                raise _HopFailure(error, str(url), index) from None
            finally:
                yield _Close(response)
            hop = _Hop(*target)
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


def _consume_with(consume: Callable[[httpx.Response], Any]) -> Callable[[httpx.Response], Any]:
    """A caller's consumer callback as a one-step plan."""

    def plan(response: httpx.Response) -> TransportPlan[Any]:
        return (yield _Consume(consume, response))

    return plan


class Transport(TransportPlans[httpx.Client]):
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
        plan: TransportPlan[T] = self.exchange_plan(call, ctx, _consume_with(consume), deadline)
        return self.drive(plan)

    def _perform(self, step: TransportStep) -> Any:
        if isinstance(step, _Chunk):
            return next(step.chunks, None)
        if isinstance(step, _Chunks):
            return step.response.iter_raw()
        if isinstance(step, _Send):
            return self._client.send(step.request, stream=True)
        if isinstance(step, _Close):
            return step.response.close()
        if isinstance(step, _Sleep):
            return self.clock.sleep(step.seconds)
        return step.consume(step.response)


class AsyncTransport(TransportPlans[httpx.AsyncClient]):
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
        plan: TransportPlan[T] = self.exchange_plan(call, ctx, _consume_with(consume), deadline)
        return await self.drive(plan)

    async def _perform(self, step: TransportStep) -> Any:
        if isinstance(step, _Chunk):
            return await anext(step.chunks, None)
        if isinstance(step, _Chunks):
            return step.response.aiter_raw()
        if isinstance(step, _Send):
            return await self._client.send(step.request, stream=True)
        if isinstance(step, _Close):
            return await step.response.aclose()
        if isinstance(step, _Sleep):
            return await self.clock.async_sleep(step.seconds)
        return await step.consume(step.response)
