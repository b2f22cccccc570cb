"""Runtime: the batch's per-provider rate limiter, which adapts to 429 and Retry-After.

Every HTTP request of a batch (submits, polls, result fetches, downloads) to one provider
passes one :class:`AdaptiveRateLimiter`, as an httpx transport (:class:`LimitedTransport`)
under that provider's client. Requests are paced ``1 / rate`` apart. Without a starting
rate the limiter lets requests through until the first 429; then (and on every later 429,
at most once per :data:`CUT_GUARD_S`) the rate becomes :data:`CUT_FACTOR` times the
requests of the last second, and every request waits out the ``Retry-After`` the provider
asked for. Between 429s the rate grows by :data:`INCREASE_PER_S` of itself per second
(additive increase, multiplicative decrease: TCP's way of finding a link's capacity). The
transport also counts what a result reports as billed (``x-fal-billable-units``) into the
:data:`BILLING_METER` of the item being run.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import httpx

from musicbind.runtime.retry import parse_retry_after

CUT_FACTOR = 0.8
CUT_GUARD_S = 0.5
INCREASE_PER_S = 0.02
MIN_RATE = 0.2  # requests per second, the slowest the limiter goes
BILLABLE_UNITS_HEADER = "x-fal-billable-units"


@dataclass(slots=True)
class BillingMeter:
    """What the answers for one item reported as billed."""

    units: Decimal | None = None

    def add(self, text: str) -> None:
        """Add a header's units (ignored when not a number)."""
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            return
        if value.is_finite():
            self.units = (self.units or Decimal(0)) + value


BILLING_METER: ContextVar[BillingMeter | None] = ContextVar("musicbind_billing", default=None)


class AdaptiveRateLimiter:
    """Paces requests to one provider; learns its limit from 429 answers."""

    def __init__(
        self,
        rate: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        min_rate: float = MIN_RATE,
    ) -> None:
        if rate is not None and not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a number of requests per second above 0, not {rate}")
        self.rate = rate
        self.min_rate = min_rate
        self._clock = clock
        self._next = 0.0  # monotonic time the next request may start
        self._paused_until = 0.0
        self._last_cut = -math.inf
        self._last_grow = clock()
        self._recent: deque[float] = deque()
        self.requests = 0
        self.limited = 0

    def reserve(self) -> float:
        """Take the next slot; seconds to wait before sending."""
        now = self._clock()
        start = max(now, self._next, self._paused_until)
        if self.rate is not None:
            self._next = start + 1.0 / self.rate
        return start - now

    def paused_for(self) -> float:
        """Seconds a 429 still asks every request to wait."""
        return max(0.0, self._paused_until - self._clock())

    def observe(self, status: int, retry_after: float | None) -> None:
        """Learn from one answer's status (and its ``Retry-After``, in seconds)."""
        now = self._clock()
        self.requests += 1
        self._recent.append(now)
        while self._recent and self._recent[0] < now - 1.0:
            self._recent.popleft()
        if status == 429:
            self.limited += 1
            if now - self._last_cut >= CUT_GUARD_S:
                observed = float(len(self._recent))
                base = observed if self.rate is None else min(self.rate, observed)
                self.rate = max(self.min_rate, CUT_FACTOR * base)
                self._last_cut = now
                self._last_grow = now
            wait = retry_after if retry_after is not None else 1.0 / (self.rate or 1.0)
            self._paused_until = max(self._paused_until, now + min(wait, 60.0))
            return
        if self.rate is not None and status < 400:
            elapsed = now - self._last_grow
            self._last_grow = now
            self.rate *= 1.0 + INCREASE_PER_S * elapsed

    async def acquire(self) -> None:
        """Wait for a slot (and out any pause a 429 asked for meanwhile)."""
        while True:
            delay = self.reserve()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.paused_for() <= 0:
                return


class LimitedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that passes every request through a rate limiter."""

    def __init__(
        self, limiter: AdaptiveRateLimiter, inner: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.limiter = limiter
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self.limiter.acquire()
        response = await self._inner.handle_async_request(request)
        retry_after = None
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers, time.time())
        self.limiter.observe(response.status_code, retry_after)
        units = response.headers.get(BILLABLE_UNITS_HEADER)
        meter = BILLING_METER.get()
        if units is not None and meter is not None and response.status_code < 300:
            meter.add(units)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
