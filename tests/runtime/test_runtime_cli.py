"""``musicbind run | jobs | resume`` against the emulator on 127.0.0.1 (a real local server).

The last test runs ``musicbind run`` in a subprocess, kills it with SIGKILL while it
waits, and lets ``musicbind resume`` fetch and download the result.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from musicbind.cli import main
from musicbind.emulator import jobs as emulator_jobs
from musicbind.emulator import server as emulator_server

FAL_REF = "fal:sonilo/v1.1/video-to-music"
GATEWAY_REF = "aigateway:sonauto/v2/text-to-music"


@pytest.fixture(scope="module")
def emulator() -> Iterator[object]:
    with emulator_server.EmulatorServer(seed=5) as server:
        yield server


@pytest.fixture
def emu(emulator: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> object:
    emulator.set_faults("")  # type: ignore[attr-defined]
    emulator.ledger.clear()  # type: ignore[attr-defined]
    for name, value in emulator.env().items():  # type: ignore[attr-defined]
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MUSICBIND_JOURNAL", str(tmp_path / "journal.sqlite3"))
    return emulator


def payload_file(tmp_path: Path, payload: dict[str, object]) -> str:
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(payload))
    return str(path)


def fal_payload(emu: object) -> dict[str, object]:
    return {"video_url": emu.media_url(), "num_samples": 2, "duration": 5.0}  # type: ignore[attr-defined]


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_run_downloads_and_prints_the_paths(emu: object, tmp_path: Path) -> None:
    result = invoke(
        "run",
        FAL_REF,
        payload_file(tmp_path, fal_payload(emu)),
        "--out",
        str(tmp_path / "out"),
        "--max-cost",
        "1",
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "estimated cost: 0.09 USD" in result.stderr  # type: ignore[attr-defined]
    paths = [Path(line) for line in result.stdout.splitlines()]  # type: ignore[attr-defined]
    assert len(paths) == 2 and all(
        p.is_file() and p.parent == (tmp_path / "out").resolve() for p in paths
    )
    assert len(emu.ledger.accepted()) == 1  # type: ignore[attr-defined]
    listing = invoke("jobs", "--json")
    (entry,) = json.loads(listing.stdout)  # type: ignore[attr-defined]
    assert (entry["submission"], entry["state"], entry["files"]) == (
        "accepted",
        "SUCCEEDED",
        [str(p) for p in paths],
    )


def test_run_refuses_above_max_cost_before_sending(emu: object, tmp_path: Path) -> None:
    result = invoke("run", FAL_REF, payload_file(tmp_path, fal_payload(emu)), "--max-cost", "0.01")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "above max_cost=0.01" in result.stderr and "Traceback" not in result.output  # type: ignore[attr-defined]
    assert emu.ledger.accepted() == []  # type: ignore[attr-defined]


def test_run_reports_an_invalid_payload(emu: object, tmp_path: Path) -> None:
    result = invoke("run", GATEWAY_REF, payload_file(tmp_path, {"prompt": "x", "duration": "long"}))
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "duration" in result.stderr and "Traceback" not in result.output  # type: ignore[attr-defined]


def test_run_unknown_ref(emu: object, tmp_path: Path) -> None:
    result = invoke("run", "fal:nope/never", payload_file(tmp_path, {}))
    assert result.exit_code == 1 and "no binding" in result.stderr  # type: ignore[attr-defined]


@pytest.mark.parametrize("provider", ["fal", "aigateway", "scenario"])
def test_run_after_a_lost_answer_exits_3_and_never_pays_twice(
    emu: object, tmp_path: Path, provider: str
) -> None:
    emu.set_faults(f"{provider}.submit=reset_after_accept")  # type: ignore[attr-defined]
    ref, payload = {
        "fal": (FAL_REF, fal_payload(emu)),
        "aigateway": (GATEWAY_REF, {"prompt": "x", "duration": 5.0}),
        "scenario": ("scenario:model_sonilo-v1-1-text-to-music", {"prompt": "x"}),
    }[provider]
    result = invoke("run", ref, payload_file(tmp_path, payload))
    assert result.exit_code == 3, result.output  # type: ignore[attr-defined]
    assert "NOT retried" in result.stderr  # type: ignore[attr-defined]
    assert len(emu.ledger.accepted()) == 1 and emu.ledger.duplicate_charges() == 0  # type: ignore[attr-defined]
    listing = " ".join(invoke("jobs").stdout.split())  # type: ignore[attr-defined]
    assert "uncertain" in listing and "before submitting again" in listing


def test_timeout_exits_4_then_resume_finishes(emu: object, tmp_path: Path) -> None:
    emu.emulator.timing = emulator_jobs.Timing(0.1, 3.0)  # type: ignore[attr-defined]
    try:
        result = invoke(
            "run",
            GATEWAY_REF,
            payload_file(tmp_path, {"prompt": "x", "duration": 5.0}),
            "--timeout",
            "0.5",
        )
        assert result.exit_code == 4, result.output  # type: ignore[attr-defined]
        assert "musicbind resume" in result.stderr  # type: ignore[attr-defined]
        (entry,) = json.loads(invoke("jobs", "--json").stdout)  # type: ignore[attr-defined]
        resumed = invoke("resume", entry["job_id"], "--out", str(tmp_path / "later"))
    finally:
        emu.emulator.timing = emulator_jobs.Timing()  # type: ignore[attr-defined]
    assert resumed.exit_code == 0, resumed.output  # type: ignore[attr-defined]
    (path,) = [Path(line) for line in resumed.stdout.splitlines()]  # type: ignore[attr-defined]
    assert path.is_file() and path.parent == (tmp_path / "later").resolve()
    assert len(emu.ledger.accepted()) == 1  # type: ignore[attr-defined]


def test_downloads_never_carry_credentials(emu: object, tmp_path: Path) -> None:
    emu.set_faults("fal.download=redirect:1")  # type: ignore[attr-defined]
    result = invoke(
        "run", FAL_REF, payload_file(tmp_path, fal_payload(emu)), "--out", str(tmp_path)
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    downloads = emu.ledger.downloads  # type: ignore[attr-defined]
    assert downloads and not any(d.authorization_sent for d in downloads)
    assert any(d.origin.startswith("localhost") for d in downloads)  # followed to the other origin


def test_resume_of_an_unknown_job(emu: object) -> None:
    result = invoke("resume", "no-such-job")
    assert result.exit_code == 1 and "no journal entry" in result.stderr  # type: ignore[attr-defined]


def test_jobs_on_an_empty_journal(emu: object) -> None:
    result = invoke("jobs")
    assert result.exit_code == 0 and "no jobs" in result.stdout  # type: ignore[attr-defined]


def _job_id_in(journal: Path, deadline: float) -> str:
    while time.monotonic() < deadline:
        if journal.exists():
            try:
                with sqlite3.connect(journal) as db:
                    row = db.execute("SELECT job_id FROM submissions").fetchone()
                db.close()
            except sqlite3.Error:
                row = None
            if row and row[0]:
                return str(row[0])
        time.sleep(0.05)
    raise AssertionError("no job id appeared in the journal")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_mid_wait_then_resume(emulator: object, tmp_path: Path) -> None:
    emulator.set_faults("")  # type: ignore[attr-defined]
    emulator.ledger.clear()  # type: ignore[attr-defined]
    emulator.emulator.timing = emulator_jobs.Timing(0.2, 4.0)  # type: ignore[attr-defined]
    journal = tmp_path / "journal.sqlite3"
    env = {**os.environ, **emulator.env(), "MUSICBIND_JOURNAL": str(journal)}  # type: ignore[attr-defined]
    command = [sys.executable, "-P", "-c", "from musicbind.cli import main; main()"]
    payload = payload_file(tmp_path, fal_payload(emulator))
    try:
        waiting = subprocess.Popen(
            [*command, "run", FAL_REF, payload, "--out", str(tmp_path / "first")],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            job_id = _job_id_in(journal, time.monotonic() + 30)
            time.sleep(0.5)  # well into the wait
            assert waiting.poll() is None
            waiting.send_signal(signal.SIGKILL)
        finally:
            waiting.communicate(timeout=30)
        assert waiting.returncode == -signal.SIGKILL
        assert not (tmp_path / "first").exists() or not any((tmp_path / "first").iterdir())
        resumed = subprocess.run(
            [*command, "resume", job_id[:8], "--out", str(tmp_path / "out")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        emulator.emulator.timing = emulator_jobs.Timing()  # type: ignore[attr-defined]
    assert resumed.returncode == 0, resumed.stderr
    paths = [Path(line) for line in resumed.stdout.splitlines()]
    assert len(paths) == 2 and all(p.is_file() and p.stat().st_size > 0 for p in paths)
    assert len(emulator.ledger.accepted()) == 1 and emulator.ledger.duplicate_charges() == 0  # type: ignore[attr-defined]
