"""Runtime: the httpx wrapper every provider request goes through (sync and async).

- Credentials are attached only to requests whose origin (scheme, host, port) equals
  the provider base URL's origin and whose path lies under the base URL's path (an
  emulator serving providers under ``/fal``, ``/scenario`` keeps each key to its own
  prefix and off its file URLs). Redirects are followed here, not by httpx, so a hop to
  another host (a CDN, a signed result URL) never carries ``Authorization``.
- Each request runs in a :class:`~runtime.retry.RetryBudget` for its operation: a
  paid submit is retried only when provably unsent (see :mod:`runtime.retry`).
- Each attempt is logged at DEBUG as method, URL and status on the ``musicbind.http``
  logger; headers are never logged, and URLs and messages pass through the redactor.
- Bodies of API answers are read up to :data:`MAX_API_RESPONSE_BYTES`.

Errors (see :mod:`runtime.errors`): APIStatusError subclasses for HTTP error answers,
APIConnectionError / APITimeoutError when no answer arrived, MissingCredentialsError
when the provider origin is addressed without credentials (nothing is sent).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from musicbind import __version__
from musicbind.runtime.clock import SYSTEM_CLOCK, Clock
from musicbind.runtime.errors import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    MissingCredentialsError,
    error_class_for_status,
)
from musicbind.runtime.http import (
    ApiResponse,
    AuthHeader,
    ErrorContext,
    HttpCall,
    display_url,
    error_detail,
    origin_of,
    request_id_of,
)
from musicbind.runtime.retry import (
    Operation,
    RetryBudget,
    RetryPolicy,
    is_ambiguous_submit,
    parse_retry_after,
)
from musicbind.runtime.secrets import install_log_redaction

T = TypeVar("T")

log = logging.getLogger("musicbind.http")

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0, pool=10.0)
MAX_REDIRECTS = 5
MAX_API_RESPONSE_BYTES = 16 * 1024 * 1024
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
        else:
            headers["Accept-Encoding"] = "identity"
        if self.carries_credentials(url):
            if self._auth is None:
                raise MissingCredentialsError(
                    f"no credentials for {self.provider}: {self._missing_auth_hint}",
                    **ctx.as_kwargs(),
                )
            headers.update(extra or {})
            headers[self._auth.name] = self._auth.value.reveal()
        return headers

    def _budget(self, operation: Operation) -> RetryBudget:
        idempotent = operation is Operation.SUBMIT and self._idempotent_submit
        return RetryBudget(operation, self.retry, self.clock, idempotent=idempotent)

    @staticmethod
    def _redirect(response: httpx.Response, method: str, body: Any) -> tuple[str, str, Any] | None:
        if response.status_code not in REDIRECT_STATUSES or "location" not in response.headers:
            return None
        target = response.url.join(response.headers["location"])
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
        self, call: HttpCall, error: httpx.TransportError, ctx: ErrorContext
    ) -> APIConnectionError:
        kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
        what = "timed out" if kind is APITimeoutError else "failed"
        return kind(
            f"{call.operation} {call.method} {display_url(call.url)} {what}: "
            f"{type(error).__name__}: {error}",
            ambiguous=is_ambiguous_submit(error=error),
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


def _first_hop(call: HttpCall) -> _Hop:
    return _Hop(call.method, call.url, call.json, call.params)


_ERROR_BODY_LIMIT = 64 * 1024


class Transport(_TransportCore):
    """Synchronous transport; owns its httpx.Client unless one is passed in."""

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
        http_client: httpx.Client | None = None,
        idempotent_submit: bool = False,
    ) -> None:
        super().__init__(
            provider=provider,
            base_url=base_url,
            auth=auth,
            missing_auth_hint=missing_auth_hint,
            retry=retry or RetryPolicy(),
            clock=clock,
            idempotent_submit=idempotent_submit,
        )
        self._owns_client = http_client is None
        self._client = http_client or httpx.Client(timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        """Close the httpx client if this transport created it."""
        if self._owns_client:
            self._client.close()

    def request(self, call: HttpCall, ctx: ErrorContext) -> ApiResponse:
        """Send ``call`` with retries; the fully read answer (2xx or an accepted status)."""
        return self.exchange(call, ctx, self._read_api_body)

    def exchange(self, call: HttpCall, ctx: ErrorContext, consume: Consumer[T]) -> T:
        """Send ``call`` with retries and hand the final answer's stream to ``consume``.

        A transport error raised while ``consume`` reads the body counts as a failed
        attempt of the same budget (so an interrupted download starts over).
        """
        budget = self._budget(call.operation)
        while True:
            attempt = budget.begin_attempt()
            try:
                outcome = self._attempt(call, ctx, consume, attempt)
            except httpx.TransportError as exc:
                delay = budget.delay_after(error=exc)
                self._log_failure(call, exc, attempt, delay)
                if delay is None:
                    raise self._connection_error(call, exc, ctx) from None
                self.clock.sleep(delay)
                continue
            if not isinstance(outcome, _ErrorAnswer):
                return outcome
            delay = budget.delay_after(status=outcome.status, retry_after=outcome.retry_after)
            if delay is None:
                raise self._status_error(
                    call,
                    outcome.status,
                    outcome.headers,
                    outcome.content,
                    outcome.url,
                    ctx,
                    outcome.retry_after,
                )
            self.clock.sleep(delay)

    def _attempt(
        self, call: HttpCall, ctx: ErrorContext, consume: Consumer[T], attempt: int
    ) -> T | _ErrorAnswer:
        hop = _first_hop(call)
        for _ in range(MAX_REDIRECTS + 1):
            url = httpx.URL(hop.url, params=hop.params) if hop.params else httpx.URL(hop.url)
            request = self._client.build_request(
                hop.method,
                url,
                json=hop.body,
                headers=self._headers_for(url, call.operation, ctx, call.headers),
            )
            response = self._client.send(request, stream=True)
            try:
                self._log_answer(call, response.url, response.status_code, attempt)
                target = self._redirect(response, hop.method, hop.body)
                if target is None:
                    if response.is_success or response.status_code in call.accept:
                        return consume(response)
                    content = _read_limited(response.iter_bytes(), _ERROR_BODY_LIMIT)
                    return _ErrorAnswer(
                        response.status_code,
                        response.headers,
                        content,
                        str(response.url),
                        parse_retry_after(response.headers, self.clock.wall()),
                    )
            finally:
                response.close()
            hop = _Hop(*target)
        raise APIResponseError(
            f"{call.operation} {display_url(call.url)}: more than {MAX_REDIRECTS} redirects",
            **ctx.as_kwargs(),
        )

    def _read_api_body(self, response: httpx.Response) -> ApiResponse:
        content = _read_capped(response.iter_bytes(), MAX_API_RESPONSE_BYTES, response)
        return ApiResponse(
            response.status_code, response.headers, content, str(response.url), self.clock.wall()
        )


class AsyncTransport(_TransportCore):
    """Asynchronous twin of :class:`Transport`."""

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
        http_client: httpx.AsyncClient | None = None,
        idempotent_submit: bool = False,
    ) -> None:
        super().__init__(
            provider=provider,
            base_url=base_url,
            auth=auth,
            missing_auth_hint=missing_auth_hint,
            retry=retry or RetryPolicy(),
            clock=clock,
            idempotent_submit=idempotent_submit,
        )
        self._owns_client = http_client is None
        self._client = http_client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        """Close the httpx client if this transport created it."""
        if self._owns_client:
            await self._client.aclose()

    async def request(self, call: HttpCall, ctx: ErrorContext) -> ApiResponse:
        """Send ``call`` with retries; the fully read answer (2xx or an accepted status)."""
        return await self.exchange(call, ctx, self._read_api_body)

    async def exchange(self, call: HttpCall, ctx: ErrorContext, consume: AsyncConsumer[T]) -> T:
        """Async :meth:`Transport.exchange`."""
        budget = self._budget(call.operation)
        while True:
            attempt = budget.begin_attempt()
            try:
                outcome = await self._attempt(call, ctx, consume, attempt)
            except httpx.TransportError as exc:
                delay = budget.delay_after(error=exc)
                self._log_failure(call, exc, attempt, delay)
                if delay is None:
                    raise self._connection_error(call, exc, ctx) from None
                await self.clock.async_sleep(delay)
                continue
            if not isinstance(outcome, _ErrorAnswer):
                return outcome
            delay = budget.delay_after(status=outcome.status, retry_after=outcome.retry_after)
            if delay is None:
                raise self._status_error(
                    call,
                    outcome.status,
                    outcome.headers,
                    outcome.content,
                    outcome.url,
                    ctx,
                    outcome.retry_after,
                )
            await self.clock.async_sleep(delay)

    async def _attempt(
        self, call: HttpCall, ctx: ErrorContext, consume: AsyncConsumer[T], attempt: int
    ) -> T | _ErrorAnswer:
        hop = _first_hop(call)
        for _ in range(MAX_REDIRECTS + 1):
            url = httpx.URL(hop.url, params=hop.params) if hop.params else httpx.URL(hop.url)
            request = self._client.build_request(
                hop.method,
                url,
                json=hop.body,
                headers=self._headers_for(url, call.operation, ctx, call.headers),
            )
            response = await self._client.send(request, stream=True)
            try:
                self._log_answer(call, response.url, response.status_code, attempt)
                target = self._redirect(response, hop.method, hop.body)
                if target is None:
                    if response.is_success or response.status_code in call.accept:
                        return await consume(response)
                    chunks = bytearray()
                    async for chunk in response.aiter_bytes():
                        chunks += chunk[: _ERROR_BODY_LIMIT - len(chunks)]
                        if len(chunks) >= _ERROR_BODY_LIMIT:
                            break
                    return _ErrorAnswer(
                        response.status_code,
                        response.headers,
                        bytes(chunks),
                        str(response.url),
                        parse_retry_after(response.headers, self.clock.wall()),
                    )
            finally:
                await response.aclose()
            hop = _Hop(*target)
        raise APIResponseError(
            f"{call.operation} {display_url(call.url)}: more than {MAX_REDIRECTS} redirects",
            **ctx.as_kwargs(),
        )

    async def _read_api_body(self, response: httpx.Response) -> ApiResponse:
        chunks = bytearray()
        async for chunk in response.aiter_bytes():
            chunks += chunk
            if len(chunks) > MAX_API_RESPONSE_BYTES:
                raise _too_large(response)
        return ApiResponse(
            response.status_code,
            response.headers,
            bytes(chunks),
            str(response.url),
            self.clock.wall(),
        )


def _read_limited(chunks: Any, limit: int) -> bytes:
    """Up to ``limit`` bytes of an error body (the rest is dropped)."""
    data = bytearray()
    for chunk in chunks:
        data += chunk[: limit - len(data)]
        if len(data) >= limit:
            break
    return bytes(data)


def _read_capped(chunks: Any, limit: int, response: httpx.Response) -> bytes:
    data = bytearray()
    for chunk in chunks:
        data += chunk
        if len(data) > limit:
            raise _too_large(response)
    return bytes(data)


def _too_large(response: httpx.Response) -> APIResponseError:
    return APIResponseError(
        f"answer from {display_url(response.url)} exceeds {MAX_API_RESPONSE_BYTES} bytes"
    )
