"""Bench: how many runs of what (the full plan: about 40 minutes on 2 cores; --quick: smoke).

``python -m bench --counts 10,100,1000`` replaces the endpoint counts of either plan (the
steady-state cases run at 1,000 and 10,000 when those are among them, else at the largest).
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Plan:
    """Sizes and repetitions of one bench run."""

    name: str
    endpoint_counts: tuple[int, ...]
    runs_small: int  # repetitions for endpoint counts up to SMALL_COUNT
    runs_large: int  # repetitions above it, up to LARGE_COUNT
    runs_huge: int  # repetitions above LARGE_COUNT (10,000 endpoints: minutes per tool)
    check_runs: int
    incremental_runs: int
    specs_runs: int
    payloads: int  # payloads per validation pass
    validation_rounds: int
    cli_payloads: int  # payloads given to ``musicbind validate``
    cli_runs: int
    startup_runs: int
    poll_job_seconds: tuple[float, ...]  # simulated job lengths
    realtime_job_seconds: float
    overhead_calls: int
    overhead_rounds: int
    download_bytes: int
    download_runs: int

    SMALL_COUNT = 100
    LARGE_COUNT = 1000
    STEADY_COUNTS = (1000, 10_000)  # where check / no-op / one change are measured

    def runs_for(self, count: int) -> int:
        """Repetitions of a generation of ``count`` endpoints."""
        if count <= self.SMALL_COUNT:
            return self.runs_small
        return self.runs_large if count <= self.LARGE_COUNT else self.runs_huge

    def steady_counts(self) -> tuple[int, ...]:
        """The endpoint counts of the steady-state cases (check, no-op, one change)."""
        chosen = tuple(c for c in self.STEADY_COUNTS if c in self.endpoint_counts)
        return chosen or (max(self.endpoint_counts),)

    def with_counts(self, counts: tuple[int, ...]) -> Plan:
        """This plan with other endpoint counts."""
        chosen = tuple(sorted(set(counts)))
        shown = ", ".join(f"{c:,}" for c in chosen)
        return replace(self, name=f"{self.name}, endpoint counts {shown}", endpoint_counts=chosen)


FULL = Plan(
    name="full",
    endpoint_counts=(1, 10, 100, 1000, 10_000),
    runs_small=5,
    runs_large=3,
    runs_huge=1,
    check_runs=5,
    incremental_runs=3,
    specs_runs=5,
    payloads=2000,
    validation_rounds=10,
    cli_payloads=10_000,
    cli_runs=3,
    startup_runs=7,
    poll_job_seconds=(5.0, 30.0, 300.0),
    realtime_job_seconds=5.0,
    overhead_calls=200,
    overhead_rounds=5,
    download_bytes=1024**3,
    download_runs=3,
)

QUICK = Plan(
    name="quick",
    endpoint_counts=(1, 10, 100),
    runs_small=1,
    runs_large=1,
    runs_huge=1,
    check_runs=2,
    incremental_runs=1,
    specs_runs=1,
    payloads=500,
    validation_rounds=3,
    cli_payloads=1000,
    cli_runs=1,
    startup_runs=2,
    poll_job_seconds=(5.0, 30.0),
    realtime_job_seconds=2.0,
    overhead_calls=30,
    overhead_rounds=2,
    download_bytes=64 * 1024**2,
    download_runs=1,
)
