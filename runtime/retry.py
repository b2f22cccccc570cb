"""Runtime: the named retry policy: which failures are retried, how long to wait, when to stop.

Two operations differ. Reads (status, result, download), cancel, upload and quote are
retried on connection errors, timeouts and :data:`RETRYABLE_STATUS_CODES`. A paid
submit is retried only when the failure provably happened before the request reached
the server (:data:`SUBMIT_SAFE_ERRORS`: refused, DNS failure, connect or pool timeout)
or when the server answered 429, a refusal that ran nothing. Any other submit failure
(read timeout, reset after sending, 408, 5xx) is ambiguous: :func:`is_ambiguous_submit`
says so and the caller marks the submission uncertain instead of paying twice. A
provider that honours an idempotency key lifts the restriction (``idempotent=True``).

Waits grow exponentially with jitter (:func:`retry_delay`); a ``Retry-After`` or
``retry-after-ms`` header (:func:`parse_retry_after`) replaces the computed wait when it
is at most :attr:`RetryPolicy.max_retry_after`; above that the caller raises (a 429
becomes ``RateLimitError`` carrying ``retry_after``). Attempts and total time are bounded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

from musicbind.runtime.clock import SYSTEM_CLOCK, Clock
from musicbind.runtime.deferred import deferred_module

if TYPE_CHECKING:
    import httpx
else:
    httpx = deferred_module("httpx")

DEFAULT_MAX_ATTEMPTS = 5  # first try + 4 retries
DEFAULT_MAX_ELAPSED = 120.0  # seconds from the first attempt; no retry starts past it
INITIAL_RETRY_DELAY = 0.5  # seconds before the first retry
RETRY_MULTIPLIER = 2.0
MAX_RETRY_DELAY = 8.0  # longest computed wait
JITTER_FRACTION = 0.25  # a computed wait is shortened by up to this fraction
MAX_RETRY_AFTER = 60.0  # longest server-requested wait honoured; longer ones raise
RETRYABLE_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})
# A 429 is a refusal: the server ran nothing. Other statuses on submit may follow a job.
SUBMIT_RETRYABLE_STATUS_CODES = frozenset({429})
# httpx errors (by name: httpx is imported on first use) raised before any byte of the
# request left: no connection was made.
SUBMIT_SAFE_ERRORS = ("ConnectError", "ConnectTimeout", "PoolTimeout")
# Our own request was invalid or unsendable: retrying cannot help, nothing was sent.
NEVER_RETRIED_ERRORS = ("UnsupportedProtocol", "LocalProtocolError", "ProxyError")


@cache
def _httpx_errors(*names: str) -> tuple[type[Exception], ...]:
    """The httpx error classes called ``names``."""
    return tuple(getattr(httpx, name) for name in names)


class Operation(StrEnum):
    """What a request is for; the retry rules depend on it."""

    SUBMIT = "submit"  # paid: creates a job
    STATUS = "status"
    RESULT = "result"
    CANCEL = "cancel"
    DOWNLOAD = "download"
    UPLOAD = "upload"  # free: a duplicate asset costs nothing
    QUOTE = "quote"  # dry run: runs nothing


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds and waits of the retry loop; the defaults are the module constants."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_elapsed: float = DEFAULT_MAX_ELAPSED
    initial_delay: float = INITIAL_RETRY_DELAY
    multiplier: float = RETRY_MULTIPLIER
    max_delay: float = MAX_RETRY_DELAY
    jitter: float = JITTER_FRACTION
    max_retry_after: float = MAX_RETRY_AFTER
    retryable_status_codes: frozenset[int] = field(default=RETRYABLE_STATUS_CODES)


DEFAULT_RETRY_POLICY = RetryPolicy()
NO_RETRIES = RetryPolicy(max_attempts=1)


def should_retry(
    operation: Operation,
    *,
    status: int | None = None,
    error: BaseException | None = None,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    idempotent: bool = False,
) -> bool:
    """Whether one failed attempt (an error status or a transport error) may be retried."""
    paid = operation is Operation.SUBMIT and not idempotent
    if error is not None:
        if not isinstance(error, httpx.TransportError) or isinstance(
            error, _httpx_errors(*NEVER_RETRIED_ERRORS)
        ):
            return False
        return isinstance(error, _httpx_errors(*SUBMIT_SAFE_ERRORS)) if paid else True
    if status is None:
        return False
    if paid:
        return status in SUBMIT_RETRYABLE_STATUS_CODES
    return status in policy.retryable_status_codes


def is_ambiguous_submit(*, status: int | None = None, error: BaseException | None = None) -> bool:
    """Whether a failed submit may still have created a job at the provider."""
    if error is not None:
        if not isinstance(error, httpx.TransportError):
            return False
        return not isinstance(error, _httpx_errors(*SUBMIT_SAFE_ERRORS, *NEVER_RETRIED_ERRORS))
    return status is not None and (status >= 500 or status == 408)


def retry_delay(
    failures: int,
    *,
    retry_after: float | None = None,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    random: Callable[[], float] = SYSTEM_CLOCK.random,
) -> float:
    """Seconds to wait after the ``failures``-th failed attempt (1-based).

    A server-requested wait within ``[0, max_retry_after]`` is used as is; otherwise
    ``initial_delay * multiplier ** (failures - 1)``, capped at ``max_delay`` and
    shortened by a random fraction of up to ``jitter``.
    """
    if retry_after is not None and 0 <= retry_after <= policy.max_retry_after:
        return retry_after
    exponent = max(failures - 1, 0)
    base = min(policy.initial_delay * policy.multiplier**exponent, policy.max_delay)
    return base * (1 - policy.jitter * random())


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asks to wait, or None when it does not say (or says nonsense).

    ``retry-after-ms`` (milliseconds) wins over ``Retry-After``, which is either
    delta-seconds or an HTTP date (a date in the past means 0). ``now`` is Unix time.
    Header names are matched without regard to case.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    milliseconds = _finite_number(lowered.get("retry-after-ms"))
    if milliseconds is not None and milliseconds >= 0:
        return milliseconds / 1000
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    seconds = _finite_number(raw)
    if seconds is not None:
        return seconds if seconds >= 0 else None
    try:
        import email.utils  # a date in Retry-After is rare: the module is not imported up front

        when = email.utils.parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110: every HTTP date is GMT (asctime carries no zone)
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)


def _finite_number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@dataclass(slots=True)
class RetryBudget:
    """The state of one request's retry loop: attempts made and time spent."""

    operation: Operation
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = SYSTEM_CLOCK
    idempotent: bool = False
    attempts: int = 0
    started: float | None = None
    refused_wait: float | None = None  # a Retry-After above the cap, for the error

    def begin_attempt(self) -> int:
        """Count an attempt; returns its 1-based number."""
        if self.started is None:
            self.started = self.clock.monotonic()
        self.attempts += 1
        return self.attempts

    def delay_after(
        self,
        *,
        status: int | None = None,
        error: BaseException | None = None,
        retry_after: float | None = None,
    ) -> float | None:
        """The wait before the next attempt, or None when this failure is final."""
        if not should_retry(
            self.operation,
            status=status,
            error=error,
            policy=self.policy,
            idempotent=self.idempotent,
        ):
            return None
        if retry_after is not None and retry_after > self.policy.max_retry_after:
            self.refused_wait = retry_after
            return None
        if self.attempts >= self.policy.max_attempts:
            return None
        delay = retry_delay(
            self.attempts, retry_after=retry_after, policy=self.policy, random=self.clock.random
        )
        started = self.started if self.started is not None else self.clock.monotonic()
        if self.clock.monotonic() - started + delay > self.policy.max_elapsed:
            return None
        return delay
