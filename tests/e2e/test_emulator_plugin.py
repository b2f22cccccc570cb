"""The pytest plugin's fixture, used the way a musicbind user would in their own test suite."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import httpx
import pytest

from musicbind.emulator.pytest_plugin import EmulatorHandle


@pytest.mark.musicbind_emulator(seed=4, faults="fal.submit=reset_after_accept")
def test_a_lost_submit_answer_is_charged_once(musicbind_emulator: EmulatorHandle) -> None:
    fal = httpx.Client(
        base_url=os.environ["MUSICBIND_FAL_BASE_URL"],
        headers={"Authorization": f"Key {os.environ['FAL_KEY']}"},
    )
    with fal, pytest.raises(httpx.TransportError):
        fal.post("/sonilo/v1.1/video-to-music", json={"video_url": musicbind_emulator.media_url()})
    ledger = musicbind_emulator.ledger
    assert len(ledger.accepted("fal")) == 1
    assert ledger.duplicate_charges() == 0


def test_fixture_sets_the_environment_and_takes_faults(musicbind_emulator: EmulatorHandle) -> None:
    env = musicbind_emulator.env()
    assert all(os.environ[key] == value for key, value in env.items())
    assert env["MUSICBIND_AIGATEWAY_BASE_URL"] == musicbind_emulator.base_url("aigateway")
    musicbind_emulator.set_faults("aigateway.submit=429(0)")
    answer = httpx.post(
        env["MUSICBIND_AIGATEWAY_BASE_URL"] + "/v1/audio/music",
        json={"prompt": "x"},
        headers={"Authorization": f"Bearer {env['AIGATEWAY_API_KEY']}"},
    )
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "0"


def test_fixture_hands_out_generated_clients(musicbind_emulator: EmulatorHandle) -> None:
    if importlib.util.find_spec("musicbind.generated.fal.client") is None:
        with pytest.raises(RuntimeError, match="musicbind generate"):
            musicbind_emulator.client("fal")
    else:
        assert musicbind_emulator.client("fal") is not None


def test_plugin_does_not_import_the_emulator_until_used(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.has_plugin("musicbind.emulator.pytest_plugin")
    probe = (
        "import sys, emulator.pytest_plugin; "
        "print(sorted({'uvicorn', 'starlette'} & set(sys.modules)))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"
