"""Runtime: the records a request and its answer travel in, and helpers to show them safely.

An adapter describes a request as an :class:`HttpCall`; the transport answers with an
:class:`ApiResponse`, which keeps no request object (its headers carry credentials).
:func:`display_url` is the only way a URL reaches a log line or an error message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from musicbind.runtime.deferred import deferred_module
from musicbind.runtime.errors import APIResponseError
from musicbind.runtime.retry import Operation, parse_retry_after
from musicbind.runtime.secrets import Secret, redact

if TYPE_CHECKING:
    import httpx
else:
    httpx = deferred_module("httpx")

MAX_ERROR_DETAIL_CHARS = 500


@dataclass(frozen=True, slots=True)
class AuthHeader:
    """The one header that authenticates to a provider; its value is a Secret."""

    name: str
    value: Secret
    in_query: bool = False  # sent as the query parameter ``name`` instead of a header


@dataclass(frozen=True, slots=True)
class RawBody:
    """Bytes sent as they are, with their media type (a file PUT to a storage URL)."""

    data: bytes
    content_type: str

    def __repr__(self) -> str:
        return f"RawBody({len(self.data)} bytes, {self.content_type!r})"


@dataclass(frozen=True, slots=True)
class HttpCall:
    """One request a provider adapter asks for. ``accept``: error statuses it handles itself."""

    operation: Operation
    method: str
    url: str
    json: Any = None
    params: Mapping[str, str] | None = None
    accept: frozenset[int] = frozenset()
    headers: Mapping[str, str] | None = None  # sent only to the provider, like credentials
    content: RawBody | None = None  # a raw body (a storage upload's PUT) instead of json
    to_file: bool = False  # a 2xx body is streamed to a file (ApiResponse.file), not read


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """A fully read answer; keeps no request (its headers carry credentials)."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    received_at: float = 0.0  # Unix time, for HTTP-date hints
    file: Path | None = None  # where the body went, for a call with ``to_file``

    def json(self) -> Any:
        """The body as JSON; APIResponseError when it is not JSON."""
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
            raise APIResponseError(
                f"expected JSON from {display_url(self.url)} (HTTP {self.status_code}), got "
                f"{self.content[:80]!r}"
            ) from None

    def hint(self) -> float | None:
        """A ``Retry-After`` / ``retry-after-ms`` wait on this answer, in seconds."""
        return parse_retry_after(self.headers, self.received_at)


@dataclass(frozen=True, slots=True)
class ErrorContext:
    """Who a request was for, so errors can say it."""

    provider: str
    ref: str | None = None
    job_id: str | None = None
    request_id: str | None = None

    def as_kwargs(self) -> dict[str, str | None]:
        """Keyword arguments for :class:`~runtime.errors.MusicbindError`."""
        return {
            "provider": self.provider,
            "ref": self.ref,
            "job_id": self.job_id,
            "request_id": self.request_id,
        }


def origin_of(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports made explicit."""
    parsed = httpx.URL(url)
    default = {"http": 80, "https": 443}.get(parsed.scheme)
    return (parsed.scheme, parsed.host.lower(), parsed.port or default)


def display_url(url: str | httpx.URL) -> str:
    """A URL safe to log: no user-info, signed query values masked."""
    return redact(str(httpx.URL(url).copy_with(username=None, password=None)))


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The provider's request id header, when there is one."""
    for name in ("x-fal-request-id", "x-request-id", "request-id", "x-amzn-requestid"):
        value = headers.get(name)
        if value:
            return value
    return None


def error_detail(content: bytes) -> str | None:
    """The provider's explanation from an error body (JSON ``detail``/``error``/``message``)."""
    try:
        body: Any = json.loads(content)
    except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
        text = content.decode("utf-8", "replace").strip()
        return text[:MAX_ERROR_DETAIL_CHARS] or None
    if isinstance(body, dict):
        for key in ("detail", "error", "message", "reason"):
            value = body.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("type") or value
            if value:
                text = value if isinstance(value, str) else json.dumps(value)
                return text[:MAX_ERROR_DETAIL_CHARS]
    return json.dumps(body)[:MAX_ERROR_DETAIL_CHARS]
