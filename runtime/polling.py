"""Runtime: the named polling policy: how soon to ask a job's status again.

Polls start fast and back off geometrically (:data:`POLL_INITIAL_INTERVAL` times
:data:`POLL_MULTIPLIER` per poll) up to a cap. While the wait is young the cap is
:data:`POLL_EARLY_MAX_INTERVAL`; later it grows with the time already waited
(:data:`POLL_LAG_FRACTION` of it) up to :data:`POLL_MAX_INTERVAL`. So completion is seen
within about 7 % of the job's running time (at most 2 s for a 30 s job, with 18
status requests) while a ten-minute job costs under a hundred requests. A server hint
(``Retry-After`` on a status answer) replaces the computed interval, within
[:data:`MIN_POLL_HINT`, :data:`MAX_POLL_HINT`]. A wait never runs forever by default:
``timeout=None`` means :data:`DEFAULT_WAIT_TIMEOUT`, after which it raises JobTimeoutError
(the job keeps running); ``timeout=math.inf`` waits without a deadline.
"""

from __future__ import annotations

from dataclasses import dataclass

POLL_INITIAL_INTERVAL = 0.5
POLL_MULTIPLIER = 1.5
POLL_EARLY_MAX_INTERVAL = 2.0
POLL_LAG_FRACTION = 1 / 15
POLL_MAX_INTERVAL = 10.0
DEFAULT_WAIT_TIMEOUT = 3600.0  # wait() gives up (the job keeps running) unless told otherwise
MIN_POLL_HINT = 0.25
MAX_POLL_HINT = 60.0


@dataclass(frozen=True, slots=True)
class PollPolicy:
    """Intervals between status requests; the defaults are the module constants."""

    initial: float = POLL_INITIAL_INTERVAL
    multiplier: float = POLL_MULTIPLIER
    early_max: float = POLL_EARLY_MAX_INTERVAL
    lag_fraction: float = POLL_LAG_FRACTION
    max_interval: float = POLL_MAX_INTERVAL
    min_hint: float = MIN_POLL_HINT
    max_hint: float = MAX_POLL_HINT


DEFAULT_POLL_POLICY = PollPolicy()


def poll_delay(
    polls: int,
    elapsed: float,
    *,
    hint: float | None = None,
    policy: PollPolicy = DEFAULT_POLL_POLICY,
) -> float:
    """Seconds to wait after the ``polls``-th status request (1-based), ``elapsed`` s in."""
    if hint is not None and hint >= 0:
        return min(max(hint, policy.min_hint), policy.max_hint)
    cap = min(policy.max_interval, max(policy.early_max, elapsed * policy.lag_fraction))
    return min(policy.initial * policy.multiplier ** max(polls - 1, 0), cap)
