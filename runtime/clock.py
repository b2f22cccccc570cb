"""Runtime: the injectable clock (time, sleep, randomness) that retries and polling read.

Every wait in the runtime goes through a :class:`Clock`, so tests swap in a fake one
and a poll loop that spans minutes of simulated time runs in milliseconds.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass


async def _async_sleep(seconds: float) -> None:
    import asyncio  # imported by the first async wait, not by every client import

    await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Clock:
    """Where the runtime reads time and waits.

    ``monotonic`` measures elapsed time (deadlines, retry budgets); ``wall`` is Unix
    time, used only to turn an HTTP-date ``Retry-After`` into seconds; ``random``
    returns a float in [0, 1) for retry jitter.
    """

    monotonic: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = _async_sleep
    random: Callable[[], float] = random.random  # jitter, not cryptography


SYSTEM_CLOCK = Clock()
