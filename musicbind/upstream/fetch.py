"""Tooling: reading provider documents upstream (``musicbind sync`` and ``add``).

One conditional GET per document (``If-None-Match`` / ``If-Modified-Since`` from the
validators the manifest keeps), under a connect and read timeout, a byte cap checked
while the body decodes (:class:`musicbind.runtime.decoding.CappedBody`) and the
runtime's named retry policy for reads (:mod:`musicbind.runtime.retry`: connection
errors, timeouts, cut bodies and 408/429/5xx are retried with backoff, a
``Retry-After`` is honoured). Only http(s) origins are read. Each provider's documents
base URL can be replaced, as its API base URL can: ``MUSICBIND_<PROVIDER>_DOCS_URL``
takes the place of the origin's scheme and host, the origin's path and query are
appended (``MUSICBIND_FAL_DOCS_URL=http://127.0.0.1:8000/docs/fal``). Every failure is
an :class:`UpstreamError` whose message is one line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit

import httpx

from musicbind import __version__
from musicbind.generator.load.dispatch import MAX_DOCUMENT_BYTES
from musicbind.runtime.clock import SYSTEM_CLOCK, Clock
from musicbind.runtime.decoding import (
    ACCEPT_ENCODING,
    BudgetExceededError,
    CappedBody,
    UnsupportedEncodingError,
)
from musicbind.runtime.http import display_url
from musicbind.runtime.retry import Operation, RetryBudget, RetryPolicy, parse_retry_after

CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 30.0
MAX_REDIRECTS = 5
MAX_UPSTREAM_BYTES = MAX_DOCUMENT_BYTES  # the generator reads no larger document
# Reads of documents: a few attempts, short waits; a scheduled job can simply run again.
UPSTREAM_RETRY_POLICY = RetryPolicy(max_attempts=3, max_elapsed=30.0, max_delay=4.0)
SCHEMES = ("http", "https")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class UpstreamError(Exception):
    """A document that could not be read upstream; the message is one printable line."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """One answer: 200 with the body, or 304 (``content`` None: our copy is current)."""

    url: str
    status: int
    content: bytes | None
    etag: str | None
    last_modified: str | None
    attempts: int

    @property
    def not_modified(self) -> bool:
        """Whether upstream answered 304 Not Modified."""
        return self.status == HTTPStatus.NOT_MODIFIED


def printable(text: str) -> str:
    """``text`` without control characters (escape sequences never reach the terminal)."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def docs_variable(provider: str) -> str:
    """``MUSICBIND_<PROVIDER>_DOCS_URL``: the variable that replaces a provider's docs host."""
    return f"MUSICBIND_{re.sub('[^A-Za-z0-9]', '_', provider).upper()}_DOCS_URL"


def resolve_url(origin: str, provider: str, environ: Mapping[str, str]) -> str:
    """The URL to read ``origin`` at: itself, or moved under the provider's docs base URL."""
    parts = urlsplit(origin)
    if parts.scheme.lower() not in SCHEMES or not parts.netloc:
        raise UpstreamError(f"origin {printable(origin)!r} is not an http(s) URL")
    variable = docs_variable(provider)
    base = environ.get(variable, "").strip()
    if not base:
        return origin
    moved = urlsplit(base)
    if moved.scheme.lower() not in SCHEMES or not moved.netloc or moved.query:
        raise UpstreamError(
            f"{variable}={printable(base)!r} is not an http(s) base URL (scheme, host and an "
            "optional path, no query)"
        )
    return base.rstrip("/") + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def shown_url(url: str) -> str:
    """``url`` safe to print: no user-info, signed values masked, no control characters."""
    try:
        return printable(display_url(url))
    except (httpx.InvalidURL, ValueError):
        return printable(url)


def new_client() -> httpx.Client:
    """The HTTP client documents are read with (timeouts, redirects bounded)."""
    return httpx.Client(
        timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": f"musicbind/{__version__} (document sync)"},
        trust_env=False,
    )


def fetch(
    client: httpx.Client,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    policy: RetryPolicy = UPSTREAM_RETRY_POLICY,
    clock: Clock = SYSTEM_CLOCK,
    max_bytes: int = MAX_UPSTREAM_BYTES,
) -> Fetched:
    """GET ``url`` (conditionally when validators are given), retrying as ``policy`` says."""
    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    budget = RetryBudget(Operation.DOWNLOAD, policy, clock)
    where = shown_url(url)
    while True:
        attempt = budget.begin_attempt()
        try:
            status, answer_headers, content = _get(client, url, headers, max_bytes)
        except httpx.TransportError as exc:
            delay = budget.delay_after(error=exc)
            if delay is None:
                raise UpstreamError(f"{where}: {_transport_problem(exc, attempt)}") from None
        except (httpx.TooManyRedirects, httpx.InvalidURL) as exc:
            raise UpstreamError(f"{where}: {printable(str(exc))}") from None
        else:
            if status in (HTTPStatus.OK, HTTPStatus.NOT_MODIFIED):
                return Fetched(
                    url,
                    status,
                    content if status == HTTPStatus.OK else None,
                    answer_headers.get("etag"),
                    answer_headers.get("last-modified"),
                    attempt,
                )
            wait = parse_retry_after(answer_headers, clock.wall())
            delay = budget.delay_after(status=status, retry_after=wait)
            if delay is None:
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                raise UpstreamError(f"{where}: answered HTTP {_status(status)}{tries}")
        clock.sleep(delay)


def _get(
    client: httpx.Client, url: str, headers: dict[str, str], max_bytes: int
) -> tuple[int, httpx.Headers, bytes]:
    with client.stream("GET", url, headers=headers) as response:
        if response.status_code != HTTPStatus.OK:
            return response.status_code, response.headers, b""
        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "identity")
        if declared.isdigit() and int(declared) > max_bytes and encoding == "identity":
            raise UpstreamError(
                f"{shown_url(url)}: the document is {int(declared):,} bytes, more than the "
                f"{max_bytes:,} bytes musicbind reads"
            )
        try:
            body = CappedBody(encoding, max_bytes, truncate=False)
            for chunk in response.iter_raw():
                body.feed(chunk)
        except BudgetExceededError:
            raise UpstreamError(
                f"{shown_url(url)}: the document is larger than the {max_bytes:,} bytes "
                "musicbind reads"
            ) from None
        except UnsupportedEncodingError as exc:
            raise UpstreamError(f"{shown_url(url)}: {printable(str(exc))}") from None
        return response.status_code, response.headers, body.finish()


def _status(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _transport_problem(error: httpx.TransportError, attempts: int) -> str:
    tries = f" ({attempts} attempts)" if attempts > 1 else ""
    if isinstance(error, httpx.ConnectError):
        what = "cannot connect (host unreachable or refusing connections)"
    elif isinstance(error, httpx.TimeoutException):
        what = "timed out"
    elif isinstance(error, httpx.RemoteProtocolError):
        what = "the body was cut short (the connection closed before the whole document came)"
    elif isinstance(error, httpx.UnsupportedProtocol):
        what = "not an http(s) URL"
    else:
        what = (
            f"{type(error).__name__}: {printable(str(error)).splitlines()[0] if str(error) else ''}"
        )
    return what + tries
