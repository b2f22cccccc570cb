"""``musicbind emulate``: bad options fail fast; a real run serves and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
from click.testing import CliRunner

from musicbind.cli import main


def test_bad_fault_spec_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["emulate", "--faults", "fal.submit=explode"])
    assert result.exit_code == 2
    assert "unknown fault kind 'explode'" in result.output


def test_bad_timing_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["emulate", "--timing", "fast"])
    assert result.exit_code == 2
    assert "QUEUE,RUN" in result.output


def test_emulate_serves_until_interrupted() -> None:
    command = [sys.executable, "-P", "-c", "from musicbind.cli import main; main()"]
    args = ["emulate", "--port", "0", "--seed", "3", "--faults", "fal.status=503"]
    process = subprocess.Popen(
        command + args,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        exports: dict[str, str] = {}
        deadline = time.monotonic() + 20
        while "AIGATEWAY_API_KEY" not in exports and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("export "):
                key, _, value = line[len("export ") :].strip().partition("=")
                exports[key] = value
        assert exports["MUSICBIND_FAL_BASE_URL"].startswith("http://127.0.0.1:")
        origin = exports["MUSICBIND_FAL_BASE_URL"].rsplit("/", 1)[0]
        health = httpx.get(origin + "/_emulator/health", timeout=5).json()
        assert health["seed"] == 3
        assert httpx.get(origin + "/_emulator/faults").json()["rules"][0]["rule"] == (
            "fal.status=503:1"
        )
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
