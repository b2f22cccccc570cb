"""The named retry policy: Retry-After parsing, should_retry, the delay function, the budget."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from runtime_fakes import FakeClock

from musicbind.runtime.retry import (
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    Operation,
    RetryBudget,
    RetryPolicy,
    is_ambiguous_submit,
    parse_retry_after,
    retry_delay,
    should_retry,
)

NOW = 1_700_000_000.0  # Unix time the HTTP dates below are measured against


def http_date(offset: float) -> str:
    return format_datetime(datetime.fromtimestamp(NOW + offset, tz=UTC), usegmt=True)


RETRY_AFTER_CASES: list[tuple[str, dict[str, str], float | None]] = [
    ("integer seconds", {"Retry-After": "5"}, 5.0),
    ("zero", {"Retry-After": "0"}, 0.0),
    ("fractional seconds", {"Retry-After": "1.5"}, 1.5),
    ("padded", {"Retry-After": "  7 "}, 7.0),
    ("lower-case name", {"retry-after": "3"}, 3.0),
    ("upper-case name", {"RETRY-AFTER": "4"}, 4.0),
    ("large, not capped by the parser", {"Retry-After": "86400"}, 86400.0),
    ("exponent", {"Retry-After": "1e1"}, 10.0),
    ("negative", {"Retry-After": "-1"}, None),
    ("text", {"Retry-After": "soon"}, None),
    ("empty", {"Retry-After": ""}, None),
    ("infinite", {"Retry-After": "inf"}, None),
    ("not a number", {"Retry-After": "nan"}, None),
    ("HTTP date 30 s ahead", {"Retry-After": http_date(30)}, 30.0),
    ("HTTP date now", {"Retry-After": http_date(0)}, 0.0),
    ("HTTP date in the past", {"Retry-After": http_date(-600)}, 0.0),
    ("numeric zone date", {"Retry-After": "Tue, 14 Nov 2023 22:14:20 +0000"}, 60.0),
    ("RFC 850 date", {"Retry-After": "Sunday, 06-Nov-94 08:49:37 GMT"}, 0.0),
    ("asctime date (GMT)", {"Retry-After": "Sun Nov  6 08:49:37 1994"}, 0.0),
    ("broken date", {"Retry-After": "Mon, 99 Foo 2020 25:00:00 GMT"}, None),
    ("milliseconds", {"retry-after-ms": "1500"}, 1.5),
    ("fractional milliseconds", {"retry-after-ms": "250.5"}, 0.2505),
    ("zero milliseconds", {"retry-after-ms": "0"}, 0.0),
    ("milliseconds win", {"retry-after-ms": "100", "Retry-After": "10"}, 0.1),
    ("bad milliseconds fall back", {"retry-after-ms": "x", "Retry-After": "3"}, 3.0),
    ("negative milliseconds fall back", {"retry-after-ms": "-5", "Retry-After": "2"}, 2.0),
    ("milliseconds, mixed-case name", {"Retry-After-Ms": "2000"}, 2.0),
    ("no header", {}, None),
    ("unrelated headers", {"X-RateLimit-Reset": "10"}, None),
]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [case[1:] for case in RETRY_AFTER_CASES],
    ids=[case[0] for case in RETRY_AFTER_CASES],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    got = parse_retry_after(httpx.Headers(headers), NOW)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def _request() -> httpx.Request:
    return httpx.Request("POST", "https://api.test/x")


def _error(kind: type[httpx.TransportError]) -> httpx.TransportError:
    return kind("boom", request=_request())


READS = [
    Operation.STATUS,
    Operation.RESULT,
    Operation.CANCEL,
    Operation.DOWNLOAD,
    Operation.UPLOAD,
    Operation.QUOTE,
]
SHOULD_RETRY_ERRORS: list[tuple[type[httpx.TransportError], bool, bool]] = [
    # error, retried on a read, retried on a paid submit
    (httpx.ConnectError, True, True),
    (httpx.ConnectTimeout, True, True),
    (httpx.PoolTimeout, True, True),
    (httpx.ReadTimeout, True, False),
    (httpx.WriteTimeout, True, False),
    (httpx.ReadError, True, False),
    (httpx.WriteError, True, False),
    (httpx.RemoteProtocolError, True, False),
    (httpx.LocalProtocolError, False, False),
    (httpx.UnsupportedProtocol, False, False),
    (httpx.ProxyError, False, False),
]


@pytest.mark.parametrize(("kind", "on_read", "on_submit"), SHOULD_RETRY_ERRORS)
def test_should_retry_errors(
    kind: type[httpx.TransportError], on_read: bool, on_submit: bool
) -> None:
    error = _error(kind)
    for op in READS:
        assert should_retry(op, error=error) is on_read, op
    assert should_retry(Operation.SUBMIT, error=error) is on_submit
    # A provider honouring an idempotency key makes the submit a read.
    assert should_retry(Operation.SUBMIT, error=error, idempotent=True) is on_read
    assert is_ambiguous_submit(error=error) is (on_read and not on_submit)


SHOULD_RETRY_STATUSES: list[tuple[int, bool, bool, bool]] = [
    # status, retried on a read, retried on a paid submit, ambiguous on submit
    (400, False, False, False),
    (401, False, False, False),
    (402, False, False, False),
    (403, False, False, False),
    (404, False, False, False),
    (408, True, False, True),
    (409, False, False, False),
    (422, False, False, False),
    (429, True, True, False),
    (500, True, False, True),
    (501, False, False, True),
    (502, True, False, True),
    (503, True, False, True),
    (504, True, False, True),
]


@pytest.mark.parametrize(("status", "on_read", "on_submit", "ambiguous"), SHOULD_RETRY_STATUSES)
def test_should_retry_statuses(
    status: int, on_read: bool, on_submit: bool, ambiguous: bool
) -> None:
    for op in READS:
        assert should_retry(op, status=status) is on_read, op
    assert should_retry(Operation.SUBMIT, status=status) is on_submit
    assert is_ambiguous_submit(status=status) is ambiguous


def test_should_retry_needs_a_failure() -> None:
    assert not should_retry(Operation.STATUS)
    assert not should_retry(Operation.STATUS, error=ValueError("not a transport error"))


POLICY = RetryPolicy()
DELAY_CASES: list[tuple[int, float | None, float, float]] = [
    # failures, retry_after, random(), expected delay
    (1, None, 0.0, INITIAL_RETRY_DELAY),
    (2, None, 0.0, 1.0),
    (3, None, 0.0, 2.0),
    (4, None, 0.0, 4.0),
    (5, None, 0.0, MAX_RETRY_DELAY),
    (9, None, 0.0, MAX_RETRY_DELAY),
    (1, None, 1.0, INITIAL_RETRY_DELAY * 0.75),
    (3, None, 0.5, 2.0 * 0.875),
    (9, None, 1.0, MAX_RETRY_DELAY * 0.75),
    (1, 3.0, 0.9, 3.0),
    (4, 0.0, 0.9, 0.0),
    (1, MAX_RETRY_AFTER, 0.0, MAX_RETRY_AFTER),
    (2, MAX_RETRY_AFTER + 1, 0.0, 1.0),  # above the cap: the budget refuses (see below)
    (2, -1.0, 0.0, 1.0),
    (0, None, 0.0, INITIAL_RETRY_DELAY),
]


@pytest.mark.parametrize(("failures", "retry_after", "rnd", "expected"), DELAY_CASES)
def test_retry_delay(failures: int, retry_after: float | None, rnd: float, expected: float) -> None:
    got = retry_delay(failures, retry_after=retry_after, policy=POLICY, random=lambda: rnd)
    assert got == pytest.approx(expected)


def test_budget_bounds_attempts() -> None:
    clock = FakeClock()
    budget = RetryBudget(Operation.STATUS, RetryPolicy(max_attempts=3), clock.clock())
    delays = []
    while True:
        budget.begin_attempt()
        delay = budget.delay_after(status=503)
        if delay is None:
            break
        delays.append(delay)
        clock.sleep(delay)
    assert budget.attempts == 3
    assert len(delays) == 2


def test_budget_bounds_total_time() -> None:
    clock = FakeClock()
    policy = RetryPolicy(
        max_attempts=100, max_elapsed=10.0, initial_delay=4.0, max_delay=4.0, jitter=0
    )
    budget = RetryBudget(Operation.DOWNLOAD, policy, clock.clock())
    while True:
        budget.begin_attempt()
        delay = budget.delay_after(error=_error(httpx.ReadError))
        if delay is None:
            break
        clock.sleep(delay)
    assert sum(clock.sleeps) <= 10.0
    assert budget.attempts == 3  # waits at 4 and 8 s; a third would end past 10 s


def test_budget_refuses_a_wait_above_the_cap() -> None:
    budget = RetryBudget(Operation.STATUS, RetryPolicy(max_retry_after=60), FakeClock().clock())
    budget.begin_attempt()
    assert budget.delay_after(status=429, retry_after=61) is None
    assert budget.refused_wait == 61
    budget.begin_attempt()
    assert budget.delay_after(status=429, retry_after=60) == 60
