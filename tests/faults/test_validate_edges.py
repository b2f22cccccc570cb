"""Fault class 11: ``musicbind validate`` and ``run`` on hostile files and arguments.

Devices and FIFOs are refused from their file type without reading them; folder search
stays inside the folder; a media header that claims 4 GiB is not believed; a finding
holding a lone surrogate prints in every format; NaN and infinity are usage errors.
"""

from __future__ import annotations

import json
import os
import resource
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from fault_support import REF, isolated_environment

__all__ = ["isolated_environment"]  # the autouse fixture, imported to apply here

MEMORY_LIMIT = 1536 * 1024 * 1024  # the address space a child may use


def validate(*args: str, cwd: Path, limit_memory: bool = False) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", "validate", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
        preexec_fn=limit if limit_memory else None,
    )


SURROGATE_PAYLOADS = {
    "wrong_type": '{"video_url": "https://x.example/a.mp4", "duration": "\\ud800"}',
    "wrapper": '{"model": "fal:\\ud800", "input": {}}',
}


@pytest.mark.parametrize("case", sorted(SURROGATE_PAYLOADS))
@pytest.mark.parametrize("output_format", ["text", "json", "github"])
def test_a_lone_surrogate_in_a_finding_prints_in_every_format(
    output_format: str, case: str, tmp_path: Path
) -> None:
    payload = tmp_path / "p.json"
    payload.write_text(SURROGATE_PAYLOADS[case])
    done = validate("--model", REF, "--format", output_format, str(payload), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    if output_format == "json":
        assert json.loads(done.stdout)["invalid_payloads"] == 1


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "fifo"])
def test_devices_and_fifos_are_refused_unread(device: str, tmp_path: Path) -> None:
    if device == "fifo":
        fifo = tmp_path / "payload.json"
        os.mkfifo(fifo)
        device = str(fifo)
    done = validate("--model", REF, device, cwd=tmp_path, limit_memory=True)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "not a regular file" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_run_refuses_a_device_as_payload(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", "run", REF, "/dev/zero", "--journal", "j"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "not a regular file" in done.stderr
    assert not (tmp_path / "j").exists()


def test_folder_search_does_not_follow_links_out_of_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "bad.json").write_text('{"video_url": 5}')
    folder = tmp_path / "payloads"
    folder.mkdir()
    (folder / "good.json").write_text('{"video_url": "https://x.example/a.mp4", "duration": 5}')
    (folder / "link.json").symlink_to(outside / "bad.json")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    done = validate("--model", REF, str(folder), cwd=tmp_path)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "1 payload valid (1 file)" in done.stderr


def test_a_riff_header_claiming_4_gib_is_not_believed(tmp_path: Path) -> None:
    huge = struct.pack("<I", 0xFFFFFFF0)
    (tmp_path / "clip.wav").write_bytes(b"RIFF" + huge + b"WAVE" + b"fmt " + huge + b"\x01" * 16)
    payload = tmp_path / "p.json"
    payload.write_text('{"video_url": "clip.wav", "duration": 5}')
    done = validate("--model", REF, str(payload), cwd=tmp_path, limit_memory=True)
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert done.returncode in (0, 1), (done.stdout, done.stderr)


@pytest.mark.parametrize("seconds", ["nan", "inf", "-inf", "-1", "0"])
def test_run_media_duration_must_be_a_finite_positive_number(seconds: str, tmp_path: Path) -> None:
    payload = tmp_path / "p.json"
    payload.write_text('{"video_url": "https://x.example/a.mp4", "duration": 5}')
    done = subprocess.run(
        [
            *(sys.executable, "-P", "-m", "musicbind", "run", REF, str(payload)),
            *("--media-duration", f"video_url={seconds}", "--journal", str(tmp_path / "j")),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr  # a usage error: nothing journalled or sent
    assert "--media-duration" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "j").exists()
