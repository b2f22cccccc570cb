"""Pipeline: the garbage collector around a run's many long-lived records.

A run holds tens of thousands of records (documents, models) that form no cycles worth
collecting; each full pass of the cyclic collector walks all of them. At 10,000 models
those passes cost a third of a regeneration after one change. :func:`frozen` keeps what
is alive at its start out of the passes (and keeps forked workers from copying the pages
the passes would write to); :func:`paused` stops the passes while records are read.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_frozen_depth = 0


@contextmanager
def frozen() -> Iterator[None]:
    """Objects alive now are left out of the collector's passes until the outermost
    :func:`frozen` ends (nested uses freeze what was made since; one unfreeze ends all)."""
    global _frozen_depth
    gc.freeze()
    _frozen_depth += 1
    try:
        yield
    finally:
        _frozen_depth -= 1
        if _frozen_depth == 0:
            gc.unfreeze()


@contextmanager
def paused(pause: bool = True) -> Iterator[None]:
    """No cyclic garbage collection inside (when ``pause``): for reading many records
    that leave no garbage behind.

    Inside :func:`frozen`, what was made is frozen on leaving: the first pass after a
    pause would otherwise walk every object made during it.
    """
    enabled = gc.isenabled() and pause
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if _frozen_depth:
            gc.freeze()
        if enabled:
            gc.enable()
