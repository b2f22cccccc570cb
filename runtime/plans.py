"""Runtime: the one driver loop of both flavours: plans (generators of I/O steps) run sync or async.

Submit, wait, result and download (:mod:`runtime.client_core`, :mod:`runtime.jobs`) and
the transport's request sequence - retries, redirects, reading a body under its budget,
streaming a download (:mod:`runtime.transport`, :mod:`runtime.download`) - are written
once, as generators that yield the I/O step they need and receive its result; the
higher plans ``yield from`` the transport's, so a whole ``job.download()`` is one plan.
:func:`run_plan` performs the steps with blocking calls (``Transport.drive``),
:func:`arun_plan` with ``await`` (``AsyncTransport.drive``); an error a step raises is
thrown back into the plan at that step, so the plan's own ``try`` blocks decide (a
timeout becomes JobTimeoutError, an interrupted submit is journalled uncertain).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar, cast

T = TypeVar("T")
S = TypeVar("S")  # the steps a plan yields


def _advance(
    plan: Generator[S, Any, T], value: Any, error: BaseException | None
) -> tuple[S | None, T | None]:
    """The plan's next step, or (None, its result) when it ended."""
    try:
        step = plan.throw(error) if error is not None else plan.send(value)
    except StopIteration as stop:
        return None, cast(T, stop.value)
    return step, None


def run_plan(plan: Generator[S, Any, T], perform: Callable[[S], Any]) -> T:
    """Drive ``plan`` with a synchronous ``perform``; errors go back into the plan.

    Also KeyboardInterrupt and CancelledError: the plan decides (a submit journals
    them as uncertain), so nothing is left half done when a generator is collected.
    """
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            step, result = _advance(plan, value, error)
            if step is None:
                return cast(T, result)
            value, error = None, None
            try:
                value = perform(step)
            except BaseException as exc:  # the plan decides (it may catch a timeout)
                error = exc
    finally:
        plan.close()


async def arun_plan(plan: Generator[S, Any, T], perform: Callable[[S], Awaitable[Any]]) -> T:
    """Async :func:`run_plan`."""
    value: Any = None
    error: BaseException | None = None
    try:
        while True:
            step, result = _advance(plan, value, error)
            if step is None:
                return cast(T, result)
            value, error = None, None
            try:
                value = await perform(step)
            except BaseException as exc:
                error = exc
    finally:
        plan.close()
