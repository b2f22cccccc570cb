"""Helpers and fixtures of the batch tests: a fast emulator, batch files, the PostgreSQL URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from musicbind.emulator.jobs import Timing
from musicbind.emulator.server import EmulatorServer

MODEL = "aigateway:sonauto/v2/text-to-music"
PRICE_PER_JOB = "0.013"  # 10 s at USD 0.0013 a second
POSTGRES_ENV = "MUSICBIND_TEST_POSTGRES_URL"
FAST = Timing(queue_s=0.02, run_s=0.05)


def write_batch(path: Path, count: int, *, model: str = MODEL) -> Path:
    """A JSONL batch of ``count`` distinct 10-second items."""
    lines = [
        json.dumps({"model": model, "input": {"prompt": f"cutscene {n}", "duration": 10}})
        for n in range(count)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def batch_command(batch_file: Path, journal: str, *extra: str) -> list[str]:
    """The ``musicbind batch`` command line the tests run as a real subprocess."""
    return [
        sys.executable,
        "-P",
        "-m",
        "musicbind",
        "batch",
        str(batch_file),
        "--journal",
        journal,
        "--progress",
        "none",
        "--poll-interval",
        "0.05",
        *extra,
    ]


def emulator_env(server: EmulatorServer) -> dict[str, str]:
    """The environment pointing a subprocess at ``server`` (never the user's journal)."""
    env = {**os.environ, **server.env()}
    env.pop("MUSICBIND_JOURNAL", None)
    env["PYTHONWARNINGS"] = "ignore"
    return env


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a command to its end."""
    return subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def charges(server: EmulatorServer, provider: str = "aigateway") -> list[Any]:
    """The emulator's live charges of ``provider``."""
    return [c for c in server.ledger.charges if c.provider == provider and not c.refunded]


@pytest.fixture
def fast_emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    """An emulator with fast jobs that honours idempotency keys."""
    with EmulatorServer(
        seed=3, timing=FAST, honour_idempotency_keys=True, journal=tmp_path / "emu.sqlite3"
    ) as server:
        yield server


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL journal URL in a schema of its own (dropped afterwards).

    Under CI the server must be there (``.ci/run`` starts one): a missing URL fails the
    test instead of skipping it; elsewhere the test is skipped, saying why.
    """
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        message = (
            f"{POSTGRES_ENV} is not set: these tests need a PostgreSQL server "
            "(.ci/run starts one; see .ci/postgres.sh)"
        )
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
