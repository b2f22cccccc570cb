"""Runtime: the closed set of job states every provider's status words map onto."""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """Provider-neutral job state. Terminal states are SUCCEEDED, FAILED and CANCELED."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"

    @property
    def is_terminal(self) -> bool:
        """True once the job can no longer change state."""
        return self in _TERMINAL


_TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED})
