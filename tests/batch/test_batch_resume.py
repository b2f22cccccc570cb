"""Acceptance: a batch SIGKILLed at random points and run again pays for every job exactly once."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import batch_support
from batch_support import (
    MODEL,
    batch_command,
    charges,
    emulator_env,
    run_cli,
    write_batch,
)

from musicbind.emulator.server import EmulatorServer
from musicbind.runtime.journal import Journal

fast_emulator = batch_support.fast_emulator  # fixture

JOBS = 200
KILLS = 4


def test_sigkilled_batch_resumes_until_every_job_is_done_once(
    fast_emulator: EmulatorServer, tmp_path: Path
) -> None:
    batch_file = write_batch(tmp_path / "cutscenes.jsonl", JOBS)
    journal = tmp_path / "journal.sqlite3"
    report = tmp_path / "report.json"
    env = emulator_env(fast_emulator)
    command = batch_command(
        batch_file,
        str(journal),
        "--concurrency",
        "8",
        "--idempotency-header",
        "Idempotency-Key",
        "--report",
        str(report),
    )
    draw = random.Random(17)  # kill points, repeatable
    kills = 0
    started = time.monotonic()
    while kills < KILLS:
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(draw.uniform(0.8, 2.0))
        if process.poll() is not None:
            break
        process.kill()
        process.wait()
        kills += 1
    assert kills >= 2, "the batch ended before it could be killed twice: make the kills sooner"
    final = run_cli(command, env, timeout=120)
    assert final.returncode == 0, final.stderr[-2000:]
    assert time.monotonic() - started < 90

    paid = charges(fast_emulator)
    hashes = [charge.payload_sha256 for charge in paid]
    assert len(paid) == JOBS, f"{len(paid)} charges for {JOBS} jobs"
    assert len(set(hashes)) == JOBS
    assert fast_emulator.ledger.to_dict()["summary"]["aigateway"]["duplicate_charges"] == 0

    data = json.loads(report.read_text())
    assert data["counts"] == {"done": JOBS}
    assert len({item["job_id"] for item in data["items"]}) == JOBS
    with Journal(journal) as opened:
        accepted = [e for e in opened.entries() if e.submission == "accepted"]
    assert {e.job_id for e in accepted} == {c.job_id for c in paid}
    assert all(e.ref == MODEL for e in accepted)


def test_rerun_of_a_finished_batch_submits_nothing(
    fast_emulator: EmulatorServer, tmp_path: Path
) -> None:
    batch_file = write_batch(tmp_path / "b.jsonl", 12)
    journal = str(tmp_path / "journal.sqlite3")
    env = emulator_env(fast_emulator)
    first = run_cli(batch_command(batch_file, journal), env)
    assert first.returncode == 0, first.stderr
    report = tmp_path / "again.json"
    again = run_cli(batch_command(batch_file, journal, "--report", str(report)), env)
    assert again.returncode == 0, again.stderr
    assert len(fast_emulator.ledger.submissions) == 12
    assert json.loads(report.read_text())["counts"] == {"done": 12}


def test_unsure_submit_is_not_sent_again_without_idempotency_keys(
    fast_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """A submit whose answer was lost stays uncertain (exit 3) and is never re-sent."""
    fast_emulator.set_faults("aigateway.submit=reset_after_accept:1")
    batch_file = write_batch(tmp_path / "b.jsonl", 5)
    journal = str(tmp_path / "journal.sqlite3")
    env = emulator_env(fast_emulator)
    first = run_cli(batch_command(batch_file, journal), env)
    assert first.returncode == 3, first.stderr
    assert "uncertain" in first.stderr
    again = run_cli(batch_command(batch_file, journal), env)
    assert again.returncode == 3
    assert len(charges(fast_emulator)) == 5  # the lost answer's job was charged once, no more
    assert fast_emulator.ledger.to_dict()["summary"]["aigateway"]["duplicate_charges"] == 0


def test_ctrl_c_stops_cleanly_and_the_rerun_finishes(
    fast_emulator: EmulatorServer, tmp_path: Path
) -> None:
    batch_file = write_batch(tmp_path / "b.jsonl", 60)
    journal = str(tmp_path / "journal.sqlite3")
    env = emulator_env(fast_emulator)
    command = batch_command(
        batch_file, journal, "--concurrency", "4", "--idempotency-header", "Idempotency-Key"
    )
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr.decode()[-2000:]
    assert b"run the same command again to resume" in stderr
    assert b"Traceback" not in stderr
    assert 0 < len(charges(fast_emulator)) < 60
    final = run_cli(command, env)
    assert final.returncode == 0, final.stderr[-2000:]
    hashes = [charge.payload_sha256 for charge in charges(fast_emulator)]
    assert len(hashes) == len(set(hashes)) == 60


def test_progress_in_a_log_is_plain_lines_and_the_report_is_json(
    fast_emulator: EmulatorServer, tmp_path: Path
) -> None:
    batch_file = write_batch(tmp_path / "b.jsonl", 6)
    report = tmp_path / "report.json"
    env = {**emulator_env(fast_emulator), "MUSICBIND_PROGRESS_INTERVAL": "0"}
    out = tmp_path / "out"
    command = batch_command(
        batch_file, str(tmp_path / "j.sqlite3"), "--report", str(report), "--out", str(out)
    )
    command[command.index("none")] = "auto"  # standard error is a pipe here, as in CI
    result = run_cli(command, env)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("batch 0/6 done")
    assert any(line.startswith("batch 6/6 done, 0 running, spent 0.078 USD") for line in lines)
    assert any(line.split()[:3] == ["total", "6", "6"] for line in lines)
    data = json.loads(report.read_text())
    assert data["counts"] == {"done": 6} and data["spent"] == "0.078"
    assert {item["status"] for item in data["items"]} == {"done"}
    for item in data["items"]:  # each result downloaded into a folder of its own
        (file,) = item["files"]
        assert Path(file).parent == out / item["key"][:16] and Path(file).stat().st_size > 0


def test_a_wait_that_times_out_is_resumed_not_resubmitted(
    fast_emulator: EmulatorServer, tmp_path: Path
) -> None:
    fast_emulator.set_faults("aigateway.submit=stall:1")
    batch_file = write_batch(tmp_path / "b.jsonl", 2)
    report = tmp_path / "report.json"
    command = batch_command(
        batch_file, str(tmp_path / "j.sqlite3"), "--timeout", "0.5", "--report", str(report)
    )
    env = emulator_env(fast_emulator)
    for _ in range(2):
        result = run_cli(command, env)
        assert result.returncode == 4, result.stderr
        counts = json.loads(report.read_text())["counts"]
        assert counts == {"done": 1, "timed_out": 1}
    assert len(fast_emulator.ledger.submissions) == 2  # the stalled job was waited for again
