"""Acceptance: workers sharing one PostgreSQL journal, two SIGKILLed and restarted.

Needs PostgreSQL (``MUSICBIND_TEST_POSTGRES_URL``; ``.ci/run`` starts one): under CI a
missing server fails these tests, elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import json
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import batch_support
import pytest
from batch_support import PRICE_PER_JOB, batch_command, charges, emulator_env, write_batch

from musicbind.emulator.server import EmulatorServer
from musicbind.runtime.errors import JournalError
from musicbind.runtime.journal import Journal
from musicbind.runtime.journal_schema import LATEST_VERSION

fast_emulator = batch_support.fast_emulator  # fixture
postgres_url = batch_support.postgres_url  # fixture

JOBS = 400
WORKERS = 4
CAP_JOBS = 340  # the cap pays for this many jobs: the rest are skipped, never sent


def test_four_workers_two_killed_never_pay_twice_nor_pass_the_cap(
    fast_emulator: EmulatorServer, postgres_url: str, tmp_path: Path
) -> None:
    batch_file = write_batch(tmp_path / "cutscenes.jsonl", JOBS)
    cap = Decimal(PRICE_PER_JOB) * CAP_JOBS
    env = emulator_env(fast_emulator)

    def command(n: int) -> list[str]:
        return batch_command(
            batch_file,
            postgres_url,
            "--concurrency",
            "8",
            "--max-total-cost",
            str(cap),
            "--lease",
            "2",
            "--idempotency-header",
            "Idempotency-Key",
            "--report",
            str(tmp_path / f"report-{n}.json"),
        )

    started = time.monotonic()
    workers = [
        subprocess.Popen(command(n), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for n in range(WORKERS)
    ]
    time.sleep(2.0)
    for victim in workers[:2]:
        assert victim.poll() is None, "a worker ended before it could be killed"
        victim.kill()
        victim.wait()
    restarted = [
        subprocess.Popen(command(n), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for n in range(2)
    ]
    for process in workers[2:]:
        process.wait(timeout=120)
    errors = [process.communicate(timeout=120)[1].decode() for process in restarted]
    assert time.monotonic() - started < 90

    paid = charges(fast_emulator)
    hashes = [charge.payload_sha256 for charge in paid]
    assert len(hashes) == len(set(hashes)), "a payload was paid for twice"
    assert fast_emulator.ledger.to_dict()["summary"]["aigateway"]["duplicate_charges"] == 0
    assert sum(charge.amount for charge in paid) <= cap
    assert len(paid) == CAP_JOBS

    report = json.loads((tmp_path / "report-1.json").read_text())
    assert report["counts"] == {"done": CAP_JOBS, "skipped": JOBS - CAP_JOBS}, errors[1][-2000:]
    done_jobs = {item["job_id"] for item in report["items"] if item["status"] == "done"}
    assert done_jobs == {charge.job_id for charge in paid}  # none lost, none extra
    assert Decimal(report["spent"]) <= cap


def test_postgres_journal_is_migrated_once_and_refuses_a_newer_schema(postgres_url: str) -> None:
    with Journal(postgres_url) as first, Journal(postgres_url) as second:
        assert type(first).__name__ == "PostgresJournal"
        assert first.schema_version == second.schema_version == LATEST_VERSION
        assert "@" not in repr(first) or ":" not in repr(first).split("@")[0].split("//")[1]
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO musicbind_schema (version, description) VALUES (%s, 'future')",
            (LATEST_VERSION + 1,),
        )
    with pytest.raises(JournalError, match="newer than this musicbind knows"):
        Journal(postgres_url)


def test_missing_psycopg_names_the_extra(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(JournalError, match=r"musicbind\[postgres\]"):
        Journal(postgres_url)


def test_jobs_lists_a_shared_journal_by_its_url_without_its_password(
    postgres_url: str, fast_emulator: EmulatorServer, tmp_path: Path
) -> None:
    env = emulator_env(fast_emulator)
    done = batch_support.run_cli(
        batch_command(write_batch(tmp_path / "b.jsonl", 3), postgres_url), env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    listed = batch_support.run_cli(
        [
            *batch_command(tmp_path / "b.jsonl", postgres_url)[:4],
            "jobs",
            "--journal",
            postgres_url,
            "--json",
        ],
        env,
    )
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert len(entries) == 3 and {e["state"] for e in entries} == {"SUCCEEDED"}
    secret = postgres_url.replace("postgresql://musicbind@", "postgresql://musicbind:hunter22@")
    shown = batch_support.run_cli(
        [*batch_command(tmp_path / "b.jsonl", postgres_url)[:4], "jobs", "--journal", secret],
        {**env, "COLUMNS": "200"},
    )
    assert "hunter22" not in shown.stdout + shown.stderr


def test_the_postgres_journal_finds_an_entry_as_the_file_journal_does(postgres_url: str) -> None:
    """The ledger's queries are one implementation for both backends: an entry is found by
    its intent id, its job id or a unique prefix (``%`` and ``_`` in a key are literal)."""
    from musicbind.generated.fal import PROTOCOL

    with Journal(postgres_url) as journal:
        intent = journal.record_intent(
            protocol=PROTOCOL, ref="fal:x", model_id="x", base_url="http://b", payload={"a": 1}
        )
        journal.update(intent, job_id="job_%_literal", submission="accepted")
        assert journal.get(intent[:12]).intent_id == intent
        assert journal.get("job_%_literal").intent_id == intent
        assert intent in [entry.intent_id for entry in journal.entries()]
        with pytest.raises(LookupError, match="no journal entry for 'job_x'"):
            journal.get("job_x")
        with pytest.raises(LookupError, match="no journal row"):
            journal.update("not-an-intent", submission="accepted")
