"""``musicbind validate`` reports every problem of a payload, and says what it could not check.

A field error used to hide the cross-field rule (pydantic runs model validators only when
every field passed); a misspelt ``--media-duration`` name was ignored, so the rule it meant
to enable silently did not run; without any media length the rule was skipped with no word.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import assert_no_traceback, run_cli

FAL = "fal:sonilo/v1.1/video-to-music"


def _payload(tmp_path: Path, **fields: object) -> str:
    path = tmp_path / "payload.json"
    data = {"video_url": "https://example.com/v.mp4", **fields}
    path.write_text(json.dumps({"model": FAL, "input": data}))
    return str(path)


def test_a_field_error_does_not_hide_the_cross_field_rule(tmp_path: Path) -> None:
    payload = _payload(tmp_path, num_samples=9, start_offset=30, duration=40)
    done = run_cli("validate", payload, "--media-duration", "video_url=60")
    assert_no_traceback(done)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    assert "$.input.num_samples: 9 is above the maximum 3" in lines[0]
    assert "start_offset=30 + duration=40 must not exceed the length of video_url" in lines[1]
    assert "2 problems in 1 of 1 payloads" in done.stderr


def test_a_required_field_error_adds_no_guess_about_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "payload.json"
    data = {"video_url": 5, "start_offset": 30, "duration": 40}
    path.write_text(json.dumps({"model": FAL, "input": data}))
    done = run_cli("validate", str(path), "--media-duration", "video_url=60")
    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 1, done.stdout
    assert "$.input.video_url" in done.stdout


def test_a_misspelt_media_duration_name_is_a_usage_error(tmp_path: Path) -> None:
    payload = _payload(tmp_path, start_offset=30, duration=40)
    done = run_cli("validate", payload, "--media-duration", "video=60")
    assert_no_traceback(done)
    assert done.returncode == 2
    assert "video: no checked payload's model has a media field of that name" in done.stderr
    assert 'did you mean "video_url"?' in done.stderr


def test_rules_left_unchecked_are_said(tmp_path: Path) -> None:
    payload = _payload(tmp_path, start_offset=30, duration=40)
    done = run_cli("validate", payload)
    assert done.returncode == 0, done.stdout
    assert "note: media-length rules not checked in 1 payload: no length known" in done.stderr
    checked = run_cli("validate", payload, "--media-duration", "video_url=80")
    assert checked.returncode == 0 and "not checked" not in checked.stderr


def test_run_reports_the_same_problems_as_validate(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    data = {"video_url": "https://example.com/v.mp4", "num_samples": 9}
    path.write_text(json.dumps({**data, "start_offset": 30, "duration": 40}))
    done = run_cli(
        "run", FAL, str(path), "--media-duration", "video_url=60", "--journal",
        str(tmp_path / "journal.sqlite3"),
    )  # fmt: skip
    assert_no_traceback(done)
    assert done.returncode == 1
    assert "$.num_samples: 9 is above the maximum 3" in done.stderr
    assert "start_offset=30 + duration=40 must not exceed the length of video_url" in done.stderr
    assert "2 problems in" in done.stderr and "nothing was submitted" in done.stderr
    assert not (tmp_path / "journal.sqlite3").exists()
