"""The command line as a person meets it: version flag, empty folders, counts (real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from musicbind import __version__
from musicbind.emulator.faults import parse_fault_spec

ROOT = Path(__file__).resolve().parents[2]


def _musicbind(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )


def test_short_version_flag_prints_the_version() -> None:
    done = _musicbind("-V")
    assert done.returncode == 0, done.stderr
    assert __version__ in done.stdout


GOOD = json.dumps(
    {"model": "aigateway:sonauto/v2/text-to-music", "input": {"prompt": "calm", "duration": 20}}
)
BAD = json.dumps(
    {"model": "scenario:model_sonilo-v1-1-text-to-music", "input": {"prompt": "x", "duration": 601}}
)


def test_validate_on_an_empty_folder_is_an_error_unless_allowed(tmp_path: Path) -> None:
    done = _musicbind("validate", str(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "no payloads found" in done.stderr and "--allow-empty" in done.stderr
    allowed = _musicbind("validate", "--allow-empty", str(tmp_path))
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_counts_are_pluralised(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(GOOD)
    one = _musicbind("validate", str(tmp_path / "good.json"))
    assert one.returncode == 0, one.stderr
    assert "1 payload valid (1 file)" in one.stderr
    (tmp_path / "bad.json").write_text(BAD)
    bad = _musicbind("validate", str(tmp_path / "bad.json"))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "1 problem in 1 of 1 payloads (1 file, 0 unreadable)" in bad.stderr


def test_emulate_help_states_the_fault_syntax_with_the_readme_example() -> None:
    done = _musicbind("emulate", "--help")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())
    assert "python -c" not in text
    assert "PROVIDER.OP=KIND[(ARG)][:COUNT][@SKIP][~CHANCE]" in text
    example = "fal.submit=reset_after_accept,scenario.status=429(2):3"
    assert example in text
    assert example in (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(parse_fault_spec(example)) == 2


def test_demo_writes_nothing_into_the_current_folder_by_default(tmp_path: Path) -> None:
    cwd = tmp_path / "here"
    cwd.mkdir()
    temp = tmp_path / "temp"
    temp.mkdir()
    done = subprocess.run(
        [sys.executable, "-P", "-m", "musicbind", "demo", "--timing", "0.05,0.1"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={
            "COLUMNS": "200",
            "PATH": "/usr/bin:/bin",
            "TMPDIR": str(temp),
            "PYTHONPATH": str(ROOT),
        },
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert list(cwd.iterdir()) == []
    (made,) = temp.glob("musicbind-demo-*")
    assert f"under {os.path.relpath(made, cwd)}/:" in done.stdout  # as seen from the cwd
    assert (made / "journal.sqlite3").is_file()
    journal = str(made / "journal.sqlite3")
    fal = _musicbind("jobs", "--journal", journal, "--provider", "fal", "--json")
    assert fal.returncode == 0, fal.stderr
    refs = [entry["ref"] for entry in json.loads(fal.stdout)]
    assert refs and all(ref.startswith("fal:") for ref in refs)
    everything = json.loads(_musicbind("jobs", "--journal", journal, "--json").stdout)
    assert len(everything) > len(refs)
    none = _musicbind("jobs", "--journal", journal, "--state", "FAILED", "--json")
    assert json.loads(none.stdout) == []


def test_validate_reports_a_missing_local_media_file(tmp_path: Path) -> None:
    payload = {
        "model": "fal:sonilo/v1.1/video-to-music",
        "input": {"video_url": "clips/nope.mp4", "prompt": "x"},
    }
    (tmp_path / "p.json").write_text(json.dumps(payload))
    done = _musicbind("validate", str(tmp_path / "p.json"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "$.input.video_url: no such local file: clips/nope.mp4" in done.stdout
    assert "(paths are relative to the payload)" in done.stdout


def test_validate_reports_a_nan_and_a_model_error_together(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(
        '{"model": "scenario:model_sonilo-v1-1-text-to-music",'
        ' "input": {"prompt": "x", "duration": 601, "seed": NaN}}'
    )
    done = _musicbind("validate", str(tmp_path / "p.json"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "$.input.duration: 601 is above the maximum 600" in done.stdout
    assert "$.input.seed: NaN is not a JSON number" in done.stdout
    assert "2 problems in 1 of 1 payloads" in done.stderr
