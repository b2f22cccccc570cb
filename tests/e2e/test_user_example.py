"""A user's own tests, as the README shows them: the musicbind_emulator fixture and clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from musicbind.emulator.pytest_plugin import EmulatorHandle
from musicbind.runtime.errors import JobFailedError, SubmissionUncertainError


def test_scoring_a_video_downloads_every_sample(
    musicbind_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    fal = musicbind_emulator.client("fal", journal=tmp_path / "journal.sqlite3")
    with fal:
        job = fal.submit_sonilo_v1_1_video_to_music(
            video_url=musicbind_emulator.media_url(), num_samples=2, duration=5
        )
        files = job.download(tmp_path / "out")
    assert len(files) == 2 and all(f.stat().st_size > 0 for f in files)
    assert musicbind_emulator.ledger.duplicate_charges() == 0


@pytest.mark.musicbind_emulator(faults="fal.submit=reset_after_accept")
def test_a_lost_answer_is_never_paid_twice(
    musicbind_emulator: EmulatorHandle, tmp_path: Path
) -> None:
    fal = musicbind_emulator.client("fal", journal=tmp_path / "journal.sqlite3")
    with fal, pytest.raises(SubmissionUncertainError) as caught:
        fal.sonilo_v1_1_video_to_music(video_url=musicbind_emulator.media_url(), duration=5)
    assert "musicbind jobs" in str(caught.value)
    assert len(musicbind_emulator.ledger.accepted("fal")) == 1
    assert musicbind_emulator.ledger.duplicate_charges() == 0


@pytest.mark.musicbind_emulator(faults="aigateway.submit=fail")
def test_a_failed_job_is_a_typed_error(musicbind_emulator: EmulatorHandle, tmp_path: Path) -> None:
    gateway = musicbind_emulator.client("aigateway", journal=tmp_path / "journal.sqlite3")
    with gateway, pytest.raises(JobFailedError):
        gateway.sonauto_v2_text_to_music(prompt="lo-fi", duration=5)
