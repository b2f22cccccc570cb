"""Bench: how many runs of what (the full plan fits 15 minutes on 2 cores; --quick: smoke)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Plan:
    """Sizes and repetitions of one bench run."""

    name: str
    endpoint_counts: tuple[int, ...]
    runs_small: int  # repetitions for endpoint counts up to SMALL_COUNT
    runs_large: int  # repetitions above it (the 300 and 1,000 endpoint generations)
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

    def runs_for(self, count: int) -> int:
        """Repetitions of a generation of ``count`` endpoints."""
        return self.runs_small if count <= self.SMALL_COUNT else self.runs_large


FULL = Plan(
    name="full",
    endpoint_counts=(10, 100, 300, 1000),
    runs_small=5,
    runs_large=3,
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
    endpoint_counts=(10, 100),
    runs_small=1,
    runs_large=1,
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
