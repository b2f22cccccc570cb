"""Runtime: what the sync and async transports share: URLs, credentials, redirects, errors.

See :mod:`runtime.transport` for the rules (credentials only on the provider's origin and
base path, redirects followed here, byte budgets, deadlines); this module holds the parts
that do not depend on how a step is performed.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from musicbind.runtime.clock import Clock
from musicbind.runtime.decoding import (
    ACCEPT_ENCODING,
    BudgetExceededError,
    CappedBody,
    UnsupportedEncodingError,
)
from musicbind.runtime.deferred import deferred_module
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
from musicbind.runtime.retry import (
    Operation,
    RetryBudget,
    RetryPolicy,
    is_ambiguous_submit,
    parse_retry_after,
)
from musicbind.runtime.secrets import install_log_redaction
from musicbind.runtime.version import __version__

if TYPE_CHECKING:
    import httpx
else:
    httpx = deferred_module("httpx")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """httpx's four timeouts (seconds), kept as numbers until an httpx client is built."""

    read: float
    connect: float
    write: float
    pool: float

    def for_httpx(self) -> httpx.Timeout:
        """The same timeouts as ``httpx.Timeout``."""
        return httpx.Timeout(read=self.read, connect=self.connect, write=self.write, pool=self.pool)


log = logging.getLogger("musicbind.http")

DEFAULT_TIMEOUT = Timeouts(read=60.0, connect=10.0, write=60.0, pool=10.0)
MAX_REDIRECTS = 5
MAX_API_RESPONSE_BYTES = 8 * 1024 * 1024  # submit, status, cancel, upload, quote answers
MAX_RESULT_RESPONSE_BYTES = 16 * 1024 * 1024  # a result may list many files
ERROR_BODY_LIMIT = 64 * 1024  # the first bytes of an error answer are its explanation
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"musicbind/{__version__}"


class TransportCore:
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
                f"the submit to {host_of(response.url)} was redirected to another host, "
                f"{host_of(target)}; not followed (a paid request is only sent to "
                f"{host_of(self.base_url)})",
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
        self, call: HttpCall, failure: HopFailure, ctx: ErrorContext
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
        self, budget: RetryBudget, failure: HopFailure, deadline: float | None
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

    def _error_answer(self, response: httpx.Response, content: bytes) -> ErrorAnswer:
        return ErrorAnswer(
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


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """A non-2xx answer the call does not accept: retried or raised by the loop."""

    status: int
    headers: httpx.Headers
    content: bytes
    url: str
    retry_after: float | None


@dataclass(slots=True)
class Hop:
    method: str
    url: str
    body: Any
    params: Mapping[str, str] | None = field(default=None)


class HopFailure(Exception):
    """A transport error on hop ``hop`` (0: the first request) to ``url``."""

    def __init__(self, error: httpx.TransportError, url: str, hop: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.url = url
        self.hop = hop


def first_hop(call: HttpCall) -> Hop:
    body = call.content if call.content is not None else call.json
    return Hop(call.method, call.url, body, call.params)


def with_body_type(headers: dict[str, str], body: Any) -> dict[str, str]:
    """``headers`` plus the media type of a raw body (not a secret: sent to any host);
    none for an empty type (a multipart part: its signed URL may not cover one)."""
    if isinstance(body, RawBody) and body.content_type:
        headers["Content-Type"] = body.content_type
    return headers


def hop_url(hop: Hop) -> httpx.URL:
    return httpx.URL(hop.url, params=hop.params) if hop.params else httpx.URL(hop.url)


def host_of(url: str | httpx.URL) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}" if parsed.port else parsed.host
