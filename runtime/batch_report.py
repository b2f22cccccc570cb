"""Runtime: what a batch run reports: progress while it runs, one record per item at the end.

:class:`~runtime.batch.Batch` fills these; ``musicbind batch`` prints them, and
``--report`` writes :meth:`BatchReport.as_dict`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

ProgressHook = Callable[["BatchProgress"], None]


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """Counts at one moment of a run (``eta_s`` None until something finished)."""

    total: int
    done: int
    failed: int
    uncertain: int
    skipped: int
    running: int
    timed_out: int
    spent: Decimal
    currency: str
    elapsed_s: float
    eta_s: float | None

    @property
    def finished(self) -> int:
        """Items with a final outcome."""
        return self.done + self.failed + self.uncertain + self.skipped + self.timed_out


@dataclass(frozen=True, slots=True)
class ItemReport:
    """The outcome of one item."""

    key: str
    label: str
    line: int | None
    ref: str
    status: str
    intent_id: str | None
    job_id: str | None
    estimate: str | None
    cost: str | None
    currency: str | None
    error: str | None
    files: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class BatchReport:
    """What a run did: one :class:`ItemReport` per item, spend and request counts."""

    batch_id: str
    items: list[ItemReport]
    spent: Decimal
    currency: str
    elapsed_s: float
    requests: int = 0
    rate_limited: int = 0
    duplicates: list[tuple[int | None, int | None]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Items per status."""
        found: dict[str, int] = {}
        for item in self.items:
            found[item.status] = found.get(item.status, 0) + 1
        return found

    @property
    def ok(self) -> bool:
        """Every item done."""
        return all(item.status == "done" for item in self.items)

    def as_dict(self) -> dict[str, Any]:
        """The machine-readable report (``musicbind batch --report``)."""
        return {
            "batch_id": self.batch_id,
            "counts": self.counts(),
            "spent": plain_decimal(self.spent),
            "currency": self.currency,
            "elapsed_s": round(self.elapsed_s, 3),
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "duplicates": [{"line": a, "same_as_line": b} for a, b in self.duplicates],
            "items": [item.as_dict() for item in self.items],
        }


def plain_decimal(value: Decimal) -> str:
    """``0.078`` for ``Decimal("0.07800")``, ``100`` for ``Decimal("1E+2")``."""
    return format(value.normalize(), "f") if value else "0"
