"""Emit stage: rendered text -> formatted, gated text, batch by batch, the stages overlapping.

ruff (a Rust process, :class:`generator.emit.formatting.Batch`) formats a batch, waited for
in a thread, while this process renders the next batch; the safety gate
(:func:`generator.emit.safety.check_module`) checks each formatted batch in worker processes
(forked once, before the thread starts) while the next batch is rendered and formatted. So
on a machine with a spare core the three stages cost about as much as the slowest of them.

Nothing is returned before every module passed the gate; the problem raised is that of the
first refused module in path order within the first batch that has one (batches come in
the caller's order).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

from musicbind.generator.collector import frozen
from musicbind.generator.emit.formatting import Batch
from musicbind.generator.emit.safety import UnsafeCodeError, check_module
from musicbind.generator.emit.texts import Texts

# Below this many modules for the safety gate (~0.3 ms each), worker processes cost more
# than they save.
GATE_PARALLEL_THRESHOLD = 256
_MAX_WORKERS = 8

Gated = Callable[[str], str | None]


def formatted_and_gated(
    batches: Iterable[Mapping[str, str]], gated: Gated | None, modules: int
) -> Texts:
    """Every batch formatted by ruff, once the safety gate passed every module in it.

    ``batches`` may render lazily: a batch is asked for while ruff formats the one before.
    ``modules``: about how many modules will be gated (worker processes are used from
    :data:`GATE_PARALLEL_THRESHOLD` on). ``gated``: see :func:`passed_before`.
    """
    files = Texts()  # held compressed: a large catalogue's texts all wait for the writer
    with ExitStack() as scratch, _gate_pool(modules) as pool, ThreadPoolExecutor(1) as ruff:
        checks: list[Iterator[str | None]] = []
        formatting: deque[tuple[Batch, Future[None]]] = deque()
        for texts in batches:
            batch = scratch.enter_context(Batch(texts))
            formatting.append((batch, ruff.submit(batch.run)))
            if len(formatting) > 1:
                checks.append(_gate(_formatted(formatting.popleft()), gated, pool, files))
        while formatting:
            checks.append(_gate(_formatted(formatting.popleft()), gated, pool, files))
        _raise_first(checks)
    return files


def _formatted(started: tuple[Batch, Future[None]]) -> dict[str, str]:
    batch, running = started
    running.result()
    try:
        return batch.result()
    finally:
        batch.close()


def check_modules(modules: Mapping[str, str]) -> None:
    """The safety gate on every module (path -> text), in worker processes when many.

    Raises the :class:`UnsafeCodeError` of the first refused module in path order.
    """
    with _gate_pool(len(modules)) as pool:
        _raise_first([_gate(dict(modules), None, pool, Texts())])


def _raise_first(checks: list[Iterator[str | None]]) -> None:
    for results in checks:
        for problem in results:
            if problem is not None:
                raise UnsafeCodeError(problem)


def _gate(
    formatted: dict[str, str],
    gated: Gated | None,
    pool: ProcessPoolExecutor | None,
    files: Texts,
) -> Iterator[str | None]:
    """Start the gate on ``formatted``'s modules (in path order) and add them to ``files``;
    the problems come from the returned iterator."""
    files.merge(formatted)
    jobs = sorted(
        (path, text)
        for path, text in formatted.items()
        if path.endswith(".py") and not passed_before(path, text, gated)
    )
    if pool is None:
        return map(_gate_job, jobs)
    chunk = max(1, min(64, len(jobs) // (_workers() * 4)))
    return pool.map(_gate_job, jobs, chunksize=chunk)


def _workers() -> int:
    return min(os.cpu_count() or 1, _MAX_WORKERS)


@contextmanager
def _gate_pool(modules: int) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes for ``modules`` modules (None: too few, or one core), forked now,
    before any thread of the caller starts.

    Forked workers share the parent's memory until they write to it; the collector's
    passes over the parent's objects would write to every page: they are frozen first.
    """
    if modules < GATE_PARALLEL_THRESHOLD or _workers() < 2:
        yield None
        return
    with frozen(), ProcessPoolExecutor(max_workers=_workers()) as pool:
        pool.submit(int).result()  # every worker is forked at the first job
        yield pool


def _gate_job(job: tuple[str, str]) -> str | None:
    path, text = job
    try:
        check_module(text, path)
    except UnsafeCodeError as exc:
        return str(exc)
    return None


def passed_before(path: str, text: str, gated: Gated | None) -> bool:
    """Whether ``text`` is a module that passed the gate, but for its header comments.

    ``gated(path)``: the text this generator wrote at ``path`` last time, which passed the
    safety gate then. Comment lines cannot change what the gate sees; a header that could
    declare a source encoding (``coding``) is never skipped.
    """
    before = gated(path) if gated else None
    if before is None:
        return False
    body, head = _after_header(text)
    old_body, old_head = _after_header(before)
    return body == old_body and "coding" not in head and "coding" not in old_head


def _after_header(text: str) -> tuple[str, str]:
    """(the text after its leading comment lines, those lines)."""
    cut = 0
    while text.startswith("#", cut):
        end = text.find("\n", cut)
        if end < 0:
            return "", text
        cut = end + 1
    return text[cut:], text[:cut]
