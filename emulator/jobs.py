"""Emulator: an emulated job's life, computed from the clock (no background tasks).

A job waits ``Timing.queue_s`` in the queue, runs ``Timing.run_s`` with progress from 0 to 1,
then ends as its fate says: succeeded (the default), failed, cancelled by the provider, or
never (``stall``). Each provider maps the neutral stages below onto its own status words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from musicbind.emulator.audio import DEFAULT_SAMPLE_RATE, wav_size

# Neutral stages in order; providers map them onto their words.
QUEUED, QUEUED_LATE, WARMING, RUNNING, FINALIZING = (
    "queued",
    "queued_late",
    "warming",
    "running",
    "finalizing",
)
SUCCEEDED, FAILED, CANCELED = "succeeded", "failed", "canceled"
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELED})
FINALIZING_FROM = 0.8  # fraction of the run after which a Scenario cancel comes too late


@dataclass(frozen=True, slots=True)
class Timing:
    """How long jobs wait and run, in seconds (fast by default: tests finish in 0.3 s)."""

    queue_s: float = 0.1
    run_s: float = 0.2
    cancel_s: float = 0.05  # Scenario: how long after the acknowledgement a cancel takes effect

    @classmethod
    def parse(cls, text: str) -> Timing:
        """``"QUEUE,RUN"`` or ``"QUEUE,RUN,CANCEL"`` in seconds, e.g. ``"0.5,2"``."""
        parts = [p.strip() for p in text.split(",")]
        if not 2 <= len(parts) <= 3:
            raise ValueError(f"timing {text!r}: expected QUEUE,RUN[,CANCEL] seconds")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"timing {text!r}: seconds must be numbers") from None
        if any(v < 0 for v in values):
            raise ValueError(f"timing {text!r}: seconds cannot be negative")
        return cls(*values)


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One result file of a job (synthesized on first download)."""

    file_id: str
    name: str
    seconds: float
    seed: str
    sample_rate: int = DEFAULT_SAMPLE_RATE
    content_type: str = "audio/wav"

    @property
    def size(self) -> int:
        """Its size in bytes, known without synthesizing it."""
        return wav_size(self.seconds, self.sample_rate)


@dataclass(slots=True)
class EmulatedJob:
    """A job one provider accepted."""

    provider: str
    job_id: str
    model_id: str
    payload: dict[str, Any]  # validated, defaults filled, wire names
    created: float  # clock() at acceptance
    created_wall: float  # time.time() at acceptance
    timing: Timing
    outputs: list[OutputFile]
    cost: Decimal
    currency: str
    units: Decimal
    fate: str = SUCCEEDED  # SUCCEEDED, FAILED, "fail_422", "download_error", CANCELED, "stall"
    vocabulary: str = "guide"  # Scenario: which of its two status vocabularies this job speaks
    cancel_at: float | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def run_end(self) -> float:
        """Clock time at which the job stops running (if its fate lets it)."""
        return self.created + self.timing.queue_s + self.timing.run_s

    def timeline(self) -> list[tuple[float, str]]:
        """(clock time, stage) for every stage the job goes through, in order."""
        q, r = self.timing.queue_s, self.timing.run_s
        start = self.created
        stages = [
            (start, QUEUED),
            (start + q / 2, QUEUED_LATE),
            (start + q, WARMING),
            (start + q + 0.2 * r, RUNNING),
            (start + q + FINALIZING_FROM * r, FINALIZING),
        ]
        if self.cancel_at is not None and self.cancel_at < self.run_end:
            return [s for s in stages if s[0] < self.cancel_at] + [(self.cancel_at, CANCELED)]
        if self.fate == "stall":
            return stages
        ending = {SUCCEEDED: SUCCEEDED, CANCELED: CANCELED}.get(self.fate, FAILED)
        return [*stages, (self.run_end, ending)]

    def stage(self, now: float) -> str:
        """The stage at clock time ``now``."""
        current = QUEUED
        for at, stage in self.timeline():
            if at <= now:
                current = stage
        return current

    def progress(self, now: float) -> float:
        """Completion between 0 and 1 (1 once succeeded)."""
        stage = self.stage(now)
        if stage == SUCCEEDED:
            return 1.0
        started = self.created + self.timing.queue_s
        if now <= started or self.timing.run_s <= 0:
            return 0.0
        fraction = min(1.0, (now - started) / self.timing.run_s)
        return round(min(fraction, 0.99) if stage not in TERMINAL else fraction, 3)

    def history(self, now: float) -> list[tuple[float, str]]:
        """The (clock time, stage) entries reached by ``now``."""
        return [(at, stage) for at, stage in self.timeline() if at <= now]

    def is_queued(self, now: float) -> bool:
        """True while the job waits in the queue."""
        return self.stage(now) in (QUEUED, QUEUED_LATE)

    def is_terminal(self, now: float) -> bool:
        """True once the job has ended."""
        return self.stage(now) in TERMINAL

    def wall(self, clock_time: float) -> float:
        """Wall-clock time (seconds since the epoch) for a clock time of this job."""
        return self.created_wall + (clock_time - self.created)
