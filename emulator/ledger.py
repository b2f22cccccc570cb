"""Emulator: the ledger of what the emulator accepted and charged, so double charges are countable.

Every submission (accepted, rejected, quoted or deduplicated), every charge (with its refund),
every download and every fault that fired is a record here. Tests read the object
(``emu.ledger``); the demo reads ``GET /_emulator/ledger``, which answers ``Ledger.to_dict()``::

    {"submissions": [{"seq", "provider", "model", "op", "outcome", "status_code", "job_id",
                      "payload_sha256", "idempotency_key", "fault"}],
     "charges": [{"provider", "job_id", "model", "amount", "currency", "units", "refunded",
                  "payload_sha256", "idempotency_key"}],
     "downloads": [{"provider", "path", "origin", "authorization_sent", "fault"}],
     "faults": [{"provider", "op", "rule", "path"}],
     "summary": {provider: {"submissions", "accepted", "charges", "charged", "currency",
                            "duplicate_charges"}}}

The HTTP answer (``Emulator.snapshot()``) adds ``"jobs": [{"provider", "job_id", "model",
"state", "fate", "seconds", "samples", "cost", "currency"}]`` and ``"job_states"`` counts.

Amounts are decimal strings. A duplicate charge is a second live (unrefunded) charge for the
same provider, model and payload hash: what a blind retry of a paid submit produces.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any


def payload_hash(payload: Any) -> str:
    """A stable sha256 of a JSON payload (keys sorted), to recognise resubmissions."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Submission:
    """One paid-submit or dry-run request as the emulator saw it."""

    seq: int
    provider: str
    model: str
    op: str  # "submit" or "quote"
    outcome: str  # "accepted", "rejected", "quoted", "deduplicated"
    status_code: int
    job_id: str | None
    payload_sha256: str
    idempotency_key: str | None
    fault: str | None = None


@dataclass(slots=True)
class Charge:
    """What one accepted job costs; refunded when the provider does not bill it after all."""

    provider: str
    job_id: str
    model: str
    amount: Decimal
    currency: str
    units: Decimal
    payload_sha256: str
    idempotency_key: str | None
    refunded: bool = False


@dataclass(frozen=True, slots=True)
class Download:
    """One result-file request: whether it carried credentials and on which origin it arrived."""

    provider: str
    path: str
    origin: str
    authorization_sent: bool
    fault: str | None = None


@dataclass(frozen=True, slots=True)
class FiredFault:
    """A fault rule that acted on a request."""

    provider: str
    op: str
    rule: str
    path: str


class Ledger:
    """Thread-safe records of submissions, charges, downloads and fired faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.submissions: list[Submission] = []
        self.charges: list[Charge] = []
        self.downloads: list[Download] = []
        self.faults: list[FiredFault] = []

    def record_submission(
        self,
        provider: str,
        model: str,
        op: str,
        outcome: str,
        status_code: int,
        job_id: str | None,
        payload_sha256: str,
        idempotency_key: str | None,
        fault: str | None = None,
    ) -> Submission:
        """Append a submission record and return it."""
        with self._lock:
            record = Submission(
                len(self.submissions) + 1,
                provider,
                model,
                op,
                outcome,
                status_code,
                job_id,
                payload_sha256,
                idempotency_key,
                fault,
            )
            self.submissions.append(record)
            return record

    def record_charge(self, charge: Charge) -> None:
        """Append a charge."""
        with self._lock:
            self.charges.append(charge)

    def refund(self, provider: str, job_id: str) -> None:
        """Mark the charge of a job refunded (a job cancelled in the queue, a failed fal job...)."""
        with self._lock:
            for charge in self.charges:
                if charge.provider == provider and charge.job_id == job_id:
                    charge.refunded = True

    def record_download(self, download: Download) -> None:
        """Append a download record."""
        with self._lock:
            self.downloads.append(download)

    def record_fault(self, fault: FiredFault) -> None:
        """Append a fired fault."""
        with self._lock:
            self.faults.append(fault)

    def accepted(self, provider: str | None = None) -> list[Submission]:
        """Submissions that created a job (optionally of one provider)."""
        with self._lock:
            return [
                s
                for s in self.submissions
                if s.outcome == "accepted" and provider in (None, s.provider)
            ]

    def live_charges(self, provider: str | None = None) -> list[Charge]:
        """Charges not refunded (optionally of one provider)."""
        with self._lock:
            return [c for c in self.charges if not c.refunded and provider in (None, c.provider)]

    def total_charged(self, provider: str) -> Decimal:
        """The sum of a provider's live charges, in its currency."""
        return sum((c.amount for c in self.live_charges(provider)), Decimal(0))

    def duplicate_charges(self, provider: str | None = None) -> int:
        """How many live charges repeat an earlier one (same provider, model and payload)."""
        counts = Counter(
            (c.provider, c.model, c.payload_sha256) for c in self.live_charges(provider)
        )
        return sum(n - 1 for n in counts.values())

    def faults_fired(self, provider: str | None = None, op: str | None = None) -> list[FiredFault]:
        """Fired faults, optionally filtered."""
        with self._lock:
            return [f for f in self.faults if provider in (None, f.provider) and op in (None, f.op)]

    def clear(self) -> None:
        """Forget everything (between tests sharing an emulator)."""
        with self._lock:
            self.submissions.clear()
            self.charges.clear()
            self.downloads.clear()
            self.faults.clear()

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per provider: submissions, accepted, charges, charged total and duplicate charges."""
        result: dict[str, dict[str, Any]] = {}
        with self._lock:  # the three providers, then any generic one that was called
            seen = {s.provider for s in self.submissions} | {c.provider for c in self.charges}
        others = sorted(seen - {"scenario", "fal", "aigateway"})
        for provider in ("scenario", "fal", "aigateway", *others):
            live = self.live_charges(provider)
            with self._lock:
                submissions = sum(1 for s in self.submissions if s.provider == provider)
            result[provider] = {
                "submissions": submissions,
                "accepted": len(self.accepted(provider)),
                "charges": len(live),
                "charged": str(self.total_charged(provider)),
                "currency": live[0].currency if live else None,
                "duplicate_charges": self.duplicate_charges(provider),
            }
        return result

    def to_dict(self) -> dict[str, Any]:
        """The whole ledger as JSON-ready data (the format in the module docstring)."""
        with self._lock:
            submissions = [asdict(s) for s in self.submissions]
            charges = [
                {**asdict(c), "amount": str(c.amount), "units": str(c.units)} for c in self.charges
            ]
            downloads = [asdict(d) for d in self.downloads]
            faults = [asdict(f) for f in self.faults]
        return {
            "submissions": submissions,
            "charges": charges,
            "downloads": downloads,
            "faults": faults,
            "summary": self.summary(),
        }
